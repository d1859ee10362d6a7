"""Filters shared by the follow-up list endpoint and the worklist partial."""

import django_filters

from core.filtersets import LeanFilterSet

from .choices import FollowUpKind, FollowUpStatus
from .models import FollowUp


class FollowUpFilterSet(LeanFilterSet):
    status = django_filters.ChoiceFilter(choices=FollowUpStatus.choices)
    kind = django_filters.ChoiceFilter(choices=FollowUpKind.choices)
    due_before = django_filters.DateFilter(field_name="due_by", lookup_expr="lte")

    class Meta:
        model = FollowUp
        fields = ["status", "kind", "due_before"]
