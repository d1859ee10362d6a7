from rest_framework import serializers

from notifications.models import Alert, InboxItem


class AlertSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="external_id", read_only=True)
    pregnancy = serializers.SerializerMethodField()
    acknowledged_by = serializers.SerializerMethodField()

    class Meta:
        model = Alert
        fields = [
            "id",
            "kind",
            "severity",
            "status",
            "pregnancy",
            "due_at",
            "delivered_at",
            "escalation_level",
            "next_escalation_at",
            "acknowledged_at",
            "acknowledged_by",
            "acknowledge_note",
            "resolved_at",
            "payload",
        ]
        read_only_fields = fields

    def get_pregnancy(self, obj) -> str | None:
        return str(obj.pregnancy.external_id) if obj.pregnancy_id else None

    def get_acknowledged_by(self, obj) -> str | None:
        return obj.acknowledged_by.name if obj.acknowledged_by_id else None


class InboxItemSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="external_id", read_only=True)
    alert = AlertSerializer(read_only=True)

    class Meta:
        model = InboxItem
        fields = ["id", "alert", "level", "read_at", "created_at"]
        read_only_fields = fields


class AcknowledgeSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class UnreadSerializer(serializers.Serializer):
    unread = serializers.IntegerField()
