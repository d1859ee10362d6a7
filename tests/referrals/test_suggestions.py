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


# --- no facility has everything she needs: the best partial matches, saying what each lacks ------------


@pytest.fixture
def thin_network(city, county, province):
    """No centre with cardiac surgery anywhere: a city centre with an ICU, a provincial centre without."""
    return {
        "city": FacilityFactory(
            name_en="City centre with ICU",
            tier=Tier.TERTIARY,
            critical_care_level=CriticalCareLevel.CITY,
            region=city,
            capabilities=[Capability.OBSTETRIC_ICU, Capability.BLOOD_BANK],
        ),
        "province": FacilityFactory(
            name_en="Provincial centre without ICU",
            tier=Tier.TERTIARY,
            critical_care_level=CriticalCareLevel.PROVINCE,
            region=province,
            capabilities=[Capability.BLOOD_BANK],
        ),
        "county": FacilityFactory(
            name_en="County centre",
            tier=Tier.SECONDARY,
            critical_care_level=CriticalCareLevel.COUNTY,
            region=county,
            capabilities=[Capability.OBSTETRIC_ICU, Capability.CARDIAC_SURGERY],
        ),
    }


def test_red_cardiac_woman_without_a_full_match_gets_the_closest_matches_with_what_they_lack(
    api, obstetrician, pregnancy, thin_network
):
    grade(api, obstetrician, pregnancy, pasp_mmhg=55)  # red, cardiovascular: cardiac surgery and an ICU
    rows = suggest(api, obstetrician, pregnancy)
    # Only red-level centres (the county centre has both capabilities but is not a tertiary centre),
    # the one lacking fewer capabilities first, even though it is not the nearest rule's only key.
    assert names(rows) == ["City centre with ICU", "Provincial centre without ICU"]
    city, province = rows
    assert city["missing_capabilities"] == ["cardiac_surgery"]
    assert province["missing_capabilities"] == ["cardiac_surgery", "obstetric_icu"]
    assert "has Obstetric ICU or reserved ICU beds" in city["reasons"]
    assert "lacks Cardiac surgery" in city["reasons"]
    assert "lacks Cardiac surgery, Obstetric ICU or reserved ICU beds" in province["reasons"]


def test_partial_matches_rank_by_capabilities_before_distance(api, obstetrician, pregnancy, city, province):
    near = FacilityFactory(
        name_en="Near, nothing needed",
        tier=Tier.TERTIARY,
        critical_care_level=CriticalCareLevel.CITY,
        region=city,
        capabilities=[Capability.NICU],
    )
    far = FacilityFactory(
        name_en="Far, has the ICU",
        tier=Tier.TERTIARY,
        critical_care_level=CriticalCareLevel.PROVINCE,
        region=province,
        capabilities=[Capability.OBSTETRIC_ICU],
    )
    grade(api, obstetrician, pregnancy, pasp_mmhg=55)
    assert names(suggest(api, obstetrician, pregnancy)) == [far.name_en, near.name_en]


def test_reasons_are_translated_with_a_chinese_enumeration_comma(api, obstetrician, pregnancy, thin_network):
    from django.utils import translation

    grade(api, obstetrician, pregnancy, pasp_mmhg=55)
    response = api.as_user(obstetrician).get(
        "/api/v1/referrals/suggestions/",
        {"pregnancy": str(pregnancy.external_id)},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    province = response.json()[1]
    with translation.override("zh-hans"):
        cardiac, icu = str(Capability.CARDIAC_SURGERY.label), str(Capability.OBSTETRIC_ICU.label)
    assert cardiac != "Cardiac surgery"  # the capability names themselves are translated
    assert f"缺少{cardiac}、{icu}" in province["reasons"]
    assert "红色：三级医院的市级或省级危重孕产妇救治中心" in province["reasons"]
    assert not any(", " in reason or "lacks" in reason for reason in province["reasons"])


def test_the_form_shows_partial_matches_and_what_they_lack(
    client, obstetrician, pregnancy, thin_network, api
):
    grade(api, obstetrician, pregnancy, pasp_mmhg=55)
    client.force_login(obstetrician)
    body = client.get(
        f"/referrals/new/?pregnancy={pregnancy.external_id}", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "City centre with ICU" in body and "lacks Cardiac surgery" in body
    assert "No facility in the directory has everything she needs." in body


def test_placenta_accreta_needs_interventional_radiology_and_a_blood_bank(api, obstetrician, pregnancy, city):
    FacilityFactory(
        name_en="Blood bank only",
        tier=Tier.TERTIARY,
        critical_care_level=CriticalCareLevel.CITY,
        region=city,
        capabilities=[Capability.BLOOD_BANK],
    )
    FacilityFactory(
        name_en="Radiology and blood",
        tier=Tier.SECONDARY,
        critical_care_level=CriticalCareLevel.COUNTY,
        region=city,
        capabilities=[Capability.BLOOD_BANK, Capability.INTERVENTIONAL_RADIOLOGY],
    )
    grade(api, obstetrician, pregnancy, uterine_scar=True, suspected_placenta_accreta=True)  # orange
    rows = suggest(api, obstetrician, pregnancy)
    assert names(rows) == ["Radiology and blood"]  # a full match exists: partial ones are not offered
    assert rows[0]["missing_capabilities"] == []
    assert any("Interventional radiology" in reason for reason in rows[0]["reasons"])
