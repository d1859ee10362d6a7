from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import User


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()
    expires_at = serializers.DateTimeField()


class FacilityBriefSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="external_id")
    name = serializers.CharField()
    tier = serializers.CharField()


class MeSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="external_id")
    username = serializers.CharField()
    name = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    facility = FacilityBriefSerializer(allow_null=True)
    department = serializers.SerializerMethodField()
    region = serializers.SerializerMethodField()
    specialty = serializers.CharField()
    title = serializers.CharField()
    is_department_head = serializers.BooleanField()
    is_medical_director = serializers.BooleanField()
    permissions = serializers.SerializerMethodField(help_text=str(_("Actions the user's roles allow.")))

    def get_department(self, user: User) -> str | None:
        return str(user.department.external_id) if user.department_id else None

    def get_region(self, user: User) -> str | None:
        if user.region_id:
            return user.region.code
        return user.facility.region_code if user.facility_id else None

    def get_permissions(self, user: User) -> list[str]:
        from accounts.permissions import PERMISSIONS

        return sorted(action for action, roles in PERMISSIONS.items() if roles.intersection(user.roles))
