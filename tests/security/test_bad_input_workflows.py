"""Hostile and mistaken input to the workflow endpoints (referrals, consultations, alerts, follow-ups,
grading, the woman's record): a clear 400 that names the field (404 for an id that is not a UUID),
and not one row changed anywhere.

Each row is one endpoint reached from a *stage* — the state the workflow must be in for the step to be
legal, built through the API as a clinician would — with a body that works (``test_workflow_baseline_is_
accepted``) and the ways people and programs get it wrong.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

import pytest
from django.utils import timezone

from accounts.choices import Role, Title
from cases.choices import CareTaskKind
from cases.models import BreakGlassAccess
from cases.services import care_task_open
from consults.models import Consult
from facilities.choices import Capability, CriticalCareLevel, Specialty, Tier
from notifications.models import InboxItem
from notifications.services import alerts_sweep
from reminders.models import FollowUp
from reminders.services import followup_recompute
from risk.models import CaseManagement, RiskReport
from tests.factories import FacilityFactory, PatientFactory, UserFactory

from .test_bad_input import HUGE, NUL, SURROGATE, days, moment, row_counts

pytestmark = pytest.mark.django_db

NOT_A_UUID = "1 OR 1=1"
SQL = "x'); DROP TABLE referrals_referral; --"


@dataclass
class Step:
    name: str
    stage: str  # a function of STAGES: builds the state, returns the ids the path and bodies use
    actor: str  # a key of the cast
    path: str
    valid: dict
    bad: list[tuple[str, dict]] = field(default_factory=list)
    method: str = "post"
    # a path whose {id} is not a UUID must be a 404 (existence is never revealed), with no change
    bad_id_path: str | None = None


def _participants(cast):
    return [{"user": str(cast["cardiologist"].external_id), "specialty": "cardiology"}]


def _start(hours):
    return (timezone.now() + dt.timedelta(hours=hours)).isoformat()


STEPS = [
    # -- referrals -----------------------------------------------------------------------------------
    Step(
        "refer",
        "pregnancy",
        "obstetrician",
        "/api/v1/referrals/",
        {"pregnancy": "{pregnancy}", "to_facility": "{centre}", "urgency": "urgent", "reason": "Severe PE"},
        [
            ("pregnancy not a UUID", {"pregnancy": NOT_A_UUID}),
            ("facility not a UUID", {"to_facility": "<script>"}),
            ("unknown urgency", {"urgency": "yesterday"}),
            ("reason empty", {"reason": ""}),
            ("reason too long", {"reason": HUGE}),
            ("NUL in reason", {"reason": NUL}),
            ("lone surrogate in reason", {"reason": SURROGATE}),
            ("escort too long", {"escort": "x" * 201}),
            ("unknown transport", {"transport": "helicopter'--"}),
            ("decided in the future", {"decided_at": moment(2)}),
            ("decided in year 1", {"decided_at": "0001-01-01T00:00:00Z"}),
            ("management transfer as text", {"transfers_management": "perhaps"}),
        ],
    ),
    Step(
        "accept a referral",
        "referral",
        "centre_doctor",
        "/api/v1/referrals/{referral}/accept/",
        {},
        bad_id_path="/api/v1/referrals/{bad}/accept/",
    ),
    Step(
        "decline a referral",
        "referral",
        "centre_doctor",
        "/api/v1/referrals/{referral}/decline/",
        {"reason": "No ICU bed tonight"},
        [
            ("reason empty", {"reason": ""}),
            ("reason as a list", {"reason": ["no"]}),
            ("reason too long", {"reason": HUGE}),
            ("NUL in reason", {"reason": NUL}),
        ],
        bad_id_path="/api/v1/referrals/{bad}/decline/",
    ),
    Step(
        "cancel a referral",
        "referral",
        "obstetrician",
        "/api/v1/referrals/{referral}/cancel/",
        {"reason": "She improved"},
        [("reason empty", {"reason": ""}), ("lone surrogate in reason", {"reason": SURROGATE})],
    ),
    Step(
        "redirect a referral",
        "referral",
        "centre_doctor",
        "/api/v1/referrals/{referral}/redirect/",
        {"to_facility": "{other_centre}", "reason": "Needs cardiac surgery"},
        [
            ("facility not a UUID", {"to_facility": SQL}),
            ("facility unknown", {"to_facility": "00000000-0000-0000-0000-000000000000"}),
            ("reason empty", {"reason": ""}),
            ("NUL in reason", {"reason": NUL}),
        ],
    ),
    Step(
        "comment on a referral",
        "referral",
        "obstetrician",
        "/api/v1/referrals/{referral}/comments/",
        {"text": "BP 170/110 at 14:00"},
        [
            ("text empty", {"text": ""}),
            ("text as an object", {"text": {"a": 1}}),
            ("text too long", {"text": HUGE}),
            ("NUL in text", {"text": NUL}),
            ("lone surrogate in text", {"text": SURROGATE}),
        ],
    ),
    Step(
        "depart",
        "referral_accepted",
        "obstetrician",
        "/api/v1/referrals/{referral}/depart/",
        {"transport": "ambulance_120", "escort": "Dr Li"},
        [
            ("unknown transport", {"transport": "teleport"}),
            ("escort too long", {"escort": HUGE}),
            ("NUL in escort", {"escort": NUL}),
        ],
    ),
    Step(
        "arrive",
        "referral_departed",
        "centre_doctor",
        "/api/v1/referrals/{referral}/arrive/",
        {},
        bad_id_path="/api/v1/referrals/{bad}/arrive/",
    ),
    Step(
        "complete a referral",
        "referral_arrived",
        "centre_doctor",
        "/api/v1/referrals/{referral}/complete/",
        {"summary": "Delivered by CS", "disposition": "Returned to county care"},
        [
            ("summary empty", {"summary": ""}),
            ("summary too long", {"summary": HUGE}),
            ("NUL in disposition", {"disposition": NUL}),
            ("treatment as an object", {"treatment": {"a": 1}}),
        ],
    ),
    # -- consultations -------------------------------------------------------------------------------
    Step(
        "request a consult",
        "pregnancy",
        "obstetrician",
        "/api/v1/consults/",
        {
            "pregnancy": "{pregnancy}",
            "urgency": "routine",
            "question": "Continue?",
            "specialties": ["cardiology"],
        },
        [
            ("pregnancy not a UUID", {"pregnancy": NOT_A_UUID}),
            ("unknown urgency", {"urgency": "asap"}),
            ("unknown specialty", {"specialties": ["<b>astrology</b>"]}),
            ("specialties not a list", {"specialties": "cardiology"}),
            ("too many specialties", {"specialties": ["cardiology"] * 26}),
            ("question too long", {"question": HUGE}),
            ("NUL in question", {"question": NUL}),
            ("lone surrogate in question", {"question": SURROGATE}),
            ("coordinating facility not a UUID", {"coordinating_facility": "42"}),
        ],
    ),
    Step(
        "schedule a consult",
        "consult",
        "coordinator",
        "/api/v1/consults/{consult}/schedule/",
        {"start": "{start}", "end": "{end}", "location": "MDT room 3", "participants": "{participants}"},
        [
            ("ends before it starts", {"start": "{end}", "end": "{start}"}),
            ("start not a date", {"start": "tomorrow at noon"}),
            ("participant not a UUID", {"participants": [{"user": NOT_A_UUID, "specialty": "cardiology"}]}),
            ("participants not a list", {"participants": "everyone"}),
            ("meeting link with a script scheme", {"meeting_url": "javascript:alert(1)"}),
            ("starts yesterday", {"start": "{yesterday}", "end": "{start}"}),
            (
                "starts in year 9999",
                {"start": "9999-12-31T08:00:00+08:00", "end": "9999-12-31T09:00:00+08:00"},
            ),
            ("lasts three days", {"end": "{three_days}"}),
            ("no participant", {"participants": []}),
            ("location too long", {"location": HUGE}),
            ("NUL in location", {"location": NUL}),
        ],
    ),
    Step(
        "cancel a consult",
        "consult",
        "obstetrician",
        "/api/v1/consults/{consult}/cancel/",
        {"reason": "She delivered"},
        [("reason empty", {"reason": ""}), ("reason too long", {"reason": HUGE})],
    ),
    Step(
        "accept an invitation",
        "consult_scheduled",
        "cardiologist",
        "/api/v1/invitations/{invitation}/accept/",
        {},
        bad_id_path="/api/v1/invitations/{bad}/accept/",
    ),
    Step(
        "decline an invitation",
        "consult_scheduled",
        "cardiologist",
        "/api/v1/invitations/{invitation}/decline/",
        {"reason": "In theatre"},
        [("reason too long", {"reason": "x" * 501}), ("NUL in reason", {"reason": NUL})],
    ),
    Step(
        "give an opinion",
        "consult_accepted",
        "cardiologist",
        "/api/v1/consults/{consult}/opinions/",
        {"specialty": "cardiology", "text": "PAH moderate", "attendance": "remote"},
        [
            ("unknown specialty", {"specialty": "'; --"}),
            ("text empty", {"text": ""}),
            ("text too long", {"text": HUGE}),
            ("NUL in text", {"text": NUL}),
            ("lone surrogate in text", {"text": SURROGATE}),
            ("unknown attendance", {"attendance": "telepathy"}),
        ],
    ),
    Step(
        "sign a decision",
        "consult_ready",
        "cardiologist",
        "/api/v1/consults/{consult}/sign/",
        {"decision_kind": "continue", "decision": "Continue with monthly echo"},
        [
            ("unknown decision kind", {"decision_kind": "whatever"}),
            ("decision empty", {"decision": ""}),
            ("NUL in decision", {"decision": NUL}),
        ],
    ),
    Step(
        "conclude a consult",
        "consult_ready",
        "cardiologist",
        "/api/v1/consults/{consult}/conclude/",
        {"recommendations": "Deliver at 34 weeks", "decision_kind": "continue", "decision": "Continue"},
        [
            ("recommendations empty", {"recommendations": ""}),
            ("follow-up in the past", {"follow_up_on": days(-3)}),
            ("follow-up not a date", {"follow_up_on": "soon"}),
            ("actions not a list", {"actions": "do things"}),
            ("action owner not a UUID", {"actions": [{"owner": NOT_A_UUID, "due": days(7), "text": "x"}]}),
            (
                "action due in year 9999",
                {"actions": [{"owner": "{midwife}", "due": "9999-12-31", "text": "x"}]},
            ),
            ("NUL in decision", {"decision": NUL}),
        ],
    ),
    Step(
        "add an addendum",
        "consult_concluded",
        "cardiologist",
        "/api/v1/consults/{consult}/addenda/",
        {"text": "Correction: echo every 3 weeks"},
        [
            ("text empty", {"text": ""}),
            ("text too long", {"text": HUGE}),
            ("NUL in text", {"text": NUL}),
            ("lone surrogate in text", {"text": SURROGATE}),
        ],
    ),
    Step(
        "complete an action item",
        "consult_concluded",
        "midwife",
        "/api/v1/consult-actions/{action}/complete/",
        {"note": "Echo done"},
        [("note too long", {"note": HUGE}), ("NUL in note", {"note": NUL})],
        bad_id_path="/api/v1/consult-actions/{bad}/complete/",
    ),
    # -- alerts, follow-ups --------------------------------------------------------------------------
    Step(
        "acknowledge an alert",
        "graded",
        "obstetrician",
        "/api/v1/notifications/{inbox_item}/acknowledge/",
        {"note": "Seen, calling her now"},
        [
            ("note too long", {"note": HUGE}),
            ("NUL in note", {"note": NUL}),
            ("note as a list", {"note": ["x"]}),
        ],
        bad_id_path="/api/v1/notifications/{bad}/acknowledge/",
    ),
    Step(
        "keep tracing",
        "followed",
        "obstetrician",
        "/api/v1/follow-ups/{follow_up}/keep-tracing/",
        {"reason": "Sister says she will come on Monday"},
        [
            ("reason empty", {"reason": ""}),
            ("reason too long", {"reason": HUGE}),
            ("NUL in reason", {"reason": NUL}),
        ],
    ),
    Step(
        "confirm lost",
        "followed",
        "obstetrician",
        "/api/v1/follow-ups/{follow_up}/confirm-lost/",
        {"reason": "Moved away"},
        [("reason empty", {"reason": ""}), ("lone surrogate in reason", {"reason": SURROGATE})],
    ),
    # -- grading ---------------------------------------------------------------------------------------
    Step(
        "grade preview",
        "pregnancy",
        "obstetrician",
        "/api/v1/risk/grade/",
        {"measurements": {"pasp_mmhg": 55}},
        [
            ("measurement as text", {"measurements": {"pasp_mmhg": "high"}}),
            ("measurements as a list", {"measurements": [55]}),
            ("measurement infinite", {"measurements": {"pasp_mmhg": "Infinity"}}),
            ("measurement absurd", {"measurements": {"pasp_mmhg": 1e308}}),
            ("measurement negative", {"measurements": {"pasp_mmhg": -55}}),
            ("unknown measurement", {"measurements": {"<script>": 1}}),
            ("measurement nested", {"measurements": {"pasp_mmhg": {"value": 55}}}),
            ("unknown criterion", {"criteria": ["NOPE-1"]}),
            ("criterion code injection", {"criteria": ["' OR '1'='1"]}),
            ("criteria not a list", {"criteria": "R-CARDIO-PAH"}),
        ],
    ),
    Step(
        "co-sign",
        "pending_cosign",
        "senior",
        "/api/v1/risk-assessments/{assessment}/cosign/",
        {"approve": True},
        [
            ("approve as text", {"approve": "perhaps"}),
            ("note too long", {"note": HUGE}),
            ("NUL in note", {"note": NUL}),
        ],
        bad_id_path="/api/v1/risk-assessments/{bad}/cosign/",
    ),
    Step(
        "submit a report",
        "graded",
        "obstetrician",
        "/api/v1/risk/reports/{report}/submit/",
        {"summary": "PAH 55 mmHg, MDT booked"},
        [
            ("summary empty", {"summary": ""}),
            ("summary too long", {"summary": HUGE}),
            ("NUL in summary", {"summary": NUL}),
            ("plan as an object", {"management_plan": {"a": 1}}),
        ],
    ),
    Step(
        "update case management",
        "graded",
        "obstetrician",
        "/api/v1/case-management/{case}/",
        {"plan": "Weekly visits, echo monthly"},
        [
            ("manager not a UUID", {"manager": NOT_A_UUID}),
            ("plan too long", {"plan": HUGE}),
            ("NUL in plan", {"plan": NUL}),
        ],
        method="patch",
    ),
    # -- the woman's record ----------------------------------------------------------------------------
    Step(
        "update a woman",
        "pregnancy",
        "obstetrician",
        "/api/v1/patients/{patient}/",
        {"address": "3 Riverside Road", "phone": "+8613800138000"},
        [
            ("name empty", {"name": ""}),
            ("name too long", {"name": HUGE}),
            ("NUL in address", {"address": NUL}),
            ("lone surrogate in name", {"name": SURROGATE}),
            ("born in the future", {"birth_date": days(30)}),
            ("born 150 years ago", {"birth_date": "1870-01-01"}),
            ("ID number with a wrong checksum", {"id_number": "110101199003071235"}),
            ("unknown document type", {"document_type": "<script>"}),
            ("residence region not a code", {"residence_region": SQL}),
            ("phone with markup", {"phone": "<b>13800138000</b>"}),
            ("emergency contact phone too long", {"emergency_contact_phone": "1" * 31}),
        ],
        method="patch",
        bad_id_path="/api/v1/patients/{bad}/",
    ),
    Step(
        "record a consent",
        "pregnancy",
        "obstetrician",
        "/api/v1/patients/{patient}/consents/",
        {"purpose": "care", "version": "2026.1"},
        [
            ("unknown purpose", {"purpose": "marketing"}),
            ("version empty", {"version": ""}),
            ("version too long", {"version": "1" * 21}),
            ("given in the future", {"given_on": days(5)}),
            ("unknown giver", {"given_by": "neighbour"}),
            ("NUL in version", {"version": NUL}),
        ],
    ),
    Step(
        "merge records",
        "duplicate",
        "obstetrician",
        "/api/v1/patients/{patient}/merge/",
        {"duplicate": "{duplicate}", "reason": "Same woman, ID card brought by husband"},
        [
            ("duplicate not a UUID", {"duplicate": NOT_A_UUID}),
            ("merge into herself", {"duplicate": "{patient}"}),
            ("reason empty", {"reason": ""}),
            ("reason too long", {"reason": HUGE}),
        ],
    ),
    Step(
        "reveal the ID number",
        "pregnancy",
        "obstetrician",
        "/api/v1/patients/{patient}/reveal-id/",
        {"reason": "handbook check"},
        [("reason too long", {"reason": HUGE}), ("NUL in reason", {"reason": NUL})],
    ),
    Step(
        "update a pregnancy",
        "pregnancy",
        "obstetrician",
        "/api/v1/pregnancies/{pregnancy}/",
        {"next_visit_date": days(14), "gravida": 2, "para": 1},
        [
            ("next visit in the past", {"next_visit_date": days(-30)}),
            ("next visit in year 9999", {"next_visit_date": "9999-12-31"}),
            ("gravida negative", {"gravida": -1}),
            ("gravida absurd", {"gravida": 2**63}),
            ("more births than pregnancies", {"gravida": 1, "para": 3}),
            ("no fetus", {"fetuses": 0}),
            ("clinician not a UUID", {"responsible_clinician": NOT_A_UUID}),
        ],
        method="patch",
    ),
    Step(
        "record infection status",
        "pregnancy",
        "obstetrician",
        "/api/v1/pregnancies/{pregnancy}/infection-status/",
        {"hiv_status": "negative", "syphilis_status": "negative"},
        [("unknown status", {"hiv_status": "maybe"}), ("status as a list", {"hbv_status": ["negative"]})],
    ),
    Step(
        "record a discharge",
        "delivered",
        "obstetrician",
        "/api/v1/pregnancies/{pregnancy}/discharge/",
        {"discharged_at": moment(-0.01)},
        [
            ("discharged before the birth", {"discharged_at": moment(-2)}),
            ("discharged tomorrow", {"discharged_at": moment(1)}),
            ("not a moment", {"discharged_at": "after lunch"}),
            ("discharged in year 9999", {"discharged_at": "9999-12-31T23:59:59Z"}),
        ],
    ),
    Step(
        "complete a care task",
        "care_task",
        "obstetrician",
        "/api/v1/care-tasks/{care_task}/complete/",
        {},
        bad_id_path="/api/v1/care-tasks/{bad}/complete/",
    ),
    Step(
        "review an emergency access",
        "broken_glass",
        "auditor",
        "/api/v1/break-glass/{access}/review/",
        {"note": "Justified: unconscious on arrival"},
        [
            ("note too long", {"note": HUGE}),
            ("NUL in note", {"note": NUL}),
            ("note as a list", {"note": ["x"]}),
        ],
        bad_id_path="/api/v1/break-glass/{bad}/review/",
    ),
    Step(
        "open emergency access",
        "pregnancy",
        "outsider",
        "/api/v1/pregnancies/{pregnancy}/break-glass/",
        {"reason": "Unconscious in our emergency room"},
        [
            ("reason empty", {"reason": ""}),
            ("reason too short", {"reason": "x"}),
            ("reason of spaces", {"reason": " " * 40}),
            ("lone surrogate in reason", {"reason": SURROGATE}),
            ("reason too long", {"reason": HUGE}),
            ("NUL in reason", {"reason": NUL}),
        ],
    ),
]

BAD_CASES = [(s, label, change) for s in STEPS for label, change in s.bad]
BAD_IDS = [s for s in STEPS if s.bad_id_path]


# -- the cast and the stages --------------------------------------------------------------------------


@pytest.fixture
def cast(obstetrician, midwife, outsider, auditor, pregnancy, city, province, home_facility):
    pregnancy.lmp = timezone.localdate() - dt.timedelta(days=20 * 7)
    pregnancy.edd = pregnancy.lmp + dt.timedelta(days=280)
    pregnancy.responsible_clinician = obstetrician
    pregnancy.save(update_fields=["lmp", "edd", "responsible_clinician"])
    centre = FacilityFactory(
        tier=Tier.TERTIARY,
        critical_care_level=CriticalCareLevel.CITY,
        region=city,
        capabilities=[Capability.OBSTETRIC_ICU, Capability.NICU, Capability.DELIVERY],
    )
    other_centre = FacilityFactory(
        tier=Tier.TERTIARY,
        critical_care_level=CriticalCareLevel.PROVINCE,
        region=province,
        capabilities=[Capability.OBSTETRIC_ICU, Capability.CARDIAC_SURGERY],
    )
    return {
        "obstetrician": obstetrician,
        "midwife": midwife,
        "outsider": outsider,
        "auditor": auditor,
        "pregnancy": pregnancy,
        "centre": centre,
        "other_centre": other_centre,
        "centre_doctor": UserFactory(facility=centre, roles=[Role.OBSTETRICIAN]),
        "coordinator": UserFactory(facility=home_facility, roles=[Role.MDT_COORDINATOR], specialty=""),
        "cardiologist": UserFactory(
            facility=centre, roles=[Role.SPECIALIST], specialty=Specialty.CARDIOLOGY, title=Title.CHIEF
        ),
        "senior": UserFactory(facility=home_facility, roles=[Role.OBSTETRICIAN], title=Title.CHIEF),
    }


def _ok(response):
    assert response.status_code in (200, 201), response.content[:500]
    return response.json()


def _base(api, cast):
    return {
        "pregnancy": str(cast["pregnancy"].external_id),
        "patient": str(cast["pregnancy"].patient.external_id),
        "centre": str(cast["centre"].external_id),
        "other_centre": str(cast["other_centre"].external_id),
        "midwife": str(cast["midwife"].external_id),
        "start": _start(2),
        "end": _start(3),
        "yesterday": _start(-24),
        "three_days": _start(72),
        "participants": _participants(cast),
    }


def _referral(api, cast, ids, accepted=False, departed=False, arrived=False):
    body = {"pregnancy": ids["pregnancy"], "to_facility": ids["centre"], "urgency": "urgent", "reason": "PE"}
    referral = _ok(api.as_user(cast["obstetrician"]).post("/api/v1/referrals/", body, format="json"))["id"]
    if accepted or departed or arrived:
        _ok(api.as_user(cast["centre_doctor"]).post(f"/api/v1/referrals/{referral}/accept/"))
    if departed or arrived:
        _ok(api.as_user(cast["obstetrician"]).post(f"/api/v1/referrals/{referral}/depart/"))
    if arrived:
        _ok(api.as_user(cast["centre_doctor"]).post(f"/api/v1/referrals/{referral}/arrive/"))
    return {**ids, "referral": referral}


def _consult(api, cast, ids, scheduled=False, accepted=False, opinion=False, concluded=False):
    body = {
        "pregnancy": ids["pregnancy"],
        "urgency": "routine",
        "question": "Continue?",
        "specialties": ["cardiology"],
    }
    consult = _ok(api.as_user(cast["obstetrician"]).post("/api/v1/consults/", body, format="json"))["id"]
    ids = {**ids, "consult": consult}
    if not scheduled:
        return ids
    schedule = {
        "start": ids["start"],
        "end": ids["end"],
        "location": "MDT room",
        "participants": ids["participants"],
    }
    _ok(
        api.as_user(cast["coordinator"]).post(
            f"/api/v1/consults/{consult}/schedule/", schedule, format="json"
        )
    )
    invitation = Consult.objects.get(external_id=consult).participants.get(user=cast["cardiologist"])
    ids["invitation"] = str(invitation.external_id)
    cardio = api.as_user(cast["cardiologist"])
    if accepted:
        _ok(cardio.post(f"/api/v1/invitations/{invitation.external_id}/accept/"))
    if opinion:
        _ok(
            cardio.post(
                f"/api/v1/consults/{consult}/opinions/",
                {"specialty": "cardiology", "text": "ok"},
                format="json",
            )
        )
    if concluded:
        action = {"owner": ids["midwife"], "due": days(7), "text": "Weekly BNP"}
        body = {
            "recommendations": "r",
            "decision_kind": "continue",
            "decision": "Continue",
            "actions": [action],
        }
        done = _ok(cardio.post(f"/api/v1/consults/{consult}/conclude/", body, format="json"))
        ids["action"] = str(Consult.objects.get(external_id=done["id"]).actions.get().external_id)
    return ids


def _graded(api, cast, ids):
    url = f"/api/v1/pregnancies/{ids['pregnancy']}/risk-assessments/"
    _ok(api.as_user(cast["obstetrician"]).post(url, {"measurements": {"pasp_mmhg": 55}}, format="json"))
    alerts_sweep(now=timezone.now())
    pregnancy = cast["pregnancy"]
    item = InboxItem.objects.filter(user=cast["obstetrician"], alert__pregnancy=pregnancy).first()
    return {
        **ids,
        "case": str(CaseManagement.objects.get(pregnancy=pregnancy).external_id),
        "report": str(RiskReport.objects.get(pregnancy=pregnancy).external_id),
        "inbox_item": str(item.external_id) if item else "no-inbox-item",
    }


def _pending_cosign(api, cast, ids):
    url = f"/api/v1/pregnancies/{ids['pregnancy']}/risk-assessments/"
    client = api.as_user(cast["obstetrician"])
    _ok(client.post(url, {"measurements": {"hb_g_l": 50}}, format="json"))
    body = {
        "measurements": {"hb_g_l": 100},
        "unticked_reasons": {"O-HEME-SEVERE-ANEMIA": "Hb 100 after iron"},
    }
    return {**ids, "assessment": _ok(client.post(url, body, format="json"))["id"]}


def _followed(api, cast, ids):
    pregnancy = cast["pregnancy"]
    pregnancy.booked_on = timezone.localdate()
    pregnancy.save(update_fields=["booked_on"])
    followup_recompute(pregnancy=pregnancy)
    window = FollowUp.objects.exclude(status="closed").get(pregnancy=pregnancy)
    FollowUp.objects.filter(pk=window.pk).update(status="lost_proposed")
    return {**ids, "follow_up": str(window.external_id)}


def _duplicate(api, cast, ids):
    twin = PatientFactory(
        registered_facility=cast["pregnancy"].managing_facility, name=cast["pregnancy"].patient.name
    )
    return {**ids, "duplicate": str(twin.external_id)}


def _delivered(api, cast, ids):
    newborn = {"outcome": "live_birth", "sex": "female", "weight_g": 3200, "apgar_1": 8, "apgar_5": 9}
    body = {"delivered_at": moment(-1), "mode": "spontaneous_vaginal", "newborns": [newborn]}
    _ok(
        api.as_user(cast["obstetrician"]).post(
            f"/api/v1/pregnancies/{ids['pregnancy']}/delivery/", body, format="json"
        )
    )
    return ids


def _care_task(api, cast, ids):
    task = care_task_open(
        pregnancy=cast["pregnancy"],
        kind=CareTaskKind.MERGE_REVIEW,
        facility=cast["pregnancy"].managing_facility,
    )
    return {**ids, "care_task": str(task.external_id)}


def _broken_glass(api, cast, ids):
    url = f"/api/v1/pregnancies/{ids['pregnancy']}/break-glass/"
    _ok(
        api.as_user(cast["outsider"]).post(
            url, {"reason": "Unconscious in our emergency room"}, format="json"
        )
    )
    return {**ids, "access": str(BreakGlassAccess.objects.get().external_id)}


STAGES = {
    "delivered": _delivered,
    "care_task": _care_task,
    "broken_glass": _broken_glass,
    "pregnancy": lambda api, cast, ids: ids,
    "referral": lambda api, cast, ids: _referral(api, cast, ids),
    "referral_accepted": lambda api, cast, ids: _referral(api, cast, ids, accepted=True),
    "referral_departed": lambda api, cast, ids: _referral(api, cast, ids, departed=True),
    "referral_arrived": lambda api, cast, ids: _referral(api, cast, ids, arrived=True),
    "consult": lambda api, cast, ids: _consult(api, cast, ids),
    "consult_scheduled": lambda api, cast, ids: _consult(api, cast, ids, scheduled=True),
    "consult_accepted": lambda api, cast, ids: _consult(api, cast, ids, scheduled=True, accepted=True),
    "consult_ready": lambda api, cast, ids: _consult(
        api, cast, ids, scheduled=True, accepted=True, opinion=True
    ),
    "consult_concluded": lambda api, cast, ids: _consult(
        api, cast, ids, scheduled=True, accepted=True, opinion=True, concluded=True
    ),
    "graded": _graded,
    "pending_cosign": _pending_cosign,
    "followed": _followed,
    "duplicate": _duplicate,
}


def fill(value, ids):
    if isinstance(value, str) and value.startswith("{") and value.endswith("}") and value[1:-1] in ids:
        return ids[value[1:-1]]
    if isinstance(value, str) and "{" in value and len(value) < 200:
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, ids) for v in value]
    return value


def send(client, step: Step, body: dict, ids: dict, path: str | None = None):
    return client.generic(
        step.method.upper(),
        fill(path or step.path, ids),
        json.dumps(fill(body, ids)),
        content_type="application/json",
    )


def prepare(api, cast, step: Step) -> dict:
    return STAGES[step.stage](api, cast, _base(api, cast))


@pytest.mark.parametrize("step", STEPS, ids=lambda s: s.name)
def test_workflow_baseline_is_accepted(api, cast, step):
    ids = prepare(api, cast, step)
    response = send(api.as_user(cast[step.actor]), step, step.valid, ids)
    assert response.status_code in (200, 201), response.content[:500]


@pytest.mark.parametrize(
    ("step", "label", "change"), BAD_CASES, ids=[f"{s.name}: {label}" for s, label, _ in BAD_CASES]
)
def test_bad_workflow_input_is_refused_and_changes_nothing(api, cast, step, label, change):
    ids = prepare(api, cast, step)
    client = api.as_user(cast[step.actor])  # signing in writes an audit row: before the snapshot
    before = row_counts()
    response = send(client, step, {**step.valid, **change}, ids)
    assert response.status_code == 400, (label, response.status_code, response.content[:300])
    body = response.json()
    assert body["message"] and body["errors"], body
    after = row_counts()
    assert after == before, {t: (before[t], after[t]) for t in before if before[t] != after[t]}


@pytest.mark.parametrize("step", BAD_IDS, ids=lambda s: s.name)
@pytest.mark.parametrize("bad", ["not-a-uuid", "1%20OR%201=1", "00000000-0000-0000-0000-000000000000"])
def test_id_that_is_not_one_of_hers_is_a_404_and_changes_nothing(api, cast, step, bad):
    ids = prepare(api, cast, step)
    client = api.as_user(cast[step.actor])
    before = row_counts()
    response = send(client, step, step.valid, {**ids, "bad": bad}, path=step.bad_id_path)
    assert response.status_code == 404, (bad, response.status_code, response.content[:300])
    assert row_counts() == before
