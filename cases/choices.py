"""Codes for women, pregnancies and encounters. Codes are part of the API contract: never rename one."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PatientStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    MERGED = "merged", _("Merged into another record")


class DocumentType(models.TextChoices):
    """Identity documents other than the resident ID number (which has its own checked field)."""

    PASSPORT = "passport", _("Passport")
    HMT_PERMIT = "hk_macao_taiwan", _("Hong Kong / Macao / Taiwan residence permit or travel permit")
    FOREIGN_PERMANENT = "foreign_permanent", _("Foreigner's permanent residence card")
    OTHER = "other", _("Other document")


class PregnancyStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    POSTPARTUM = "postpartum", _("Postpartum")
    CLOSED = "closed", _("Closed")
    TRANSFERRED_OUT = "transferred_out", _("Transferred out")
    LOST_TO_FOLLOW_UP = "lost_to_follow_up", _("Lost to follow-up")
    MATERNAL_DEATH = "maternal_death", _("Maternal death")
    MERGED = "merged", _("Merged")


OPEN_STATUSES = (PregnancyStatus.ACTIVE, PregnancyStatus.POSTPARTUM)


class PregnancyOutcome(models.TextChoices):
    DELIVERY = "delivery", _("Delivery")
    MISCARRIAGE = "miscarriage", _("Miscarriage")
    TERMINATION = "termination", _("Termination")
    ECTOPIC = "ectopic", _("Ectopic pregnancy")


class DatingMethod(models.TextChoices):
    LMP = "lmp", _("Last menstrual period")
    ULTRASOUND = "ultrasound", _("Ultrasound (crown-rump length or biometry)")
    ART = "art", _("Assisted reproduction (embryo transfer date)")
    ESTIMATE = "estimate", _("Clinical estimate (fundal height, emergency)")


class InfectionStatus(models.TextChoices):
    UNKNOWN = "unknown", _("Unknown")
    NEGATIVE = "negative", _("Negative")
    POSITIVE = "positive", _("Positive")


class RiskColor(models.TextChoices):
    GREEN = "green", _("Green")
    YELLOW = "yellow", _("Yellow")
    ORANGE = "orange", _("Orange")
    RED = "red", _("Red")


class GrantLevel(models.TextChoices):
    READ = "read", _("Read")
    WRITE = "write", _("Read and write")


class VisitKind(models.TextChoices):
    ANTENATAL = "antenatal", _("Antenatal visit")
    EMERGENCY = "emergency", _("Emergency")
    ADMISSION = "admission", _("Inpatient admission")
    DELIVERY = "delivery", _("Delivery")
    POSTPARTUM = "postpartum", _("Postpartum visit")
    CHECK_42D = "check_42d", _("42-day postpartum check")


class Proteinuria(models.TextChoices):
    NEGATIVE = "negative", _("Negative")
    TRACE = "trace", _("Trace")
    PLUS1 = "1+", "1+"
    PLUS2 = "2+", "2+"
    PLUS3 = "3+", "3+"
    PLUS4 = "4+", "4+"


class Consciousness(models.TextChoices):
    """AVPU scale."""

    ALERT = "alert", _("Alert")
    VOICE = "voice", _("Responds to voice")
    PAIN = "pain", _("Responds to pain")
    UNRESPONSIVE = "unresponsive", _("Unresponsive")


class Presentation(models.TextChoices):
    CEPHALIC = "cephalic", _("Cephalic")
    BREECH = "breech", _("Breech")
    TRANSVERSE = "transverse", _("Transverse / oblique")
    UNKNOWN = "unknown", _("Not determined")


class DeliveryMode(models.TextChoices):
    SPONTANEOUS_VAGINAL = "spontaneous_vaginal", _("Spontaneous vaginal")
    ASSISTED_VAGINAL = "assisted_vaginal", _("Assisted vaginal (forceps / vacuum)")
    VAGINAL_BREECH = "vaginal_breech", _("Vaginal breech")
    CAESAREAN_ELECTIVE = "caesarean_elective", _("Elective caesarean")
    CAESAREAN_EMERGENCY = "caesarean_emergency", _("Emergency caesarean")


class DeliveryComplication(models.TextChoices):
    """Potentially life-threatening conditions (WHO 2011) and common complications."""

    PPH = "pph", _("Postpartum haemorrhage")
    SEVERE_PPH = "severe_pph", _("Severe postpartum haemorrhage")
    SEVERE_PRE_ECLAMPSIA = "severe_pre_eclampsia", _("Severe pre-eclampsia")
    ECLAMPSIA = "eclampsia", _("Eclampsia")
    HELLP = "hellp", _("HELLP syndrome")
    SEPSIS = "sepsis", _("Sepsis / severe systemic infection")
    UTERINE_RUPTURE = "uterine_rupture", _("Uterine rupture")
    PLACENTAL_ABRUPTION = "placental_abruption", _("Placental abruption")
    AMNIOTIC_FLUID_EMBOLISM = "amniotic_fluid_embolism", _("Amniotic fluid embolism")
    ICU_ADMISSION = "icu_admission", _("ICU admission")
    BLOOD_TRANSFUSION = "blood_transfusion", _("Blood transfusion")
    HYSTERECTOMY = "hysterectomy", _("Hysterectomy")
    PERINEAL_TEAR_3_4 = "perineal_tear_3_4", _("Third- or fourth-degree perineal tear")


class NearMissCriterion(models.TextChoices):
    """WHO maternal near-miss criteria (2011): any one makes a near miss (DOMAIN.md §6)."""

    CYANOSIS = "cyanosis", _("Acute cyanosis")
    GASPING = "gasping", _("Gasping")
    RR_EXTREME = "rr_extreme", _("Respiratory rate > 40 or < 6")
    SHOCK = "shock", _("Shock")
    OLIGURIA = "oliguria", _("Oliguria unresponsive to fluids or diuretics")
    CLOTTING_FAILURE = "clotting_failure", _("Clotting failure")
    UNCONSCIOUS_12H = "unconscious_12h", _("Loss of consciousness ≥ 12 hours")
    CARDIAC_ARREST = "cardiac_arrest", _("Cardiac arrest")
    STROKE = "stroke", _("Stroke")
    UNCONTROLLABLE_FITS = "uncontrollable_fits", _("Uncontrollable fits / total paralysis")
    JAUNDICE_PRE_ECLAMPSIA = "jaundice_pre_eclampsia", _("Jaundice with pre-eclampsia")
    # "% f" in this label is not a placeholder (the label is never %-formatted):
    # xgettext:no-python-format
    HYPOXIA = "hypoxia", _("SpO2 < 90 % for ≥ 60 minutes")
    PF_RATIO = "pf_ratio", _("PaO2/FiO2 < 200 mmHg")
    CREATININE = "creatinine", _("Creatinine ≥ 300 µmol/L")
    BILIRUBIN = "bilirubin", _("Bilirubin > 100 µmol/L")
    ACIDOSIS = "acidosis", _("pH < 7.1")
    LACTATE = "lactate", _("Lactate > 5")
    THROMBOCYTOPENIA = "thrombocytopenia", _("Acute thrombocytopenia < 50 × 10⁹/L")
    KETOACIDOSIS_COMA = "ketoacidosis_coma", _("Loss of consciousness with glucose and ketoacids in urine")
    VASOACTIVE_DRUGS = "vasoactive_drugs", _("Continuous vasoactive drugs")
    HYSTERECTOMY = "hysterectomy", _("Hysterectomy for infection or haemorrhage")
    TRANSFUSION_5U = "transfusion_5u", _("Transfusion ≥ 5 units of red cells")
    INTUBATION_60M = "intubation_60m", _("Intubation and ventilation ≥ 60 minutes (not for anaesthesia)")
    DIALYSIS = "dialysis", _("Dialysis for acute renal failure")
    CPR = "cpr", _("Cardiopulmonary resuscitation")


class NewbornOutcome(models.TextChoices):
    LIVE_BIRTH = "live_birth", _("Live birth")
    STILLBIRTH = "stillbirth", _("Stillbirth")
    NEONATAL_DEATH = "neonatal_death", _("Neonatal death")


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    UNDETERMINED = "undetermined", _("Undetermined")


class CareTaskKind(models.TextChoices):
    PMTCT_TESTS_PENDING = "pmtct_tests_pending", _("HIV / syphilis / hepatitis B tests pending")
    MERGE_REVIEW = "merge_review", _("Possible duplicate record: review and merge")
    BACKFILL_RECORD = "backfill_record", _("Emergency arrival: complete the record")
    GRADING_DUE = (
        "grading_due",
        _("Screening positive: five-colour grading due at a secondary or tertiary facility"),
    )


class CareTaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class ConsentPurpose(models.TextChoices):
    CARE = "care", _("Processing of health data for her care")
    REGIONAL_SHARING = "regional_sharing", _("Sharing within the regional maternal-safety network")
    SENSITIVE = "sensitive", _("Processing of sensitive information (infection, mental health)")


class ConsentGiver(models.TextChoices):
    SELF = "self", _("The woman herself")
    GUARDIAN = "guardian", _("Guardian (minor)")
