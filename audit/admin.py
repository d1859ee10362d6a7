from django.contrib import admin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the database refuses changes anyway; the admin does not offer them."""

    list_display = [
        "occurred_at",
        "actor_username",
        "action",
        "object_type",
        "object_id",
        "ip_address",
        "needs_review",
    ]
    list_filter = ["action", "needs_review", "channel"]
    search_fields = ["actor_username", "object_id", "request_id"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
