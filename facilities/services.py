"""Writes for facilities. Each facility has an access group: its staff are members, and object grants
to the facility (referral, consult) are django-guardian permissions on that group."""

from django.contrib.auth.models import Group
from django.db import connection

from core.prepared import prepared_cursor

from .models import Facility

ACCESS_GROUP_PREFIX = "facility:"


def facility_access_group_name(facility_external_id) -> str:
    return f"{ACCESS_GROUP_PREFIX}{facility_external_id}"


def facility_access_group(*, facility: Facility) -> Group:
    group, _ = Group.objects.get_or_create(name=facility_access_group_name(facility.external_id))
    return group


def facility_access_group_id(*, facility: Facility) -> int:
    """The key of the facility's access group (made if missing, as ``facility_access_group``): one
    prepared statement, where ``get_or_create`` compiled a query on every grant (issue #9)."""
    sql = f"SELECT id FROM {connection.ops.quote_name(Group._meta.db_table)} WHERE name = %s"  # noqa: S608
    with prepared_cursor() as cursor:
        cursor.execute(sql, [facility_access_group_name(facility.external_id)])
        row = cursor.fetchone()
    return row[0] if row is not None else facility_access_group(facility=facility).pk
