from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.exceptions import ErrorSerializer
from core.api.params import choice_list
from core.api.views import ERROR_RESPONSES, AuditedListMixin
from core.errors import NotFound
from core.ids import parse_uuid
from notifications.choices import AlertKind, AlertStatus
from notifications.models import InboxItem
from notifications.services import alert_acknowledge

from . import serializers as s


@extend_schema_view(
    list=extend_schema(
        summary="My alerts (inbox)",
        parameters=[
            OpenApiParameter(
                "status", str, description="Alert status (comma-separated): " + ", ".join(AlertStatus.values)
            ),
            OpenApiParameter(
                "kind", str, description="Alert kind (comma-separated): " + ", ".join(AlertKind.values)
            ),
            OpenApiParameter("unread", bool),
        ],
    )
)
class NotificationViewSet(AuditedListMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = s.InboxItemSerializer
    audit_object_type = "notifications.inboxitem"
    audit_patient = "alert.pregnancy.patient.external_id"
    queryset = InboxItem.objects.none()
    lookup_field = "external_id"
    lookup_url_kwarg = "id"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return InboxItem.objects.none()
        qs = (
            InboxItem.objects.filter(user=self.request.user)
            .select_related("alert__pregnancy__patient", "alert__acknowledged_by")
            .order_by("-created_at", "-id")
        )
        params = self.request.query_params
        if statuses := choice_list(params, "status", AlertStatus):
            qs = qs.filter(alert__status__in=statuses)
        if kinds := choice_list(params, "kind", AlertKind):
            qs = qs.filter(alert__kind__in=kinds)
        if params.get("unread") == "true":
            qs = qs.filter(read_at__isnull=True)
        return qs

    @extend_schema(
        request=s.AcknowledgeSerializer,
        responses={200: s.InboxItemSerializer, **ERROR_RESPONSES, 409: ErrorSerializer},
        summary="Acknowledge the alert for everyone it reached",
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, id=None) -> Response:
        uuid = parse_uuid(id)
        item = self.get_queryset().filter(external_id=uuid).first() if uuid else None
        if item is None:
            raise NotFound()
        body = s.AcknowledgeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        alert_acknowledge(actor=request.user, item=item, note=body.validated_data["note"])
        item = self.get_queryset().get(pk=item.pk)
        return Response(s.InboxItemSerializer(item).data)

    @extend_schema(responses={200: s.UnreadSerializer}, summary="Unread count for the bell")
    @action(detail=False, methods=["get"], url_path="unread-count")
    def unread_count(self, request: Request) -> Response:
        return Response({"unread": InboxItem.objects.filter(user=request.user, read_at__isnull=True).count()})
