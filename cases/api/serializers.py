from rest_framework import serializers

from cases.models import BreakGlassAccess, Pregnancy
from cases.selectors import gestational_age


class GestationalAgeSerializer(serializers.Serializer):
    weeks = serializers.IntegerField()
    days = serializers.IntegerField()


class PregnancySerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="external_id", read_only=True)
    patient = serializers.UUIDField(source="patient.external_id", read_only=True)
    patient_name = serializers.CharField(source="patient.name", read_only=True)
    managing_facility = serializers.UUIDField(source="managing_facility.external_id", read_only=True)
    gestational_age = serializers.SerializerMethodField()

    class Meta:
        model = Pregnancy
        fields = [
            "id", "patient", "patient_name", "status", "managing_facility", "lmp", "edd", "gestational_age",
            "risk_color", "purple", "created_at",
        ]
        read_only_fields = fields

    def get_gestational_age(self, obj: Pregnancy) -> GestationalAgeSerializer(allow_null=True):  # type: ignore[valid-type]
        return gestational_age(obj)


class BreakGlassRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class BreakGlassReviewRequestSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class BreakGlassAccessSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="external_id", read_only=True)
    user = serializers.CharField(source="user.username", read_only=True)
    pregnancy = serializers.UUIDField(source="pregnancy.external_id", read_only=True)
    reviewed_by = serializers.CharField(source="reviewed_by.username", read_only=True, allow_null=True)

    class Meta:
        model = BreakGlassAccess
        fields = ["id", "user", "pregnancy", "reason", "created_at", "expires_at", "reviewed_at", "reviewed_by",
                  "review_note"]
        read_only_fields = fields
