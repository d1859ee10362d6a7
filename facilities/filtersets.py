"""Facility filters, shared by the HTML directory and the API."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.filtersets import LeanFilterSet

from .choices import Capability, CriticalCareLevel, Tier
from .models import Facility


class FacilityFilterSet(LeanFilterSet):
    tier = django_filters.ChoiceFilter(choices=Tier.choices, label=_("Tier"))
    critical_care_level = django_filters.ChoiceFilter(
        choices=CriticalCareLevel.choices,
        label=_("Critical care level"),
        method="filter_critical_care_level",
        null_value="null",
        null_label=_("Not a centre"),
    )
    region = django_filters.CharFilter(label=_("Region (GB/T 2260 code)"), method="filter_region")
    capability = django_filters.MultipleChoiceFilter(
        choices=Capability.choices, label=_("Capability"), method="filter_capability"
    )
    q = django_filters.CharFilter(label=_("Search"), method="filter_q")

    class Meta:
        model = Facility
        fields = ["tier", "critical_care_level", "region", "capability", "q"]

    def filter_critical_care_level(self, queryset, name, value):
        if value == "null":
            return queryset.filter(critical_care_level__isnull=True)
        return queryset.filter(critical_care_level=value)

    def filter_region(self, queryset, name, value):
        """A region code selects every facility inside it (a province code selects the province)."""
        code = value.strip()
        if not code.isdigit() or len(code) != 6:
            return queryset.none()
        while code.endswith("00") and len(code) > 2:
            code = code[:-2]
        return queryset.filter(region_code__startswith=code)

    def filter_capability(self, queryset, name, value):
        return queryset.filter(capabilities__contains=list(value)) if value else queryset

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name_zh__icontains=value) | Q(name_en__icontains=value) | Q(code__iexact=value)
        )


class StaffFilterSet(LeanFilterSet):
    """The staff directory's search (names, user names, facility names) and its facility link."""

    q = django_filters.CharFilter(label=_("Name, user name or facility"), method="filter_q", max_length=100)
    facility = django_filters.UUIDFilter(field_name="facility__external_id", label=_("Facility"))

    def filter_q(self, queryset, name, value):
        return queryset.filter(
            Q(display_name__icontains=value)
            | Q(username__icontains=value)
            | Q(facility__name_zh__icontains=value)
            | Q(facility__name_en__icontains=value)
        )
