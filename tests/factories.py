"""factory_boy factories. Clinical state is set up through services where a service exists."""

import datetime as dt
import itertools

import factory
from django.utils import timezone

from accounts.choices import Role, Title
from accounts.models import OnCallShift, User
from cases.models import Patient, Pregnancy
from facilities.choices import Capability, CriticalCareLevel, FacilityKind, RegionLevel, Specialty, Tier
from facilities.models import Department, Facility, Region

_county_codes = itertools.count(1)


class RegionFactory(factory.django.DjangoModelFactory):
    """A county in city 450100 of province 450000 by default; pass ``code`` and ``level`` to change."""

    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = factory.LazyFunction(lambda: f"4501{next(_county_codes) % 100:02d}")
    name_zh = factory.Sequence(lambda n: f"测试县{n}")
    name_en = factory.Sequence(lambda n: f"Test County {n}")
    level = RegionLevel.COUNTY


class FacilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Facility

    name_zh = factory.Sequence(lambda n: f"测试医院{n}")
    name_en = factory.Sequence(lambda n: f"Test Hospital {n}")
    code = factory.Sequence(lambda n: f"F{n:06d}")
    kind = FacilityKind.GENERAL_HOSPITAL
    tier = Tier.SECONDARY
    critical_care_level = None
    region = factory.SubFactory(RegionFactory)
    capabilities = factory.LazyFunction(lambda: [Capability.DELIVERY])
    referral_hotline = "0771-12345678"

    class Params:
        township = factory.Trait(tier=Tier.PRIMARY, kind=FacilityKind.TOWNSHIP_HEALTH_CENTRE, capabilities=[])
        city_centre = factory.Trait(
            tier=Tier.TERTIARY,
            critical_care_level=CriticalCareLevel.CITY,
            kind=FacilityKind.MCH_HOSPITAL,
            capabilities=[
                Capability.OBSTETRIC_ICU,
                Capability.NICU,
                Capability.BLOOD_BANK,
                Capability.OBSTETRIC_EMERGENCY_24H,
                Capability.DELIVERY,
            ],
        )


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    facility = factory.SubFactory(FacilityFactory)
    specialty = Specialty.OBSTETRICS
    name_zh = "产科"
    name_en = "Obstetrics"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"测试用户{n}")
    facility = factory.SubFactory(FacilityFactory)
    roles = factory.LazyFunction(lambda: [Role.OBSTETRICIAN])
    specialty = Specialty.OBSTETRICS
    title = Title.ATTENDING
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class OnCallShiftFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OnCallShift

    user = factory.SubFactory(UserFactory)
    facility = factory.SelfAttribute("user.facility")
    starts_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(hours=1))
    ends_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(hours=11))
    is_lead = True


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    # Far above what the service's sequence reaches in a test run, so the two never collide.
    record_number = factory.Sequence(lambda n: f"MS2026{9_000_000 + n:07d}")
    name = factory.Sequence(lambda n: f"患者{n}")
    birth_date = dt.date(1992, 5, 17)
    registered_facility = factory.SubFactory(FacilityFactory)


class PregnancyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pregnancy

    patient = factory.SubFactory(
        PatientFactory, registered_facility=factory.SelfAttribute("..managing_facility")
    )
    managing_facility = factory.SubFactory(FacilityFactory)
    booking_facility = factory.SelfAttribute("managing_facility")
    edd = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=140))
