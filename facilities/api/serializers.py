from rest_framework import serializers

from facilities.choices import Capability, CriticalCareLevel, FacilityKind, Tier
from facilities.models import Facility


class FacilitySerializer(serializers.ModelSerializer):
    """A facility. ``name`` follows the request language; ``name_zh`` and ``name_en`` are always present."""

    id = serializers.UUIDField(source="external_id", read_only=True)
    name = serializers.CharField(read_only=True)
    tier = serializers.ChoiceField(choices=Tier.choices)
    kind = serializers.ChoiceField(choices=FacilityKind.choices)
    critical_care_level = serializers.ChoiceField(choices=CriticalCareLevel.choices, allow_null=True)
    region = serializers.CharField(source="region_code", read_only=True, help_text="GB/T 2260 code")
    region_name = serializers.CharField(source="region.name", read_only=True)
    capabilities = serializers.ListField(child=serializers.ChoiceField(choices=Capability.choices))

    class Meta:
        model = Facility
        fields = [
            "id",
            "name",
            "name_zh",
            "name_en",
            "code",
            "kind",
            "tier",
            "critical_care_level",
            "region",
            "region_name",
            "capabilities",
            "referral_hotline",
            "phone",
            "address",
            "obstetric_beds",
        ]
        read_only_fields = fields
