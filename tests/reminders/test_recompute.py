"""Windows follow the record in the same transaction as their cause: a visit, a new EDD, a new colour,
the delivery and discharge, the postpartum visit and the 42-day check, and the end of care."""

import pytest
from django.db import transaction
from django.utils import timezone

from cases.services import (
    delivery_discharge,
    delivery_record,
    pregnancy_redate,
    pregnancy_set_risk,
    pregnancy_transition,
    visit_record,
)
from notifications.models import Alert
from reminders.models import FollowUp
from reminders.services import followup_recompute, followups_sweep

from .conftest import days, noon, open_window

pytestmark = pytest.mark.django_db
BABY = [{"outcome": "live_birth", "sex": "female", "weight_g": 3200}]


def test_registration_opens_the_next_window_of_the_national_grid(followed):
    window = open_window(followed)
    today = timezone.localdate()
    assert (window.kind, window.status, window.source) == ("antenatal", "upcoming", "schedule")
    assert (window.due_from, window.due_by) == (today + days(35), today + days(62))  # 25+0 to 28+6
    assert window.facility_id == followed.managing_facility_id


def test_recomputing_an_unchanged_record_keeps_the_window(followed):
    first = open_window(followed)
    followup_recompute(pregnancy=followed)
    assert open_window(followed).pk == first.pk and FollowUp.objects.count() == 1


def test_a_visit_closes_the_window_as_done_and_opens_the_next(followed, midwife):
    first = open_window(followed)
    visit_record(actor=midwife, pregnancy=followed, next_visit_date=timezone.localdate() + days(10))
    first.refresh_from_db()
    assert (first.status, first.close_reason) == ("closed", "visit_done")
    window = open_window(followed)
    assert (window.source, window.due_from) == ("clinician", timezone.localdate() + days(10))


def test_a_visit_resolves_every_alert_of_the_window_it_closes_and_no_other(followed, midwife):
    """Each step of the window (due, overdue, tracing, proposed lost) raised its own alert; the visit that
    closes the window resolves all of them, in one statement, and leaves another woman's alerts open."""
    from tests.factories import PregnancyFactory

    other = PregnancyFactory(
        managing_facility=followed.managing_facility, edd=followed.edd, booked_on=followed.booked_on
    )
    followup_recompute(pregnancy=other)
    window = open_window(followed)
    for day in (window.remind_on, window.overdue_on, window.trace_on, window.lost_on):
        followups_sweep(now=noon(day))
    open_statuses = ["pending", "delivered", "acknowledged"]
    hers = Alert.objects.filter(pregnancy=followed, kind__startswith="follow_up") | Alert.objects.filter(
        pregnancy=followed, kind="lost_to_follow_up_proposed"
    )
    assert hers.filter(status__in=open_statuses).count() >= 2
    others_open = set(
        Alert.objects.filter(pregnancy=other, status__in=open_statuses).values_list("pk", flat=True)
    )
    assert others_open

    visit_record(actor=midwife, pregnancy=followed, next_visit_date=timezone.localdate() + days(10))

    assert set(hers.values_list("status", flat=True)) == {"resolved"}
    assert set(
        Alert.objects.filter(pregnancy=other, status__in=open_statuses).values_list("pk", flat=True)
    ) == (others_open)


def test_a_rolled_back_visit_leaves_the_window_alone(followed, midwife):
    first = open_window(followed)
    with pytest.raises(RuntimeError), transaction.atomic():
        visit_record(actor=midwife, pregnancy=followed, next_visit_date=timezone.localdate() + days(10))
        raise RuntimeError("the visit failed")
    assert open_window(followed).pk == first.pk and FollowUp.objects.count() == 1


def test_a_new_edd_moves_the_window(followed, obstetrician):
    before = open_window(followed)
    scan = timezone.localdate()
    # the scan says 17+0 today: the EDD moves three weeks later, beyond the ACOG threshold
    pregnancy_redate(
        actor=obstetrician,
        pregnancy=followed,
        method="ultrasound",
        scan_date=scan,
        ga_days_at_scan=119,
        reason="Dating scan",
        adopt=True,
    )
    before.refresh_from_db()
    assert (before.status, before.close_reason) == ("closed", "rescheduled")
    assert open_window(followed).due_from == scan + days(21)


def test_a_higher_colour_brings_the_visit_forward(followed):
    pregnancy_set_risk(pregnancy=followed, risk_color="red")
    window = open_window(followed)
    # red: 7 days from the last contact (the booking today), a two-day window
    assert (window.source, window.due_from, window.due_by) == (
        "interval",
        timezone.localdate() + days(7),
        timezone.localdate() + days(9),
    )
    assert (window.color, window.trace_on) == ("red", window.due_by + days(3))


def test_delivery_switches_to_the_postpartum_visit_then_the_42_day_check(followed, midwife, obstetrician):
    now = timezone.now()
    delivery = delivery_record(
        actor=obstetrician,
        pregnancy=followed,
        delivered_at=now - days(2),
        mode="spontaneous_vaginal",
        newborns=BABY,
    )
    antenatal = FollowUp.objects.get(pregnancy=followed, kind="antenatal")
    assert (antenatal.status, antenatal.close_reason) == ("closed", "delivered")
    birth = timezone.localdate(now - days(2))
    window = open_window(followed)
    assert (window.kind, window.due_from, window.due_by) == ("postpartum", birth + days(3), birth + days(7))
    delivery_discharge(actor=obstetrician, delivery=delivery, discharged_at=now - days(1))
    assert open_window(followed).due_from == birth + days(4)
    visit_record(actor=midwife, pregnancy=followed, kind="postpartum")
    window = open_window(followed)
    assert (window.kind, window.due_from, window.due_by) == ("check_42d", birth + days(42), birth + days(49))
    visit_record(actor=midwife, pregnancy=followed, kind="check_42d")
    followed.refresh_from_db()
    assert followed.status == "closed"
    assert not FollowUp.objects.filter(pregnancy=followed).exclude(status="closed").exists()
    assert FollowUp.objects.get(pregnancy=followed, kind="check_42d").close_reason == "visit_done"


def test_a_postpartum_window_already_open_reminds_at_once(followed, obstetrician):
    delivery_record(
        actor=obstetrician,
        pregnancy=followed,
        delivered_at=timezone.now() - days(1),
        mode="spontaneous_vaginal",
        newborns=BABY,
    )
    # the visit is due from day 3; the reminder day (3 days before) has passed: due now, alert raised
    window = open_window(followed)
    assert window.status == "due"
    assert Alert.objects.filter(kind="follow_up_due", pregnancy=followed).count() == 1


def test_transfer_out_closes_the_window_and_resolves_its_alerts(followed, midwife):
    window = open_window(followed)
    followups_sweep(now=noon(window.overdue_on))
    assert Alert.objects.filter(pregnancy=followed, kind="follow_up_overdue").exists()
    pregnancy_transition(
        actor=midwife, pregnancy=followed, to_status="transferred_out", reason="Moved to Guangdong"
    )
    window.refresh_from_db()
    assert (window.status, window.close_reason) == ("closed", "pregnancy_closed")
    assert set(
        Alert.objects.filter(pregnancy=followed, kind__startswith="follow_up").values_list(
            "status", flat=True
        )
    ) == {"resolved"}
    assert followups_sweep(now=noon(window.lost_on))["lost_proposed"] == 0
