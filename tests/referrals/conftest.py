import pytest

from accounts.choices import Role
from facilities.choices import Capability, CriticalCareLevel, Tier
from tests.factories import FacilityFactory, UserFactory


@pytest.fixture
def centre(city):
    """A city critical care centre (tertiary) in the home facility's city."""
    return FacilityFactory(
        name_en="City A MCH Hospital",
        tier=Tier.TERTIARY,
        critical_care_level=CriticalCareLevel.CITY,
        region=city,
        capabilities=[
            Capability.OBSTETRIC_ICU,
            Capability.NICU,
            Capability.BLOOD_BANK,
            Capability.CARDIAC_SURGERY,
            Capability.OBSTETRIC_EMERGENCY_24H,
            Capability.DELIVERY,
        ],
    )


@pytest.fixture
def other_centre(province):
    return FacilityFactory(
        name_en="Provincial MCH Hospital",
        tier=Tier.TERTIARY,
        critical_care_level=CriticalCareLevel.PROVINCE,
        region=province,
        capabilities=[
            Capability.OBSTETRIC_ICU,
            Capability.CARDIAC_SURGERY,
            Capability.BLOOD_BANK,
            Capability.INTERVENTIONAL_RADIOLOGY,
            Capability.ISOLATION_PMTCT,
        ],
    )


@pytest.fixture
def centre_doctor(centre):
    return UserFactory(username="centre_ob", facility=centre, roles=[Role.OBSTETRICIAN])


@pytest.fixture
def centre_midwife(centre):
    return UserFactory(username="centre_mw", facility=centre, roles=[Role.MIDWIFE])


@pytest.fixture
def other_centre_doctor(other_centre):
    return UserFactory(username="prov_ob", facility=other_centre, roles=[Role.OBSTETRICIAN])
