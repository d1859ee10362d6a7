"""The realistic mix of the synthetic cohort, as plain data (shares are fractions of 1).

Sources: DOMAIN.md §1–4 (booking before 13 weeks, the visit schedule, postpartum to day 42), §6 (near
miss, maternal death), §9 (unbooked emergency arrivals). The numbers are plausible for a Chinese
province, not statistics of one: China's maternal mortality ratio (~16 per 100,000 live births) is far
below the 1 per 10,000 pregnancies used here, which is chosen so a million-pregnancy demo shows a few
dozen death records.
"""

from cases.choices import DeliveryMode, PregnancyStatus
from cases.services import emergency

S = PregnancyStatus

# Status of all seeded pregnancies, earlier (closed) pregnancies included. Current pregnancies are drawn
# so that, with the earlier ones added, the whole cohort has this mix (see ``current_status_shares``).
STATUS_SHARES = {
    S.ACTIVE: 0.75,
    S.POSTPARTUM: 0.15,
    S.LOST_TO_FOLLOW_UP: 0.01,
    S.TRANSFERRED_OUT: 0.005,
    S.MATERNAL_DEATH: 0.0001,
    S.CLOSED: 0.0849,  # the rest
}
# One woman in WOMEN_PER_EARLIER_PREGNANCY also has an earlier pregnancy in the registry (closed,
# delivered 1–6 years ago): about 5 % of women.
WOMEN_PER_EARLIER_PREGNANCY = 20
# How a current closed pregnancy ended (an earlier one always ended in a delivery).
CLOSED_DELIVERED_SHARE = 0.85
CLOSED_MISCARRIAGE_SHARE = 0.10  # the rest: termination
MATERNAL_DEATH_POSTPARTUM_SHARE = 0.5  # the rest died during pregnancy

# Age in years at seeding: (from, to inclusive, share).
AGE_BANDS = (
    (16, 17, 0.006),
    (18, 19, 0.02),
    (20, 24, 0.14),
    (25, 29, 0.33),
    (30, 34, 0.30),
    (35, 39, 0.15),
    (40, 45, 0.054),
)
# Previous pregnancies (gravida - 1): 0, 1, 2, 3, 4, 5.
PRIOR_PREGNANCY_SHARES = (0.38, 0.32, 0.18, 0.08, 0.03, 0.01)
ONE_LOSS_SHARE, SECOND_LOSS_SHARE = 0.25, 0.05  # previous pregnancies that did not end in a birth
TWIN_SHARE = 0.015

# Identity of women who were not emergency arrivals: resident ID, passport (migrant workers, Vietnamese
# border), or nothing recorded yet. Emergency arrivals: unidentified, or a resident ID given later.
RESIDENT_ID_SHARE = 0.87
PASSPORT_SHARE = 0.03
EMERGENCY_SHARE = 0.005
EMERGENCY_UNIDENTIFIED_SHARE = 0.4
EMERGENCY_ID_SHARE = 0.4
CONTACT_SHARE = 0.75  # an emergency contact (usually the husband) is recorded

# Where she lives: urban districts weigh more (population).
URBAN_COUNTY_WEIGHT, RURAL_COUNTY_WEIGHT = 1.5, 1.0
# Where she is managed (by the facility's role for her county): mostly secondary and tertiary hospitals.
# "province" applies to counties of the provincial capital's city; elsewhere the smaller weight.
MANAGING_WEIGHTS = {
    #           rural  urban
    "primary": (12, 6),
    "county_ph": (30, 18),
    "county_mch": (22, 14),
    "city_mch": (16, 28),
    "city_gh": (12, 22),
    "province_mch": (5, 8),
    "province_gh": (3, 4),
}
REMOTE_PROVINCE_WEIGHTS = (1, 0.5)  # province MCH, province GH for counties of other cities
BOOKED_AT_PRIMARY_SHARE = 0.45  # booked at her township / community centre, managed higher up

# Gestational age (days) at booking: (from, to, share). Target: before 13 weeks (91 days).
BOOKING_GA_BANDS = ((42, 90, 0.80), (91, 139, 0.15), (140, 195, 0.05))
ACTIVE_LATE_SHARE = 0.07  # active pregnancies at 37+0–41+6; the rest 6+0–36+6
PRETERM_SHARE = 0.07  # deliveries at 28+0–36+6; the rest at term (37+0–41+6)
DATING_LMP_SHARE = 0.85
DATING_ULTRASOUND_SHARE = 0.12  # the rest: assisted reproduction (embryo transfer date)
MISSED_VISIT_SHARE = 0.07  # each planned visit after booking is missed with this probability
RECENT_BOOKING_DAYS = 7  # infection results still pending for most women booked this recently
RECENT_BOOKING_UNKNOWN_SHARE = 0.8
EMERGENCY_RESULTS_DAYS = 3  # rapid tests of an emergency arrival are "unknown" this long
HIV_POSITIVE, SYPHILIS_POSITIVE, HBV_POSITIVE = 0.0005, 0.003, 0.06

# Visits: baseline systolic 100–125 mmHg, gestational hypertension after 20 weeks in some women.
HYPERTENSION_SHARE = 0.04
ANAEMIA_SHARE = 0.03  # Hb 80–94 g/L instead of 95–135
LOW_PLATELETS_SHARE = 0.01  # 100–149 instead of 150–350

# Deliveries.
DELIVERY_MODE_SHARES = {
    DeliveryMode.SPONTANEOUS_VAGINAL: 0.55,
    DeliveryMode.ASSISTED_VAGINAL: 0.03,
    DeliveryMode.VAGINAL_BREECH: 0.01,
    DeliveryMode.CAESAREAN_ELECTIVE: 0.22,
    DeliveryMode.CAESAREAN_EMERGENCY: 0.19,
}
PPH_SHARE, SEVERE_PPH_SHARE = 0.03, 0.01  # 1000–1499 mL ['pph'], 1500–3000 mL ['severe_pph']
NEAR_MISS_AFTER_SEVERE_PPH = 0.35
STILLBIRTH_SHARE, NEONATAL_DEATH_SHARE = 0.005, 0.0015
MALE_SHARE = 0.52

# Free text as a Chinese clinician would write it.
EMERGENCY_COMPLAINTS_DELIVERED = (
    "临产，未建档",
    "规律下腹痛伴阴道流液",
    "胎膜早破，未做产检",
    "阴道流血伴下腹痛",
)
EMERGENCY_COMPLAINTS_PREGNANT = ("下腹痛", "阴道流血", "头痛、视物模糊", "胸闷、气促", "胎动减少", "抽搐1次")
EMERGENCY_COMPLAINT_LOSS = "停经后阴道流血伴下腹痛"
# (cause, ICD-10) of maternal deaths during pregnancy / after delivery.
DEATH_CAUSES_ANTENATAL = (
    ("子痫，颅内出血", "O15.0"),
    ("妊娠合并心脏病，心力衰竭", "O99.4"),
    ("肺栓塞", "O88.2"),
    ("脓毒症休克", "O85"),
)
DEATH_CAUSES_POSTPARTUM = (
    ("产后出血，失血性休克", "O72.1"),
    ("羊水栓塞", "O88.1"),
    ("子宫破裂，失血性休克", "O71.1"),
)
UNIDENTIFIED_NAME = emergency.UNIDENTIFIED_NAME  # as the emergency registration writes it
DATING_REASON = "At booking"  # as cases.services.pregnancies writes it


def cumulative(shares) -> list[float]:
    """Lower bounds of consecutive buckets for ``width_bucket(u, bounds)``: [0, s1, s1+s2, ...]."""
    shares = list(shares)
    total, bounds = sum(shares), [0.0]
    for share in shares[:-1]:
        bounds.append(bounds[-1] + share / total)
    return bounds


def current_status_shares(earlier_share: float) -> dict[str, float]:
    """Shares for current pregnancies so that the cohort (with ``earlier_share`` closed ones) has
    ``STATUS_SHARES``."""
    current = 1 - earlier_share
    shares = {status: share / current for status, share in STATUS_SHARES.items() if status != S.CLOSED}
    shares[S.CLOSED] = max(0.0, 1 - sum(shares.values()))
    return shares
