"""An unfiltered pregnancy list reads the arms after her facility's (follow-up, grants, break-the-glass)
through ``access.FacilityRest``: the grant tables' own index, which carries each granted pregnancy's
``created_at`` and managing facility, copied by database triggers (``cases/0007``). Held here to the
rows and the count of the plain access scope, and the copies to the pregnancy."""

import datetime as dt

import pytest
from django.utils import timezone

from accounts.choices import Role
from cases.access import facility_rest, pregnancy_scope
from cases.api.serializers import PREGNANCY_LIST_VALUES
from cases.choices import GrantLevel
from cases.models import (
    BreakGlassAccess,
    Pregnancy,
    PregnancyGroupObjectPermission,
    PregnancyUserObjectPermission,
)
from cases.selectors import pregnancy_list_rows
from cases.services import break_glass_open, pregnancy_access_grant, pregnancy_access_grant_user
from core.rows import kept_sql_clear
from facilities.services import facility_access_group
from tests.factories import FacilityFactory, PregnancyFactory, UserFactory
from tests.plans import plan

pytestmark = pytest.mark.django_db

WINDOWS = ((0, 3), (2, 5), (0, 50), (4, 9), (9, 12))


@pytest.fixture(autouse=True)
def _nothing_kept():
    kept_sql_clear()
    yield
    kept_sql_clear()


def copies(model, *, follow_up: bool = False) -> set[tuple]:
    columns = ["content_object_id", "pregnancy_created_at", "pregnancy_managing_facility_id"]
    return set(
        model.objects.values_list(*columns, *(["pregnancy_follow_up_facility_id"] if follow_up else []))
    )


def truth(model, *, follow_up: bool = False) -> set[tuple]:
    columns = ["content_object_id", "content_object__created_at", "content_object__managing_facility_id"]
    follow = ["content_object__follow_up_facility_id"] if follow_up else []
    return set(model.objects.values_list(*columns, *follow))


def test_the_database_copies_the_pregnancy_onto_its_grants(midwife, outsider, home_facility, other_facility):
    woman = PregnancyFactory(managing_facility=other_facility)
    pregnancy_access_grant(
        actor=outsider, pregnancy=woman, facility=home_facility, level=GrantLevel.READ, reason="referral"
    )
    pregnancy_access_grant_user(actor=outsider, pregnancy=woman, user=midwife, reason="MDT")
    for model in (PregnancyGroupObjectPermission, PregnancyUserObjectPermission):
        assert copies(model) == truth(model) and copies(model), model
        assert copies(model) == {(woman.pk, woman.created_at, other_facility.pk)}

    # a transfer of care, by save() or by UPDATE, and a corrected booking time follow
    third = FacilityFactory()
    woman.managing_facility = third
    woman.save()
    Pregnancy.objects.filter(pk=woman.pk).update(created_at=woman.created_at - dt.timedelta(days=3))
    woman.refresh_from_db()
    for model in (PregnancyGroupObjectPermission, PregnancyUserObjectPermission):
        assert copies(model) == {(woman.pk, woman.created_at, third.pk)}, model
    # other changes of the pregnancy leave the grants alone
    Pregnancy.objects.filter(pk=woman.pk).update(risk_color="red")
    assert copies(PregnancyGroupObjectPermission) == {(woman.pk, woman.created_at, third.pk)}


@pytest.fixture
def region_of_grants(midwife, outsider, home_facility, other_facility):
    """Her facility's women, a woman followed up there, grants to her facility on women managed elsewhere
    and at home (booked at the same moment, so ties are broken by id), the same women granted to a second
    group she belongs to, a grant to her alone, an active and an expired break-the-glass access."""
    same_moment = timezone.now() - dt.timedelta(days=30)
    PregnancyFactory.create_batch(4, managing_facility=home_facility)
    PregnancyFactory(managing_facility=other_facility, follow_up_facility=home_facility)
    second_group = facility_access_group(facility=other_facility)
    midwife.groups.add(second_group)
    for n in range(8):
        woman = PregnancyFactory(managing_facility=home_facility if n % 3 == 0 else other_facility)
        if n < 5:
            Pregnancy.objects.filter(pk=woman.pk).update(created_at=same_moment)
        pregnancy_access_grant(
            actor=outsider, pregnancy=woman, facility=home_facility, level=GrantLevel.READ, reason="referral"
        )
        if n % 2 == 0:
            pregnancy_access_grant(
                actor=outsider,
                pregnancy=woman,
                facility=other_facility,
                level=GrantLevel.READ,
                reason="consult",
            )
    alone = PregnancyFactory(managing_facility=other_facility)
    pregnancy_access_grant_user(actor=outsider, pregnancy=alone, user=midwife, reason="MDT")
    glass = PregnancyFactory(managing_facility=other_facility)
    break_glass_open(actor=midwife, pregnancy_id=glass.external_id, reason="Collapsed in the corridor")
    expired = PregnancyFactory(managing_facility=other_facility)
    break_glass_open(actor=midwife, pregnancy_id=expired.external_id, reason="Seen in the night")
    BreakGlassAccess.objects.filter(pregnancy=expired).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    PregnancyFactory.create_batch(3, managing_facility=other_facility)  # not hers in any way
    return midwife


def expected(actor) -> list:
    return list(
        Pregnancy.objects.filter(pregnancy_scope(actor, "view"))
        .order_by("-created_at", "-id")
        .values_list("external_id", flat=True)
    )


def test_unfiltered_lists_through_the_grant_tables_are_the_scopes_rows(
    region_of_grants, obstetrician, outsider, home_facility
):
    specialist = UserFactory(facility=home_facility, roles=[Role.SPECIALIST])
    for actor in (region_of_grants, obstetrician, outsider, specialist):
        rows = pregnancy_list_rows(
            actor=actor, queryset=Pregnancy.objects.all(), fields=PREGNANCY_LIST_VALUES
        )
        assert rows.rest is not None, actor.username
        want = expected(actor)
        assert rows.count() == len(want), actor.username
        for start, stop in WINDOWS:
            got = [row["external_id"] for row in rows[start:stop]]
            assert got == want[start:stop], (actor.username, start, stop)
    # the midwife sees every kind of arm (the fixture is not trivially small)
    assert len(expected(region_of_grants)) == 4 + 1 + 8 + 1 + 1


def test_the_database_writes_the_grantee_facility_of_a_group_grant(
    midwife, outsider, home_facility, other_facility
):
    from django.contrib.auth.models import Group
    from django.db import connection

    woman = PregnancyFactory(managing_facility=other_facility)
    pregnancy_access_grant(
        actor=outsider, pregnancy=woman, facility=home_facility, level=GrantLevel.READ, reason="referral"
    )
    grants = PregnancyGroupObjectPermission.objects.filter(content_object=woman)
    assert set(grants.values_list("grantee_facility_id", flat=True)) == {home_facility.pk}
    # a group that is no facility's access group (a name an administrator chose) has none
    PregnancyGroupObjectPermission.objects.create(
        group=Group.objects.create(name="facility:not-a-uuid"),
        permission=grants[0].permission,
        content_object=woman,
    )
    assert grants.filter(grantee_facility_id=None).count() == 1

    # her transfer to the grantee moves the grant out of the foreign grants' index predicate
    def foreign() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT COUNT(*) FROM cases_pregnancygroupobjectpermission g WHERE g.content_object_id = %s "
                "AND g.grantee_facility_id IS NOT NULL "
                "AND g.pregnancy_managing_facility_id IS DISTINCT FROM g.grantee_facility_id "
                "AND g.pregnancy_follow_up_facility_id IS DISTINCT FROM g.grantee_facility_id",
                [woman.pk],
            )
            return cursor.fetchone()[0]

    assert foreign() == grants.exclude(grantee_facility_id=None).count() == 1
    woman.managing_facility = home_facility
    woman.save()
    assert foreign() == 0


def test_the_count_without_the_follow_up_counters_is_the_scopes_rest(
    region_of_grants, obstetrician, outsider, home_facility, other_facility
):
    """``FacilityRest.count_sql`` without ``followed_total`` (no census counters) counts the follow-up arm
    from the pregnancies: the pregnancies of her scope not managed at her facility, a second facility's
    group included."""
    from django.db import connection

    # a woman granted only to her second group (the fixture's other facility), managed there
    theirs = PregnancyFactory(managing_facility=other_facility)
    pregnancy_access_grant(
        actor=outsider, pregnancy=theirs, facility=other_facility, level=GrantLevel.READ, reason="consult"
    )
    assert theirs in Pregnancy.objects.filter(pregnancy_scope(region_of_grants, "view"))
    counted = {}
    for actor in (region_of_grants, obstetrician, outsider):
        sql, params = facility_rest(actor).count_sql()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            counted[actor.username] = cursor.fetchone()[0]
        scope = Pregnancy.objects.filter(pregnancy_scope(actor, "view"))
        assert counted[actor.username] == scope.exclude(managing_facility_id=actor.facility_id).count()
    assert counted[region_of_grants.username] >= 8  # followed up, grants, her other group, emergency access


@pytest.mark.parametrize("followed_total", [None, ("SELECT 0", [])])
def test_the_count_reads_her_facilitys_grants_of_other_womens_on_their_own_index(
    region_of_grants, followed_total
):
    """A hospital keeps the grant of every woman referred to it, also once it manages her: the count of
    its grants beyond its own women can be read from the partial index of those alone. With the grant
    table's other indexes dropped (in this test's transaction) and sequential scans off, the planner
    must use it, which it can only if the count's conditions imply the index's predicate."""
    from django.db import connection, transaction

    rest = facility_rest(region_of_grants, followed_total)
    sql, params = rest.count_sql()
    table = PregnancyGroupObjectPermission._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the fixture's deferred checks, before any DDL
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'u'", [table]
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = %s "
            "AND indexname NOT IN ('pregnancy_group_grant_foreign', %s)",
            [table, f"{table}_pkey"],
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f'DROP INDEX "{name}"')
        shown = plan(sql, params, off=("seqscan",))
        transaction.set_rollback(True)
    # (her other groups' grants, read whole, have no index left here: a sequential scan of their own)
    assert "pregnancy_group_grant_foreign" in shown, shown


def test_a_member_of_another_facilitys_group_counts_its_grants(
    midwife, outsider, home_facility, other_facility
):
    """Her facility's group is read on the foreign grants' index; a group of another facility she was
    added to is read whole: a woman managed there and granted to it is in her list and in its count."""
    PregnancyFactory.create_batch(2, managing_facility=home_facility)
    midwife.groups.add(facility_access_group(facility=other_facility))
    theirs = PregnancyFactory(managing_facility=other_facility)
    pregnancy_access_grant(
        actor=outsider, pregnancy=theirs, facility=other_facility, level=GrantLevel.READ, reason="consult"
    )
    rows = pregnancy_list_rows(actor=midwife, queryset=Pregnancy.objects.all(), fields=PREGNANCY_LIST_VALUES)
    want = expected(midwife)
    assert theirs.external_id in want and len(want) == 3
    assert rows.count() == 3
    assert [row["external_id"] for row in rows[0:50]] == want


def test_a_woman_in_two_arms_is_one_row_of_the_page_even_with_a_copy_out_of_step(
    midwife, outsider, home_facility
):
    """Each arm gives its newest (created_at, id) and the page is cut from them before the join: a woman
    managed here and granted to her too takes one place of the page, even if the copy of her
    ``created_at`` on the grant disagreed with hers. The triggers keep them equal (the test above); if one
    ever did not, which women make the page would follow the copy, but the page must not come out short."""
    from django.db import connection

    ours = [PregnancyFactory(managing_facility=home_facility) for _ in range(4)]
    newest = ours[-1]
    pregnancy_access_grant_user(actor=outsider, pregnancy=newest, user=midwife, reason="MDT")
    with connection.cursor() as cursor:  # past the triggers, as a stale copy would be
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(
            "UPDATE cases_pregnancyuserobjectpermission SET pregnancy_created_at = %s "
            "WHERE content_object_id = %s",
            [newest.created_at + dt.timedelta(seconds=1), newest.pk],
        )
        cursor.execute("RESET session_replication_role")
    rows = pregnancy_list_rows(actor=midwife, queryset=Pregnancy.objects.all(), fields=PREGNANCY_LIST_VALUES)
    assert rows.rest is not None
    want = expected(midwife)
    assert len(want) == 4
    for start, stop in ((0, 3), (0, 4), (1, 3)):
        got = [row["external_id"] for row in rows[start:stop]]
        assert len(got) == len(set(got)) == stop - start, (start, stop)
        assert set(got) <= set(want)


def test_filtered_lists_and_other_actors_keep_the_generic_scope(region_of_grants, supervisor, home_facility):
    supervising_clinician = UserFactory(
        facility=home_facility, region=supervisor.region, roles=[Role.OBSTETRICIAN, Role.REGIONAL_SUPERVISOR]
    )
    assert facility_rest(supervising_clinician) is None  # her region is one more arm
    assert facility_rest(supervisor) is None  # no facility
    rows = pregnancy_list_rows(
        actor=supervising_clinician, queryset=Pregnancy.objects.all(), fields=PREGNANCY_LIST_VALUES
    )
    want = expected(supervising_clinician)
    assert rows.count() == len(want) and [r["external_id"] for r in rows[0:50]] == want[:50]

    red = pregnancy_list_rows(
        actor=region_of_grants,
        queryset=Pregnancy.objects.filter(risk_color="red"),
        fields=PREGNANCY_LIST_VALUES,
    )
    every_other = list(Pregnancy.objects.order_by("id").values_list("pk", flat=True))[::2]
    Pregnancy.objects.filter(pk__in=every_other).update(risk_color="red")
    want_red = [
        p for p in expected(region_of_grants) if Pregnancy.objects.get(external_id=p).risk_color == "red"
    ]
    assert red.count() == len(want_red) and [r["external_id"] for r in red[0:50]] == want_red


def test_a_woman_granted_to_two_of_her_groups_fills_one_place(
    midwife, outsider, home_facility, other_facility
):
    midwife.groups.add(facility_access_group(facility=other_facility))
    third = FacilityFactory()
    for _ in range(6):
        woman = PregnancyFactory(managing_facility=third)
        for facility in (home_facility, other_facility):
            pregnancy_access_grant(
                actor=outsider, pregnancy=woman, facility=facility, level=GrantLevel.READ, reason="consult"
            )
    rows = pregnancy_list_rows(actor=midwife, queryset=Pregnancy.objects.all(), fields=PREGNANCY_LIST_VALUES)
    want = expected(midwife)
    assert rows.count() == len(want) == 6
    for start, stop in ((0, 3), (1, 4), (0, 6)):
        assert [row["external_id"] for row in rows[start:stop]] == want[start:stop], (start, stop)


def test_the_follow_up_facility_is_copied_and_the_count_reads_her_facilitys_follow_up_counters(
    midwife, outsider, home_facility, other_facility
):
    """The women her facility follows up for others are counted by the ``followed_here`` counters; a
    granted woman among them is counted once (the grant carries her follow-up facility, copied by the
    database and kept when it changes); women followed up where they are managed count as managed."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    third = FacilityFactory()
    followed = PregnancyFactory.create_batch(
        3, managing_facility=other_facility, follow_up_facility=home_facility
    )
    PregnancyFactory(managing_facility=other_facility, follow_up_facility=home_facility, status="closed")
    PregnancyFactory(managing_facility=other_facility, follow_up_facility=other_facility)  # not hers
    PregnancyFactory(managing_facility=home_facility, follow_up_facility=home_facility)
    elsewhere = PregnancyFactory(managing_facility=third, follow_up_facility=other_facility)
    for woman in (followed[0], elsewhere):
        pregnancy_access_grant(
            actor=outsider, pregnancy=woman, facility=home_facility, level=GrantLevel.READ, reason="referral"
        )
    pregnancy_access_grant_user(actor=outsider, pregnancy=followed[1], user=midwife, reason="MDT")

    def counted() -> int:
        rows = pregnancy_list_rows(
            actor=midwife, queryset=Pregnancy.objects.all(), fields=PREGNANCY_LIST_VALUES
        )
        with CaptureQueriesContext(connection) as ctx:
            count = rows.count()
        (sql,) = [q["sql"] for q in ctx.captured_queries]
        assert "followed_here" in sql and "follow_up_facility_id = " not in sql
        assert count == len(expected(midwife))
        for model in (PregnancyGroupObjectPermission, PregnancyUserObjectPermission):
            assert copies(model, follow_up=True) == truth(model, follow_up=True), model
        return count

    assert counted() == 1 + 4 + 1  # managed; followed up here (the closed one too); the granted one elsewhere
    # the granted woman managed elsewhere comes to be followed up here: still once
    elsewhere.follow_up_facility = home_facility
    elsewhere.save()
    assert counted() == 6
    # a woman followed up here goes to another facility's follow-up (by UPDATE), one is transferred here
    Pregnancy.objects.filter(pk=followed[2].pk).update(follow_up_facility=third)
    assert counted() == 5
    Pregnancy.objects.filter(pk=followed[0].pk).update(managing_facility=home_facility)
    assert counted() == 5
    # her follow-up facility cleared: the granted woman is counted through her grant
    Pregnancy.objects.filter(pk=followed[1].pk).update(follow_up_facility=None)
    assert counted() == 5


@pytest.mark.parametrize(
    "condition",
    [{"status": "active"}, {"status": "postpartum"}, {"risk_color": "red"}, {"status__in": ["active"]}],
)
def test_a_filtered_count_counts_each_woman_once_whatever_arms_hold_her(
    region_of_grants, outsider, home_facility, other_facility, condition
):
    """Each arm after the first counts the women the arms before it do not hold: a woman managed and
    followed up at her facility, followed up there and granted to it, or granted twice is one woman."""
    both = PregnancyFactory(managing_facility=home_facility, follow_up_facility=home_facility)
    followed_and_granted = PregnancyFactory(
        managing_facility=other_facility, follow_up_facility=home_facility
    )
    pregnancy_access_grant(
        actor=outsider,
        pregnancy=followed_and_granted,
        facility=home_facility,
        level=GrantLevel.READ,
        reason="referral",
    )
    PregnancyFactory(managing_facility=other_facility, follow_up_facility=home_facility, status="postpartum")
    Pregnancy.objects.filter(pk__in=[both.pk, followed_and_granted.pk]).update(risk_color="red")
    Pregnancy.objects.filter(pk__in=list(Pregnancy.objects.values_list("pk", flat=True))[::3]).update(
        status="postpartum"
    )
    rows = pregnancy_list_rows(
        actor=region_of_grants, queryset=Pregnancy.objects.filter(**condition), fields=PREGNANCY_LIST_VALUES
    )
    want = list(
        Pregnancy.objects.filter(pregnancy_scope(region_of_grants, "view"), **condition)
        .order_by("-created_at", "-id")
        .values_list("external_id", flat=True)
    )
    assert rows.count() == len(want) > 0
    assert [row["external_id"] for row in rows[0:50]] == want
