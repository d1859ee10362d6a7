"""The "needs referral" alert: resolved by an open referral, back (new cause) when that referral is
declined or cancelled while she still needs one and has no other open referral."""

import datetime as dt

import pytest
from django.utils import timezone

from accounts.choices import Role
from cases.models import Pregnancy
from facilities.choices import Tier
from notifications.models import Alert
from referrals.services import referral_cancel, referral_decline, referral_request
from risk.services import risk_assessment_create
from tests.factories import FacilityFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def orange_below_tier(pregnancy, obstetrician):
    """Orange at a county hospital with no critical care centre: she needs a referral."""
    risk_assessment_create(actor=obstetrician, pregnancy=pregnancy, criteria=[], measurements={"hb_g_l": 50})
    pregnancy.refresh_from_db()
    assert (pregnancy.risk_color, pregnancy.needs_referral) == ("orange", True)
    return pregnancy


@pytest.fixture
def receiver(city):
    """A tertiary hospital without a critical care designation (so it may decline) and its obstetrician."""
    hospital = FacilityFactory(tier=Tier.TERTIARY, region=city)
    return UserFactory(facility=hospital, roles=[Role.OBSTETRICIAN])


def refer(obstetrician, pregnancy, receiver):
    return referral_request(
        actor=obstetrician,
        pregnancy=pregnancy,
        to_facility=receiver.facility,
        urgency="routine",
        reason="Orange: Hb 50 g/L",
    )


def needs_referral_alerts(pregnancy):
    return Alert.objects.filter(kind="needs_referral", pregnancy=pregnancy).order_by("id")


def test_a_declined_referral_brings_the_alert_back_due_when_the_first_was(
    orange_below_tier, obstetrician, receiver
):
    referral = refer(obstetrician, orange_below_tier, receiver)
    first = needs_referral_alerts(orange_below_tier).get()
    assert first.status == "resolved"
    referral_decline(actor=receiver, referral=referral, reason="No beds")
    first_again, back = needs_referral_alerts(orange_below_tier)
    assert first_again.status == "resolved"
    assert back.dedup_key == f"needs_referral:{orange_below_tier.external_id}:orange:{referral.external_id}"
    assert (back.status, back.severity, back.target_role) == ("pending", "urgent", "obstetrician")
    assert back.due_at == first.due_at  # the 24 hours from the grade do not restart


def test_a_cancelled_referral_brings_it_back_and_a_new_referral_resolves_it(
    orange_below_tier, obstetrician, receiver
):
    referral = refer(obstetrician, orange_below_tier, receiver)
    referral_cancel(actor=obstetrician, referral=referral, reason="Wrong hospital")
    back = needs_referral_alerts(orange_below_tier).get(status="pending")
    assert referral.external_id.hex in back.dedup_key.replace("-", "")
    second = refer(obstetrician, orange_below_tier, receiver)
    back.refresh_from_db()
    assert back.status == "resolved"
    # a second failed referral brings it back once more, under its own cause
    referral_cancel(actor=obstetrician, referral=second, reason="Family refused")
    assert needs_referral_alerts(orange_below_tier).filter(status="pending").count() == 1
    assert needs_referral_alerts(orange_below_tier).count() == 3


def test_a_late_decline_makes_it_due_at_once(orange_below_tier, obstetrician, receiver):
    referral = refer(obstetrician, orange_below_tier, receiver)
    Alert.objects.filter(kind="needs_referral").update(due_at=timezone.now() - dt.timedelta(hours=1))
    before = timezone.now()
    referral_decline(actor=receiver, referral=referral, reason="No beds")
    back = needs_referral_alerts(orange_below_tier).get(status="pending")
    assert back.due_at >= before


def test_not_back_when_the_referral_is_redirected(orange_below_tier, obstetrician, receiver, city):
    """A redirect closes one referral but opens the next: she is still being referred."""
    from referrals.services import referral_redirect

    third = FacilityFactory(tier=Tier.TERTIARY, region=city)
    referral = refer(obstetrician, orange_below_tier, receiver)
    referral_redirect(
        actor=receiver, referral=referral, to_facility=third, reason="Full: try the city centre"
    )
    assert list(needs_referral_alerts(orange_below_tier).values_list("status", flat=True)) == ["resolved"]


def test_not_back_when_she_no_longer_needs_a_referral(orange_below_tier, obstetrician, receiver):
    referral = refer(obstetrician, orange_below_tier, receiver)
    Pregnancy.objects.filter(pk=orange_below_tier.pk).update(needs_referral=False)
    referral_cancel(actor=obstetrician, referral=referral, reason="Seen by the MDT: stays here")
    assert list(needs_referral_alerts(orange_below_tier).values_list("status", flat=True)) == ["resolved"]
