"""Audit search filters, shared by the HTML search page and the API."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from core.filtersets import LeanFilterSet

from .choices import AuditAction
from .models import AuditEvent


class AuditEventFilterSet(LeanFilterSet):
    user = django_filters.CharFilter(field_name="actor_username", lookup_expr="iexact", label=_("User name"))
    # a column of the event itself: no row can repeat, so no ``SELECT DISTINCT`` over the audit trail
    action = django_filters.MultipleChoiceFilter(
        choices=AuditAction.choices, label=_("Action"), distinct=False
    )
    object_type = django_filters.CharFilter(label=_("Object type"))
    object_id = django_filters.CharFilter(label=_("Object id"))
    patient = django_filters.UUIDFilter(method="filter_patient", label=_("Woman (id)"))
    occurred_after = django_filters.DateTimeFilter(
        field_name="occurred_at",
        lookup_expr="gte",
        label=_("From"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    occurred_before = django_filters.DateTimeFilter(
        field_name="occurred_at",
        lookup_expr="lt",
        label=_("To"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    needs_review = django_filters.BooleanFilter(label=_("Flagged for review"))

    class Meta:
        model = AuditEvent
        fields = [
            "user",
            "action",
            "object_type",
            "object_id",
            "patient",
            "occurred_after",
            "occurred_before",
            "needs_review",
        ]

    def filter_patient(self, queryset, name, value):
        return queryset.filter(patient_ids__contains=[value])
