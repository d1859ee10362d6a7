"""``referrals_visible_to(actor)`` (her scope on the copies of the woman's facilities that each referral
carries) gives exactly the referrals of the rule (the woman is one she may see, or the referral is from or
to her facility and she takes part in referrals), for every kind of actor and every way a referral can be
hers, also after transfers, follow-up changes and a merge have moved the women."""

import pytest

from accounts.choices import Role
from cases.access import pregnancy_scope
from cases.choices import GrantLevel
from cases.models import Pregnancy
from cases.services import break_glass_open, pregnancy_access_grant, pregnancy_access_grant_user
from core.errors import NotFound
from referrals.access import access_referral_by_id, referrals_visible_to, takes_part_in_referrals
from referrals.models import Referral
from tests import rows
from tests.factories import FacilityFactory, PregnancyFactory, UserFactory

pytestmark = pytest.mark.django_db


def refer(pregnancy, from_facility, to_facility, clinician) -> Referral:
    return rows.referral(pregnancy, to_facility, clinician, from_facility=from_facility, hours_ago=3)


def _same_as_the_rule(actors) -> dict[str, int]:
    """Each actor's referrals as a list, and one by one by key (as a referral's page and each step ask),
    equal the rule
    checked on each referral's current woman; how many each sees."""
    seen = {}
    for actor in actors:
        listed = set(referrals_visible_to(actor).values_list("pk", flat=True))
        women = Pregnancy.objects.filter(pregnancy_scope(actor, "view"))
        ruled = {
            referral.pk
            for referral in Referral.objects.all()
            if women.filter(pk=referral.pregnancy_id).exists()
            or (
                takes_part_in_referrals(actor)
                and actor.facility_id in (referral.from_facility_id, referral.to_facility_id)
            )
        }
        assert listed == ruled, actor.username
        for referral in Referral.objects.all():
            one = referrals_visible_to(actor).filter(external_id=referral.external_id).exists()
            assert one == (referral.pk in listed), (actor.username, referral.pk)
            # the one-referral read (her facility's sides first, then the whole rule) agrees
            try:
                opened = access_referral_by_id(actor, referral.external_id).pk == referral.pk
            except NotFound:
                opened = False
            assert opened == (referral.pk in listed), (actor.username, referral.pk)
        seen[actor.username] = len(listed)
    return seen


def test_the_referrals_of_every_actor_follow_the_rule(
    midwife, obstetrician, outsider, supervisor, auditor, home_facility, other_facility
):
    third, fourth = FacilityFactory(), FacilityFactory()
    refer(PregnancyFactory(managing_facility=home_facility), home_facility, third, obstetrician)
    refer(
        PregnancyFactory(managing_facility=third, follow_up_facility=home_facility), third, fourth, outsider
    )
    refer(PregnancyFactory(managing_facility=third), third, home_facility, outsider)  # to her facility
    from_outsiders = refer(PregnancyFactory(managing_facility=third), other_facility, fourth, outsider)
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
    nobodys = refer(PregnancyFactory(managing_facility=third), third, fourth, outsider)
    specialist = UserFactory(facility=home_facility, roles=[Role.SPECIALIST])  # sees women, no referral work

    actors = (midwife, obstetrician, outsider, supervisor, auditor, specialist)
    seen = _same_as_the_rule(actors)
    # the kinds are not trivially empty: her facility's three, the group grant, her own grant, the glass
    assert seen["midwife"] == 5 and seen["obstetrician"] == 5 and seen["outsider"] >= 1
    assert seen["auditor"] == 0
    # the women move: one transferred to her facility, one no longer followed up there, one followed up
    # there from now on, one merged into a woman of hers
    Pregnancy.objects.filter(pk=nobodys.pregnancy_id).update(managing_facility=home_facility)
    followed = Pregnancy.objects.get(follow_up_facility=home_facility)
    followed.follow_up_facility = None
    followed.save(update_fields=["follow_up_facility"])
    now_followed = from_outsiders.pregnancy
    now_followed.follow_up_facility = home_facility
    now_followed.save()
    merged_into = PregnancyFactory(managing_facility=home_facility)
    Referral.objects.filter(pregnancy=personal).update(pregnancy=merged_into)
    seen = _same_as_the_rule(actors)
    # +1 transferred, -1 no longer followed up, +1 followed up; the merged woman's referral: the midwife
    # saw it through her grant, the obstetrician now through the managing facility
    assert seen["midwife"] == 6 and seen["obstetrician"] == 7
    assert access_referral_by_id(midwife, Referral.objects.get(pregnancy=merged_into).external_id)


def test_her_facilitys_referral_is_read_in_one_statement_with_what_it_shows(
    obstetrician, home_facility, other_facility, django_assert_num_queries
):
    """Staff who take part in referrals open their facility's in one prepared statement (``_own_side``)
    that joins the woman, both facilities and the clinicians: reading them afterwards asks nothing more."""
    from referrals.access import SHOWN_WITH, STEP_NEEDS

    referral = refer(
        PregnancyFactory(managing_facility=home_facility), home_facility, other_facility, obstetrician
    )
    Referral.objects.filter(pk=referral.pk).update(accepted_by=obstetrician)

    for related in (SHOWN_WITH, STEP_NEEDS):
        with django_assert_num_queries(1):
            opened = access_referral_by_id(obstetrician, str(referral.external_id), related=related)
        with django_assert_num_queries(0):
            assert opened.pregnancy.patient.pk == referral.pregnancy.patient_id
            assert (opened.from_facility.pk, opened.to_facility.pk) == (home_facility.pk, other_facility.pk)
        if related is SHOWN_WITH:
            with django_assert_num_queries(0):
                assert opened.sending_clinician.pk == obstetrician.pk
                assert opened.accepted_by.pk == obstetrician.pk
        fresh = Referral.objects.get(pk=referral.pk)
        assert {f.attname: getattr(opened, f.attname) for f in Referral._meta.concrete_fields} == {
            f.attname: getattr(fresh, f.attname) for f in Referral._meta.concrete_fields
        }
