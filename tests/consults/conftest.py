"""The MDT cast beyond the shared personas: the county hospital's coordinator and two specialists of the
city centre (another facility, so they read the woman's record only through their invitation)."""

import pytest

from accounts.choices import Role, Title
from facilities.choices import CriticalCareLevel, Specialty, Tier
from tests.factories import FacilityFactory, UserFactory


@pytest.fixture
def city_centre(city):
    return FacilityFactory(
        name_en="City centre", tier=Tier.TERTIARY, critical_care_level=CriticalCareLevel.CITY, region=city
    )


@pytest.fixture
def coordinator(home_facility):
    return UserFactory(
        username="coordinator", facility=home_facility, roles=[Role.MDT_COORDINATOR], specialty=""
    )


@pytest.fixture
def cardiologist(city_centre):
    return UserFactory(
        username="cardio",
        display_name="Dr Cardio",
        email="cardio@centre.example.org",
        facility=city_centre,
        roles=[Role.SPECIALIST],
        specialty=Specialty.CARDIOLOGY,
        title=Title.CHIEF,
    )


@pytest.fixture
def anaesthetist(city_centre):
    return UserFactory(
        username="anaes",
        display_name="Dr Anaes",
        email="anaes@centre.example.org",
        facility=city_centre,
        roles=[Role.SPECIALIST],
        specialty=Specialty.ANESTHESIOLOGY,
        title=Title.ASSOCIATE_CHIEF,
    )
