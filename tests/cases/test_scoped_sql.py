"""SQL of unfiltered scoped lists kept per process (``ScopedRows.sql_key``, ``access.scope_key``).

A kept statement must give exactly what compiling afresh gives, for every kind of actor, and follow
every change that the statement itself reads (grants, break-the-glass, her facility's women); a change
of what the SQL is written from (her roles, facility, region) must change the key.
"""

import datetime as dt
from unittest import mock

import pytest
from django.db.models.sql.compiler import SQLCompiler
from django.utils import timezone

from accounts.choices import Role
from cases.access import LazyArms, pregnancy_scope_arms, scope_key
from cases.api.serializers import PREGNANCY_LIST_VALUES
from cases.choices import GrantLevel
from cases.models import BreakGlassAccess, Pregnancy
from cases.selectors import _values_statement, pregnancy_list_rows, worklist_rows
from cases.services import break_glass_open, pregnancy_access_grant
from core.prepared import _numbered
from core.rows import kept_sql_clear
from tests.factories import PregnancyFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _nothing_kept():
    kept_sql_clear()
    yield
    kept_sql_clear()


def listed(actor, *, keep: bool = True, queryset=None, bounds=((0, 3), (0, 50), (2, 5))) -> tuple:
    rows = pregnancy_list_rows(
        actor=actor,
        queryset=queryset if queryset is not None else Pregnancy.objects.all(),
        fields=PREGNANCY_LIST_VALUES,
    )
    if not keep:
        rows.sql_key = None
    return rows.count(), [rows[start:stop] for start, stop in bounds]


def compiled_selects(read) -> int:
    with mock.patch.object(SQLCompiler, "as_sql", autospec=True, side_effect=SQLCompiler.as_sql) as as_sql:
        read()
    return as_sql.call_count


@pytest.fixture
def population(home_facility, other_facility, midwife, outsider):
    PregnancyFactory.create_batch(4, managing_facility=home_facility)
    PregnancyFactory(managing_facility=other_facility, follow_up_facility=home_facility)
    granted = PregnancyFactory(managing_facility=other_facility)
    pregnancy_access_grant(
        actor=outsider, pregnancy=granted, facility=home_facility, level=GrantLevel.READ, reason="referral"
    )
    PregnancyFactory.create_batch(2, managing_facility=other_facility)
    return granted


def test_kept_statements_give_what_compiling_gives_for_every_actor(
    population, midwife, obstetrician, outsider, supervisor, auditor, province
):
    province_supervisor = UserFactory(facility=None, region=province, roles=[Role.REGIONAL_SUPERVISOR])
    seen_any = 0
    for actor in (midwife, obstetrician, outsider, supervisor, province_supervisor, auditor):
        fresh = listed(actor, keep=False)
        first = listed(actor)
        assert first == fresh, actor.username
        # kept: the second time, nothing of the list is compiled
        assert compiled_selects(lambda a=actor: listed(a)) == 0, actor.username
        assert listed(actor) == fresh, actor.username
        seen_any += fresh[0] > 0
    assert seen_any >= 4
    # a filtered list is compiled every time
    assert compiled_selects(lambda: listed(midwife, queryset=Pregnancy.objects.filter(risk_color="red"))) > 0


def test_a_kept_list_does_not_even_build_the_scope(population, midwife, supervisor, auditor):
    """Once a list's statements are kept, the arms (grant sub-queries through the ORM) are not built again;
    the first time, they are."""
    import cases.access

    for actor in (midwife, supervisor, auditor):
        kept_sql_clear()
        with mock.patch.object(
            cases.access, "pregnancy_scope_arms", side_effect=pregnancy_scope_arms
        ) as built:
            first = listed(actor)
            assert built.call_count == (1 if LazyArms(actor) else 0), actor.username
            built.reset_mock()
            assert listed(actor) == first
            assert built.call_count == 0, actor.username
            worklist = worklist_rows(actor=actor, queryset=Pregnancy.objects.all()).count()
            assert built.call_count == (1 if actor.facility_id is not None else 0), actor.username
            built.reset_mock()
            assert worklist_rows(actor=actor, queryset=Pregnancy.objects.all()).count() == worklist
            assert built.call_count == 0, actor.username
    assert not LazyArms(auditor)


def test_lazy_arms_are_the_scopes_arms(population, midwife, outsider, supervisor, auditor, province):
    """``LazyArms`` is true exactly when the scope has arms, and built, selects what the arms select."""
    province_supervisor = UserFactory(facility=None, region=province, roles=[Role.REGIONAL_SUPERVISOR])
    inactive = UserFactory(facility=midwife.facility, roles=[Role.MIDWIFE], is_active=False)
    for actor in (midwife, outsider, supervisor, province_supervisor, auditor, inactive):
        for perm in ("view", "change"):
            arms = pregnancy_scope_arms(actor, perm)
            for limit in (None, 2):
                lazy = LazyArms(actor, perm, limit=limit)
                assert bool(lazy) is bool(arms), (actor.username, perm)
                expected = [
                    set(Pregnancy.objects.filter(arm).values_list("pk", flat=True)) for arm in arms[:limit]
                ]
                got = [set(Pregnancy.objects.filter(arm).values_list("pk", flat=True)) for arm in lazy]
                assert got == expected and len(lazy) == len(expected), (actor.username, perm, limit)
    assert not LazyArms(auditor) and LazyArms(midwife)


def test_kept_statements_follow_grants_break_the_glass_and_new_women(
    population, midwife, outsider, home_facility, other_facility
):
    before = listed(midwife)
    assert before[0] == 4 + 1 + 1
    PregnancyFactory(managing_facility=home_facility)
    late_grant = PregnancyFactory(managing_facility=other_facility)
    pregnancy_access_grant(
        actor=outsider, pregnancy=late_grant, facility=home_facility, level=GrantLevel.READ, reason="consult"
    )
    glass = PregnancyFactory(managing_facility=other_facility)
    break_glass_open(actor=midwife, pregnancy_id=glass.external_id, reason="Collapsed in the corridor")
    after = listed(midwife)
    assert after == listed(midwife, keep=False)
    assert after[0] == before[0] + 3
    assert glass.external_id in {row["external_id"] for row in after[1][1]}

    # an access that has expired is no longer listed by the kept statement (the database's clock)
    BreakGlassAccess.objects.filter(pregnancy=glass).update(
        expires_at=timezone.now() - dt.timedelta(milliseconds=1)
    )
    expired = listed(midwife)
    assert expired[0] == before[0] + 2
    assert expired == listed(midwife, keep=False)


def test_the_worklist_count_is_kept_and_exact(population, midwife, home_facility):
    rows = worklist_rows(actor=midwife, queryset=Pregnancy.objects.all())
    assert rows.count() == 5
    assert (
        compiled_selects(lambda: worklist_rows(actor=midwife, queryset=Pregnancy.objects.all()).count()) == 0
    )
    PregnancyFactory(managing_facility=home_facility)
    PregnancyFactory(managing_facility=home_facility, status="closed")
    assert worklist_rows(actor=midwife, queryset=Pregnancy.objects.all()).count() == 6
    # its page is of model instances: compiled every time, the same rows
    page = worklist_rows(actor=midwife, queryset=Pregnancy.objects.all())[0:10]
    assert len(page) == 6 and all(isinstance(p, Pregnancy) for p in page)


def test_the_key_changes_with_everything_the_scope_is_written_from(midwife, other_facility, province, county):
    key = scope_key(midwife)
    assert scope_key(midwife) == key
    changes = [
        ("roles", [Role.OBSTETRICIAN]),
        ("facility_id", other_facility.pk),
        ("is_active", False),
        ("region_id", province.pk),
    ]
    for attribute, value in changes:
        original = getattr(midwife, attribute)
        setattr(midwife, attribute, value)
        if attribute == "region_id":
            midwife.region = province
        assert scope_key(midwife) != key, attribute
        setattr(midwife, attribute, original)
        if attribute == "region_id":
            midwife.region = None if original is None else midwife.region
    assert scope_key(midwife) == key
    assert scope_key(midwife, "change") != key
    another = UserFactory(facility=midwife.facility, roles=midwife.roles)
    assert scope_key(another) != key  # her own grants are read by her id

    # a region whose code changes changes the key of its supervisor
    supervisor = UserFactory(facility=None, region=county, roles=[Role.REGIONAL_SUPERVISOR])
    before = scope_key(supervisor)
    county.code = "450199"
    assert scope_key(supervisor) != before


def test_kept_statements_run_prepared_and_filtered_ones_do_not(population, midwife):
    """From their second execution on a connection, a kept list's count and page are prepared statements
    (planned once per connection); a filtered list's SQL never is."""
    from django.db import connection

    def prepared() -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements")
            return [row[0] for row in cursor.fetchall()]

    for _ in range(3):
        listed(midwife)
        listed(midwife, queryset=Pregnancy.objects.filter(risk_color="red"))
    statements = prepared()
    assert any("COUNT(*)" in sql and "granted" in sql for sql in statements)
    assert any("UNION" in sql and "external_id" in sql for sql in statements)
    assert not any('"risk_color" = ' in sql for sql in statements)  # the filter's condition


def test_a_facility_members_kept_list_runs_on_generic_plans_and_a_regions_does_not(
    population, midwife, province
):
    """A kept list of a facility member (her facility's counter and ``FacilityRest``) runs its count and
    pages on their generic plans (``core.prepared.execute_generic``: planning them for the values cost
    more than running them); a supervisor's region list and filtered lists keep PostgreSQL's choice."""
    from django.db import connection

    def plans() -> dict[str, tuple[int, int]]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements")
            return {sql: (g, c) for sql, g, c in cursor.fetchall()}

    province_supervisor = UserFactory(facility=None, region=province, roles=[Role.REGIONAL_SUPERVISOR])
    expected = listed(midwife, keep=False)
    listed(province_supervisor)
    before = plans()
    for _ in range(7):
        assert listed(midwife) == expected
        listed(province_supervisor)
        listed(midwife, queryset=Pregnancy.objects.filter(risk_color="red"))
    after = plans()
    moved = {
        sql: (g - before.get(sql, (0, 0))[0], c - before.get(sql, (0, 0))[1])
        for sql, (g, c) in after.items()
        if (g, c) != before.get(sql)
    }
    generic = {sql: plans for sql, plans in moved.items() if sql.startswith("PREPARE ms_generic_")}
    # the count and the three slices of ``listed``, each executed 7 times, never planned for the values
    assert len(generic) == 4 and set(generic.values()) == {(7, 0)}
    assert all("dashboards_censuscounter" in sql or "UNION" in sql for sql in generic)
    assert not any('"risk_color" = ' in sql for sql in after)
    # the region's statements are prepared by psycopg and left to ``auto`` (planned for the values)
    others = [plans for sql, plans in moved.items() if not sql.startswith("PREPARE ms_generic_")]
    assert others and sum(c for _, c in others) >= 7


def test_the_worklist_pages_on_a_generic_plan_that_walks_the_open_pregnancies_index(population, midwife):
    """A facility member's worklist page (and its count) run on their generic plans, never planned for the
    values; the open statuses are written into the statement, so that the generic plan can use the
    partial index of open pregnancies (``pregnancy_worklist_open``): sent as parameters, no generic plan
    could, and the bench database's read the facility's whole index (152–402 ms against 0.5)."""
    from django.db import connection

    def rows(keep: bool = True):
        # as the home page reads it: the page's ids (``cases.views.worklist_context``)
        found = worklist_rows(actor=midwife, queryset=Pregnancy.objects.all(), outer=lambda r: r.values("pk"))
        if not keep:
            found.sql_key = None
        return found.count(), found[0:50]

    expected = rows(keep=False)
    for _ in range(3):
        assert rows() == expected
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, statement, generic_plans, custom_plans FROM pg_prepared_statements")
        statements = [row for row in cursor.fetchall() if row[0].startswith("ms_generic_")]
        page = [row for row in statements if "UNION" in row[1] and "cases_pregnancy" in row[1]]
        assert len(page) == 1 and page[0][3] == 0 and page[0][2] >= 2
        assert "\"status\" IN ('active', 'postpartum')" in page[0][1]
        assert any("dashboards_censuscounter" in row[1] and row[3] == 0 for row in statements)
        # the generic plan can use the partial index (sequential scans off: the test tables are tiny)
        found = worklist_rows(actor=midwife, queryset=Pregnancy.objects.all(), outer=lambda r: r.values("pk"))
        sql, params, _names = _values_statement(found._page(0, 50))
        cursor.execute(f"PREPARE worklist_page AS {_numbered(sql, len(params))}")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        cursor.execute(f"EXPLAIN EXECUTE worklist_page({', '.join(['%s'] * len(params))})", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("DEALLOCATE worklist_page")
    assert "pregnancy_worklist_open" in plan
