"""``referrals_visible_to(actor, few=True)`` (her scope tested on each referral's woman, for pages that
select a few referrals by key) gives exactly the referrals of the list form (``pregnancy IN (her
scope)``), for every kind of actor and every way a referral can be hers."""

import datetime as dt

import pytest
from django.utils import timezone

from accounts.choices import Role
from cases.choices import GrantLevel
from cases.services import break_glass_open, pregnancy_access_grant, pregnancy_access_grant_user
from referrals.access import access_referral_by_id, referrals_visible_to
from referrals.models import Referral
from tests.factories import FacilityFactory, PregnancyFactory, UserFactory

pytestmark = pytest.mark.django_db


def refer(pregnancy, from_facility, to_facility, clinician) -> Referral:
    when = timezone.now() - dt.timedelta(hours=3)
    return Referral.objects.create(
        pregnancy=pregnancy,
        from_facility=from_facility,
        to_facility=to_facility,
        direction="up",
        urgency="urgent",
        reason="Severe pre-eclampsia",
        sending_clinician=clinician,
        requested_at=when,
        clock_started_at=when,
    )


def test_a_few_referrals_are_the_lists_for_every_actor(
    midwife, obstetrician, outsider, supervisor, auditor, home_facility, other_facility
):
    third, fourth = FacilityFactory(), FacilityFactory()
    refer(PregnancyFactory(managing_facility=home_facility), home_facility, third, obstetrician)
    refer(
        PregnancyFactory(managing_facility=third, follow_up_facility=home_facility), third, fourth, outsider
    )
    refer(PregnancyFactory(managing_facility=third), third, home_facility, outsider)  # to her facility
    refer(PregnancyFactory(managing_facility=third), other_facility, fourth, outsider)  # from the outsider's
    granted = PregnancyFactory(managing_facility=fourth)
    refer(granted, fourth, third, outsider)
    pregnancy_access_grant(
        actor=outsider, pregnancy=granted, facility=home_facility, level=GrantLevel.READ, reason="consult"
    )
    personal = PregnancyFactory(managing_facility=fourth)
    refer(personal, fourth, third, outsider)
    pregnancy_access_grant_user(actor=outsider, pregnancy=personal, user=midwife, reason="MDT")
    glass = PregnancyFactory(managing_facility=fourth)
    refer(glass, fourth, third, outsider)
    break_glass_open(actor=obstetrician, pregnancy_id=glass.external_id, reason="Collapsed in the corridor")
    refer(PregnancyFactory(managing_facility=third), third, fourth, outsider)  # nobody's here
    specialist = UserFactory(facility=home_facility, roles=[Role.SPECIALIST])  # sees women, no referral work

    seen = {}
    for actor in (midwife, obstetrician, outsider, supervisor, auditor, specialist):
        listed = set(referrals_visible_to(actor).values_list("pk", flat=True))
        few = set(referrals_visible_to(actor, few=True).values_list("pk", flat=True))
        assert few == listed, actor.username
        for referral in Referral.objects.all():  # and one by one, by key, as a referral's page asks
            one = referrals_visible_to(actor, few=True).filter(external_id=referral.external_id).exists()
            assert one == (referral.pk in listed), (actor.username, referral.pk)
        seen[actor.username] = len(listed)
    # the kinds are not trivially empty: her facility's three, the group grant, her own grant, the glass
    assert seen["midwife"] == 5 and seen["obstetrician"] == 5 and seen["outsider"] >= 1
    assert seen["auditor"] == 0
    assert access_referral_by_id(midwife, Referral.objects.get(pregnancy=personal).external_id)
