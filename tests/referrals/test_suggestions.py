"""Where can she go: tier and critical-care level from her colour, capabilities from her criteria,
nearest first; after delivery, primary care where she lives."""

import datetime as dt

import pytest
from django.utils import timezone

from accounts.choices import Role
from facilities.choices import Capability, CriticalCareLevel, Tier
from tests.factories import FacilityFactory, UserFactory

pytestmark = pytest.mark.django_db


def suggest(api, user, pregnancy):
    response = api.as_user(user).get(
        "/api/v1/referrals/suggestions/", {"pregnancy": str(pregnancy.external_id)}
    )
    assert response.status_code == 200, response.json()
    return response.json()


def grade(api, obstetrician, pregnancy, **measurements):
    response = api.as_user(obstetrician).post(
        f"/api/v1/pregnancies/{pregnancy.external_id}/risk-assessments/",
        {"measurements": measurements},
        format="json",
    )
    assert response.status_code == 201, response.json()


@pytest.fixture
def network(city, county, other_county, province):
    return {
        "county_centre": FacilityFactory(
            name_en="County centre",
            tier=Tier.SECONDARY,
            critical_care_level=CriticalCareLevel.COUNTY,
            region=county,
            capabilities=[Capability.OBSTETRIC_ICU, Capability.BLOOD_BANK],
        ),
        "city_centre": FacilityFactory(
            name_en="City centre",
            tier=Tier.TERTIARY,
            critical_care_level=CriticalCareLevel.CITY,
            region=city,
            capabilities=[Capability.OBSTETRIC_ICU, Capability.BLOOD_BANK],
        ),
        "cardiac_centre": FacilityFactory(
            name_en="Provincial cardiac centre",
            tier=Tier.TERTIARY,
            critical_care_level=CriticalCareLevel.PROVINCE,
            region=province,
            capabilities=[Capability.OBSTETRIC_ICU, Capability.CARDIAC_SURGERY],
        ),
        "tertiary_plain": FacilityFactory(name_en="General tertiary", tier=Tier.TERTIARY, region=city),
        "township": FacilityFactory(township=True, name_en="Home township", region=county),
        "far_township": FacilityFactory(township=True, name_en="Far township", region=other_county),
    }


def names(rows):
    return [row["name"] for row in rows]


def test_red_cardiac_woman_goes_to_a_centre_with_cardiac_surgery(api, obstetrician, pregnancy, network):
    grade(api, obstetrician, pregnancy, pasp_mmhg=55)  # R-CARDIO-PAH, cardiovascular
    rows = suggest(api, obstetrician, pregnancy)
    assert names(rows) == ["Provincial cardiac centre"]
    assert any("Cardiac surgery" in reason for reason in rows[0]["reasons"])


def test_orange_woman_goes_to_any_critical_care_centre_nearest_first(api, obstetrician, pregnancy, network):
    grade(api, obstetrician, pregnancy, age_years=41)
    assert names(suggest(api, obstetrician, pregnancy)) == [
        "County centre",
        "City centre",
        "Provincial cardiac centre",
    ]


def test_yellow_woman_goes_to_secondary_or_tertiary(api, obstetrician, pregnancy, network):
    grade(api, obstetrician, pregnancy, hb_g_l=100)
    rows = names(suggest(api, obstetrician, pregnancy))
    assert "Home township" not in rows and "Far township" not in rows
    assert rows[0] == "County centre"  # same county first
    assert set(rows) >= {"City centre", "General tertiary", "Provincial cardiac centre"}


def test_down_referral_after_delivery_suggests_primary_care_where_she_lives(api, pregnancy, network, county):
    centre = network["city_centre"]
    doctor = UserFactory(facility=centre, roles=[Role.OBSTETRICIAN])
    pregnancy.managing_facility = centre
    pregnancy.status, pregnancy.outcome = "postpartum", "delivery"
    pregnancy.ended_on = timezone.localdate() - dt.timedelta(days=2)
    pregnancy.save()
    patient = pregnancy.patient
    patient.residence_region = county
    patient.save()
    rows = suggest(api, doctor, pregnancy)
    assert names(rows)[0] == "Home township"
    assert "Far township" in names(rows)
