"""The time rules, each fired and not fired: a maternal death reported to the supervisors (escalating
while unacknowledged); a positive screening not graded in 14 days; an orange / red woman needing
referral with no open referral after 24 hours; a missed supervisor-report deadline; an acknowledged
alert whose cause is still open re-arms after its window."""

import datetime as dt

import pytest
from django.utils import timezone

from accounts.choices import Role, Title
from cases.services import maternal_death_record, pregnancy_transition
from facilities.choices import Tier
from notifications.models import Alert, InboxItem
from notifications.services import (
    alert_acknowledge,
    alert_escalate,
    alert_raise,
    alert_resolve,
    alerts_rearm,
    alerts_sweep,
)
from reminders.services import followups_sweep
from risk.models import RiskReport
from risk.services import risk_assessment_create, risk_report_submit
from tests.factories import FacilityFactory, PregnancyFactory, UserFactory

pytestmark = pytest.mark.django_db
HOUR = dt.timedelta(hours=1)


@pytest.fixture
def director(home_facility):
    return UserFactory(
        username="director", facility=home_facility, roles=[Role.FACILITY_ADMIN], is_medical_director=True
    )


def reached(alert):
    return set(InboxItem.objects.filter(alert=alert).values_list("user__username", flat=True))


# --- maternal death -------------------------------------------------------------------------------------


def test_maternal_death_is_reported_to_the_supervisors_at_once_and_escalates(
    pregnancy, midwife, supervisor, director
):
    died_at = timezone.now() - HOUR
    maternal_death_record(
        actor=midwife, pregnancy=pregnancy, died_at=died_at, cause="Amniotic fluid embolism"
    )
    alert = Alert.objects.get(kind="maternal_death_report")
    assert (alert.severity, alert.target_role, alert.dedup_key) == (
        "urgent",
        "regional_supervisor",
        f"maternal_death:{pregnancy.external_id}",
    )
    assert alert.payload["report_by"] == (died_at + dt.timedelta(hours=24)).isoformat()
    alerts_sweep(now=timezone.now())
    assert reached(alert) == {"supervisor"}
    alert.refresh_from_db()
    assert alert_escalate(alert.pk, now=alert.next_escalation_at + dt.timedelta(seconds=1))
    assert alert_escalate(Alert.objects.get(pk=alert.pk).pk, now=timezone.now() + 2 * HOUR)
    assert "director" in reached(alert)


def test_no_death_report_without_a_death(pregnancy, midwife):
    pregnancy_transition(actor=midwife, pregnancy=pregnancy, to_status="transferred_out", reason="Moved away")
    assert not Alert.objects.filter(kind="maternal_death_report").exists()


def test_acknowledged_death_report_stops_climbing(pregnancy, midwife, supervisor):
    maternal_death_record(actor=midwife, pregnancy=pregnancy, died_at=timezone.now(), cause="PPH")
    alerts_sweep(now=timezone.now())
    item = InboxItem.objects.get(user=supervisor)
    alert_acknowledge(actor=supervisor, item=item, note="Received, review on Monday")
    assert not alert_escalate(item.alert_id, now=timezone.now() + 2 * HOUR)


# --- positive screening not graded in 14 days ---------------------------------------------------------


@pytest.fixture
def screened(county):
    township = FacilityFactory(township=True, region=county)
    screener = UserFactory(username="screener", facility=township, roles=[Role.MIDWIFE])
    pregnancy = PregnancyFactory(managing_facility=township)
    risk_assessment_create(actor=screener, pregnancy=pregnancy, criteria=["S-OBHX-CS"], stage="screening")
    return pregnancy


def test_positive_screen_not_graded_in_14_days_is_delivered_then_escalates(screened):
    alert = Alert.objects.get(kind="grading_due", pregnancy=screened)
    assert alerts_sweep(now=timezone.now() + dt.timedelta(days=13))["delivered"] == 0
    assert alerts_sweep(now=timezone.now() + dt.timedelta(days=14, minutes=1))["delivered"] == 1
    alert.refresh_from_db()
    assert alert.status == "delivered" and alert.next_escalation_at is not None
    level = alert.escalation_level
    assert alert_escalate(alert.pk, now=alert.next_escalation_at + dt.timedelta(seconds=1))
    alert.refresh_from_db()
    assert alert.escalation_level == level + 1


def test_positive_screen_graded_in_time_does_not_fire(screened, county):
    hospital = FacilityFactory(tier=Tier.SECONDARY, region=county)
    grader = UserFactory(facility=hospital, roles=[Role.OBSTETRICIAN], title=Title.ATTENDING)
    risk_assessment_create(actor=grader, pregnancy=screened, criteria=[], measurements={"hb_g_l": 50})
    assert Alert.objects.get(kind="grading_due").status == "resolved"
    assert alerts_sweep(now=timezone.now() + dt.timedelta(days=15))["delivered"] == len(
        Alert.objects.filter(status="delivered")
    )
    assert Alert.objects.get(kind="grading_due").status == "resolved"


# --- needs referral, no open referral after 24 h ------------------------------------------------------


@pytest.fixture
def orange_below_tier(pregnancy, obstetrician):
    """Orange at a county hospital with no critical care centre: she needs a referral."""
    risk_assessment_create(actor=obstetrician, pregnancy=pregnancy, criteria=[], measurements={"hb_g_l": 50})
    pregnancy.refresh_from_db()
    assert (pregnancy.risk_color, pregnancy.needs_referral) == ("orange", True)
    return pregnancy


def test_needs_referral_fires_after_24_hours_without_a_referral(orange_below_tier):
    alert = Alert.objects.get(kind="needs_referral")
    assert alert.due_at - alert.created_at >= dt.timedelta(hours=24) - dt.timedelta(seconds=5)
    followups_sweep(now=timezone.now() + 12 * HOUR)
    alerts_sweep(now=timezone.now() + 25 * HOUR)
    alert.refresh_from_db()
    assert alert.status == "delivered"


def test_needs_referral_does_not_fire_once_a_referral_is_open(orange_below_tier, obstetrician, city):
    from referrals.services import referral_request

    tertiary = FacilityFactory(tier=Tier.TERTIARY, region=city, critical_care_level="city")
    referral_request(
        actor=obstetrician,
        pregnancy=orange_below_tier,
        to_facility=tertiary,
        urgency="routine",
        reason="Orange: Hb 50 g/L, needs a critical care centre",
    )
    alert = Alert.objects.get(kind="needs_referral")
    assert alert.status == "resolved"
    alerts_sweep(now=timezone.now() + 25 * HOUR)
    assert not InboxItem.objects.filter(alert=alert).exists()


def test_needs_referral_safety_net_resolves_when_the_flag_is_gone(orange_below_tier):
    from cases.models import Pregnancy

    Pregnancy.objects.filter(pk=orange_below_tier.pk).update(needs_referral=False)
    assert followups_sweep(now=timezone.now())["needs_referral_resolved"] == 1
    assert Alert.objects.get(kind="needs_referral").status == "resolved"


# --- missed supervisor report deadline ---------------------------------------------------------------


def test_missed_report_deadline_is_delivered_at_the_deadline_and_escalates(pregnancy, obstetrician):
    risk_assessment_create(
        actor=obstetrician, pregnancy=pregnancy, criteria=[], measurements={"pasp_mmhg": 55}
    )
    report = RiskReport.objects.get()
    alert = Alert.objects.get(kind="report_due")
    alerts_sweep(now=report.due_at - HOUR)
    assert Alert.objects.get(pk=alert.pk).status == "pending"
    alerts_sweep(now=report.due_at + dt.timedelta(minutes=1))
    alert.refresh_from_db()
    assert alert.status == "delivered"
    assert alert_escalate(alert.pk, now=alert.next_escalation_at + dt.timedelta(seconds=1))


def test_report_submitted_in_time_does_not_fire(pregnancy, obstetrician):
    risk_assessment_create(
        actor=obstetrician, pregnancy=pregnancy, criteria=[], measurements={"pasp_mmhg": 55}
    )
    report = RiskReport.objects.get()
    risk_report_submit(actor=obstetrician, report=report, summary="Reported by phone and form")
    alerts_sweep(now=report.due_at + HOUR)
    alert = Alert.objects.get(kind="report_due")
    assert alert.status == "resolved" and not InboxItem.objects.filter(alert=alert).exists()


# --- re-arming ------------------------------------------------------------------------------------------


def _acknowledged(pregnancy, user, kind="report_due", key="report_due:x"):
    alert = alert_raise(kind=kind, dedup_key=key, pregnancy=pregnancy, target_user=user)
    alerts_sweep(now=timezone.now())
    alert_acknowledge(actor=user, item=InboxItem.objects.get(alert=alert, user=user), note="On it")
    return Alert.objects.get(pk=alert.pk)


def test_acknowledged_alert_with_an_open_cause_re_arms_after_its_window(pregnancy, obstetrician, settings):
    alert = _acknowledged(pregnancy, obstetrician)
    assert (
        alerts_rearm(
            now=timezone.now() + dt.timedelta(minutes=settings.ALERT_REARM_MINUTES["report_due"] - 1)
        )
        == 0
    )
    assert (
        alerts_rearm(
            now=timezone.now() + dt.timedelta(minutes=settings.ALERT_REARM_MINUTES["report_due"] + 1)
        )
        == 1
    )
    alert.refresh_from_db()
    assert alert.status == "delivered" and alert.next_escalation_at is not None
    assert InboxItem.objects.get(alert=alert).read_at is None


def test_resolved_or_unlisted_alerts_do_not_re_arm(pregnancy, obstetrician):
    resolved = _acknowledged(pregnancy, obstetrician)
    alert_resolve(dedup_key=resolved.dedup_key)
    one_off = _acknowledged(pregnancy, obstetrician, kind="consult_invitation", key="consult_invitation:y")
    assert alerts_rearm(now=timezone.now() + dt.timedelta(days=30)) == 0
    assert Alert.objects.get(pk=one_off.pk).status == "acknowledged"
    assert Alert.objects.get(pk=resolved.pk).status == "resolved"
