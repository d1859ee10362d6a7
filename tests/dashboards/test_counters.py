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
from cases.models import Delivery, MaternalDeath, Newborn, Pregnancy
from dashboards.models import CensusCounter, MonthlyCounter
from referrals.models import Referral
from tests.factories import FacilityFactory, PregnancyFactory, UserFactory

from .mix import Mix
from .recount import census_recount, monthly_recount, stored_counters


def assert_counters_equal_recount():
    census, monthly = stored_counters()
    assert census == census_recount()
    assert monthly == monthly_recount()


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
