"""Follow-up windows: the caller's facility's list (due / overdue / tracing / proposed lost) and the
two decisions a person takes on a lost-to-follow-up proposal."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import Action
from audit.choices import AuditAction
from audit.services import audit_record
from core.api.exceptions import ErrorSerializer
from core.api.permissions import HasAction
from core.api.views import ERROR_RESPONSES, ScopedReadOnlyViewSet
from reminders import services
from reminders.choices import OPEN_STATUSES
from reminders.filtersets import FollowUpFilterSet
from reminders.models import FollowUp
from reminders.selectors import WalkedWindows, followup_list

from .serializers import FollowUpDecisionSerializer, FollowUpSerializer

CONFLICT = {409: ErrorSerializer}


@extend_schema_view(
    list=extend_schema(summary="Follow-up windows at the caller's facility (open ones by default)"),
    retrieve=extend_schema(
        summary="One follow-up window", responses={200: FollowUpSerializer, **ERROR_RESPONSES}
    ),
)
class FollowUpViewSet(ScopedReadOnlyViewSet):
    serializer_class = FollowUpSerializer
    permission_classes = [IsAuthenticated, HasAction(Action.VIEW_CASE)]
    filterset_class = FollowUpFilterSet
    queryset = FollowUp.objects.none()

    def scoped_queryset(self, actor):
        if getattr(self, "swagger_fake_view", False):
            return FollowUp.objects.none()
        # one window by id, or an explicit status filter, may be a closed one
        closed_too = self.action != "list" or bool(self.request.query_params.get("status"))
        return followup_list(actor=actor, include_closed=closed_too)

    def paginate_queryset(self, queryset):
        """Unfiltered, a facility member's open windows are paged by ``WalkedWindows`` (each arm of her
        facility walked in index order) instead of sorting all of them: a county hospital's 30,000 open
        windows took 110 ms a page (issue #9). Same rows, same order."""
        params = self.request.query_params
        if (
            self.action == "list"
            and self.request.user.facility_id is not None
            and not any(name in params for name in FollowUpFilterSet.base_filters)
        ):
            queryset = WalkedWindows(self.request.user, queryset, OPEN_STATUSES, reread=True)
        return super().paginate_queryset(queryset)

    def list(self, request: Request, *args, **kwargs) -> Response:
        response = super().list(request, *args, **kwargs)
        rows = response.data.get("results", [])
        audit_record(
            actor=request.user,
            action=AuditAction.LIST,
            obj=("reminders.followup", ""),
            patient_ids=[row["patient"] for row in rows],
            changes={"count": len(rows), "query": request.query_params.dict()},
        )
        return response

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        follow_up = self.get_object()
        audit_record(
            actor=request.user,
            action=AuditAction.READ,
            obj=follow_up,
            patient_ids=[follow_up.pregnancy.patient.external_id],
        )
        return Response(FollowUpSerializer(follow_up).data)

    def _decide(self, request: Request, service) -> Response:
        follow_up = self.get_object()
        body = FollowUpDecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        follow_up = service(actor=request.user, follow_up=follow_up, reason=body.validated_data["reason"])
        return Response(FollowUpSerializer(follow_up).data)

    @extend_schema(
        request=FollowUpDecisionSerializer,
        responses={200: FollowUpSerializer, **ERROR_RESPONSES, **CONFLICT},
        summary="Confirm the lost-to-follow-up proposal",
        description="Only a window in `lost_proposed` (409 otherwise). Closes the window as "
        "`confirmed_lost` and sets the pregnancy to `lost_to_follow_up`; both audited with the reason.",
    )
    @action(detail=True, methods=["post"], url_path="confirm-lost")
    def confirm_lost(self, request: Request, id=None) -> Response:
        return self._decide(request, services.followup_confirm_lost)

    @extend_schema(
        request=FollowUpDecisionSerializer,
        responses={200: FollowUpSerializer, **ERROR_RESPONSES, **CONFLICT},
        summary="Turn the proposal down: tracing goes on",
    )
    @action(detail=True, methods=["post"], url_path="keep-tracing")
    def keep_tracing(self, request: Request, id=None) -> Response:
        return self._decide(request, services.followup_keep_tracing)
