"""Codes for regions and facilities. Codes are part of the API contract: never rename one."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RegionLevel(models.TextChoices):
    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    COUNTY = "county", _("County / district")


class Tier(models.TextChoices):
    """Facility tier: primary = township/community; secondary = county; tertiary = city/province."""

    PRIMARY = "primary", _("Primary (township / community)")
    SECONDARY = "secondary", _("Secondary (county)")
    TERTIARY = "tertiary", _("Tertiary (city / province)")


TIER_RANK = {Tier.PRIMARY: 1, Tier.SECONDARY: 2, Tier.TERTIARY: 3}


class CriticalCareLevel(models.TextChoices):
    """Designation as a critical maternal care centre (危重孕产妇救治中心)."""

    COUNTY = "county", _("County critical maternal care centre")
    CITY = "city", _("City critical maternal care centre")
    PROVINCE = "province", _("Provincial critical maternal care centre")


CRITICAL_CARE_RANK = {
    None: 0,
    CriticalCareLevel.COUNTY: 1,
    CriticalCareLevel.CITY: 2,
    CriticalCareLevel.PROVINCE: 3,
}


class FacilityKind(models.TextChoices):
    GENERAL_HOSPITAL = "general_hospital", _("General hospital")
    MCH_HOSPITAL = "mch_hospital", _("Maternal and child health hospital")
    MATERNITY_HOSPITAL = "maternity_hospital", _("Maternity hospital")
    TOWNSHIP_HEALTH_CENTRE = "township_health_centre", _("Township health centre")
    COMMUNITY_HEALTH_CENTRE = "community_health_centre", _("Community health centre")
    MCH_INSTITUTE = "mch_institute", _("Maternal and child health institute")


class Capability(models.TextChoices):
    """What a facility can do; referral suggestions match a woman's needs against these."""

    OBSTETRIC_ICU = "obstetric_icu", _("Obstetric ICU or reserved ICU beds")
    NICU = "nicu", _("Neonatal ICU")
    BLOOD_BANK = "blood_bank", _("Blood bank / transfusion service")
    OBSTETRIC_EMERGENCY_24H = "obstetric_emergency_24h", _("24-hour obstetric emergency")
    CARDIAC_SURGERY = "cardiac_surgery", _("Cardiac surgery")
    INTERVENTIONAL_RADIOLOGY = "interventional_radiology", _("Interventional radiology")
    ISOLATION_PMTCT = "isolation_pmtct", _("Isolation and PMTCT delivery")
    DELIVERY = "delivery", _("Licensed for deliveries (助产机构)")
    CAESAREAN = "caesarean", _("Caesarean section")
    DIALYSIS = "dialysis", _("Dialysis")
    ECMO = "ecmo", _("ECMO")


class Specialty(models.TextChoices):
    """Clinical specialties (DOMAIN.md §8); departments and staff carry one."""

    OBSTETRICS = "obstetrics", _("Obstetrics / maternal-fetal medicine")
    MIDWIFERY = "midwifery", _("Midwifery / nursing")
    ANESTHESIOLOGY = "anesthesiology", _("Anaesthesiology")
    ICU = "icu", _("Intensive care")
    NEONATOLOGY = "neonatology", _("Neonatology")
    CARDIOLOGY = "cardiology", _("Cardiology / cardiac surgery")
    RESPIRATORY = "respiratory", _("Respiratory medicine")
    NEPHROLOGY = "nephrology", _("Nephrology")
    HEMATOLOGY = "hematology", _("Haematology")
    ENDOCRINOLOGY = "endocrinology", _("Endocrinology")
    NEUROLOGY = "neurology", _("Neurology")
    RHEUMATOLOGY = "rheumatology", _("Rheumatology")
    INFECTIOUS_DISEASES = "infectious_diseases", _("Infectious diseases")
    GENERAL_SURGERY = "general_surgery", _("General surgery")
    INTERVENTIONAL_RADIOLOGY = "interventional_radiology", _("Interventional radiology")
    TRANSFUSION = "transfusion", _("Transfusion medicine")
    IMAGING = "imaging", _("Ultrasound / imaging")
    LABORATORY = "laboratory", _("Laboratory medicine")
    PHARMACY = "pharmacy", _("Pharmacy")
    PSYCHIATRY = "psychiatry", _("Psychiatry")
    MEDICAL_ADMINISTRATION = "medical_administration", _("Medical administration")
    PUBLIC_HEALTH = "public_health", _("Maternal and child public health")
