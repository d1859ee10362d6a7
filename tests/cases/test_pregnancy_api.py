"""The pregnancy read endpoints this issue ships for the access model (the registry extends them)."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import PregnancyFactory

pytestmark = pytest.mark.django_db


def test_detail_fields(api, pregnancy, midwife):
    pregnancy.edd = timezone.localdate() + dt.timedelta(days=280 - (20 * 7 + 3))
    pregnancy.save(update_fields=["edd"])
    body = api.as_user(midwife).get(f"/api/v1/pregnancies/{pregnancy.external_id}/").json()
    assert body["id"] == str(pregnancy.external_id)
    assert body["patient"] == str(pregnancy.patient.external_id)
    assert body["managing_facility"] == str(pregnancy.managing_facility.external_id)
    assert body["gestational_age"] == {"weeks": 20, "days": 3}
    assert (body["status"], body["risk_color"], body["purple"]) == ("active", None, False)


def test_unknown_or_malformed_id_is_404(api, midwife, pregnancy):
    client = api.as_user(midwife)
    assert client.get("/api/v1/pregnancies/00000000-0000-0000-0000-000000000000/").status_code == 404
    response = client.get("/api/v1/pregnancies/12/")
    assert response.status_code == 404
    assert set(response.json()) == {"message", "errors"}


def test_list_query_count_does_not_grow_with_rows(api, midwife, home_facility, django_assert_num_queries):
    """Queries: user (session), COUNT(*), the page joined to patient and facility, the list audit row."""
    PregnancyFactory.create_batch(2, managing_facility=home_facility)
    client = api.as_user(midwife)
    # Warm up: the first request after force_login stamps the session's refresh time (savepoint, UPDATE,
    # release); the requests after it, within SESSION_REFRESH_SECONDS, write nothing.
    client.get("/api/v1/pregnancies/")
    with django_assert_num_queries(4):
        assert client.get("/api/v1/pregnancies/").json()["count"] == 2
    PregnancyFactory.create_batch(20, managing_facility=home_facility)
    with django_assert_num_queries(4):
        assert client.get("/api/v1/pregnancies/").json()["count"] == 22


def test_detail_query_count(api, midwife, pregnancy, django_assert_num_queries):
    """Queries: user (session), the pregnancy within scope with patient and facilities (and, in the same
    statement, whether it is visible without an emergency access), the audit row, session refresh (3)."""
    client = api.as_user(midwife)
    with django_assert_num_queries(6):
        assert client.get(f"/api/v1/pregnancies/{pregnancy.external_id}/").status_code == 200
