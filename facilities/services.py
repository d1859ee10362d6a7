"""Writes for facilities. Each facility has an access group: its staff are members, and object grants
to the facility (referral, consult) are django-guardian permissions on that group."""

from django.contrib.auth.models import Group

from .models import Facility

ACCESS_GROUP_PREFIX = "facility:"


def facility_access_group_name(facility_external_id) -> str:
    return f"{ACCESS_GROUP_PREFIX}{facility_external_id}"


def facility_access_group(*, facility: Facility) -> Group:
    group, _ = Group.objects.get_or_create(name=facility_access_group_name(facility.external_id))
    return group
