"""``GET /api/v1/dashboard/summary/`` (the headline figures of the caller's scope),
``GET /api/v1/dashboard/timeliness/`` (how fast referrals, consults and alerts were answered) and
``GET /api/v1/dashboard/series/`` (one indicator, week by week)."""

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.views import ERROR_RESPONSES

from ..access import dashboard_scope
from ..periods import parse_period
from ..selectors import summary_get
from ..series import DEFAULT_WEEKS, MAX_WEEKS, SERIES, parse_series, series_get
from ..timeliness import timeliness_get
from .serializers import DashboardSeriesSerializer, DashboardSummarySerializer, DashboardTimelinessSerializer

SCOPE_PARAMETERS = [
    OpenApiParameter("region", OpenApiTypes.STR, description="GB/T 2260 code of a region (6 digits)."),
    OpenApiParameter("facility", OpenApiTypes.UUID, description="Facility id."),
    OpenApiParameter(
        "period",
        OpenApiTypes.STR,
        description="YYYY, YYYY-MM or SY2026 (statistical year, 1 Oct 2025 – 30 Sep 2026); "
        "default: the current statistical year.",
    ),
]


def _scope(request: Request):
    """The scope the caller asked for (``?region=`` / ``?facility=``) within what she may see."""
    return dashboard_scope(
        request.user,
        region=request.query_params.get("region") or None,
        facility=request.query_params.get("facility") or None,
    )


class DashboardSummaryView(APIView):
    """Facility administrators: their facility; supervisors: their region (or a region or facility inside
    it); system administrators: the network. With ``view_aggregates``, other scopes with small numbers
    suppressed. Queries: the session and user, the scope's region or facility, one over the counters."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Dashboard summary",
        parameters=SCOPE_PARAMETERS,
        responses={200: DashboardSummarySerializer, **ERROR_RESPONSES},
    )
    def get(self, request: Request) -> Response:
        period = parse_period(request.query_params.get("period"), today=timezone.localdate())
        scope = _scope(request)
        return Response(summary_get(scope=scope, period=period))


class DashboardTimelinessView(APIView):
    """Referral time to acceptance and to arrival, consult time to scheduling and to conclusion (median,
    90th percentile, share within target, by urgency), alerts acknowledged within their escalation
    window and escalations per level, for events of the period in the scope. Same scope rules and
    suppression as the summary. Queries: the session and user, the scope's region or facility, one
    over the event tables."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Dashboard timeliness",
        parameters=SCOPE_PARAMETERS,
        responses={200: DashboardTimelinessSerializer, **ERROR_RESPONSES},
    )
    def get(self, request: Request) -> Response:
        period = parse_period(request.query_params.get("period"), today=timezone.localdate())
        scope = _scope(request)
        return Response(timeliness_get(scope=scope, period=period))


class DashboardSeriesView(APIView):
    """A weekly series (ISO weeks, Monday start, Asia/Shanghai) of one indicator for the scope: events
    from the weekly counters, census figures from the weekly snapshots with the current week live. Same
    scope rules and suppression as the summary. Queries: the session and user, the scope's region or
    facility, one over the counters."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Dashboard weekly series",
        parameters=[
            OpenApiParameter(
                "indicator", OpenApiTypes.STR, required=True, enum=list(SERIES), description="The indicator."
            ),
            OpenApiParameter(
                "weeks",
                OpenApiTypes.INT,
                description=f"How many weeks, ending with the current one "
                f"(1–{MAX_WEEKS}; default {DEFAULT_WEEKS}).",
            ),
            *SCOPE_PARAMETERS[:2],
        ],
        responses={200: DashboardSeriesSerializer, **ERROR_RESPONSES},
    )
    def get(self, request: Request) -> Response:
        indicator, weeks = parse_series(
            request.query_params.get("indicator"), request.query_params.get("weeks")
        )
        scope = _scope(request)
        return Response(series_get(scope=scope, indicator=indicator, weeks=weeks))
