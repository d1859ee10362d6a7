"""The people and the clinical building blocks of the demo stories.

Everything here goes through the services (``patient_register``, ``pregnancy_register``,
``visit_record``, ``risk_assessment_create``…), so what a story leaves behind is what a clinician's clicks
would: audit rows, grades with their case management and supervisor reports, follow-up windows, alerts
and dashboard counters (kept by the triggers).

A woman is found again by her stable key: registered facility, name and mobile number (the companion's
number for an emergency arrival), all drawn from the story's private random generator. Names come from the
same lists as the staff's; ID numbers validate and never collide with another stored woman's.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from cases.choices import VisitKind
from cases.identity import check_character, normalise_phone
from cases.models import Patient, Pregnancy
from cases.services import patient_register, pregnancy_register, visit_record
from risk.choices import Stage
from risk.services import risk_assessment_create

from ..context import SeedContext
from ..names import FEMALE_GIVEN, SURNAMES

# Where the stories happen (facility codes of the demo region): the county centre where the demo
# obstetrician and midwife work, the city centre of the demo coordinator and specialist, the province
# centre, the county MCH hospital and a township health centre that refers to the county.
COUNTY = "DEMO-450126-PH"  # 宾阳县人民医院
CITY = "DEMO-450100-MCH"  # 南宁市妇幼保健院
PROVINCE_CENTRE = "DEMO-450000-MCH"  # 广西壮族自治区妇幼保健院
COUNTY_MCH = "DEMO-450126-MCH"  # 宾阳县妇幼保健院
TOWNSHIP = "DEMO-450126-BINZHOU"  # 宾州镇卫生院
VILLAGES = ("新宾", "南街", "北街", "宝塔", "太平")
RESIDENCE = "450126"  # 宾阳县: women's residence and the first six digits of their ID numbers

# A fully examined woman's history and examination fields that a visit does not record (age, height,
# BMI, GA, vitals and labs come from her record). Passed with every grade, so that a healthy woman can be
# confirmed green (every criterion evaluated) and others are graded on complete information.
EXAMINED = {
    "rh_negative": False,
    "interpregnancy_interval_months": 30,
    "abortion_count": 0,
    "prior_uterine_surgery_count": 0,
    "months_since_last_uterine_surgery": 40,
    "pelvic_mass_max_cm": 0,
    "bleeding_tendency": False,
    "plt_progressive_decline": False,
    "ferritin_ug_l": 45,
    "fpg_mmol_l": 4.6,
    "urine_glucose_positive": False,
    "nyha_class": 1,
    "lvef_pct": 64,
    "pasp_mmhg": 22,
    "mitral_valve_area_cm2": 4.5,
    "aortic_valve_gradient_mmhg": 6,
    "aortic_diameter_mm": 28,
    "serum_creatinine_x_uln": 0.6,
    "urine_output_ml_24h": 1500,
    "bmr_pct": 5,
    "prednisone_mg_day": 0,
    "steroid_months": 0,
    "disease_active": False,
    "diabetic_nephropathy_stage": 1,
    "efw_g": 1600,
    "afi_cm": 14,
    "dvp_cm": 5,
    "total_bile_acid_umol_l": 3,
    "preeclampsia": False,
    "malpresentation": False,
    "cardiopulmonary_decline": False,
    "family_hx_hypertension": False,
    "uterine_scar": False,
    "placenta_previa_central": False,
    "suspected_placenta_accreta": False,
    "pulmonary_hypertension": False,
    "cyanotic_chd_unrepaired": False,
    "renal_disease_with_hypertension": False,
    "heart_disease": False,
    "kidney_disease": False,
    "threatened_preterm_labour": False,
    "mitral_stenosis": False,
    "aortic_stenosis": False,
    "aortic_disease": False,
    "coagulation_disorder": False,
    "autoimmune_disease": False,
}


@dataclass(frozen=True)
class Woman:
    """One woman of a story. ``visits`` are (days ago, measurements overriding her usual values);
    ``next_visit_in`` is the next appointment after the last visit, in days from today (negative: missed;
    None: the usual interval after the last visit)."""

    key: str
    facility: str = COUNTY
    registrar: str = "midwife"
    clinician: str | None = "obstetrician"  # responsible clinician (her case manager when high risk)
    age: int = 28
    ga_weeks: int = 24
    gravida: int = 1
    para: int = 0
    fetuses: int = 1
    visits: tuple[tuple[int, dict], ...] = ((0, {}),)
    next_visit_in: int | None = None
    infections: dict = field(default_factory=dict)


@dataclass
class Cast:
    """The demo users the stories act as, and the facilities they happen at."""

    ctx: SeedContext
    today: dt.date
    now: dt.datetime

    def user(self, username: str):
        return self.ctx.users[username]

    def facility(self, code: str):
        return self.ctx.facilities[code]

    def rng(self, key: str) -> random.Random:
        return self.ctx.rng("story", key)


def woman_name(rng: random.Random) -> str:
    given_length = 1 if rng.random() < 0.3 else 2
    return rng.choice(SURNAMES) + "".join(rng.choice(FEMALE_GIVEN) for _ in range(given_length))


def woman_phone(rng: random.Random) -> str:
    return normalise_phone("1" + rng.choice("3589") + "".join(str(rng.randrange(10)) for _ in range(9)))


def identity(cast: Cast, woman: Woman) -> tuple[str, str]:
    """(name, phone) — her stable key together with the registering facility."""
    rng = cast.rng(f"who:{woman.key}")
    return woman_name(rng), woman_phone(rng)


def find_existing(cast: Cast, keys: list[tuple[str, str, str]]) -> set[tuple[str, str, str]]:
    """Which (facility code, name, phone) keys are registered already (one query)."""
    facility_code = {cast.facility(code).pk: code for code, _, _ in keys}
    names = {name for _, name, _ in keys}
    found = set()
    rows = Patient.objects.filter(registered_facility_id__in=list(facility_code), name__in=names).values_list(
        "registered_facility_id", "name", "phone", "emergency_contact_phone"
    )
    for facility_id, name, phone, contact in rows:
        found.add((facility_code[facility_id], name, phone))
        found.add((facility_code[facility_id], name, contact))
    return found


def resident_id(cast: Cast, woman: Woman) -> tuple[str, dt.date]:
    """A valid 18-character ID number from her county and birth date, free in the database. The sequence
    number is even (a woman); taken numbers (another woman, a bulk cohort) move to the next even one."""
    rng = cast.rng(f"id:{woman.key}")
    birth = cast.today.replace(year=cast.today.year - woman.age) - dt.timedelta(days=rng.randrange(30, 330))
    seq = rng.randrange(500, 900, 2)
    while True:
        first17 = f"{RESIDENCE}{birth:%Y%m%d}{seq:03d}"
        number = first17 + check_character(first17)
        if not Patient.objects.filter(id_number=number).exists():
            return number, birth
        seq = seq + 2 if seq < 998 else 100


def usual_vitals(rng: random.Random, ga_weeks: float) -> dict:
    """Unremarkable values for one antenatal visit at ``ga_weeks`` (weight added by the caller)."""
    values: dict[str, Any] = {
        "sbp_mmhg": rng.randrange(102, 126),
        "dbp_mmhg": rng.randrange(62, 80),
        "pulse_bpm": rng.randrange(72, 92),
        "hb_g_l": rng.randrange(114, 132),
        "platelets_10e9_l": rng.randrange(170, 280),
        "spo2_pct": rng.choice((97, 98, 99)),
    }
    if ga_weeks >= 12:
        values["fetal_heart_rate"] = rng.randrange(132, 156)
    if ga_weeks >= 20:
        values["fundal_height_cm"] = max(18, round(ga_weeks) - rng.randrange(-1, 3))
    return values


def register(cast: Cast, woman: Woman, name: str, phone: str) -> Pregnancy:
    """Register her and her pregnancy at her facility, then record her visits (oldest first)."""
    registrar = cast.user(woman.registrar)
    number, _birth = resident_id(cast, woman)
    rng = cast.rng(f"body:{woman.key}")
    contact = woman_phone(cast.rng(f"contact:{woman.key}"))
    patient = patient_register(
        actor=registrar,
        name=name,
        id_number=number,
        phone=phone,
        residence_region=cast.ctx.regions.get(RESIDENCE),
        address=f"宾阳县宾州镇{rng.choice(VILLAGES)}村{rng.randrange(1, 120)}号",
        emergency_contact_name=rng.choice(SURNAMES) + rng.choice("伟军强磊勇杰涛斌峰建"),
        emergency_contact_phone=contact,
    )
    lmp = cast.today - dt.timedelta(weeks=woman.ga_weeks, days=rng.randrange(0, 7))
    first_days_ago = max(days for days, _ in woman.visits)
    pregnancy = pregnancy_register(
        actor=registrar,
        patient=patient,
        lmp=lmp,
        gravida=woman.gravida,
        para=woman.para,
        fetuses=woman.fetuses,
        booked_on=cast.today - dt.timedelta(days=first_days_ago),
        responsible_clinician=cast.user(woman.clinician) if woman.clinician else None,
        **{
            f"{k}_status": v
            for k, v in {
                "hiv": "negative",
                "syphilis": "negative",
                "hbv": "negative",
                **woman.infections,
            }.items()
        },
    )
    height = rng.randrange(150, 167)
    weight = rng.randrange(47, 62)
    visits = sorted(woman.visits, key=lambda v: -v[0])
    for index, (days_ago, overrides) in enumerate(visits):
        ga = (cast.today - dt.timedelta(days=days_ago) - lmp).days / 7
        values = usual_vitals(rng, ga)
        values["weight_kg"] = round(weight + max(0.0, ga - 12) * 0.45, 1)
        if index == 0:
            values["height_cm"] = height
        values.update(overrides)
        last = index == len(visits) - 1
        if not last:
            next_visit = cast.today - dt.timedelta(days=visits[index + 1][0])
        elif woman.next_visit_in is not None:
            next_visit = cast.today + dt.timedelta(days=woman.next_visit_in)
        else:  # the usual interval (every 4 weeks, fortnightly from 28 weeks), never before tomorrow
            interval = 14 if ga >= 28 else 28
            next_visit = max(
                cast.today - dt.timedelta(days=days_ago - interval), cast.today + dt.timedelta(days=2)
            )
        visit_record(
            actor=registrar,
            pregnancy=pregnancy,
            kind=VisitKind.ANTENATAL,
            visited_at=visit_moment(cast, days_ago, rng),
            measurements=values,
            confirm_unusual=True,
            next_visit_date=next_visit,
            notes="",
        )
    return pregnancy


def visit_moment(cast: Cast, days_ago: int, rng: random.Random) -> dt.datetime:
    """A clinic-hours moment ``days_ago`` days back (today: an hour ago at the latest)."""
    if days_ago == 0:
        return cast.now - dt.timedelta(minutes=rng.randrange(60, 180))
    day = cast.today - dt.timedelta(days=days_ago)
    clock = dt.time(rng.randrange(8, 17), rng.choice((0, 10, 20, 30, 40, 50)))
    return timezone.make_aware(dt.datetime.combine(day, clock))


def grade(
    cast: Cast,
    pregnancy: Pregnancy,
    *,
    by: str = "obstetrician",
    criteria=(),
    findings: dict | None = None,
    stage: str = Stage.ASSESSMENT,
):
    """Confirm a five-colour grade on complete information: her record, the examination defaults and the
    story's findings; every category reviewed."""
    return risk_assessment_create(
        actor=cast.user(by),
        pregnancy=pregnancy,
        criteria=list(criteria),
        measurements={**EXAMINED, **(findings or {})},
        reviewed_categories=["all"],
        stage=stage,
    )
