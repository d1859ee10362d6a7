"""Reads of the facility network. The directory is shared on purpose: every signed-in user sees it."""

from django.db.models import QuerySet

from .models import Facility, Region


def facility_list(*, actor=None) -> QuerySet[Facility]:
    return Facility.objects.active().select_related("region")


def region_list() -> QuerySet[Region]:
    return Region.objects.all()
