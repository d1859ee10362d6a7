"""Grants are counted per source: revoking what one referral or consult granted leaves the others."""

import importlib

import pytest
from django.apps import apps as django_apps
from guardian.shortcuts import assign_perm

from accounts.choices import Role
from cases.access import can_change_pregnancy, pregnancies_visible_to
from cases.choices import GrantLevel
from cases.models import PregnancyGrant
from cases.services import (
    pregnancy_access_grant,
    pregnancy_access_grant_user,
    pregnancy_access_revoke,
    pregnancy_access_revoke_user,
)
from facilities.services import facility_access_group
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

REFERRAL = ("referrals.referral", "r-1")
CONSULT = ("consults.consult", "c-1")


def grant(actor, pregnancy, facility, level, source):
    pregnancy_access_grant(
        actor=actor, pregnancy=pregnancy, facility=facility, level=level, reason="test", source=source
    )


def revoke(actor, pregnancy, facility, source):
    pregnancy_access_revoke(actor=actor, pregnancy=pregnancy, facility=facility, reason="test", source=source)


def test_revoking_one_source_keeps_the_grant_of_another(pregnancy, obstetrician, outsider, other_facility):
    grant(obstetrician, pregnancy, other_facility, GrantLevel.READ, REFERRAL)
    grant(obstetrician, pregnancy, other_facility, GrantLevel.READ, CONSULT)
    revoke(obstetrician, pregnancy, other_facility, REFERRAL)
    assert list(pregnancies_visible_to(outsider)) == [pregnancy], "the consult still justifies reading"
    revoke(obstetrician, pregnancy, other_facility, CONSULT)
    assert list(pregnancies_visible_to(outsider)) == []


def test_level_in_force_is_the_highest_active_one(pregnancy, obstetrician, outsider, other_facility):
    grant(obstetrician, pregnancy, other_facility, GrantLevel.WRITE, REFERRAL)
    grant(obstetrician, pregnancy, other_facility, GrantLevel.READ, CONSULT)
    assert can_change_pregnancy(outsider, pregnancy)
    revoke(obstetrician, pregnancy, other_facility, REFERRAL)
    assert not can_change_pregnancy(outsider, pregnancy)
    assert list(pregnancies_visible_to(outsider)) == [pregnancy]


def test_granting_again_for_the_same_source_replaces_its_level(
    pregnancy, obstetrician, outsider, other_facility
):
    grant(obstetrician, pregnancy, other_facility, GrantLevel.WRITE, REFERRAL)
    grant(obstetrician, pregnancy, other_facility, GrantLevel.READ, REFERRAL)
    assert not can_change_pregnancy(outsider, pregnancy)
    rows = PregnancyGrant.objects.filter(pregnancy=pregnancy, facility=other_facility)
    active_by_level = sorted((row.level, row.revoked_at is None) for row in rows)
    assert active_by_level == [("read", True), ("write", False)], "one active row per source"


def test_revoking_a_source_that_granted_nothing_changes_nothing(
    pregnancy, obstetrician, outsider, other_facility
):
    grant(obstetrician, pregnancy, other_facility, GrantLevel.READ, CONSULT)
    revoke(obstetrician, pregnancy, other_facility, REFERRAL)
    assert list(pregnancies_visible_to(outsider)) == [pregnancy]


def test_person_grants_are_counted_per_source(pregnancy, obstetrician, other_facility):
    specialist = UserFactory(facility=other_facility, roles=[Role.OBSTETRICIAN])
    for source in (CONSULT, ("consults.consult", "c-2")):
        pregnancy_access_grant_user(
            actor=obstetrician, pregnancy=pregnancy, user=specialist, reason="invited", source=source
        )
    pregnancy_access_revoke_user(
        actor=obstetrician, pregnancy=pregnancy, user=specialist, reason="concluded", source=CONSULT
    )
    assert list(pregnancies_visible_to(specialist)) == [pregnancy]
    pregnancy_access_revoke_user(
        actor=obstetrician,
        pregnancy=pregnancy,
        user=specialist,
        reason="concluded",
        source=("consults.consult", "c-2"),
    )
    assert list(pregnancies_visible_to(specialist)) == []


def test_grants_made_before_the_ledger_are_backfilled(pregnancy, outsider, other_facility):
    specialist = UserFactory(facility=other_facility, roles=[Role.OBSTETRICIAN])
    assign_perm("cases.view_pregnancy", facility_access_group(facility=other_facility), pregnancy)
    assign_perm("cases.change_pregnancy", facility_access_group(facility=other_facility), pregnancy)
    assign_perm("cases.view_pregnancy", specialist, pregnancy)
    migration = importlib.import_module("cases.migrations.0003_pregnancy_grant_ledger")
    migration.backfill(django_apps, None)
    rows = {
        (row.facility_id, row.user_id, row.level, row.source_kind)
        for row in PregnancyGrant.objects.filter(pregnancy=pregnancy)
    }
    assert rows == {(other_facility.pk, None, "write", "backfill"), (None, specialist.pk, "read", "backfill")}


def _guardian_rows(pregnancy):
    from cases.models import PregnancyGroupObjectPermission, PregnancyUserObjectPermission

    rows = set()
    for model, holder in ((PregnancyGroupObjectPermission, "group"), (PregnancyUserObjectPermission, "user")):
        for row in model.objects.filter(content_object=pregnancy).select_related("permission", holder):
            rows.add((holder, getattr(row, f"{holder}_id"), row.permission.codename))
    return rows


def test_the_permissions_in_force_are_guardians_own_rows(pregnancy, obstetrician, other_facility):
    """Each grant and revoke leaves exactly the guardian rows of the level in force (what guardian's
    own checks read), the copies of her columns filled in by the database."""
    group = facility_access_group(facility=other_facility)
    specialist = UserFactory(facility=other_facility, roles=[Role.OBSTETRICIAN])
    steps = [
        (
            lambda: grant(obstetrician, pregnancy, other_facility, GrantLevel.READ, REFERRAL),
            {"view_pregnancy"},
        ),
        (
            lambda: grant(obstetrician, pregnancy, other_facility, GrantLevel.WRITE, CONSULT),
            {"view_pregnancy", "change_pregnancy"},
        ),
        (lambda: revoke(obstetrician, pregnancy, other_facility, CONSULT), {"view_pregnancy"}),
        (lambda: revoke(obstetrician, pregnancy, other_facility, REFERRAL), set()),
    ]
    for step, codenames in steps:
        step()
        assert _guardian_rows(pregnancy) == {("group", group.pk, c) for c in codenames}
    pregnancy_access_grant_user(
        actor=obstetrician, pregnancy=pregnancy, user=specialist, reason="invited", source=CONSULT
    )
    assert _guardian_rows(pregnancy) == {("user", specialist.pk, "view_pregnancy")}
    assert specialist.has_perm("cases.view_pregnancy", pregnancy)
    assert not specialist.has_perm("cases.change_pregnancy", pregnancy)
    from cases.models import PregnancyUserObjectPermission

    row = PregnancyUserObjectPermission.objects.get(content_object=pregnancy)
    assert (row.pregnancy_managing_facility_id, row.pregnancy_created_at) == (
        pregnancy.managing_facility_id,
        pregnancy.created_at,
    )


def test_a_grant_costs_the_same_queries_at_every_level(
    pregnancy, obstetrician, other_facility, django_assert_num_queries
):
    """The ledger (revoke the source's row and read the other sources' levels in one statement, add the
    new row), the facility's group, the permissions in one statement, the audit row; inside the
    caller's transaction no savepoint: no look-ups per permission (with guardian's ``assign_perm`` and
    ``remove_perm`` a read grant took 14; 8 and 7 with the ledger's revoke and read apart, 7 and 6 in a
    savepoint)."""
    facility_access_group(facility=other_facility)
    for level, source in (
        (GrantLevel.READ, REFERRAL),
        (GrantLevel.WRITE, CONSULT),
        (GrantLevel.READ, CONSULT),
    ):
        with django_assert_num_queries(5):
            grant(obstetrician, pregnancy, other_facility, level, source)
    with django_assert_num_queries(4):
        revoke(obstetrician, pregnancy, other_facility, CONSULT)


def test_a_facility_without_its_access_group_gets_it_at_the_first_grant(
    pregnancy, obstetrician, outsider, other_facility
):
    """``facility_access_group_id`` reads the group's key in one statement and makes the group only when
    it is missing (a facility created before its group, as ``facility_access_group`` did)."""
    from django.contrib.auth.models import Group

    from facilities.services import facility_access_group_id, facility_access_group_name

    name = facility_access_group_name(other_facility.external_id)
    Group.objects.filter(name=name).delete()
    made = facility_access_group_id(facility=other_facility)
    assert Group.objects.get(name=name).pk == made
    assert facility_access_group_id(facility=other_facility) == made
    outsider.groups.add(made)
    grant(obstetrician, pregnancy, other_facility, GrantLevel.READ, REFERRAL)
    assert list(pregnancies_visible_to(outsider)) == [pregnancy]
