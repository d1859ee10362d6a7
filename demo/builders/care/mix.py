"""The realistic mix of the graded cohort (shares are fractions of 1).

Sources: DOMAIN.md §2 (benchmarks: 54.5–65 % of women yellow or above, 7.4–16.3 % orange or above;
purple is an independent flag), §3 (up-referral of orange and red women to critical care centres,
down-referral after delivery), §8 (MDT consultations for orange and red women). Colours come partly from
the woman's record (age, twins, assisted reproduction, infection results: criteria the grading engine
would find itself) and partly from findings a clinician ticks (heart disease, placenta praevia…).
"""

# A still-open pregnancy booked in the last GRADING_PENDING_DAYS is ungraded with this probability:
# the screening-positive women whose five-colour grade is still due (14-day window, DOMAIN.md §2).
GRADING_PENDING_DAYS = 14
GRADING_PENDING_SHARE = 0.5

# Findings a clinician ticks, drawn on top of what the record shows (age ≥ 40 is orange by itself).
RED_SHARE = 0.024
ORANGE_SHARE = 0.036  # plus every woman aged 40 or more: about 8.5 % orange in all
YELLOW_EXTRA_SHARE = 0.24  # of the women the record does not already make yellow
HEPATITIS_PURPLE_SHARE = 0.2  # hepatitis B positive: active hepatitis (purple), else a carrier (yellow)

# Re-grades: a later grade of the same pregnancy (a new finding, or the receiving centre after a referral).
REGRADE_SHARE = 0.2
REGRADE_RISE_SHARE = 0.5  # of re-graded women whose ticked finding raises her colour: found at the re-grade

# Reports to the county supervisors (orange, red, purple): submitted on time, late, or still due.
REPORT_LATE_SHARE = 0.1
REPORT_DUE_SHARE = 0.04  # of reports whose deadline has not passed yet (the rest were already submitted)

# Referrals. Up: orange / red women managed below the tier their grade needs. Down: yellow women after
# delivery, back to the primary-care centre of the postpartum home visit.
UP_REFERRAL_SHARE = 0.55
DOWN_REFERRAL_SHARE = 0.06
# (status, share) of referrals of women still in care; referrals of women out of care are all closed.
REFERRAL_OPEN_STATUSES = (
    ("requested", 0.05),
    ("accepted", 0.04),
    ("departed", 0.02),
    ("arrived", 0.04),
    ("completed", 0.72),
    ("cancelled", 0.13),
)
REFERRAL_CLOSED_STATUSES = (("completed", 0.85), ("cancelled", 0.15))
DOWN_DECLINED_SHARE = 0.1

# MDT consultations of orange / red women, at her (secondary or tertiary) managing facility.
CONSULT_RED_SHARE = 0.35
CONSULT_ORANGE_SHARE = 0.12
CONSULT_OPEN_STATUSES = (("requested", 0.08), ("scheduled", 0.12), ("concluded", 0.75), ("cancelled", 0.05))
CONSULT_CLOSED_STATUSES = (("concluded", 0.92), ("cancelled", 0.08))

# Alerts older than this are acknowledged by their recipient; newer ones are delivered, unacknowledged.
ALERT_ACKNOWLEDGED_AFTER_HOURS = 48

# Criterion codes a clinician ticks (no rule on a measurement), by colour: consistent with the colour.
RED_CODES = (
    "R-PREG-PERNICIOUS-PREVIA",
    "R-CARDIO-HYPERTENSIVE-HEART",
    "R-HEME-THROMBOEMBOLISM",
    "R-CARDIO-CARDIOMYOPATHY",
    "R-NEURO-CEREBROVASCULAR",
    "R-CARDIO-PROSTHETIC-VALVE",
    "R-PREG-ABRUPTION",
    "R-OTHER-SEVERE",
)
ORANGE_CODES = (
    "O-ENDO-MEDS",
    "O-HEME-THROMBOPHILIA",
    "O-RESP-ASTHMA",
    "O-CARDIO-OTHER",
    "O-PSY-REMISSION",
    "O-PREG-RH-INCOMPATIBILITY",
    "O-ONCO-TREATED",
    "O-HEP-LFT-UNEXPLAINED",
)
YELLOW_CODES = (
    "Y-GYN-PELVIC-SURGERY",
    "Y-PREG-FGR",
    "Y-CARDIO-ARRHYTHMIA",
    "Y-ENDO-NO-MEDS",
    "Y-PREG-LOW-LYING-PLACENTA",
    "Y-PREG-HYPEREMESIS",
    "Y-RESP-NO-MEDS",
    "Y-OTHER-COMORBIDITY",
)
