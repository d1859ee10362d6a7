"""Steps: facilities (tier, critical-care designation, capabilities, hotline, beds) and their departments.

The plan is pure data computed from ``geography`` and the seed; the build steps get-or-create by the stable
facility code ``DEMO-<region code>-<suffix>`` and update only fields whose value differs.
"""

from dataclasses import dataclass

from facilities.choices import Capability as Cap
from facilities.choices import CriticalCareLevel, FacilityKind, Specialty, Tier
from facilities.models import Department, Facility

from ..geography import PROVINCE, City, County
from .context import SeedContext, apply_values, demo_uuid

S = Specialty

# Departments (and specialists) by kind of facility. Obstetrics is everywhere; see ``department_names``.
SECONDARY_SPECIALTIES = (S.ANESTHESIOLOGY, S.ICU, S.NEONATOLOGY)
TERTIARY_SPECIALTIES = (
    *SECONDARY_SPECIALTIES,
    S.CARDIOLOGY,
    S.RHEUMATOLOGY,
    S.INFECTIOUS_DISEASES,
    S.HEMATOLOGY,
)
PROVINCIAL_SPECIALTIES = (*TERTIARY_SPECIALTIES, S.INTERVENTIONAL_RADIOLOGY, S.TRANSFUSION)
INSTITUTE_SPECIALTIES = (S.PUBLIC_HEALTH,)

DEPARTMENT_NAMES = {
    S.OBSTETRICS: ("产科", "Obstetrics"),
    S.ANESTHESIOLOGY: ("麻醉科", "Anaesthesiology"),
    S.ICU: ("重症医学科", "Intensive Care Unit"),
    S.NEONATOLOGY: ("新生儿科", "Neonatology"),
    S.CARDIOLOGY: ("心血管内科", "Cardiology"),
    S.RHEUMATOLOGY: ("风湿免疫科", "Rheumatology and Immunology"),
    S.INFECTIOUS_DISEASES: ("感染性疾病科", "Infectious Diseases"),
    S.HEMATOLOGY: ("血液内科", "Haematology"),
    S.INTERVENTIONAL_RADIOLOGY: ("介入放射科", "Interventional Radiology"),
    S.TRANSFUSION: ("输血科", "Transfusion Medicine"),
    S.PUBLIC_HEALTH: ("妇女保健部", "Women's Health"),
    S.MEDICAL_ADMINISTRATION: ("医务科", "Medical Administration"),
}

CENTRE_CAPABILITIES = (
    Cap.OBSTETRIC_ICU,
    Cap.NICU,
    Cap.BLOOD_BANK,
    Cap.OBSTETRIC_EMERGENCY_24H,
    Cap.DELIVERY,
    Cap.CAESAREAN,
)
PROVINCIAL_EXTRAS = (
    Cap.CARDIAC_SURGERY,
    Cap.INTERVENTIONAL_RADIOLOGY,
    Cap.ISOLATION_PMTCT,
    Cap.ECMO,
    Cap.DIALYSIS,
)
COUNTY_CENTRE_CAPABILITIES = (
    Cap.OBSTETRIC_ICU,
    Cap.BLOOD_BANK,
    Cap.OBSTETRIC_EMERGENCY_24H,
    Cap.DELIVERY,
    Cap.CAESAREAN,
    Cap.DIALYSIS,
)
COUNTY_MCH_CAPABILITIES = (Cap.OBSTETRIC_EMERGENCY_24H, Cap.DELIVERY, Cap.CAESAREAN)


@dataclass(frozen=True)
class FacilityPlan:
    """One facility to build, with what staff it gets (read by the staff step)."""

    code: str
    slug: str  # the part of usernames after the role, e.g. ``binyang.ph``
    name_zh: str
    name_en: str
    kind: str
    tier: str
    critical_care_level: str | None
    region_code: str
    capabilities: tuple[str, ...]
    area_code: str
    address: str
    beds: tuple[int, int] | None  # obstetric beds drawn from this range; None = no obstetric ward
    specialties: tuple[str, ...] = ()  # specialist departments, one specialist each
    has_coordinator: bool = False
    has_auditor: bool = False
    obstetricians: int = 2
    midwives: int = 2

    @property
    def department_specialties(self) -> tuple[str, ...]:
        admin = (S.MEDICAL_ADMINISTRATION,) if self.tier != Tier.PRIMARY else ()
        return (S.OBSTETRICS, *self.specialties, *admin)

    def department_name(self, specialty: str) -> tuple[str, str]:
        if specialty == S.OBSTETRICS and self.tier == Tier.PRIMARY:
            return "妇产科", "Obstetrics and Gynaecology"
        if specialty == S.OBSTETRICS and self.kind == FacilityKind.MCH_INSTITUTE:
            return "孕产保健部", "Maternal Health"
        return DEPARTMENT_NAMES[specialty]


def _tertiary(**fields) -> FacilityPlan:
    """A tertiary hospital: three obstetricians and midwives, an MDT coordinator, an auditor."""
    beds = (80, 120) if fields["critical_care_level"] == CriticalCareLevel.PROVINCE else (40, 80)
    return FacilityPlan(
        tier=Tier.TERTIARY,
        beds=beds,
        has_coordinator=True,
        has_auditor=True,
        obstetricians=3,
        midwives=3,
        **fields,
    )


def _province_plans() -> list[FacilityPlan]:
    p = PROVINCE
    common = {"region_code": p.code, "area_code": p.area_code, "address": f"{p.name_zh}{p.cities[0].name_zh}"}
    caps, specialties = (*CENTRE_CAPABILITIES, *PROVINCIAL_EXTRAS), PROVINCIAL_SPECIALTIES
    return [
        _tertiary(
            code=f"DEMO-{p.code}-MCH",
            slug=f"{p.slug}.mch",
            name_zh=f"{p.name_zh}妇幼保健院",
            name_en=f"{p.name_en} Maternal and Child Health Hospital",
            kind=FacilityKind.MCH_HOSPITAL,
            critical_care_level=CriticalCareLevel.PROVINCE,
            capabilities=caps,
            specialties=specialties,
            **common,
        ),
        _tertiary(
            code=f"DEMO-{p.code}-GH",
            slug=f"{p.slug}.gh",
            name_zh=f"{p.name_zh}人民医院",
            name_en=f"{p.name_en} People's Hospital",
            kind=FacilityKind.GENERAL_HOSPITAL,
            critical_care_level=None,
            capabilities=caps,
            specialties=specialties,
            **common,
        ),
    ]


def _city_plans(city: City) -> list[FacilityPlan]:
    common = {
        "region_code": city.code,
        "area_code": city.area_code,
        "address": f"{PROVINCE.name_zh}{city.name_zh}",
    }
    return [
        _tertiary(
            code=f"DEMO-{city.code}-MCH",
            slug=f"{city.slug}.mch",
            name_zh=f"{city.name_zh}妇幼保健院",
            name_en=f"{city.name_en} Maternal and Child Health Hospital",
            kind=FacilityKind.MCH_HOSPITAL,
            critical_care_level=CriticalCareLevel.CITY,
            capabilities=(*CENTRE_CAPABILITIES, *city.centre_extras),
            specialties=TERTIARY_SPECIALTIES,
            **common,
        ),
        _tertiary(
            code=f"DEMO-{city.code}-GH",
            slug=f"{city.slug}.gh",
            name_zh=f"{city.name_zh}第一人民医院",
            name_en=f"{city.name_en} First People's Hospital",
            kind=FacilityKind.GENERAL_HOSPITAL,
            critical_care_level=None,
            capabilities=(*CENTRE_CAPABILITIES, Cap.DIALYSIS, *city.general_extras),
            specialties=TERTIARY_SPECIALTIES,
            **common,
        ),
        FacilityPlan(
            code=f"DEMO-{city.code}-INST",
            slug=f"{city.slug}.inst",
            name_zh=f"{city.name_zh}妇幼保健所",
            name_en=f"{city.name_en} Maternal and Child Health Institute",
            kind=FacilityKind.MCH_INSTITUTE,
            tier=Tier.SECONDARY,
            critical_care_level=None,
            capabilities=(),
            beds=None,
            specialties=INSTITUTE_SPECIALTIES,
            **common,
        ),
    ]


def _county_plans(city: City, county: County) -> list[FacilityPlan]:
    address = f"{PROVINCE.name_zh}{city.name_zh}{county.name_zh}"
    centre_caps = (*COUNTY_CENTRE_CAPABILITIES, *((Cap.ISOLATION_PMTCT,) if county.pmtct else ()))
    plans = [
        FacilityPlan(
            code=f"DEMO-{county.code}-PH",
            slug=f"{county.slug}.ph",
            name_zh=f"{county.name_zh}人民医院",
            name_en=f"{county.name_en} People's Hospital",
            kind=FacilityKind.GENERAL_HOSPITAL,
            tier=Tier.SECONDARY,
            critical_care_level=CriticalCareLevel.COUNTY,
            region_code=county.code,
            capabilities=centre_caps,
            area_code=city.area_code,
            address=address,
            beds=(30, 50),
            specialties=SECONDARY_SPECIALTIES,
            has_coordinator=True,
            obstetricians=3,
        ),
        FacilityPlan(
            code=f"DEMO-{county.code}-MCH",
            slug=f"{county.slug}.mch",
            name_zh=f"{county.name_zh}妇幼保健院",
            name_en=f"{county.name_en} Maternal and Child Health Hospital",
            kind=FacilityKind.MCH_HOSPITAL,
            tier=Tier.SECONDARY,
            critical_care_level=None,
            region_code=county.code,
            capabilities=COUNTY_MCH_CAPABILITIES,
            area_code=city.area_code,
            address=address,
            beds=(20, 40),
            specialties=SECONDARY_SPECIALTIES,
            has_coordinator=True,
        ),
    ]
    for town in county.townships:
        if county.urban:
            zh, en, kind = (
                f"{town.name_zh}社区卫生服务中心",
                f"{town.name_en} Community Health Centre",
                FacilityKind.COMMUNITY_HEALTH_CENTRE,
            )
        else:
            zh, en, kind = (
                f"{town.name_zh}卫生院",
                f"{town.name_en} Health Centre",
                FacilityKind.TOWNSHIP_HEALTH_CENTRE,
            )
        plans.append(
            FacilityPlan(
                code=f"DEMO-{county.code}-{town.slug.upper()}",
                slug=f"{county.slug}.{town.slug}",
                name_zh=zh,
                name_en=en,
                kind=kind,
                tier=Tier.PRIMARY,
                critical_care_level=None,
                region_code=county.code,
                capabilities=(Cap.DELIVERY,) if town.delivers else (),
                area_code=city.area_code,
                address=f"{address}{town.name_zh}",
                beds=(4, 8) if town.delivers else None,
            )
        )
    return plans


def facility_plans() -> list[FacilityPlan]:
    """Every demo facility, province first, then city by city and county by county."""
    plans = _province_plans()
    for city in PROVINCE.cities:
        plans += _city_plans(city)
        for county in city.counties:
            plans += _county_plans(city, county)
    return plans


def _phone(ctx: SeedContext, plan: FacilityPlan, kind: str) -> str:
    rng = ctx.rng("phone", kind, plan.code)
    return f"{plan.area_code}-{rng.randint(2, 8)}{rng.randint(0, 9_999_999):07d}"


def _facility_values(ctx: SeedContext, plan: FacilityPlan) -> dict:
    order = list(Cap)  # stable order, so a re-run compares equal
    beds = ctx.rng("beds", plan.code).randint(*plan.beds) if plan.beds else None
    return {
        "name_zh": plan.name_zh,
        "name_en": plan.name_en,
        "kind": plan.kind,
        "tier": plan.tier,
        "critical_care_level": plan.critical_care_level,
        "region": ctx.regions[plan.region_code],
        "capabilities": sorted({str(c) for c in plan.capabilities}, key=lambda c: order.index(c)),
        # A 24-hour referral hotline wherever women are delivered or received in an emergency.
        "referral_hotline": _phone(ctx, plan, "hotline")
        if {Cap.DELIVERY, Cap.OBSTETRIC_EMERGENCY_24H} & set(plan.capabilities)
        else "",
        "phone": _phone(ctx, plan, "switchboard"),
        "address": plan.address,
        "obstetric_beds": beds,
        "is_active": True,
    }


def build_facilities(ctx: SeedContext) -> None:
    plans = facility_plans()
    existing = {f.code: f for f in Facility.objects.filter(code__in=[p.code for p in plans])}
    for plan in ctx.progress(plans, "facilities"):
        values = _facility_values(ctx, plan)
        facility = existing.get(plan.code)
        if facility is None:
            facility = Facility(code=plan.code, external_id=demo_uuid("facility", plan.code), **values)
            facility.save()
            ctx.count("facilities", "created")
        elif changed := apply_values(facility, values):
            facility.save(update_fields=[*changed, "updated_at"])
            ctx.count("facilities", "updated")
        else:
            ctx.count("facilities", "unchanged")
        ctx.facilities[plan.code] = facility
        ctx.facility_plans[plan.code] = plan


def build_departments(ctx: SeedContext) -> None:
    """One department per planned specialty; departments someone else added are left alone."""
    by_id = {f.pk: code for code, f in ctx.facilities.items()}
    existing = {
        (by_id[d.facility_id], d.specialty): d
        for d in Department.objects.filter(facility__in=list(ctx.facilities.values()))
    }
    missing = []
    for code, plan in ctx.facility_plans.items():
        for specialty in plan.department_specialties:
            name_zh, name_en = plan.department_name(specialty)
            values = {"name_zh": name_zh, "name_en": name_en}
            department = existing.get((code, specialty))
            if department is None:
                department = Department(
                    facility=ctx.facilities[code],
                    specialty=specialty,
                    external_id=demo_uuid("department", f"{code}:{specialty}"),
                    **values,
                )
                missing.append(department)
            elif changed := apply_values(department, values):
                department.save(update_fields=[*changed, "updated_at"])
                ctx.count("departments", "updated")
            else:
                ctx.count("departments", "unchanged")
            ctx.departments[(code, specialty)] = department
    Department.objects.bulk_create(missing)
    ctx.count("departments", "created", len(missing))
