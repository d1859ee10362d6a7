from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import OnCallShift, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "display_name", "facility", "roles", "title", "is_active"]
    list_filter = ["is_active", "title", "is_department_head", "is_medical_director"]
    search_fields = ["username", "display_name", "facility__name_zh"]
    autocomplete_fields = ["facility", "department", "region"]
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (
            _("Staff profile"),
            {
                "fields": [
                    "display_name",
                    "facility",
                    "department",
                    "region",
                    "roles",
                    "specialty",
                    "title",
                    "is_department_head",
                    "is_medical_director",
                    "phone",
                ]
            },
        ),
    )


@admin.register(OnCallShift)
class OnCallShiftAdmin(admin.ModelAdmin):
    list_display = ["user", "facility", "department", "starts_at", "ends_at", "is_lead"]
    list_filter = ["is_lead"]
    search_fields = ["user__username", "user__display_name", "facility__name_zh"]
    autocomplete_fields = ["user", "facility", "department"]
