"""The counter generation and the summary's reuse of the sums it read (``dashboards.selectors._ReadSums``).

These tests commit (``transaction=True``): the generation moves at commit, and the sums are reused only
outside a transaction, which is how requests run. Every figure after a commit is compared with the
state just committed, so a reuse that missed a change fails here.
"""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from cases.models import Pregnancy
from dashboards.models import CounterGeneration
from dashboards.selectors import read_sums
from facilities.choices import RegionLevel, Tier
from tests.factories import FacilityFactory, PregnancyFactory, RegionFactory

URL = "/api/v1/dashboard/summary/"
SUMS_TABLE = "dashboards_censuscounter"
GENERATION_TABLE = "dashboards_countergeneration"


def generation() -> int | None:
    return CounterGeneration.objects.values_list("g", flat=True).first()


@pytest.fixture
def far_facility(db):
    """A facility in another province (440000)."""
    province = RegionFactory(code="440000", name_en="Far Province", level=RegionLevel.PROVINCE)
    city = RegionFactory(code="440100", name_en="Far City", level=RegionLevel.CITY, parent=province)
    return FacilityFactory(tier=Tier.SECONDARY, region=city)


def _get(client, params=None) -> tuple[dict, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL, params or {})
    assert response.status_code == 200, response.content
    return response.json(), [q["sql"] for q in queries]


def _read_the_sums(sqls: list[str]) -> bool:
    return any(SUMS_TABLE in sql for sql in sqls)


@pytest.mark.django_db(transaction=True)
def test_a_commit_that_moves_counters_moves_the_generation_and_nothing_else_does(home_facility, far_facility):
    pregnancy = PregnancyFactory(managing_facility=home_facility, risk_color="green")
    before = generation()
    assert before is not None  # the facilities' and the pregnancy's commits

    # three statements that move the colour counters, one commit: a newer generation, taken once
    sequence_before = _sequence()
    with transaction.atomic():
        for color in ("yellow", "orange", "red"):
            Pregnancy.objects.filter(pk=pregnancy.pk).update(risk_color=color)
    after = generation()
    assert after > before
    assert _sequence() - sequence_before <= 2  # one upsert (its proposed row and its update), not three

    # rolled back: as before
    with pytest.raises(RuntimeError), transaction.atomic():
        Pregnancy.objects.filter(pk=pregnancy.pk).update(risk_color="green")
        raise RuntimeError("abandon")
    assert generation() == after

    # a committed change that moves no figure (the next visit date): as before
    Pregnancy.objects.filter(pk=pregnancy.pk).update(next_visit_date="2026-12-01")
    assert generation() == after

    # a facility's tier decides "not at an appropriate tier": its change moves the generation too
    home_facility.tier = Tier.TERTIARY
    home_facility.save(update_fields=["tier"])
    tiered = generation()
    assert tiered > after

    # a change in another province moves the same generation
    PregnancyFactory(managing_facility=far_facility)
    assert generation() > tiered


def _sequence() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_value FROM dashboards_generation_seq")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_the_summary_reuses_its_sums_until_a_commit_changes_them(api, supervisor, home_facility):
    for color in ("red", "red", "green"):
        PregnancyFactory(managing_facility=home_facility, risk_color=color)
    client = api.as_user(supervisor)
    first, sqls = _get(client)
    assert first["by_color"]["red"] == 2 and _read_the_sums(sqls)

    # nothing committed since: the generation alone is read, the figures are the same
    again, sqls = _get(client)
    assert not _read_the_sums(sqls) and any(GENERATION_TABLE in sql for sql in sqls)
    assert {k: again[k] for k in again if k != "as_of"} == {k: first[k] for k in first if k != "as_of"}

    # a committed new red woman: read again, counted
    PregnancyFactory(managing_facility=home_facility, risk_color="red")
    after, sqls = _get(client)
    assert _read_the_sums(sqls)
    assert (after["by_color"]["red"], after["active_pregnancies"]) == (3, 4)
    assert after["not_at_appropriate_tier"]["red"] == 3  # a secondary hospital

    # a committed change of the facility alone (it becomes tertiary): no red woman is off tier any more
    home_facility.tier = Tier.TERTIARY
    home_facility.save(update_fields=["tier"])
    tiered, sqls = _get(client)
    assert _read_the_sums(sqls) and tiered["not_at_appropriate_tier"]["red"] == 0


@pytest.mark.django_db(transaction=True)
def test_the_network_summary_sees_a_commit_in_any_province(
    api, system_admin, supervisor, home_facility, far_facility
):
    PregnancyFactory(managing_facility=home_facility)
    client = api.as_user(system_admin)
    before, _ = _get(client)
    _, sqls = _get(client)
    assert not _read_the_sums(sqls)

    region_before, _ = _get(api.as_user(supervisor))

    PregnancyFactory(managing_facility=far_facility)
    after, sqls = _get(api.as_user(system_admin))
    assert _read_the_sums(sqls) and after["active_pregnancies"] == before["active_pregnancies"] + 1
    # the region of the home facility: read again (one generation for all), the same figures
    region_after, sqls = _get(api.as_user(supervisor))
    assert _read_the_sums(sqls)
    assert region_after["active_pregnancies"] == region_before["active_pregnancies"]


@pytest.mark.django_db(transaction=True)
def test_a_facility_scope_is_kept_apart_from_its_region(api, supervisor, home_facility):
    other = FacilityFactory(tier=Tier.SECONDARY, region=home_facility.region)
    PregnancyFactory(managing_facility=home_facility)
    PregnancyFactory(managing_facility=other)
    client = api.as_user(supervisor)
    region, _ = _get(client)
    facility, _ = _get(client, {"facility": str(home_facility.external_id)})
    facility_again, sqls = _get(client, {"facility": str(home_facility.external_id)})
    assert not _read_the_sums(sqls)
    assert (region["active_pregnancies"], facility["active_pregnancies"]) == (2, 1)
    assert facility_again["active_pregnancies"] == 1


def test_inside_a_transaction_the_sums_are_read_every_time_and_not_kept(api, supervisor, home_facility):
    """The ``db`` fixture runs the test in a transaction: its own uncommitted changes are in the counters
    but in no generation yet, so nothing may be reused or kept."""
    read_sums.clear()
    client = api.as_user(supervisor)
    PregnancyFactory(managing_facility=home_facility, risk_color="red")
    _get(client)
    body, sqls = _get(client)
    assert _read_the_sums(sqls) and body["by_color"]["red"] == 1
    PregnancyFactory(managing_facility=home_facility, risk_color="red")
    body, _ = _get(client)
    assert body["by_color"]["red"] == 2
    assert read_sums.size() == 0


def test_what_is_kept_is_bounded_and_of_the_newest_generation_only():
    from dashboards.selectors import _ReadSums

    kept = _ReadSums()
    kept.MAX_ENTRIES, kept.MAX_ROWS = 3, 10
    rows = lambda n: [(0, "c", f"k{i}", i, None) for i in range(n)]  # noqa: E731
    kept._keep(("a",), 5, rows(4))
    kept._keep(("b",), 5, rows(4))
    assert kept.size() == 2
    kept._keep(("c",), 5, rows(4))  # 12 rows > 10: the least recently used goes
    assert list(kept._rows) == [("b",), ("c",)] and kept._kept_rows == 8
    kept._keep(("d",), 5, rows(11))  # larger than the whole budget: not kept
    assert list(kept._rows) == [("b",), ("c",)]
    kept._keep(("e",), 6, rows(1))  # a newer generation: the older entries can never be reused
    assert list(kept._rows) == [("e",)] and kept._kept_rows == 1
    for key in ("f", "g", "h"):
        kept._keep((key,), 6, rows(1))
    assert list(kept._rows) == [("f",), ("g",), ("h",)] and kept._kept_rows == 3
