from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.permissions import IsAuthenticated

from accounts.permissions import Action
from audit.filtersets import AuditEventFilterSet
from audit.selectors import audit_event_list
from core.api.permissions import HasAction
from core.api.views import ERROR_RESPONSES

from .serializers import AuditEventSerializer


@extend_schema_view(
    list=extend_schema(
        summary="Search the audit trail (auditors, system administrators)",
        responses={200: AuditEventSerializer(many=True), **ERROR_RESPONSES},
    )
)
class AuditEventViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Audit events are numbered, not UUID-identified: they are not patient data and never leave the
    audit view."""

    serializer_class = AuditEventSerializer
    permission_classes = [IsAuthenticated, HasAction(Action.VIEW_AUDIT)]
    filterset_class = AuditEventFilterSet

    def get_queryset(self):
        return audit_event_list(actor=self.request.user)
