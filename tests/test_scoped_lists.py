"""The lists of rows about women (care tasks, case managements, follow-up windows) select by the copies of
each woman's facilities on the row (``pregnancy_scope(actor, on="pregnancy_")``): exactly the rows whose
woman is one the actor may see (``pregnancy IN pregnancies_visible_to(actor)``, the rule as it reads on the
pregnancy), for every kind of actor and every way a woman can be hers, before and after women move."""

import pytest
from django.db.models import Q

from accounts.choices import Role
from cases.access import pregnancies_visible_to
from cases.choices import GrantLevel
from cases.models import CareTask
from cases.selectors import care_task_list
from cases.services import break_glass_open, pregnancy_access_grant, pregnancy_access_grant_user
from reminders.models import FollowUp
from reminders.selectors import followup_list
from risk.models import CaseManagement
from risk.selectors import case_management_list
from tests.factories import FacilityFactory, PregnancyFactory, UserFactory
from tests.rows import care_task, case_management, follow_up

pytestmark = pytest.mark.django_db


def _rule(actor):
    """Each list by the rule on the pregnancy, with the list's own other conditions."""
    women = pregnancies_visible_to(actor)
    tasks = CareTask.objects.filter(pregnancy__in=women, facility_id=actor.facility_id, status="open")
    windows = FollowUp.objects.filter(pregnancy__in=women).exclude(status="closed")
    if actor.facility_id is not None:
        windows = windows.filter(Q(facility_id=actor.facility_id) | Q(managing_facility_id=actor.facility_id))
    return {
        "care tasks": set(tasks.values_list("pk", flat=True)) if actor.facility_id else set(),
        "case managements": set(
            CaseManagement.objects.filter(pregnancy__in=women, status="open").values_list("pk", flat=True)
        ),
        "follow-up windows": set(windows.values_list("pk", flat=True)),
    }


def _listed(actor):
    return {
        "care tasks": set(care_task_list(actor=actor).values_list("pk", flat=True)),
        "case managements": set(case_management_list(actor=actor).values_list("pk", flat=True)),
        "follow-up windows": set(followup_list(actor=actor).values_list("pk", flat=True)),
    }


def test_every_list_is_the_rule_for_every_actor(
    midwife, obstetrician, outsider, supervisor, auditor, home_facility, other_facility
):
    third = FacilityFactory()
    specialist = UserFactory(facility=home_facility, roles=[Role.SPECIALIST])
    actors = (midwife, obstetrician, outsider, supervisor, auditor, specialist)
    women = {
        "managed here": PregnancyFactory(managing_facility=home_facility),
        "followed up here": PregnancyFactory(managing_facility=third, follow_up_facility=home_facility),
        "elsewhere": PregnancyFactory(managing_facility=third),
        "group grant": PregnancyFactory(managing_facility=third),
        "own grant": PregnancyFactory(managing_facility=third),
        "glass": PregnancyFactory(managing_facility=other_facility),
    }
    for woman in women.values():
        for make in (care_task, case_management, follow_up):
            make(woman, home_facility, obstetrician)
    pregnancy_access_grant(
        actor=outsider,
        pregnancy=women["group grant"],
        facility=home_facility,
        level=GrantLevel.READ,
        reason="consult",
    )
    pregnancy_access_grant_user(actor=outsider, pregnancy=women["own grant"], user=midwife, reason="MDT")
    break_glass_open(
        actor=obstetrician, pregnancy_id=women["glass"].external_id, reason="Collapsed at the gate"
    )

    def check():
        sizes = {}
        for actor in actors:
            listed = _listed(actor)
            assert listed == _rule(actor), actor.username
            sizes[actor.username] = {name: len(rows) for name, rows in listed.items()}
        return sizes

    sizes = check()
    # her tasks and cases: managed, followed up, group and own grant; windows: of her facility only
    assert sizes["midwife"] == {"care tasks": 4, "case managements": 4, "follow-up windows": 2}
    assert sizes["obstetrician"]["case managements"] == 4  # managed, followed up, group grant, glass
    assert sizes["auditor"] == {"care tasks": 0, "case managements": 0, "follow-up windows": 0}
    # the women move: one transferred here, one no longer followed up here
    women["elsewhere"].managing_facility = home_facility
    women["elsewhere"].save(update_fields=["managing_facility"])
    women["followed up here"].follow_up_facility = None
    women["followed up here"].save(update_fields=["follow_up_facility"])
    sizes = check()
    assert sizes["midwife"]["case managements"] == 4
    assert sizes["obstetrician"]["case managements"] == 4
