"""Administrators see the catalogue, criteria flagged for clinical review, and may disable a criterion
(audited). Criteria are otherwise data loaded from versioned files, not edited by hand."""

from django.contrib import admin, messages
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record

from .models import CatalogueCriterion, CatalogueVersion, RiskPolicy


class NeedsReviewFilter(admin.SimpleListFilter):
    title = _("needs clinical review")
    parameter_name = "needs_review"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            from django.db.models import Q

            return queryset.filter(Q(confidence="low") | ~Q(review_note=""))
        return queryset


@admin.register(CatalogueVersion)
class CatalogueVersionAdmin(admin.ModelAdmin):
    list_display = ["key", "title", "region", "effective_from", "is_active"]
    readonly_fields = ["key", "region", "effective_from", "based_on", "fields_spec"]


@admin.register(CatalogueCriterion)
class CatalogueCriterionAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name_zh",
        "name_en",
        "color",
        "category",
        "confidence",
        "needs_clinical_review",
        "enabled",
        "version",
    ]
    list_filter = [NeedsReviewFilter, "version", "stage", "color", "category", "enabled"]
    search_fields = ["code", "name_zh", "name_en"]
    actions = ["disable_criteria", "enable_criteria"]
    readonly_fields = [f.name for f in CatalogueCriterion._meta.fields if f.name != "enabled"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(boolean=True, description=_("needs clinical review"))
    def needs_clinical_review(self, obj):
        return obj.needs_clinical_review

    def _set_enabled(self, request, queryset, enabled: bool) -> None:
        with transaction.atomic():
            for criterion in queryset.select_for_update():
                if criterion.enabled != enabled:
                    criterion.enabled = enabled
                    criterion.save(update_fields=["enabled", "updated_at"])
                    criterion.version.save(update_fields=["updated_at"])  # recompiles the engine cache
                    audit_record(
                        actor=request.user,
                        action="update",
                        obj=criterion,
                        changes={"enabled": enabled, "version": criterion.version.key},
                    )
        messages.success(request, _("Done. The change is recorded in the audit trail."))

    @admin.action(description=_("Disable the selected criteria (audited)"))
    def disable_criteria(self, request, queryset):
        self._set_enabled(request, queryset, False)

    @admin.action(description=_("Enable the selected criteria (audited)"))
    def enable_criteria(self, request, queryset):
        self._set_enabled(request, queryset, True)

    def save_model(self, request, obj, form, change):
        if change and "enabled" in form.changed_data:
            self._set_enabled(request, CatalogueCriterion.objects.filter(pk=obj.pk), obj.enabled)
            return
        super().save_model(request, obj, form, change)


@admin.register(RiskPolicy)
class RiskPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "region",
        "report_red_hours",
        "report_orange_days",
        "report_purple_hours",
        "visit_interval_days",
        "proposal_alert_hours",
    ]
