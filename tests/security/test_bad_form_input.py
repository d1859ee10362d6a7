"""Hostile and mistaken input to the main HTML forms: the form comes back with the error on the field (or,
for the one-line acknowledgement, a redirect carrying the error), and not one row changed anywhere.

Each row is one form with data that works (``test_form_baseline_is_accepted``: a redirect to the saved
record) and the ways it goes wrong. The pages share the services with the API, so this table is about the
form layer: parsing, field limits, NUL characters, and that a service error lands on the page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest
from django.utils import timezone

from accounts.choices import Role, Title
from cases.services import pregnancy_set_risk
from consults import services as consult_services
from facilities.choices import Capability, CriticalCareLevel, Specialty, Tier
from notifications.models import InboxItem
from notifications.services import alerts_sweep
from tests.cases.test_pages import registration_form, resident_id, visit_form
from tests.factories import FacilityFactory, UserFactory

from .test_bad_input import HUGE, NUL, row_counts

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def local(days: float = 0, hours: float = 0) -> str:
    moment = timezone.localtime() + dt.timedelta(days=days, hours=hours)
    return moment.strftime("%Y-%m-%dT%H:%M")


def day(n: int) -> str:
    return str(timezone.localdate() + dt.timedelta(days=n))


@dataclass
class Form:
    name: str
    stage: str
    actor: str
    path: str
    valid: dict
    bad: list[tuple[str, dict]] = field(default_factory=list)
    # the view answers a refused acknowledgement with a redirect and a message, not a form
    redirects_with_error: bool = False


def _newborn(**over):
    data = {
        "newborns-TOTAL_FORMS": "1",
        "newborns-INITIAL_FORMS": "1",
        "newborns-MIN_NUM_FORMS": "0",
        "newborns-MAX_NUM_FORMS": "8",
        "newborns-0-outcome": "live_birth",
        "newborns-0-sex": "female",
        "newborns-0-weight_g": "3200",
        "newborns-0-apgar_1": "8",
        "newborns-0-apgar_5": "9",
    }
    return {**data, **over}


FORMS = [
    Form(
        "registration",
        "nothing",
        "midwife",
        "/cases/register/",
        registration_form(id_number=resident_id(seq="004")),
        [
            ("name too long", {"name": HUGE}),
            ("NUL in name", {"name": NUL}),
            ("LMP in the future", {"lmp": day(20)}),
            ("gravida as text", {"gravida": "two"}),
            ("more births than pregnancies", {"gravida": "1", "para": "3"}),
            ("ID number with a wrong checksum", {"id_number": "110101199003071235"}),
            ("unknown infection status", {"hiv_status": "<script>"}),
            ("address with NUL", {"address": NUL}),
        ],
    ),
    Form(
        "emergency arrival",
        "nothing",
        "midwife",
        "/cases/emergency/",
        {"estimated_age_years": "28", "estimated_ga_weeks": "36", "sbp_mmhg": "120", "dbp_mmhg": "80"},
        [
            ("60 weeks pregnant", {"estimated_ga_weeks": "60"}),
            ("age 200", {"estimated_age_years": "200"}),
            ("systolic 900", {"sbp_mmhg": "900"}),
            ("systolic as text", {"sbp_mmhg": "high"}),
            ("complaint with NUL", {"chief_complaint": NUL}),
            ("complaint too long", {"chief_complaint": HUGE}),
        ],
    ),
    Form(
        "visit entry",
        "pregnancy",
        "midwife",
        "/cases/pregnancies/{pregnancy}/visits/new/",
        visit_form(),
        [
            ("systolic 400", {"sbp_mmhg": "400"}),
            ("pulse negative", {"pulse_bpm": "-60"}),
            ("visit in the future", {"visited_at": local(days=2)}),
            ("next visit before today", {"next_visit_date": day(-3)}),
            ("NUL in notes", {"notes": NUL}),
            ("notes too long", {"notes": HUGE}),
            ("temperature not a number", {"temperature_c": "NaN"}),
        ],
    ),
    Form(
        "delivery",
        "pregnancy",
        "midwife",
        "/cases/pregnancies/{pregnancy}/delivery/new/",
        {
            "delivered_at": local(hours=-2),
            "mode": "spontaneous_vaginal",
            "facility": "{facility}",
            **_newborn(),
        },
        [
            ("delivered in the future", {"delivered_at": local(days=1)}),
            ("newborn of 30 kg", _newborn(**{"newborns-0-weight_g": "30000"})),
            ("Apgar 11", _newborn(**{"newborns-0-apgar_5": "11"})),
            ("negative blood loss", {"blood_loss_ml": "-1"}),
            ("unknown mode", {"mode": "'; DROP TABLE cases_delivery; --"}),
        ],
    ),
    Form(
        "grading",
        "pregnancy",
        "obstetrician",
        "/risk/pregnancies/{pregnancy}/grade/",
        {"stage": "assessment", "m_pasp_mmhg": "55"},
        [
            ("PASP negative", {"m_pasp_mmhg": "-55"}),
            ("PASP absurd", {"m_pasp_mmhg": "1e308"}),
            ("PASP as text", {"m_pasp_mmhg": "high"}),
            ("haemoglobin 5000", {"m_hb_g_l": "5000"}),
            ("override below without reason", {"override_color": "green"}),
        ],
    ),
    Form(
        "referral",
        "red",
        "obstetrician",
        "/referrals/new/?pregnancy={pregnancy}",
        {
            "to_facility": "{centre}",
            "urgency": "emergency",
            "purpose": "care",
            "reason": "Eclampsia, one fit, MgSO4 given",
            "transport": "ambulance_120",
            "decided_at": local(hours=-1),
        },
        [
            ("no reason", {"reason": ""}),
            ("NUL in reason", {"reason": NUL}),
            ("facility not a UUID", {"to_facility": "1 OR 1=1"}),
            ("decided tomorrow", {"decided_at": local(days=1)}),
            ("decided in 1999", {"decided_at": "1999-01-01T10:00"}),
            ("unknown urgency", {"urgency": "<b>now</b>"}),
        ],
    ),
    Form(
        "consult request",
        "pregnancy",
        "obstetrician",
        "/consults/new/?pregnancy={pregnancy}",
        {
            "urgency": "routine",
            "question": "Continue the pregnancy?",
            "specialties": ["cardiology"],
            "coordinating_facility": "{home_pk}",
        },
        [
            ("no question", {"question": ""}),
            ("NUL in question", {"question": NUL}),
            ("question too long", {"question": HUGE}),
            ("unknown specialty", {"specialties": ["astrology"]}),
            ("coordinating facility not a number", {"coordinating_facility": "x' OR 1=1"}),
        ],
    ),
    Form(
        "consult schedule",
        "consult",
        "coordinator",
        "/consults/{consult}/schedule/",
        {
            "date": "{date}",
            "start_time": "{start_time}",
            "end_time": "{end_time}",
            "location": "MDT room 3",
            "meeting_url": "",
            "participants": ["{cardiologist}"],
            "save": "1",
        },
        [
            ("ends before it starts", {"start_time": "{end_time}", "end_time": "{start_time}"}),
            ("in year 9999", {"date": "9999-12-31"}),
            ("date not a date", {"date": "next Tuesday"}),
            ("NUL in location", {"location": NUL}),
            ("meeting link with a script scheme", {"location": "", "meeting_url": "javascript:alert(1)"}),
            ("participant unknown", {"participants": ["99999999"]}),
        ],
    ),
    Form(
        "acknowledge",
        "alerted",
        "obstetrician",
        "/notifications/{inbox_item}/acknowledge/",
        {"note": "Seen, calling her now"},
        [("note too long", {"note": "x" * 1001}), ("NUL in note", {"note": NUL})],
        redirects_with_error=True,
    ),
]

BAD_CASES = [(f, label, change) for f in FORMS for label, change in f.bad]


@pytest.fixture
def cast(obstetrician, midwife, pregnancy, city, home_facility):
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
    return {
        "obstetrician": obstetrician,
        "midwife": midwife,
        "pregnancy": pregnancy,
        "centre": centre,
        "coordinator": UserFactory(facility=home_facility, roles=[Role.MDT_COORDINATOR], specialty=""),
        "cardiologist": UserFactory(
            facility=centre, roles=[Role.SPECIALIST], specialty=Specialty.CARDIOLOGY, title=Title.CHIEF
        ),
    }


def prepare(cast, stage: str) -> dict:
    pregnancy = cast["pregnancy"]
    start = timezone.localtime().replace(second=0, microsecond=0) + dt.timedelta(hours=2)
    if start.hour == 23:  # the form takes one date and two times of day: not across midnight
        start += dt.timedelta(hours=1)
    ids = {
        "pregnancy": str(pregnancy.external_id),
        "facility": str(pregnancy.managing_facility.external_id),
        "home_pk": str(pregnancy.managing_facility.pk),
        "centre": str(cast["centre"].external_id),
        "cardiologist": str(cast["cardiologist"].pk),
        "date": start.date().isoformat(),
        "start_time": start.strftime("%H:%M"),
        "end_time": (start + dt.timedelta(hours=1)).strftime("%H:%M"),
    }
    if stage == "red":
        pregnancy_set_risk(pregnancy=pregnancy, risk_color="red")
    if stage == "consult":
        consult = consult_services.consult_request(
            actor=cast["obstetrician"],
            pregnancy=pregnancy,
            urgency="routine",
            question="Continue?",
            specialties=["cardiology"],
        )
        ids["consult"] = str(consult.external_id)
    if stage == "alerted":
        pregnancy_set_risk(pregnancy=pregnancy, risk_color="red")
        from risk.services import risk_assessment_create

        risk_assessment_create(
            actor=cast["obstetrician"], pregnancy=pregnancy, criteria=[], measurements={"pasp_mmhg": 55}
        )
        alerts_sweep(now=timezone.now())
        ids["inbox_item"] = str(InboxItem.objects.filter(user=cast["obstetrician"]).first().external_id)
    return ids


def fill(value, ids):
    if isinstance(value, str) and "{" in value and len(value) < 200:
        return value.format(**ids)
    if isinstance(value, list):
        return [fill(v, ids) for v in value]
    return value


def post(client, form: Form, data: dict, ids: dict):
    return client.post(fill(form.path, ids), {k: fill(v, ids) for k, v in data.items()}, **EN)


def field_errors(response) -> dict:
    """The errors the page shows: the bound form's (and formset's) errors from the template context."""
    errors = {}
    for name in ("form", "formset"):
        bound = response.context.get(name) if response.context else None
        if bound is None:
            continue
        if name == "formset":
            errors.update({f"newborn.{k}": v for f in bound.forms for k, v in f.errors.items()})
            errors.update({"newborns": e for e in bound.non_form_errors()})
        else:
            errors.update(bound.errors)
    return errors


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f.name)
def test_form_baseline_is_accepted(client, cast, form):
    ids = prepare(cast, form.stage)
    client.force_login(cast[form.actor])
    response = post(client, form, form.valid, ids)
    assert response.status_code == 302, field_errors(response) or response.content[:500]
    if form.redirects_with_error:
        messages = [m.level_tag for m in response.wsgi_request._messages]
        assert "error" not in messages


@pytest.mark.parametrize(
    ("form", "label", "change"), BAD_CASES, ids=[f"{f.name}: {label}" for f, label, _ in BAD_CASES]
)
def test_bad_form_input_shows_an_error_and_changes_nothing(client, cast, form, label, change):
    ids = prepare(cast, form.stage)
    client.force_login(cast[form.actor])  # signing in writes an audit row: before the snapshot
    before = row_counts()
    response = post(client, form, {**form.valid, **change}, ids)
    if form.redirects_with_error:
        assert response.status_code == 302, (label, response.status_code)
        assert [m.level_tag for m in response.wsgi_request._messages] == ["error"], label
    else:
        assert response.status_code in (200, 400), (label, response.status_code)
        assert field_errors(response), (label, response.content[:300])
    after = row_counts()
    assert after == before, {t: (before[t], after[t]) for t in before if before[t] != after[t]}
