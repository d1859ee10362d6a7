"""Grading reference data kept per process (``risk.reference``) behind ``ReferenceGeneration``.

The triggers move the generation immediately, inside the writing transaction, so these tests run in the
usual test transaction: a write is seen by the next read of the same transaction, a savepoint rolled
back takes its generation with it. Every read after a change is compared with the change, so a reuse
that missed one fails here.
"""

import datetime as dt

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from facilities.choices import RegionLevel
from risk.loading import NATIONAL_KEY
from risk.models import CatalogueCriterion, CatalogueVersion, ReferenceGeneration, RiskPolicy
from risk.reference import GENERATION_SQL, kept
from risk.selectors import catalogue_version_for, policy_for
from tests.factories import RegionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _nothing_kept():
    kept.clear()
    yield
    kept.clear()


def generation() -> int:
    return ReferenceGeneration.objects.values_list("g", flat=True).get()


def _captured(read):
    with CaptureQueriesContext(connection) as queries:
        value = read()
    return value, [q["sql"] for q in queries]


def _regional_version(region, *, key="regional@1", effective_from=None) -> CatalogueVersion:
    return CatalogueVersion.objects.create(
        key=key, title=key, region=region, effective_from=effective_from or dt.date(2020, 1, 1)
    )


@pytest.mark.parametrize("table", ["version", "criterion", "policy", "region"])
def test_every_statement_writing_reference_data_moves_the_generation(county, table):
    before = generation()
    if table == "version":
        _regional_version(county)
    elif table == "criterion":
        assert CatalogueCriterion.objects.filter(version__key=NATIONAL_KEY).update(enabled=True) > 0
    elif table == "policy":
        RiskPolicy.objects.filter(region__isnull=True).update(proposal_alert_hours=12)
    else:
        county.name_en = "Renamed County"
        county.save(update_fields=["name_en"])
    moved = generation()
    assert moved > before
    if table == "version":
        CatalogueVersion.objects.filter(key="regional@1").delete()
        assert generation() > moved


def test_a_policy_is_read_once_then_kept_until_a_policy_is_written(county):
    first, sqls = _captured(lambda: policy_for(county.code))
    assert first.region_id is None  # the default
    assert any("risk_riskpolicy" in sql for sql in sqls)

    again, sqls = _captured(lambda: policy_for(county.code))
    assert sqls == [GENERATION_SQL]  # one primary-key read, no policy read
    assert again.pk == first.pk
    assert again is not first

    regional = RiskPolicy.objects.create(region=county, visit_interval_days={"yellow": 21})
    after, sqls = _captured(lambda: policy_for(county.code))
    assert after.pk == regional.pk
    assert after.visit_interval_days == {"yellow": 21}
    assert any("risk_riskpolicy" in sql for sql in sqls)

    # another region is kept apart
    assert policy_for("440100").region_id is None


def test_a_rolled_back_write_is_neither_seen_nor_found_again(county):
    before = generation()
    assert policy_for(county.code).region_id is None
    with pytest.raises(RuntimeError), transaction.atomic():
        RiskPolicy.objects.create(region=county, visit_interval_days={"yellow": 21})
        assert policy_for(county.code).region_id == county.pk  # its own write, at once
        raise RuntimeError("abandon")
    assert generation() == before
    assert policy_for(county.code).region_id is None


def test_the_catalogue_version_follows_activation_region_and_date(county):
    national, _ = _captured(lambda: catalogue_version_for(region_code=county.code))
    assert national.key == NATIONAL_KEY

    regional = _regional_version(county)
    assert catalogue_version_for(region_code=county.code).key == regional.key
    assert catalogue_version_for(region_code="440100").key == NATIONAL_KEY

    CatalogueVersion.objects.filter(pk=regional.pk).update(is_active=False)
    assert catalogue_version_for(region_code=county.code).key == NATIONAL_KEY

    # the day is part of what is kept: a version in force from tomorrow is not today's
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    _regional_version(county, key="regional@2", effective_from=tomorrow)
    assert catalogue_version_for(region_code=county.code).key == NATIONAL_KEY
    assert catalogue_version_for(region_code=county.code, on=tomorrow).key == "regional@2"
    _, sqls = _captured(lambda: catalogue_version_for(region_code=county.code, on=tomorrow))
    assert sqls == [GENERATION_SQL]


def test_a_region_moving_under_another_parent_code_is_read_again(province):
    """Policies are matched by region code prefixes: a new county code under a city with a policy."""
    city = RegionFactory(code="450300", name_en="City C", level=RegionLevel.CITY, parent=province)
    RiskPolicy.objects.create(region=city, visit_interval_days={"yellow": 14})
    assert policy_for("450301").region_id == city.pk
    city.code = "450400"
    city.save(update_fields=["code"])
    assert policy_for("450301").region_id is None


def test_changing_what_was_returned_does_not_change_what_is_kept(county):
    for _ in range(2):  # what was read, then what was kept
        policy = policy_for(county.code)
        policy.visit_interval_days["yellow"] = 1
        policy.proposal_alert_hours = 1
    again = policy_for(county.code)
    assert again.visit_interval_days["yellow"] == 28
    assert again.proposal_alert_hours == 24


def test_a_kept_catalogue_version_is_a_copy_down_to_its_field_specification(county):
    """The version's nested field specification and its region (read with it) come with every copy."""
    regional = _regional_version(county)
    CatalogueVersion.objects.filter(pk=regional.pk).update(fields_spec={"sbp_mmhg": {"unit": "mmHg"}})
    first = catalogue_version_for(region_code=county.code)  # read, then kept
    first.fields_spec["sbp_mmhg"]["unit"] = "kPa"
    first.title = "changed"
    second, sqls = _captured(lambda: catalogue_version_for(region_code=county.code))
    assert sqls == [GENERATION_SQL]
    second.fields_spec["sbp_mmhg"]["unit"] = "cmH2O"
    third, sqls = _captured(lambda: catalogue_version_for(region_code=county.code))
    assert (third.fields_spec, third.title) == ({"sbp_mmhg": {"unit": "mmHg"}}, regional.title)
    assert third is not second and third.fields_spec is not second.fields_spec
    assert third.region.code == county.code  # the related region came along: no query for it
    assert sqls == [GENERATION_SQL]


def test_without_a_generation_row_nothing_is_kept(county):
    ReferenceGeneration.objects.all().delete()
    policy_for(county.code)
    _, sqls = _captured(lambda: policy_for(county.code))
    assert any("risk_riskpolicy" in sql for sql in sqls)
    assert kept.size() == 0


def test_a_truncate_brings_the_generation_row_back(county):
    before = generation()
    policy_for(county.code)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE risk_referencegeneration, risk_riskpolicy")
    assert generation() > before
    assert policy_for(county.code).pk is None  # no policy at all: the built-in default, unsaved


def test_at_most_max_entries_are_kept(county, monkeypatch):
    monkeypatch.setattr(kept, "MAX_ENTRIES", 3)
    codes = ["450101", "450102", "450103", "450104"]
    for code in codes:
        assert policy_for(code).region_id is None
        assert kept.size() <= 3
    RiskPolicy.objects.create(region=county, visit_interval_days={})
    assert [policy_for(code).region_id for code in codes] == [None, county.pk, None, None]
