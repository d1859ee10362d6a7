from rest_framework import serializers

from reminders.models import FollowUp


class FollowUpSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="external_id", read_only=True)
    pregnancy = serializers.UUIDField(source="pregnancy.external_id", read_only=True)
    patient = serializers.UUIDField(source="pregnancy.patient.external_id", read_only=True)
    patient_name = serializers.CharField(source="pregnancy.patient.name", read_only=True)
    facility = serializers.UUIDField(source="facility.external_id", read_only=True)
    managing_facility = serializers.UUIDField(source="managing_facility.external_id", read_only=True)

    class Meta:
        model = FollowUp
        fields = [
            "id",
            "pregnancy",
            "patient",
            "patient_name",
            "kind",
            "status",
            "source",
            "facility",
            "managing_facility",
            "remind_on",
            "due_from",
            "due_by",
            "trace_on",
            "lost_on",
            "traced_on",
            "closed_at",
            "close_reason",
        ]
        read_only_fields = fields


class FollowUpDecisionSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000)
