"""The stories themselves: who each woman is and what happened to her, told through the services.

Routine women (``ROUTINE``) are booked, seen and graded at the county centre, the county MCH hospital
and the city centre, in roughly the proportions a county sees (about half yellow or above, a tenth
orange or above). The named stories (``STORIES``) are the ones worth clicking through: a red woman
whose emergency referral is still waiting, an orange one who has arrived at the city centre, a closed
loop with a return summary and a down-referral, three MDT consultations (requested, scheduled,
concluded), a delivery, an overdue follow-up, a MEOWS trigger, an emergency arrival and a screening-positive
booking waiting for grading.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone

from cases.choices import DeliveryMode, InfectionStatus, VisitKind
from cases.services import delivery_record, emergency_register, visit_record
from consults.choices import ConsultUrgency, DecisionKind
from consults.services import consult_conclude, consult_request, consult_schedule, opinion_record
from facilities.choices import Specialty
from referrals.choices import Purpose, Transport, Urgency
from referrals.services import (
    referral_accept,
    referral_arrive,
    referral_complete,
    referral_depart,
    referral_request,
)
from risk.choices import Stage
from risk.services import observation_record

from .cast import CITY, COUNTY, COUNTY_MCH, TOWNSHIP, Cast, Woman, grade, register

POS = InfectionStatus.POSITIVE


@dataclass(frozen=True)
class Story:
    woman: Woman
    tell: Callable[[Cast, Woman, str, str], None]  # (cast, woman, name, phone)


# --- routine women: booked, seen, graded ----------------------------------------------------------------


def _routine(criteria=(), findings=None, by="obstetrician"):
    def tell(cast: Cast, woman: Woman, name: str, phone: str) -> None:
        pregnancy = register(cast, woman, name, phone)
        grade(cast, pregnancy, by=by, criteria=criteria, findings=findings)

    return tell


def _w(key, **kwargs) -> Woman:
    return Woman(key=key, **kwargs)


CITY_STAFF = {"facility": CITY, "registrar": "mw1.nanning.mch", "clinician": "ob2.nanning.mch"}
COUNTY_MCH_STAFF = {"facility": COUNTY_MCH, "registrar": "mw1.binyang.mch", "clinician": "ob2.binyang.mch"}

ROUTINE: tuple[Story, ...] = (
    # green: healthy women, every criterion evaluated
    Story(_w("green-1", age=26, ga_weeks=16, visits=((28, {}), (0, {}))), _routine()),
    Story(_w("green-2", age=29, ga_weeks=22, gravida=2, para=1, visits=((42, {}), (14, {}))), _routine()),
    Story(_w("green-3", age=24, ga_weeks=12, visits=((0, {}),), registrar="obstetrician"), _routine()),
    Story(
        _w("green-4", age=31, ga_weeks=30, gravida=2, para=1, visits=((70, {}), (42, {}), (14, {}))),
        _routine(),
    ),
    Story(_w("green-5", age=27, ga_weeks=20, visits=((21, {}), (0, {}))), _routine()),
    Story(
        _w("green-6", age=30, ga_weeks=26, **CITY_STAFF, visits=((28, {}), (7, {}))),
        _routine(by="ob2.nanning.mch"),
    ),
    Story(
        _w("green-7", age=25, ga_weeks=18, **COUNTY_MCH_STAFF, visits=((14, {}),)),
        _routine(by="ob2.binyang.mch"),
    ),
    Story(
        _w("green-8", age=28, ga_weeks=34, gravida=3, para=1, visits=((56, {}), (28, {}), (7, {}))),
        _routine(),
    ),
    # yellow
    Story(_w("yellow-age35", age=36, ga_weeks=20, gravida=3, para=1, visits=((28, {}), (0, {}))), _routine()),
    Story(
        _w("yellow-age37", age=37, ga_weeks=28, gravida=2, para=1, **CITY_STAFF, visits=((35, {}), (7, {}))),
        _routine(by="ob2.nanning.mch"),
    ),
    Story(
        _w("yellow-bmi", age=30, ga_weeks=18, visits=((14, {"weight_kg": 74, "height_cm": 158}), (0, {}))),
        _routine(),
    ),
    Story(
        _w("yellow-anaemia", age=23, ga_weeks=25, visits=((28, {"hb_g_l": 102}), (0, {"hb_g_l": 96}))),
        _routine(),
    ),
    Story(
        _w("yellow-scar", age=32, ga_weeks=30, gravida=2, para=1, visits=((42, {}), (14, {}))),
        _routine(findings={"uterine_scar": True, "prior_uterine_surgery_count": 1}),
    ),
    Story(_w("yellow-twins", age=29, ga_weeks=22, fetuses=2, visits=((21, {}), (0, {}))), _routine()),
    Story(
        _w("yellow-hbv", age=27, ga_weeks=15, infections={"hbv": POS}, **COUNTY_MCH_STAFF, visits=((7, {}),)),
        _routine(criteria=("Y-HEP-HBV-CARRIER",), by="ob2.binyang.mch"),
    ),
    Story(
        _w("yellow-gdm", age=33, ga_weeks=29, gravida=2, para=1, visits=((28, {}), (7, {}))),
        _routine(criteria=("Y-ENDO-NO-MEDS",), findings={"fpg_mmol_l": 5.4}),
    ),
    Story(
        _w("yellow-hdp", age=30, ga_weeks=33, visits=((28, {}), (3, {"sbp_mmhg": 144, "dbp_mmhg": 92}))),
        _routine(),
    ),
    Story(
        _w(
            "yellow-plt",
            age=26,
            ga_weeks=27,
            visits=((21, {"platelets_10e9_l": 92}), (0, {"platelets_10e9_l": 86})),
        ),
        _routine(),
    ),
    Story(
        _w("yellow-icp", age=28, ga_weeks=34, **CITY_STAFF, visits=((14, {}), (2, {}))),
        _routine(findings={"total_bile_acid_umol_l": 22}, by="ob2.nanning.mch"),
    ),
    Story(_w("yellow-age39", age=39, ga_weeks=21, gravida=4, para=2, visits=((21, {}), (0, {}))), _routine()),
    Story(
        _w("green-9", age=26, ga_weeks=31, **CITY_STAFF, visits=((49, {}), (21, {}), (3, {}))),
        _routine(by="ob2.nanning.mch"),
    ),
    Story(_w("green-10", age=23, ga_weeks=9, visits=((0, {}),)), _routine()),
    # purple: syphilis positive, treated with benzathine penicillin
    Story(
        _w("purple-syphilis", age=24, ga_weeks=19, infections={"syphilis": POS}, visits=((14, {}), (0, {}))),
        _routine(criteria=("P-INF-SYPHILIS",)),
    ),
)


# --- named stories -----------------------------------------------------------------------------------


def red_pah_waiting(cast: Cast, woman: Woman, name: str, phone: str) -> None:
    """Red (pulmonary hypertension from an unrepaired ASD) at the county centre: an emergency referral to
    the city centre, still ``requested`` (its clock is running), and an emergency MDT consult requested."""
    pregnancy = register(cast, woman, name, phone)
    grade(
        cast,
        pregnancy,
        criteria=("R-CARDIO-PAH",),
        findings={"heart_disease": True, "pulmonary_hypertension": True, "pasp_mmhg": 68, "nyha_class": 2},
    )
    ob = cast.user("obstetrician")
    referral_request(
        actor=ob,
        pregnancy=pregnancy,
        to_facility=cast.facility(CITY),
        urgency=Urgency.EMERGENCY,
        reason="房间隔缺损未修补，超声心动图估测肺动脉收缩压68mmHg，活动后气促加重，NYHA II级，"
        "需转诊至市级危重孕产妇救治中心评估及管理。",
        transport=Transport.HOSPITAL_AMBULANCE,
        escort="产科医生1名、护士1名",
        sender_contact="0771-8221120",
        treatments_given="吸氧，限制液体，心电监护。",
        decided_at=cast.now - dt.timedelta(minutes=25),
    )
    consult_request(
        actor=ob,
        pregnancy=pregnancy,
        urgency=ConsultUrgency.EMERGENCY,
        question="妊娠合并重度肺动脉高压（房缺），是否继续妊娠、终止时机及麻醉方式？",
        specialties=[Specialty.CARDIOLOGY, Specialty.ICU, Specialty.ANESTHESIOLOGY, Specialty.OBSTETRICS],
        coordinating_facility=cast.facility(CITY),
    )


def orange_pe_arrived(cast: Cast, woman: Woman, name: str, phone: str) -> None:
    """Severe pre-eclampsia at 33 weeks: urgent referral accepted by the city centre, she has arrived."""
    pregnancy = register(cast, woman, name, phone)
    grade(cast, pregnancy, criteria=("O-PREG-SEVERE-PE",), findings={"preeclampsia": True})
    ob, city_ob = cast.user("obstetrician"), cast.user("ob1.nanning.mch")
    referral = referral_request(
        actor=ob,
        pregnancy=pregnancy,
        to_facility=cast.facility(CITY),
        urgency=Urgency.URGENT,
        reason="重度子痫前期，血压164/108mmHg，尿蛋白++，孕33周，需转上级医院促胎肺成熟及终止妊娠评估。",
        transport=Transport.AMBULANCE_120,
        treatments_given="硫酸镁解痉，拉贝洛尔降压，地塞米松促胎肺成熟第1剂。",
    )
    referral_accept(actor=city_ob, referral=referral)
    referral_depart(actor=ob, referral=referral, transport=Transport.AMBULANCE_120, escort="产科护士1名")
    referral_arrive(actor=city_ob, referral=referral)


def previa_loop_closed(cast: Cast, woman: Woman, name: str, phone: str) -> None:
    """Scarred uterus with central placenta previa: referred up at 35 weeks, delivered by caesarean at the
    city centre, referral completed with the return summary, postpartum reassessment, then a down-referral
    to the county centre for the postpartum follow-up (waiting for the county to accept)."""
    pregnancy = register(cast, woman, name, phone)
    previa = {"uterine_scar": True, "placenta_previa_central": True, "prior_uterine_surgery_count": 1}
    grade(cast, pregnancy, findings=previa)
    ob, city_ob = cast.user("obstetrician"), cast.user("ob1.nanning.mch")
    referral = referral_request(
        actor=ob,
        pregnancy=pregnancy,
        to_facility=cast.facility(CITY),
        urgency=Urgency.ROUTINE,
        purpose=Purpose.DELIVERY,
        reason="瘢痕子宫合并中央性前置胎盘，可疑胎盘植入，孕35周，转市级中心计划分娩。",
    )
    referral_accept(actor=city_ob, referral=referral)
    referral_depart(actor=ob, referral=referral, transport=Transport.OWN)
    referral_arrive(actor=city_ob, referral=referral)
    delivered = cast.now - dt.timedelta(days=9, hours=3)
    delivery_record(
        actor=city_ob,
        pregnancy=pregnancy,
        delivered_at=delivered,
        mode=DeliveryMode.CAESAREAN_ELECTIVE,
        facility=cast.facility(CITY),
        blood_loss_ml=900,
        newborns=[{"outcome": "live_birth", "sex": "female", "weight_g": 2860, "apgar_1": 8, "apgar_5": 9}],
        discharged_at=delivered + dt.timedelta(days=5),
        notes="择期剖宫产，术中见胎盘附着于子宫下段前壁覆盖宫颈内口，无植入，出血900ml。",
    )
    referral_complete(
        actor=city_ob,
        referral=referral,
        findings="孕36+2周择期剖宫产，活婴一名，出血900ml，术后恢复良好。",
        disposition="术后第5天出院，转回当地产后随访。",
        treatment="子宫下段剖宫产术，宫腔球囊压迫止血，输注红细胞2U。",
        recommendations="产后3-7天及42天随访；复查血常规；避孕至少2年。",
    )
    grade(cast, pregnancy, by="ob1.nanning.mch", findings=previa)  # the postpartum reassessment
    referral_request(
        actor=city_ob,
        pregnancy=pregnancy,
        to_facility=cast.facility(COUNTY),
        urgency=Urgency.ROUTINE,
        purpose=Purpose.POSTPARTUM_FOLLOW_UP,
        reason="剖宫产术后，产后随访及42天检查转回当地。",
        discharge_summary="瘢痕子宫合并中央性前置胎盘，孕36+2周择期剖宫产，术后恢复良好，第5天出院。",
    )


def consult_scheduled(cast: Cast, woman: Woman, name: str, phone: str) -> None:
    """Repaired ventricular septal defect, yellow: an MDT consult scheduled tomorrow afternoon at the city
    centre with specialists of the city and the province centre."""
    pregnancy = register(cast, woman, name, phone)
    grade(
        cast,
        pregnancy,
        findings={"heart_disease": True},
    )
    consult = consult_request(
        actor=cast.user("obstetrician"),
        pregnancy=pregnancy,
        urgency=ConsultUrgency.SCHEDULED,
        question="室间隔缺损修补术后，心功能I级，近期活动后心悸，孕28周，分娩方式及分娩地点？",
        specialties=[Specialty.CARDIOLOGY, Specialty.ANESTHESIOLOGY, Specialty.OBSTETRICS],
        coordinating_facility=cast.facility(CITY),
    )
    start = timezone.make_aware(dt.datetime.combine(cast.today + dt.timedelta(days=1), dt.time(14, 30)))
    consult_schedule(
        actor=cast.user("coordinator"),
        consult=consult,
        start=start,
        end=start + dt.timedelta(hours=1),
        participants=[
            (cast.user("specialist"), Specialty.CARDIOLOGY),
            (cast.user("anes.guangxi.mch"), Specialty.ANESTHESIOLOGY),
            (cast.user("ob1.nanning.mch"), Specialty.OBSTETRICS),
        ],
        location="南宁市妇幼保健院 门诊楼5楼 MDT会议室",
        meeting_url="https://meet.example.org/mdt-demo",
    )


def consult_concluded(cast: Cast, woman: Woman, name: str, phone: str) -> None:
    """Thrombocytopenia (PLT 55), yellow: an MDT consult held just now, with opinions from haematology and
    anaesthesia, a signed delivery plan and open action items for the demo obstetrician and midwife."""
    pregnancy = register(cast, woman, name, phone)
    grade(cast, pregnancy)
    ob = cast.user("obstetrician")
    consult = consult_request(
        actor=ob,
        pregnancy=pregnancy,
        urgency=ConsultUrgency.ROUTINE,
        question="妊娠合并血小板减少（PLT 55×10^9/L），孕34周，分娩时机、方式及麻醉选择？",
        specialties=[Specialty.HEMATOLOGY, Specialty.ANESTHESIOLOGY],
        coordinating_facility=cast.facility(CITY),
    )
    start = cast.now - dt.timedelta(minutes=50)
    hem, anes = cast.user("hem.nanning.mch"), cast.user("anes.nanning.mch")
    consult_schedule(
        actor=cast.user("coordinator"),
        consult=consult,
        start=start,
        end=start + dt.timedelta(minutes=45),
        participants=[(hem, Specialty.HEMATOLOGY), (anes, Specialty.ANESTHESIOLOGY)],
        meeting_url="https://meet.example.org/mdt-demo-plt",
    )
    opinion_record(
        actor=hem,
        consult=consult,
        specialty=Specialty.HEMATOLOGY,
        text="考虑妊娠期血小板减少症，免疫性血小板减少不除外。建议每周复查血常规；PLT<30时予丙种球蛋白。",
    )
    opinion_record(
        actor=anes,
        consult=consult,
        specialty=Specialty.ANESTHESIOLOGY,
        text="PLT≥80可行椎管内麻醉，否则全身麻醉；术前备单采血小板。",
    )
    decision = "孕37周在南宁市妇幼保健院计划分娩，PLT<50时剖宫产并备血小板。"
    consult_conclude(
        actor=ob,
        consult=consult,
        recommendations="每周复查血常规及凝血功能；出现出血倾向立即就诊；孕36周转诊至市级中心。",
        decision_kind=DecisionKind.DELIVERY_PLAN,
        decision=decision,
        womans_choice="孕妇及家属同意。",
        actions=[
            {
                "owner": ob,
                "due": cast.today + dt.timedelta(days=3),
                "text": "复查血常规、凝血功能并上传结果。",
            },
            {
                "owner": cast.user("midwife"),
                "due": cast.today + dt.timedelta(days=7),
                "text": "电话随访出血症状，宣教自我监测。",
            },
        ],
        follow_up_on=cast.today + dt.timedelta(days=7),
    )


def delivered_at_county(cast: Cast, woman: Woman, name: str, phone: str) -> None:
    """A green woman who gave birth at the county centre four days ago, at home since yesterday."""
    pregnancy = register(cast, woman, name, phone)
    grade(cast, pregnancy)
    delivered = cast.now - dt.timedelta(days=4, hours=6)
    delivery_record(
        actor=cast.user("midwife"),
        pregnancy=pregnancy,
        delivered_at=delivered,
        mode=DeliveryMode.SPONTANEOUS_VAGINAL,
        facility=cast.facility(COUNTY),
        blood_loss_ml=250,
        newborns=[{"outcome": "live_birth", "sex": "male", "weight_g": 3350, "apgar_1": 9, "apgar_5": 10}],
        discharged_at=delivered + dt.timedelta(days=3),
    )


def missed_visit(cast: Cast, woman: Woman, name: str, phone: str) -> None:
    """Yellow (age 38), her appointment twelve days ago missed: the follow-up window is overdue."""
    pregnancy = register(cast, woman, name, phone)
    grade(cast, pregnancy)


def emergency_no_care(cast: Cast, woman: Woman, name: str, phone: str) -> None:
    """Arrived by ambulance two hours ago with headache and blurred vision, no antenatal care at all:
    registered as an emergency, provisionally graded orange, and a MEOWS set that triggered."""
    arrived = cast.now - dt.timedelta(hours=2)
    ob = cast.user("obstetrician")
    _patient, pregnancy, _duplicate = emergency_register(
        actor=ob,
        name=name,
        arrived_at=arrived,
        estimated_age_years=woman.age,
        estimated_ga_weeks=woman.ga_weeks,
        vitals={"sbp_mmhg": 172, "dbp_mmhg": 114, "pulse_bpm": 108, "respiratory_rate": 22, "spo2_pct": 96},
        chief_complaint="头痛、视物模糊2小时，孕期未产检",
        companion_phone=phone,
    )
    grade(cast, pregnancy, criteria=("O-PREG-SEVERE-PE",), findings={"preeclampsia": True})
    observation_record(
        actor=cast.user("midwife"),
        pregnancy=pregnancy,
        values={
            "temperature_c": 37.2,
            "sbp_mmhg": 168,
            "dbp_mmhg": 112,
            "pulse_bpm": 112,
            "respiratory_rate": 24,
            "spo2_pct": 95,
            "consciousness": "alert",
        },
        taken_at=arrived + dt.timedelta(minutes=75),
    )


def screen_positive_booking(cast: Cast, woman: Woman, name: str, phone: str) -> None:
    """Booked today at a township health centre: the screening is positive (previous caesarean, age 36),
    so she waits for a five-colour grade at a higher level (a grading task and alert at the centre)."""
    pregnancy = register(cast, woman, name, phone)
    grade(cast, pregnancy, by=woman.registrar, criteria=("S-OBHX-CS",), stage=Stage.SCREENING)


def postpartum_visit(cast: Cast, woman: Woman, name: str, phone: str) -> None:
    """Yellow (anaemia) delivered at the county MCH hospital twelve days ago; seen once at home since."""
    pregnancy = register(cast, woman, name, phone)
    grade(cast, pregnancy, by="ob2.binyang.mch")
    delivered = cast.now - dt.timedelta(days=12)
    midwife = cast.user(woman.registrar)
    delivery_record(
        actor=midwife,
        pregnancy=pregnancy,
        delivered_at=delivered,
        mode=DeliveryMode.SPONTANEOUS_VAGINAL,
        facility=cast.facility(COUNTY_MCH),
        blood_loss_ml=400,
        newborns=[{"outcome": "live_birth", "sex": "female", "weight_g": 3010, "apgar_1": 9, "apgar_5": 10}],
        discharged_at=delivered + dt.timedelta(days=2),
    )
    visit_record(
        actor=midwife,
        pregnancy=pregnancy,
        kind=VisitKind.POSTPARTUM,
        visited_at=cast.now - dt.timedelta(days=6, hours=2),
        measurements={"sbp_mmhg": 112, "dbp_mmhg": 70, "pulse_bpm": 80, "hb_g_l": 101},
        confirm_unusual=True,
        notes="产后访视：子宫复旧好，恶露正常，母乳喂养。",
    )


STORIES: tuple[Story, ...] = (
    Story(
        _w(
            "red-pah",
            age=29,
            ga_weeks=26,
            gravida=2,
            para=0,
            visits=((84, {}), (42, {"pulse_bpm": 98}), (0, {"spo2_pct": 93, "pulse_bpm": 108})),
        ),
        red_pah_waiting,
    ),
    Story(
        _w(
            "orange-pe",
            age=34,
            ga_weeks=33,
            gravida=2,
            para=1,
            visits=(
                (56, {}),
                (14, {"sbp_mmhg": 142, "dbp_mmhg": 94}),
                (0, {"sbp_mmhg": 164, "dbp_mmhg": 108}),
            ),
        ),
        orange_pe_arrived,
    ),
    Story(
        _w("previa-loop", age=33, ga_weeks=38, gravida=3, para=1, visits=((119, {}), (63, {}), (21, {}))),
        previa_loop_closed,
    ),
    Story(
        _w(
            "consult-scheduled",
            age=30,
            ga_weeks=28,
            gravida=1,
            visits=((56, {}), (21, {"pulse_bpm": 96}), (2, {"pulse_bpm": 98})),
        ),
        consult_scheduled,
    ),
    Story(
        _w(
            "consult-concluded",
            age=27,
            ga_weeks=34,
            gravida=2,
            para=1,
            visits=(
                (42, {"platelets_10e9_l": 78}),
                (14, {"platelets_10e9_l": 68}),
                (1, {"platelets_10e9_l": 55}),
            ),
        ),
        consult_concluded,
    ),
    Story(
        _w(
            "delivered-county",
            age=25,
            ga_weeks=40,
            registrar="midwife",
            visits=((98, {}), (56, {}), (28, {}), (12, {})),
        ),
        delivered_at_county,
    ),
    Story(
        _w(
            "missed-visit",
            age=38,
            ga_weeks=27,
            gravida=3,
            para=2,
            visits=((56, {}), (40, {})),
            next_visit_in=-12,
        ),
        missed_visit,
    ),
    Story(
        _w("emergency", age=31, ga_weeks=36, registrar="obstetrician", gravida=None, para=None),
        emergency_no_care,
    ),
    Story(
        _w(
            "screen-positive",
            facility=TOWNSHIP,
            registrar="mw1.binyang.binzhou",
            clinician=None,
            age=36,
            ga_weeks=10,
            gravida=2,
            para=1,
            visits=((0, {}),),
        ),
        screen_positive_booking,
    ),
    Story(
        _w(
            "postpartum-mch",
            age=22,
            ga_weeks=41,
            **COUNTY_MCH_STAFF,
            visits=((84, {"hb_g_l": 104}), (35, {"hb_g_l": 99}), (14, {"hb_g_l": 97})),
        ),
        postpartum_visit,
    ),
)
