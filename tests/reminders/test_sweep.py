"""The sweep advances windows by calendar day with set-based batches, raises one alert per step (stable
dedup keys), texts the woman (clinic and dates only) and only *proposes* lost to follow-up."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.translation import override

from cases.models import Pregnancy
from notifications.models import Alert
from reminders.models import FollowUp, ReminderMessage
from reminders.services import followup_recompute, followups_sweep, reminder_messages_send
from risk.models import CaseManagement
from tests.factories import PregnancyFactory

from .conftest import days, noon, open_window

pytestmark = pytest.mark.django_db


def kinds(pregnancy):
    return sorted(Alert.objects.filter(pregnancy=pregnancy).values_list("kind", flat=True))


def test_nothing_moves_before_the_reminder_day(followed):
    window = open_window(followed)
    assert followups_sweep(now=noon(window.remind_on - days(1)))["due"] == 0
    assert open_window(followed).status == "upcoming" and kinds(followed) == []


def test_reminder_day_makes_it_due_alerts_the_clinic_and_queues_a_text(followed, obstetrician):
    window = open_window(followed)
    followups_sweep(now=noon(window.remind_on))
    window.refresh_from_db()
    assert (window.status, window.next_step_on) == ("due", window.overdue_on)
    alert = Alert.objects.get(pregnancy=followed)
    assert (alert.kind, alert.severity, alert.target_user) == ("follow_up_due", "info", obstetrician)
    assert alert.dedup_key == f"followup:{window.external_id}:due"
    assert ReminderMessage.objects.filter(follow_up=window, status="pending").count() == 1


def test_overdue_only_the_day_after_the_window(followed):
    window = open_window(followed)
    followups_sweep(now=noon(window.due_by))
    assert open_window(followed).status == "due"
    followups_sweep(now=noon(window.overdue_on))
    assert open_window(followed).status == "overdue"
    assert kinds(followed) == ["follow_up_due", "follow_up_overdue"]


def test_tracing_goes_to_the_case_manager(followed, midwife):
    CaseManagement.objects.create(pregnancy=followed, manager=midwife, opened_at=followed.created_at)
    window = open_window(followed)
    followups_sweep(now=noon(window.trace_on - days(1)))
    assert open_window(followed).status == "overdue"
    followups_sweep(now=noon(window.trace_on))
    window.refresh_from_db()
    assert (window.status, window.traced_on) == ("tracing", window.trace_on)
    tracing = Alert.objects.get(pregnancy=followed, kind="follow_up_tracing")
    assert (tracing.target_user, tracing.severity) == (midwife, "warning")


def test_lost_to_follow_up_is_only_proposed(followed):
    window = open_window(followed)
    followups_sweep(now=noon(window.lost_on - days(1)))
    assert open_window(followed).status == "tracing"
    counts = followups_sweep(now=noon(window.lost_on))
    assert counts["lost_proposed"] == 1
    assert open_window(followed).status == "lost_proposed"
    followed.refresh_from_db()
    assert followed.status == "active", "a person confirms lost to follow-up, never the sweep"
    assert Alert.objects.filter(pregnancy=followed, kind="lost_to_follow_up_proposed").count() == 1


def test_a_missed_sweep_catches_up_in_one_run_without_texting_a_past_date(followed):
    window = open_window(followed)
    counts = followups_sweep(now=noon(window.trace_on))
    assert (counts["due"], counts["overdue"], counts["tracing"], counts["lost_proposed"]) == (1, 1, 1, 0)
    assert kinds(followed) == ["follow_up_due", "follow_up_overdue", "follow_up_tracing"]
    assert not ReminderMessage.objects.exists()


def test_sweeping_twice_moves_nothing_and_raises_nothing_twice(followed):
    when = noon(open_window(followed).trace_on)
    followups_sweep(now=when)
    alerts = Alert.objects.count()
    again = followups_sweep(now=when)
    assert (again["due"], again["overdue"], again["tracing"], again["lost_proposed"]) == (0, 0, 0, 0)
    assert Alert.objects.count() == alerts


def _cohort(n, facility, edd):
    today = edd - days(140)
    for _ in range(n):
        pregnancy = PregnancyFactory(managing_facility=facility, edd=edd, booked_on=today, risk_color="green")
        followup_recompute(pregnancy=pregnancy)


def _sweep_queries(when) -> int:
    with CaptureQueriesContext(connection) as ctx:
        followups_sweep(now=when)
    return len(ctx.captured_queries)


def test_sweep_query_count_does_not_grow_with_the_number_of_windows(followed, home_facility):
    when = noon(open_window(followed).overdue_on)
    small = _sweep_queries(when)  # one window: due and overdue steps taken
    FollowUp.objects.filter(pregnancy=followed).delete()
    Alert.objects.all().delete()
    _cohort(12, home_facility, followed.edd)
    assert _sweep_queries(when) == small
    assert FollowUp.objects.filter(status="overdue").count() == 12
    # Per state step with rows to move: lock-and-read, UPDATE, alerts INSERT (+ texts INSERT for the
    # reminder step) and a savepoint pair; per step without: one read; plus the needs-referral UPDATE.


def test_batches_cover_every_window(home_facility):
    today = timezone.localdate()
    _cohort(5, home_facility, today + days(140))
    window = FollowUp.objects.first()
    counts = followups_sweep(now=noon(window.remind_on), batch=2)
    assert counts["due"] == 5 and not FollowUp.objects.filter(status="upcoming").exists()


def test_the_text_names_the_clinic_and_dates_only(followed, settings):
    sent = []

    class Gateway:
        def send(self, *, phone, text):
            sent.append((phone, text))

    settings.SMS_GATEWAY = f"{__name__}.Gateway"
    globals()["Gateway"] = Gateway
    followed.risk_color, followed.purple = "red", True
    Pregnancy.objects.filter(pk=followed.pk).update(risk_color="red", purple=True)
    window = open_window(followed)
    followups_sweep(now=noon(window.remind_on))
    counts = reminder_messages_send(now=noon(window.remind_on))
    assert counts["sent"] == 1
    ((phone, text),) = sent
    assert phone == "+8613800138000"
    with override(settings.LANGUAGE_CODE):
        clinic = followed.managing_facility.name
    assert text.startswith(clinic) and window.due_by.isoformat() in text
    for word in ("red", "红", "purple", "紫", "HIV", "梅毒", followed.patient.name):
        assert word not in text
    assert ReminderMessage.objects.get().status == "sent"
    assert reminder_messages_send(now=noon(window.remind_on))["sent"] == 0


def test_a_text_for_a_window_closed_meanwhile_is_not_sent(followed, midwife):
    from cases.services import visit_record

    window = open_window(followed)
    followups_sweep(now=noon(window.remind_on))
    visit_record(actor=midwife, pregnancy=followed, next_visit_date=timezone.localdate() + days(7))
    assert ReminderMessage.objects.get().status == "cancelled"
    assert reminder_messages_send(now=noon(window.remind_on)) == {"sent": 0, "failed": 0, "cancelled": 0}


def test_no_phone_no_text(followed):
    followed.patient.phone = ""
    followed.patient.save()
    followups_sweep(now=noon(open_window(followed).remind_on))
    assert not ReminderMessage.objects.exists()
