"""Step: staff and regional users, with deterministic usernames and Chinese display names.

Username scheme (all lower-case ASCII, ``<who>.<where>``):

* facility staff: ``<role><n>.<facility>`` — ``ob1.binyang.ph`` (obstetrician 1, 宾阳县人民医院),
  ``mw2.nanning.mch``, ``admin.liucheng.dapu``, ``mdt.guilin.gh`` (MDT coordinator), ``aud.guangxi.mch``;
  specialists by specialty: ``anes``, ``icu``, ``neo``, ``cardio``, ``rheum``, ``infect``, ``hem``, ``ir``,
  ``transfusion``, ``wh`` (women's health) — ``icu.nanning.mch``.
* facility part: ``guangxi.mch`` / ``guangxi.gh`` (provincial), ``<city>.mch`` / ``.gh`` / ``.inst``,
  ``<county>.ph`` (people's hospital) / ``.mch``, ``<county>.<township>`` (health centre).
* regional: ``sup.<region>`` (``sup.guangxi``, ``sup.nanning``, ``sup.binyang``), ``aud.guangxi``.
* short logins for the README: see ``DEMO_LOGINS``.
"""

from dataclasses import dataclass

from django.contrib.auth.hashers import check_password, make_password

from accounts.choices import Role, Title
from accounts.models import User
from facilities.choices import Specialty as S
from facilities.choices import Tier

from ..geography import PROVINCE
from .context import SeedContext, apply_values, demo_uuid
from .facilities import FacilityPlan
from .names import chinese_name

# Where each role exists. ``None`` stands for "no facility" (regional scope). MDT coordinators and
# specialists work only in hospitals that run MDT consultations (secondary and tertiary); auditors sit in
# tertiary hospitals and at the province.
ROLE_TIERS: dict[str, frozenset[str | None]] = {
    Role.OBSTETRICIAN: frozenset({Tier.PRIMARY, Tier.SECONDARY, Tier.TERTIARY}),
    Role.MIDWIFE: frozenset({Tier.PRIMARY, Tier.SECONDARY, Tier.TERTIARY}),
    Role.FACILITY_ADMIN: frozenset({Tier.PRIMARY, Tier.SECONDARY, Tier.TERTIARY}),
    Role.MDT_COORDINATOR: frozenset({Tier.SECONDARY, Tier.TERTIARY}),
    Role.SPECIALIST: frozenset({Tier.SECONDARY, Tier.TERTIARY}),
    Role.AUDITOR: frozenset({Tier.TERTIARY, None}),
    Role.REGIONAL_SUPERVISOR: frozenset({None}),
    Role.SYSTEM_ADMIN: frozenset({None}),
}

SPECIALIST_PREFIX = {
    S.ANESTHESIOLOGY: "anes",
    S.ICU: "icu",
    S.NEONATOLOGY: "neo",
    S.CARDIOLOGY: "cardio",
    S.RHEUMATOLOGY: "rheum",
    S.INFECTIOUS_DISEASES: "infect",
    S.HEMATOLOGY: "hem",
    S.INTERVENTIONAL_RADIOLOGY: "ir",
    S.TRANSFUSION: "transfusion",
    S.PUBLIC_HEALTH: "wh",
}

OBSTETRICIAN_TITLES = {
    Tier.TERTIARY: (Title.CHIEF, Title.ASSOCIATE_CHIEF, Title.ATTENDING),
    Tier.SECONDARY: (Title.ASSOCIATE_CHIEF, Title.ATTENDING, Title.RESIDENT),
    Tier.PRIMARY: (Title.ASSOCIATE_CHIEF, Title.RESIDENT),
}


@dataclass(frozen=True)
class StaffPlan:
    """One user to build. ``facility`` is a facility code; ``department`` a specialty of that facility."""

    username: str
    roles: tuple[str, ...]
    facility: str | None = None
    region: str | None = None  # regional scope, for users without a facility
    department: str | None = None
    specialty: str = ""
    title: str = ""
    is_department_head: bool = False
    is_medical_director: bool = False
    is_superuser: bool = False


# Short, well-known logins for the README and demos. Clinical ones sit where the interesting work is:
# the county centre 宾阳县人民医院 refers up to the city centre 南宁市妇幼保健院.
_COUNTY = f"DEMO-{PROVINCE.cities[0].counties[1].code}-PH"
_CITY = f"DEMO-{PROVINCE.cities[0].code}-MCH"
DEMO_LOGINS = (
    StaffPlan(
        "obstetrician",
        (Role.OBSTETRICIAN,),
        _COUNTY,
        department=S.OBSTETRICS,
        specialty=S.OBSTETRICS,
        title=Title.ATTENDING,
    ),
    StaffPlan("midwife", (Role.MIDWIFE,), _COUNTY, department=S.OBSTETRICS, specialty=S.MIDWIFERY),
    StaffPlan(
        "admin",
        (Role.FACILITY_ADMIN,),
        _COUNTY,
        department=S.MEDICAL_ADMINISTRATION,
        specialty=S.MEDICAL_ADMINISTRATION,
    ),
    StaffPlan(
        "coordinator",
        (Role.MDT_COORDINATOR,),
        _CITY,
        department=S.OBSTETRICS,
        specialty=S.OBSTETRICS,
        title=Title.ASSOCIATE_CHIEF,
    ),
    StaffPlan(
        "specialist",
        (Role.SPECIALIST,),
        _CITY,
        department=S.CARDIOLOGY,
        specialty=S.CARDIOLOGY,
        title=Title.ASSOCIATE_CHIEF,
    ),
    StaffPlan("supervisor", (Role.REGIONAL_SUPERVISOR,), region=PROVINCE.code, specialty=S.PUBLIC_HEALTH),
    StaffPlan("auditor", (Role.AUDITOR,), region=PROVINCE.code),
    StaffPlan("sysadmin", (Role.SYSTEM_ADMIN,), region=PROVINCE.code, is_superuser=True),
)


def _facility_staff(ctx: SeedContext, plan: FacilityPlan) -> list[StaffPlan]:
    code, where, primary = plan.code, plan.slug, plan.tier == Tier.PRIMARY
    admin_department = None if primary else S.MEDICAL_ADMINISTRATION
    staff = [
        StaffPlan(
            f"ob{n}.{where}",
            (Role.OBSTETRICIAN,),
            code,
            department=S.OBSTETRICS,
            specialty=S.OBSTETRICS,
            title=title,
            is_department_head=n == 1,
            is_medical_director=n == 1 and not primary,
        )
        for n, title in enumerate(OBSTETRICIAN_TITLES[plan.tier][: plan.obstetricians], start=1)
    ]
    staff += [
        StaffPlan(f"mw{n}.{where}", (Role.MIDWIFE,), code, department=S.OBSTETRICS, specialty=S.MIDWIFERY)
        for n in range(1, plan.midwives + 1)
    ]
    # A township health centre's director (院长) runs it and is its medical director.
    staff.append(
        StaffPlan(
            f"admin.{where}",
            (Role.FACILITY_ADMIN,),
            code,
            department=admin_department,
            specialty=S.MEDICAL_ADMINISTRATION,
            is_medical_director=primary,
        )
    )
    if plan.has_coordinator:
        staff.append(
            StaffPlan(
                f"mdt.{where}",
                (Role.MDT_COORDINATOR,),
                code,
                department=S.OBSTETRICS,
                specialty=S.OBSTETRICS,
                title=Title.ATTENDING,
            )
        )
    for specialty in plan.specialties:
        title = ctx.rng("title", where, specialty).choices(
            [Title.ATTENDING, Title.ASSOCIATE_CHIEF, Title.CHIEF], weights=[3, 2, 1]
        )[0]
        staff.append(
            StaffPlan(
                f"{SPECIALIST_PREFIX[specialty]}.{where}",
                (Role.SPECIALIST,),
                code,
                department=specialty,
                specialty=specialty,
                title=title,
                is_department_head=title in (Title.ASSOCIATE_CHIEF, Title.CHIEF),
            )
        )
    if plan.has_auditor:
        staff.append(StaffPlan(f"aud.{where}", (Role.AUDITOR,), code))
    return staff


def _regional_staff() -> list[StaffPlan]:
    public_health = {"specialty": S.PUBLIC_HEALTH}
    staff = [
        StaffPlan(f"sup.{PROVINCE.slug}", (Role.REGIONAL_SUPERVISOR,), region=PROVINCE.code, **public_health),
        StaffPlan(f"aud.{PROVINCE.slug}", (Role.AUDITOR,), region=PROVINCE.code),
    ]
    for city in PROVINCE.cities:
        staff.append(
            StaffPlan(f"sup.{city.slug}", (Role.REGIONAL_SUPERVISOR,), region=city.code, **public_health)
        )
        # In reality the county supervisor works at the county MCH institute; the data keeps facility empty.
        staff += [
            StaffPlan(f"sup.{county.slug}", (Role.REGIONAL_SUPERVISOR,), region=county.code, **public_health)
            for county in city.counties
        ]
    return staff


def staff_plans(ctx: SeedContext) -> list[StaffPlan]:
    plans = [p for facility in ctx.facility_plans.values() for p in _facility_staff(ctx, facility)]
    plans += _regional_staff() + list(DEMO_LOGINS)
    usernames = [p.username for p in plans]
    assert len(usernames) == len(set(usernames)), "demo usernames must be unique"
    return plans


def _user_values(ctx: SeedContext, plan: StaffPlan) -> dict:
    department = ctx.departments[(plan.facility, plan.department)] if plan.department else None
    return {
        "display_name": chinese_name(ctx.rng("name", plan.username)),
        "facility": ctx.facilities[plan.facility] if plan.facility else None,
        "department": department,
        "region": ctx.regions[plan.region] if plan.region else None,
        "roles": [str(role) for role in plan.roles],
        "specialty": plan.specialty,
        "title": plan.title,
        "is_department_head": plan.is_department_head,
        "is_medical_director": plan.is_medical_director,
        "is_staff": plan.is_superuser,
        "is_superuser": plan.is_superuser,
        "is_active": True,
    }


class _Passwords:
    """Hash the demo password once and share the hash.

    Hashing per user (``create_user``/``set_password``) would cost hundreds of PBKDF2 rounds — minutes
    for a few hundred users. Every demo user has the same password, so one salted hash loses nothing.
    A re-run with an explicit ``--password`` checks each distinct stored hash once.
    """

    def __init__(self, password: str) -> None:
        self.password = password
        self.encoded = make_password(password)
        self._matches: dict[str, bool] = {self.encoded: True}

    def matches(self, encoded: str) -> bool:
        if encoded not in self._matches:
            self._matches[encoded] = check_password(self.password, encoded)
        return self._matches[encoded]


def build_staff(ctx: SeedContext) -> None:
    """Users are saved one by one so the post_save signal puts each in her facility's access group."""
    plans = staff_plans(ctx)
    existing = {u.username: u for u in User.objects.filter(username__in=[p.username for p in plans])}
    passwords = _Passwords(ctx.password)
    for plan in ctx.progress(plans, "staff"):
        values = _user_values(ctx, plan)
        user = existing.get(plan.username)
        if user is None:
            user = User(
                username=plan.username,
                external_id=demo_uuid("user", plan.username),
                password=passwords.encoded,
                **values,
            )
            user.save()
            ctx.count("users", "created")
        elif user.external_id != demo_uuid("user", plan.username):
            ctx.warn(f"Skipped user {plan.username!r}: the account exists and was not created by seed_demo.")
            continue
        else:
            changed = apply_values(user, values)
            if ctx.password_explicit and not passwords.matches(user.password):
                user.password = passwords.encoded
                changed.append("password")
            if changed:
                user.save(update_fields=changed)
            ctx.count("users", "updated" if changed else "unchanged")
        ctx.users[plan.username] = user
        ctx.user_plans[plan.username] = plan
