"""The backfill opens the window a recomputation would open for every open pregnancy without one, in
batches, once (a re-run opens nothing); past steps start in their state without their alerts."""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from notifications.models import Alert
from reminders.backfill import followups_backfill
from reminders.models import FollowUp, ReminderMessage
from reminders.services import followup_recompute
from risk.reference import kept
from tests.factories import PregnancyFactory

from .conftest import days, noon, open_window

pytestmark = pytest.mark.django_db


def _booked(facility, *, booked_days_ago: int, edd_in: int, phone: str = "+8613800138000"):
    """A pregnancy created without the services (as records from before the reminders app were)."""
    today = timezone.localdate()
    pregnancy = PregnancyFactory(
        managing_facility=facility, edd=today + days(edd_in), booked_on=today - days(booked_days_ago)
    )
    pregnancy.patient.phone = phone
    pregnancy.patient.save()
    assert not FollowUp.objects.filter(pregnancy=pregnancy).exists()
    return pregnancy


def test_opens_the_window_a_recomputation_would_open(home_facility):
    pregnancy = _booked(home_facility, booked_days_ago=0, edd_in=140)
    result = followups_backfill()
    assert (result.total, result.opened["upcoming"]) == (1, 1)
    window = open_window(pregnancy)
    # the recomputation finds the same dates and keeps the backfilled row
    assert followup_recompute(pregnancy=pregnancy).pk == window.pk
    today = timezone.localdate()
    assert (window.kind, window.source, window.due_from, window.due_by) == (
        "antenatal",
        "schedule",
        today + days(35),
        today + days(62),
    )


def test_a_rerun_opens_nothing_and_existing_or_closed_pregnancies_are_left_alone(home_facility, followed):
    kept = open_window(followed)
    closed = PregnancyFactory(managing_facility=home_facility, status="closed")
    _booked(home_facility, booked_days_ago=0, edd_in=140)
    assert followups_backfill().total == 1
    assert followups_backfill().total == 0
    assert open_window(followed).pk == kept.pk
    assert not FollowUp.objects.filter(pregnancy=closed).exists()
    assert FollowUp.objects.count() == 2


def test_past_steps_start_in_their_state_without_alerts(home_facility):
    today = timezone.localdate()
    # 30+0 today, last contact 30 days ago (25+5): the 29-32 week window is due now
    due = _booked(home_facility, booked_days_ago=30, edd_in=70)
    # 36+0 today, last contact at 20+0: the 25-28 week window ended 7+ weeks ago, past its lost day
    lost = _booked(home_facility, booked_days_ago=112, edd_in=28)
    result = followups_backfill()
    assert (result.opened["due"], result.opened["tracing"], result.messages) == (1, 1, 1)
    due_window, lost_window = open_window(due), open_window(lost)
    assert (due_window.status, due_window.next_step_on) == ("due", due_window.overdue_on)
    assert ReminderMessage.objects.get().follow_up == due_window
    # nobody traced her yet: tracing from today, proposed only after a full tracing period
    assert lost_window.lost_on < today
    assert (lost_window.status, lost_window.traced_on) == ("tracing", today)
    assert lost_window.next_step_on == today + (lost_window.lost_on - lost_window.trace_on)
    assert not Alert.objects.exists()
    # the sweep takes it from there: the next step raises its alert as usual
    from reminders.services import followups_sweep

    followups_sweep(now=noon(due_window.overdue_on))
    assert Alert.objects.filter(pregnancy=due, kind="follow_up_overdue").count() == 1
    assert not Alert.objects.filter(pregnancy=due, kind="follow_up_due").exists()


def test_a_pregnancy_without_enough_data_is_counted_not_opened(home_facility):
    pregnancy = PregnancyFactory(managing_facility=home_facility, status="postpartum", ended_on=None)
    result = followups_backfill()
    assert (result.total, result.without_window) == (0, 1)
    assert not FollowUp.objects.filter(pregnancy=pregnancy).exists()


def test_queries_grow_with_batches_not_pregnancies(home_facility):
    for _ in range(5):
        _booked(home_facility, booked_days_ago=0, edd_in=140)
    # one region's regional policy is read once (the reference generation, then the policy unless this
    # process kept it: ``risk.reference``); then per batch: the read, a savepoint, the INSERT of windows,
    # the id look-up, (the INSERT of messages only when one is due), the release
    kept.clear()
    with CaptureQueriesContext(connection) as few:
        assert followups_backfill(batch=10).batches == 1
    FollowUp.objects.all().delete()
    kept.clear()
    with CaptureQueriesContext(connection) as many:
        assert followups_backfill(batch=2).batches == 3
    per_batch = len(few) - 2
    assert len(many) == 2 + 3 * per_batch


def test_command_reports_what_it_opened(home_facility):
    _booked(home_facility, booked_days_ago=0, edd_in=140)
    out = io.StringIO()
    call_command("followups_backfill", "--batch", "50", stdout=out)
    assert "Opened 1 follow-up windows (1 upcoming)" in out.getvalue()
    out = io.StringIO()
    call_command("followups_backfill", stdout=out)
    assert "Opened 0 follow-up windows (none)" in out.getvalue()
