"""Every step of the referral state machine, in every state, by every kind of person (through the API).

The table below is the contract written out by hand: which steps are legal in which state, and which
side takes each step. For each (state, step) the same referral is tried by six people, each attempt in
its own savepoint that is rolled back, so every person meets the referral in exactly that state.

Check order: no view → 404; wrong side or a role without the action → 403; illegal state → 409.
"""

import pytest
from django.db import transaction

from accounts.choices import Role
from facilities.choices import Tier
from referrals import services
from referrals.models import Referral
from tests.factories import FacilityFactory, UserFactory

pytestmark = pytest.mark.django_db

STATES = ["requested", "accepted", "departed", "arrived", "completed", "declined", "cancelled", "redirected"]
STEPS = ["accept", "decline", "redirect", "cancel", "depart", "arrive", "complete"]

# The legal steps of each state (issue 5: requested → accepted / declined / cancelled / redirected;
# accepted → departed → arrived → completed; the sender may cancel after acceptance too).
LEGAL = {
    "requested": {"accept", "decline", "redirect", "cancel"},
    "accepted": {"cancel", "depart"},
    "departed": {"arrive"},
    "arrived": {"complete"},
    "completed": set(),
    "declined": set(),
    "cancelled": set(),
    "redirected": set(),
}
SIDE = {
    "accept": "receiver",
    "decline": "receiver",
    "redirect": "receiver",
    "arrive": "receiver",
    "complete": "receiver",
    "cancel": "sender",
    "depart": "sender",
}
AFTER = {
    "accept": "accepted",
    "decline": "declined",
    "redirect": "redirected",
    "cancel": "cancelled",
    "depart": "departed",
    "arrive": "arrived",
    "complete": "completed",
}
# Who may take a step on her side: the sending side's clinicians refer (obstetricians and midwives),
# the receiving side's obstetricians accept, decline, redirect, record arrival and complete.
ACTORS = [
    "sender_obstetrician",
    "sender_midwife",
    "receiver_obstetrician",
    "receiver_midwife",
    "outsider",
    "supervisor",
]
MAY_ACT = {
    "sender": {"sender_obstetrician", "sender_midwife"},
    "receiver": {"receiver_obstetrician"},
}
SIDE_OF = {
    "sender_obstetrician": "sender",
    "sender_midwife": "sender",
    "receiver_obstetrician": "receiver",
    "receiver_midwife": "receiver",
    "supervisor": None,
}


def expected_status(state: str, step: str, actor: str) -> int:
    if actor == "outsider":
        return 404
    side = SIDE[step]
    if SIDE_OF[actor] != side or actor not in MAY_ACT[side]:
        return 403
    return 200 if step in LEGAL[state] else 409


@pytest.fixture
def loop(home_facility, city, obstetrician, midwife, outsider, supervisor):
    """A tertiary hospital without a critical-care designation (so it may decline), a third facility to
    redirect to, and a routine referral of a green woman from the county hospital."""
    receiving = FacilityFactory(name_en="City General", tier=Tier.TERTIARY, region=city)
    third = FacilityFactory(name_en="Another city hospital", tier=Tier.TERTIARY, region=city)
    people = {
        "sender_obstetrician": obstetrician,
        "sender_midwife": midwife,
        "receiver_obstetrician": UserFactory(facility=receiving, roles=[Role.OBSTETRICIAN]),
        "receiver_midwife": UserFactory(facility=receiving, roles=[Role.MIDWIFE]),
        "outsider": outsider,
        "supervisor": supervisor,
    }
    return {"receiving": receiving, "third": third, "people": people}


def bring_to(state: str, pregnancy, loop) -> Referral:
    sender, receiver = loop["people"]["sender_obstetrician"], loop["people"]["receiver_obstetrician"]
    referral = services.referral_request(
        actor=sender, pregnancy=pregnancy, to_facility=loop["receiving"], urgency="routine", reason="Grading"
    )
    path = {
        "requested": [],
        "accepted": ["accept"],
        "departed": ["accept", "depart"],
        "arrived": ["accept", "depart", "arrive"],
        "completed": ["accept", "depart", "arrive", "complete"],
        "declined": ["decline"],
        "cancelled": ["cancel"],
        "redirected": ["redirect"],
    }[state]
    for step in path:
        if step == "accept":
            services.referral_accept(actor=receiver, referral=referral)
        elif step == "depart":
            services.referral_depart(actor=sender, referral=referral)
        elif step == "arrive":
            services.referral_arrive(actor=receiver, referral=referral)
        elif step == "complete":
            services.referral_complete(actor=receiver, referral=referral, findings="Seen", disposition="Home")
        elif step == "decline":
            services.referral_decline(actor=receiver, referral=referral, reason="No beds")
        elif step == "cancel":
            services.referral_cancel(actor=sender, referral=referral, reason="Delivered on site")
        elif step == "redirect":
            services.referral_redirect(
                actor=receiver, referral=referral, to_facility=loop["third"], reason="No NICU today"
            )
    referral.refresh_from_db()
    assert referral.status == state
    return referral


def body_for(step: str, loop) -> dict:
    return {
        "decline": {"reason": "No obstetric beds"},
        "cancel": {"reason": "She delivered here"},
        "redirect": {"to_facility": str(loop["third"].external_id), "reason": "Needs a NICU"},
        "complete": {"summary": "Normal delivery", "disposition": "Home on day 3"},
    }.get(step, {})


@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize("state", STATES)
def test_every_step_in_every_state_by_every_person(state, step, pregnancy, loop, api):
    referral = bring_to(state, pregnancy, loop)
    url = f"/api/v1/referrals/{referral.external_id}/{step}/"
    seen = {}
    for actor in ACTORS:
        client = api.as_user(loop["people"][actor])
        with transaction.atomic():
            response = client.post(url, body_for(step, loop), format="json")
            seen[actor] = response.status_code
            status_now = Referral.objects.values_list("status", flat=True).get(pk=referral.pk)
            if response.status_code == 200:
                assert response.json()["status"] == AFTER[step] == status_now
            else:
                assert set(response.json()) == {"message", "errors"}
                assert status_now == state, f"{actor} {step} changed the referral"
            transaction.set_rollback(True)
    assert seen == {actor: expected_status(state, step, actor) for actor in ACTORS}
