from rest_framework import serializers

from audit.models import AuditEvent


class AuditEventSerializer(serializers.ModelSerializer):
    user = serializers.CharField(source="actor_username")
    facility = serializers.UUIDField(source="actor_facility.external_id", allow_null=True, default=None)

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "occurred_at",
            "user",
            "actor_roles",
            "facility",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "patient_ids",
            "reason",
            "changes",
            "ip_address",
            "channel",
            "request_id",
            "needs_review",
        ]
        read_only_fields = fields
