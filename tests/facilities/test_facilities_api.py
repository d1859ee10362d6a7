"""Facility directory API: contract fields, filters, pagination and a constant query count."""

import pytest

from tests.factories import FacilityFactory, RegionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def network(home_facility, other_facility, county, other_county):
    centre = FacilityFactory(city_centre=True, region=county, name_en="City A MCH Hospital")
    township = FacilityFactory(township=True, region=other_county, name_en="Town B Health Centre")
    return {"home": home_facility, "other": other_facility, "centre": centre, "township": township}


def test_contract_fields(api, midwife, network):
    body = api.as_user(midwife).get(f"/api/v1/facilities/{network['centre'].external_id}/").json()
    assert {"id", "name", "tier", "critical_care_level", "region", "capabilities"} <= set(body)
    assert body["id"] == str(network["centre"].external_id)
    assert (body["tier"], body["critical_care_level"], body["region"]) == ("tertiary", "city", "450102")
    assert "obstetric_icu" in body["capabilities"]
    assert body["name"] == "City A MCH Hospital"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"tier": "primary"}, {"township"}),
        ({"tier": "secondary"}, {"home", "other"}),
        ({"critical_care_level": "city"}, {"centre"}),
        ({"critical_care_level": "null"}, {"home", "other", "township"}),
        ({"region": "450100"}, {"home", "centre"}),
        ({"region": "450203"}, {"other", "township"}),
        ({"region": "450000"}, {"home", "other", "centre", "township"}),
        ({"capability": "nicu"}, {"centre"}),
    ],
)
def test_filters(api, midwife, network, params, expected):
    body = api.as_user(midwife).get("/api/v1/facilities/", params).json()
    by_id = {str(f.external_id): key for key, f in network.items()}
    assert {by_id[row["id"]] for row in body["results"]} == expected
    assert body["count"] == len(expected)


def test_bad_filter_value_is_400_naming_the_field(api, midwife, network):
    response = api.as_user(midwife).get("/api/v1/facilities/", {"tier": "quaternary"})
    assert response.status_code == 400
    assert "tier" in response.json()["errors"]


def test_page_size_is_capped_at_1000(api, midwife, network):
    body = api.as_user(midwife).get("/api/v1/facilities/", {"page_size": 5000}).json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 4


def test_pagination_links(api, midwife, network):
    body = api.as_user(midwife).get("/api/v1/facilities/", {"page_size": 3}).json()
    assert len(body["results"]) == 3 and body["next"].endswith("page=2&page_size=3")
    assert body["previous"] is None


def test_list_query_count_is_constant(api, midwife, county, django_assert_num_queries):
    """Queries: the user (session auth), COUNT(*), the page of facilities joined to their region. The
    same for 3 and 33 facilities."""
    FacilityFactory.create_batch(3, region=county)
    client = api.as_user(midwife)
    # Warm up: the first request after force_login stamps the session's refresh time (savepoint, UPDATE,
    # release); the requests after it, within SESSION_REFRESH_SECONDS, write nothing.
    client.get("/api/v1/facilities/")
    with django_assert_num_queries(3):
        client.get("/api/v1/facilities/")
    FacilityFactory.create_batch(30, region=RegionFactory())
    with django_assert_num_queries(3):
        client.get("/api/v1/facilities/")


def test_token_client_list_needs_three_queries(api, midwife, county, django_assert_num_queries):
    """Token auth: token joined to user, facility and region; COUNT(*); the page."""
    FacilityFactory.create_batch(5, region=county)
    from accounts.services import api_token_issue

    raw, _ = api_token_issue(actor=midwife)
    with django_assert_num_queries(3):
        response = api.get("/api/v1/facilities/", HTTP_AUTHORIZATION=f"Token {raw}")
    assert response.json()["count"] == 6


def test_directory_is_ordered_by_region_then_tier(api, midwife, network):
    rows = api.as_user(midwife).get("/api/v1/facilities/").json()["results"]
    assert [r["region"] for r in rows] == sorted(r["region"] for r in rows)
