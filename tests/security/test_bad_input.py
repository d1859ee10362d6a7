"""Hostile and mistaken input to every write endpoint of the registry and grading: a clear 400 that
names the field, and not one row changed anywhere.

Each row of the table is one endpoint with a body that works (proved by ``test_baseline_is_accepted``)
and the ways people and programs get it wrong: wrong types, huge and malformed strings, dates in the
wrong order or in the future, negative and absurd clinical values.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def row_counts() -> dict[str, int]:
    """Exact row counts of every table of the project's own apps (those whose code lives in this
    repository, whatever apps are added later), in one query."""
    tables = sorted(
        model._meta.db_table
        for config in apps.get_app_configs()
        if Path(config.path).resolve().is_relative_to(ROOT) and ".venv" not in Path(config.path).parts
        for model in config.get_models()
        if model._meta.managed and not model._meta.proxy
    )
    sql = " UNION ALL ".join(f"SELECT '{t}', COUNT(*) FROM \"{t}\"" for t in tables)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return dict(cursor.fetchall())


def today() -> dt.date:
    return timezone.localdate()


def days(n: int) -> str:
    return str(today() + dt.timedelta(days=n))


def moment(n_days: float) -> str:
    return (timezone.now() + dt.timedelta(days=n_days)).isoformat()


HUGE = "字" * 100_001
NUL = "before\x00after"
SURROGATE = "before\ud800after"


@dataclass
class Endpoint:
    name: str
    path: str  # {pregnancy} and {patient} are filled in
    valid: dict
    bad: list[tuple[str, dict]] = field(default_factory=list)
    method: str = "post"


def _newborn(**over):
    return {"outcome": "live_birth", "sex": "female", "weight_g": 3200, "apgar_1": 8, "apgar_5": 9, **over}


ENDPOINTS = [
    Endpoint(
        "register a woman",
        "/api/v1/patients/",
        {"name": "李梅", "birth_date": "1994-03-07"},
        [
            ("name as a list", {"name": ["李梅"]}),
            ("name as an object", {"name": {"zh": "李梅"}}),
            ("name too long", {"name": HUGE}),
            ("NUL in name", {"name": NUL}),
            ("lone surrogate in name", {"name": SURROGATE}),
            ("born in the future", {"birth_date": days(30)}),
            ("born 150 years ago", {"birth_date": "1870-01-01"}),
            ("date in local format", {"birth_date": "07/03/1994"}),
            ("ID number with a wrong checksum", {"id_number": "110101199003071235"}),
            ("ID number too short", {"id_number": "12345"}),
            ("residence region not a code", {"residence_region": "'; DROP TABLE cases_patient; --"}),
            ("unknown document type", {"document_type": "<script>"}),
        ],
    ),
    Endpoint(
        "book a pregnancy",
        "/api/v1/pregnancies/",
        {"patient": "{patient}", "lmp": days(-12 * 7)},
        [
            ("LMP in the future", {"lmp": days(20)}),
            ("LMP two years ago", {"lmp": days(-730)}),
            ("patient not a UUID", {"patient": "1 OR 1=1"}),
            ("gravida negative", {"gravida": -1}),
            ("gravida as text", {"gravida": "two"}),
            ("more births than pregnancies", {"gravida": 1, "para": 3}),
            ("no fetus", {"fetuses": 0}),
            ("booked before the LMP", {"booked_on": days(-13 * 7)}),
            ("booked in the future", {"booked_on": days(3)}),
            ("EDD ten months away", {"lmp": None, "edd": days(320)}),
        ],
    ),
    Endpoint(
        "record a visit",
        "/api/v1/pregnancies/{pregnancy}/visits/",
        {"kind": "antenatal", "sbp_mmhg": 118, "dbp_mmhg": 72, "next_visit_date": days(14)},
        [
            ("systolic as text", {"sbp_mmhg": "high"}),
            ("systolic beyond 64 bits", {"sbp_mmhg": 2**64}),
            ("negative pulse", {"pulse_bpm": -60}),
            ("temperature not a number", {"temperature_c": "NaN"}),
            ("temperature infinite", {"temperature_c": "Infinity"}),
            ("temperature absurd", {"temperature_c": "1e10"}),
            ("SpO2 above 100", {"spo2_pct": 140}),
            ("visit in the future", {"visited_at": moment(2)}),
            ("next visit before this one", {"next_visit_date": days(-3)}),
            ("next visit in year 9999", {"next_visit_date": "9999-12-31"}),
            ("notes too long", {"notes": HUGE}),
            ("NUL in notes", {"notes": NUL}),
            ("unknown kind", {"kind": "antenatal'--"}),
            ("confirmations not a list", {"confirm_unusual": "sbp_mmhg"}),
        ],
    ),
    Endpoint(
        "record a delivery",
        "/api/v1/pregnancies/{pregnancy}/delivery/",
        {"delivered_at": moment(-0.1), "mode": "spontaneous_vaginal", "newborns": [_newborn()]},
        [
            ("delivered in the future", {"delivered_at": moment(1)}),
            ("no newborn", {"newborns": []}),
            ("negative blood loss", {"blood_loss_ml": -1}),
            ("Apgar above 10", {"newborns": [_newborn(apgar_5=11)]}),
            ("newborn of 30 kg", {"newborns": [_newborn(weight_g=30000)]}),
            ("discharged before delivery", {"discharged_at": moment(-1)}),
            ("unknown complication", {"complications": ["<img src=x onerror=alert(1)>"]}),
            ("newborns not a list", {"newborns": _newborn()}),
        ],
    ),
    Endpoint(
        "report a near miss",
        "/api/v1/pregnancies/{pregnancy}/near-misses/",
        {"occurred_at": moment(-0.1), "criteria": ["shock"]},
        [
            ("no criterion", {"criteria": []}),
            ("unknown criterion", {"criteria": ["bogus"]}),
            ("in the future", {"occurred_at": moment(1)}),
        ],
    ),
    Endpoint(
        "report a maternal death",
        "/api/v1/pregnancies/{pregnancy}/maternal-death/",
        {"died_at": moment(-0.1), "cause": "Amniotic fluid embolism", "icd10": "O88.1"},
        [
            ("no cause", {"cause": ""}),
            ("in the future", {"died_at": moment(1)}),
            ("ICD-10 code too long", {"icd10": "O88.1" * 10}),
        ],
    ),
    Endpoint(
        "date by ultrasound",
        "/api/v1/pregnancies/{pregnancy}/datings/",
        {"method": "ultrasound", "scan_date": days(-7), "ga_days_at_scan": 19 * 7 + 2},
        [
            ("unknown method", {"method": "guess"}),
            ("scan in the future", {"scan_date": days(5)}),
            ("negative gestational age at the scan", {"ga_days_at_scan": -4}),
            ("gestational age as text", {"ga_days_at_scan": "big"}),
            ("scan before the LMP", {"scan_date": days(-30 * 7)}),
        ],
    ),
    Endpoint(
        "change status",
        "/api/v1/pregnancies/{pregnancy}/transition/",
        {"status": "lost_to_follow_up", "reason": "Three calls unanswered, address moved"},
        [
            ("unknown status", {"status": "deleted"}),
            ("no reason", {"reason": ""}),
            ("reason too long", {"reason": HUGE}),
        ],
    ),
    Endpoint(
        "end a pregnancy",
        "/api/v1/pregnancies/{pregnancy}/end/",
        {"outcome": "miscarriage", "ended_on": days(-1)},
        [
            ("ended in the future", {"ended_on": days(3)}),
            ("ended before the LMP", {"ended_on": days(-200)}),
            ("outcome 'delivery' goes through the delivery form", {"outcome": "delivery"}),
        ],
    ),
    Endpoint(
        "register an emergency arrival",
        "/api/v1/emergency-registrations/",
        {"estimated_age_years": 28, "estimated_ga_weeks": 36, "vitals": {"sbp_mmhg": 90}},
        [
            ("age 200", {"estimated_age_years": 200}),
            ("age 3", {"estimated_age_years": 3}),
            ("60 weeks pregnant", {"estimated_ga_weeks": 60}),
            ("arrives tomorrow", {"arrived_at": moment(1)}),
            ("vitals not an object", {"vitals": [90, 60]}),
            ("systolic 900", {"vitals": {"sbp_mmhg": 900}}),
            ("complaint too long", {"chief_complaint": HUGE}),
        ],
    ),
    Endpoint(
        "grade",
        "/api/v1/pregnancies/{pregnancy}/risk-assessments/",
        {"measurements": {"pasp_mmhg": 55}},
        [
            ("measurement as text", {"measurements": {"pasp_mmhg": "high"}}),
            ("measurements as a list", {"measurements": [55]}),
            ("measurement negative", {"measurements": {"pasp_mmhg": -55}}),
            ("measurement absurd", {"measurements": {"pasp_mmhg": 1e308}}),
            ("haemoglobin of 5000 g/L", {"measurements": {"hb_g_l": 5000}}),
            ("unknown criterion", {"criteria": ["NOPE-1"]}),
            ("criterion code injection", {"criteria": ["' OR '1'='1"]}),
        ],
    ),
    Endpoint(
        "record observations",
        "/api/v1/pregnancies/{pregnancy}/observations/",
        {"sbp_mmhg": 120, "dbp_mmhg": 80, "pulse_bpm": 80, "respiratory_rate": 16, "spo2_pct": 98},
        [
            ("systolic 1000", {"sbp_mmhg": 1000}),
            ("SpO2 150", {"spo2_pct": 150}),
            ("negative respiratory rate", {"respiratory_rate": -2}),
            ("taken tomorrow", {"taken_at": moment(1)}),
        ],
    ),
]

BAD_CASES = [(e, label, change) for e in ENDPOINTS for label, change in e.bad]


@pytest.fixture
def setting(obstetrician, pregnancy):
    """The pregnancy has an LMP 20 weeks ago and a responsible clinician; a second woman is registered
    without a pregnancy, for booking."""
    pregnancy.lmp = today() - dt.timedelta(days=20 * 7)
    pregnancy.edd = pregnancy.lmp + dt.timedelta(days=280)
    pregnancy.responsible_clinician = obstetrician
    pregnancy.save(update_fields=["lmp", "edd", "responsible_clinician"])
    unbooked = PatientFactory(registered_facility=pregnancy.managing_facility)
    return {"pregnancy": str(pregnancy.external_id), "patient": str(unbooked.external_id)}


def fill(value, setting):
    if isinstance(value, str):
        return value.format(**setting) if "{" in value and "}" in value and len(value) < 200 else value
    if isinstance(value, dict):
        return {k: fill(v, setting) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, setting) for v in value]
    return value


def send(client, endpoint: Endpoint, body: dict, setting):
    body = {k: v for k, v in fill(body, setting).items() if v is not None}
    return client.generic(
        endpoint.method.upper(),
        fill(endpoint.path, setting),
        json.dumps(body),
        content_type="application/json",
    )


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_baseline_is_accepted(api, obstetrician, setting, endpoint):
    response = send(api.as_user(obstetrician), endpoint, endpoint.valid, setting)
    assert response.status_code in (200, 201), response.json()


@pytest.mark.parametrize(
    ("endpoint", "label", "change"), BAD_CASES, ids=[f"{e.name}: {label}" for e, label, _ in BAD_CASES]
)
def test_bad_input_is_refused_and_changes_nothing(api, obstetrician, setting, endpoint, label, change):
    client = api.as_user(obstetrician)
    before = row_counts()
    response = send(client, endpoint, {**endpoint.valid, **change}, setting)
    assert response.status_code == 400, (label, response.status_code, response.content[:300])
    body = response.json()
    assert body["message"] and body["errors"], body
    assert row_counts() == before, f"{label}: the database changed"


def test_malformed_json_is_a_clear_400(api, obstetrician, setting):
    client = api.as_user(obstetrician)
    before = row_counts()
    response = client.generic("POST", "/api/v1/patients/", '{"name": "李梅"', content_type="application/json")
    assert response.status_code == 400
    assert "JSON" in response.json()["message"]
    assert row_counts() == before


SCRIPT = "<script>alert('xss')</script>"
IMAGE = '<img src=x onerror="alert(1)">'


def test_markup_in_free_text_is_stored_as_typed_and_shown_as_text(api, client, obstetrician, pregnancy):
    """Free text is not "sanitised" on the way in (a note may legitimately contain < and >); every
    page escapes it on the way out."""
    patient = pregnancy.patient
    api_client = api.as_user(obstetrician)
    assert (
        api_client.patch(
            f"/api/v1/patients/{patient.external_id}/",
            {"name": f"李{SCRIPT}", "address": IMAGE},
            format="json",
        ).status_code
        == 200
    )
    visit = api_client.post(
        f"/api/v1/pregnancies/{pregnancy.external_id}/visits/",
        {"kind": "antenatal", "notes": f"{IMAGE} {SCRIPT}"},
        format="json",
    )
    assert visit.status_code == 201 and visit.json()["notes"] == f"{IMAGE} {SCRIPT}"
    client.force_login(obstetrician)
    for url in (
        "/",
        f"/cases/pregnancies/{pregnancy.external_id}/",
        f"/cases/pregnancies/{pregnancy.external_id}/print/",
    ):
        page = client.get(url).content.decode()
        assert SCRIPT not in page and IMAGE not in page, url
        assert "&lt;script&gt;alert(&#x27;xss&#x27;)&lt;/script&gt;" in page, url
