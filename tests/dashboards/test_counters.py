"""The counters equal a full recount from the raw rows after inserts, updates and deletes of every kind,
whatever the code path (bulk SQL of seed_demo, ORM saves, bulk updates, cascades), and the rebuild
command restores them from scratch."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from accounts.choices import Role
from cases.models import Delivery, MaternalDeath, Newborn, Pregnancy, Visit
from dashboards.models import CensusCounter, DeliveryFact, MonthlyCounter
from referrals.models import Referral
from tests.factories import FacilityFactory, PregnancyFactory, UserFactory

from .mix import Mix
from .recount import (
    census_recount,
    due_recount,
    monthly_recount,
    stored_counters,
    stored_due,
    stored_weekly,
    week_of,
)


def assert_counters_equal_recount():
    census, monthly = stored_counters()
    assert census == census_recount()
    assert monthly == monthly_recount()
    assert stored_due() == due_recount()


def test_counters_equal_a_recount_after_a_realistic_mix_of_changes(seeded_region):
    assert Pregnancy.objects.count() >= 300 and Delivery.objects.exists() and Newborn.objects.exists()
    assert_counters_equal_recount()  # after the bulk insert of seed_demo
    mix = Mix(seeded_region)
    mix.grades_moves_and_deletes()
    assert_counters_equal_recount()
    mix.referrals()
    assert_counters_equal_recount()
    mix.births()
    assert_counters_equal_recount()
    mix.deaths_and_near_misses()
    assert_counters_equal_recount()
    mix.follow_ups()
    assert_counters_equal_recount()
    assert CensusCounter.objects.filter(key="followup:overdue", n__gt=0).exists()
    assert MaternalDeath.objects.filter(facility=None).exists() and Referral.objects.exists()


def test_a_rolled_back_change_leaves_the_counters_as_they_were(db, home_facility):
    from django.db import transaction

    PregnancyFactory(managing_facility=home_facility, risk_color="red")
    before = stored_counters()
    with pytest.raises(RuntimeError), transaction.atomic():
        PregnancyFactory(managing_facility=home_facility, risk_color="red")
        raise RuntimeError("the service failed after the insert")
    assert stored_counters() == before
    assert CensusCounter.objects.get(facility=home_facility, key="color:red").n == 1


def test_the_rebuild_command_recomputes_every_counter_from_scratch(seeded_region):
    # counters gone wrong (e.g. after a TRUNCATE of a source table or a restore): wrong, missing, extra
    some = CensusCounter.objects.filter(n__gt=0).order_by("id").first()
    CensusCounter.objects.filter(id=some.id).update(n=some.n + 7)
    MonthlyCounter.objects.filter(id__in=MonthlyCounter.objects.order_by("id").values("id")[:3]).delete()
    CensusCounter.objects.create(facility=FacilityFactory(), key="color:red", n=3)
    assert stored_counters() != (census_recount(), monthly_recount())

    out = io.StringIO()
    call_command("dashboard_counters", "--rebuild", stdout=out)
    assert_counters_equal_recount()
    assert "rebuilt" in out.getvalue()


def test_the_check_command_reports_differences_and_fails(db, home_facility):
    PregnancyFactory(managing_facility=home_facility, risk_color="yellow")
    call_command("dashboard_counters", "--check", stdout=io.StringIO())  # equal: no error
    with connection.cursor() as cursor:
        cursor.execute("UPDATE dashboards_censuscounter SET n = n + 1 WHERE key = 'color:yellow'")
    err = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("dashboard_counters", "--check", stdout=io.StringIO(), stderr=err)
    assert "color:yellow" in err.getvalue()


def test_month_buckets_are_local_days_of_asia_shanghai(db, home_facility):
    clinician = UserFactory(facility=home_facility, roles=[Role.OBSTETRICIAN])
    early = PregnancyFactory(managing_facility=home_facility)
    # 2025-09-30 16:30 UTC is 1 October 00:30 in Shanghai: October, the first month of SY2026
    MaternalDeath.objects.create(
        pregnancy=early,
        died_at=dt.datetime(2025, 9, 30, 16, 30, tzinfo=dt.UTC),
        facility=home_facility,
        cause="eclampsia",
        recorded_by=clinician,
    )
    row = MonthlyCounter.objects.get(facility=home_facility, key="maternal_deaths")
    assert (row.month, row.n) == (dt.date(2025, 10, 1), 1)
    assert timezone.localtime(MaternalDeath.objects.get().died_at).date() == dt.date(2025, 10, 1)


def test_weekly_counters_and_cohort_figures_equal_a_recount_after_the_mix(seeded_region):
    assert_counters_equal_recount()
    assert stored_weekly() == monthly_recount(bucket=week_of)
    Mix(seeded_region).all()
    assert_counters_equal_recount()
    assert stored_weekly() == monthly_recount(bucket=week_of)
    call_command("dashboard_counters", "--check", stdout=io.StringIO())
    keys = set(MonthlyCounter.objects.filter(n__gt=0).values_list("key", flat=True))
    cohort = {"early_booking", "anc_1", "anc_5", "postpartum_visit", "high_risk", "appropriate_tier"}
    assert keys >= {f"cohort:{k}" for k in cohort} | {"reports_due", "reports_on_time"}


def test_a_delivered_woman_keeps_the_colour_she_delivered_with(db, home_facility):
    woman = PregnancyFactory(managing_facility=home_facility, risk_color="orange")
    Delivery.objects.create(pregnancy=woman, delivered_at=timezone.now(), facility=home_facility, mode="svd")
    assert MonthlyCounter.objects.get(key="cohort:high_risk").n == 1
    Pregnancy.objects.filter(id=woman.id).update(risk_color="green")
    Visit.objects.create(
        pregnancy=woman, kind="postpartum", visited_at=timezone.now(), facility=home_facility
    )
    assert DeliveryFact.objects.get().color == "orange"
    assert set(DeliveryFact.objects.get().keys) == {"cohort:high_risk", "cohort:postpartum_visit"}
    assert MonthlyCounter.objects.get(key="cohort:high_risk").n == 1
    Delivery.objects.filter(pregnancy=woman).delete()  # a wrong record removed: nothing remains
    assert not DeliveryFact.objects.exists()
    assert set(MonthlyCounter.objects.filter(key__startswith="cohort:").values_list("n", flat=True)) == {0}


@pytest.mark.django_db
def test_counter_tables_leave_room_for_heap_only_increments_and_vacuum_after_200_dead_rows():
    """dashboards/0007: fillfactor 50 and an autovacuum threshold independent of the table's size."""
    import importlib

    storage = importlib.import_module("dashboards.migrations.0007_period_indexes_counter_storage")
    with connection.cursor() as cursor:
        for table in storage.TABLES:
            cursor.execute("SELECT reloptions FROM pg_class WHERE oid = %s::regclass", [table])
            (options,) = cursor.fetchone()
            assert dict(option.split("=", 1) for option in options) == storage.PARAMS, table
