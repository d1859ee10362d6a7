"""API base classes: every protected endpoint scopes its queryset through the actor centrally."""

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.choices import AuditAction
from audit.services import audit_record
from core.api.exceptions import ErrorSerializer

# 503: a write refused because of a concurrent one, nothing saved (``core.errors.is_write_conflict``)
ERROR_RESPONSES = {
    400: ErrorSerializer,
    401: ErrorSerializer,
    403: ErrorSerializer,
    404: ErrorSerializer,
    503: ErrorSerializer,
}


def _follow(row, path: tuple[str, ...]):
    for name in path:
        row = getattr(row, name, None)
        if row is None:
            return None
    return row


# A list endpoint that writes one audit row per page read, naming the women on the page (not one row per
# woman): the rows of a referral, consultation or alert list carry her name and clinical text.
#
# ``audit_object_type`` names what was listed (``"referrals.referral"``); ``audit_patient`` is the attribute
# path from a listed row to her patient's ``external_id`` (``"pregnancy.patient.external_id"``), which the
# queryset selects (or prefetches) related so that naming her costs no query. A row without a woman (an
# alert about no pregnancy) names nobody.
#
# A comment, not a docstring: drf-spectacular would publish a mixin's docstring as the description of
# every endpoint whose view has none of its own (docs/openapi.yaml).
class AuditedListMixin:
    audit_object_type: str
    audit_patient: str

    def list(self, request: Request, *args, **kwargs) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = list(page if page is not None else queryset)
        data = self.get_serializer(rows, many=True).data
        response = self.get_paginated_response(data) if page is not None else Response(data)
        path = tuple(self.audit_patient.split("."))
        women = [_follow(row, path) for row in rows]
        audit_record(
            actor=request.user,
            action=AuditAction.LIST,
            obj=(self.audit_object_type, ""),
            patient_ids=list(dict.fromkeys(w for w in women if w is not None)),
            changes={"count": len(rows), "query": request.query_params.dict()},
        )
        return response


class ScopedReadOnlyViewSet(viewsets.ReadOnlyModelViewSet):
    """A read viewset whose queryset always comes from a selector given the actor.

    Subclasses implement ``scoped_queryset(actor)``; ``get_queryset`` is final so no endpoint can
    forget the scoping. Objects outside the scope are 404, never 403.
    """

    lookup_field = "external_id"
    lookup_url_kwarg = "id"

    def scoped_queryset(self, actor):  # pragma: no cover - abstract
        raise NotImplementedError

    def get_queryset(self):
        return self.scoped_queryset(self.request.user)

    def filter_queryset(self, queryset):
        """``queryset`` as it is when the request names none of the filterset's filters. django-filter would
        still build and validate a form for it (a deep copy of every field), about half a millisecond a
        list (issue #9); with no filter parameter that form can neither filter nor reject anything."""
        filterset_class = getattr(self, "filterset_class", None)
        if (
            filterset_class is not None
            and list(self.filter_backends) == [DjangoFilterBackend]
            and not any(name in self.request.query_params for name in filterset_class.base_filters)
        ):
            return queryset
        return super().filter_queryset(queryset)

    def get_object(self):
        from core.errors import NotFound
        from core.ids import parse_uuid

        if parse_uuid(self.kwargs.get(self.lookup_url_kwarg)) is None:
            raise NotFound()
        return super().get_object()


class HealthView(APIView):
    """Liveness for load balancers: the web process answers and the database is reachable."""

    authentication_classes: list = []
    permission_classes: list = []

    @extend_schema(responses={200: dict}, summary="Health check")
    def get(self, request: Request) -> Response:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return Response({"status": "ok"})


def api_not_found(request, exception=None):
    """404 for unknown URLs: JSON in the error shape under /api/, the HTML page elsewhere."""
    from django.http import JsonResponse
    from django.utils.translation import gettext as _
    from django.views.defaults import page_not_found

    if request.path.startswith("/api/"):
        return JsonResponse({"message": _("Not found."), "errors": {}}, status=404)
    return page_not_found(request, exception)
