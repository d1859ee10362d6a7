"""Pregnancy list filters, shared by the worklist page and the API."""

import django_filters
from django.utils.translation import gettext_lazy as _

from core.filtersets import LeanFilterSet

from .choices import PregnancyStatus, RiskColor
from .models import Pregnancy
from .selectors import ga_bounds_to_edd, search_filter


class PregnancyFilterSet(LeanFilterSet):
    # ``distinct=False``: a column of the pregnancy itself cannot repeat a row, and django-filter's default
    # ``SELECT DISTINCT`` made PostgreSQL hash every matching id before counting them: a province
    # supervisor's ``?status=active`` count took 570 ms instead of 40 ms at a million pregnancies.
    status = django_filters.MultipleChoiceFilter(
        choices=PregnancyStatus.choices, label=_("Status"), distinct=False
    )
    risk_color = django_filters.MultipleChoiceFilter(
        choices=RiskColor.choices, label=_("Risk colour"), distinct=False
    )
    purple = django_filters.BooleanFilter(label=_("Purple (infectious disease)"))
    managing_facility = django_filters.UUIDFilter(
        field_name="managing_facility__external_id", label=_("Managing facility")
    )
    ga_min = django_filters.NumberFilter(
        method="filter_ga", label=_("GA from (weeks)"), min_value=0, max_value=45
    )
    ga_max = django_filters.NumberFilter(
        method="filter_ga", label=_("GA to (weeks)"), min_value=0, max_value=45
    )
    edd_after = django_filters.DateFilter(field_name="edd", lookup_expr="gte", label=_("EDD from"))
    edd_before = django_filters.DateFilter(field_name="edd", lookup_expr="lte", label=_("EDD to"))
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("Visit overdue"))
    q = django_filters.CharFilter(
        method="filter_q", label=_("Name, ID number, phone or record number"), max_length=100
    )

    class Meta:
        model = Pregnancy
        fields = [
            "status",
            "risk_color",
            "purple",
            "managing_facility",
            "ga_min",
            "ga_max",
            "edd_after",
            "edd_before",
            "overdue",
            "q",
        ]

    def filter_ga(self, queryset, name, value):
        # Both bounds are applied together once (whichever of the two filters runs first).
        if getattr(self, "_ga_done", False):
            return queryset
        self._ga_done = True
        low = self.form.cleaned_data.get("ga_min")
        high = self.form.cleaned_data.get("ga_max")
        return queryset.filter(
            ga_bounds_to_edd(int(low) if low is not None else None, int(high) if high is not None else None)
        )

    def filter_overdue(self, queryset, name, value):
        from django.utils import timezone

        today = timezone.localdate()
        if value:
            return queryset.filter(next_visit_date__lt=today, status__in=["active", "postpartum"])
        return queryset.exclude(next_visit_date__lt=today)

    def filter_q(self, queryset, name, value):
        return queryset.filter(search_filter(value))
