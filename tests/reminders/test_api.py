"""/api/v1/follow-ups/: the caller's facility's windows with status filters; confirming a
lost-to-follow-up proposal (a person decides, audited) or turning it down."""

import pytest

from audit.models import AuditEvent
from reminders.services import followup_recompute, followups_sweep
from tests.factories import PregnancyFactory

from .conftest import noon, open_window

pytestmark = pytest.mark.django_db
URL = "/api/v1/follow-ups/"


@pytest.fixture
def proposed(followed):
    window = open_window(followed)
    followups_sweep(now=noon(window.lost_on))
    window.refresh_from_db()
    return window


def test_list_shows_the_facility_windows_with_status_filters_and_audits(api, midwife, followed):
    body = api.as_user(midwife).get(URL).json()
    assert [row["pregnancy"] for row in body["results"]] == [str(followed.external_id)]
    assert body["results"][0]["status"] == "upcoming"
    event = AuditEvent.objects.filter(action="list", object_type="reminders.followup").latest("id")
    assert event.patient_ids == [followed.patient.external_id]
    assert api.as_user(midwife).get(URL, {"status": "overdue"}).json()["results"] == []


def test_outsiders_see_nothing_and_anonymous_is_refused(api, outsider, auditor, followed):
    assert api.as_user(outsider).get(URL).json()["results"] == []
    assert api.as_user(auditor).get(URL).status_code == 403
    assert api.as_user(None).get(URL).status_code in (401, 403)


def test_list_query_count_is_constant(api, midwife, followed, django_assert_num_queries):
    # user, count, one page (woman and facilities joined), audit insert — whatever the number of windows
    client = api.as_user(midwife)
    # Warm up: the first request after force_login stamps the session's refresh time (savepoint, UPDATE,
    # release); the requests after it, within SESSION_REFRESH_SECONDS, write nothing.
    client.get(URL)
    with django_assert_num_queries(4):
        client.get(URL)
    for _ in range(3):
        followup_recompute(pregnancy=PregnancyFactory(managing_facility=followed.managing_facility))
    with django_assert_num_queries(4):
        assert len(client.get(URL).json()["results"]) == 4


def test_confirming_lost_needs_a_proposal_a_reason_and_change_access(
    api, midwife, supervisor, outsider, followed
):
    window = open_window(followed)
    url = f"{URL}{window.external_id}/confirm-lost/"
    assert api.as_user(midwife).post(url, {"reason": "No answer"}, format="json").status_code == 409
    followups_sweep(now=noon(window.lost_on))
    assert api.as_user(outsider).post(url, {"reason": "x"}, format="json").status_code == 404
    assert api.as_user(supervisor).post(url, {"reason": "x"}, format="json").status_code == 403
    assert api.as_user(midwife).post(url, {"reason": ""}, format="json").status_code == 400
    followed.refresh_from_db()
    assert followed.status == "active"


def test_confirming_lost_closes_the_window_sets_the_pregnancy_and_is_audited(api, midwife, proposed):
    url = f"{URL}{proposed.external_id}/confirm-lost/"
    response = api.as_user(midwife).post(
        url, {"reason": "Three calls and a home visit: moved away"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["close_reason"]) == ("closed", "confirmed_lost")
    pregnancy = proposed.pregnancy
    pregnancy.refresh_from_db()
    assert pregnancy.status == "lost_to_follow_up"
    audited = AuditEvent.objects.filter(object_id=str(proposed.external_id), action="transition").get()
    assert (audited.actor, audited.reason) == (midwife, "Three calls and a home visit: moved away")
    assert AuditEvent.objects.filter(object_id=str(pregnancy.external_id), action="transition").exists()
    assert api.as_user(midwife).post(url, {"reason": "again"}, format="json").status_code == 409


def test_turning_the_proposal_down_goes_back_to_tracing(api, midwife, proposed):
    url = f"{URL}{proposed.external_id}/keep-tracing/"
    response = api.as_user(midwife).post(url, {"reason": "Reached by phone, comes next week"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "tracing"
    proposed.refresh_from_db()
    assert proposed.lost_on > proposed.trace_on and proposed.next_step_on == proposed.lost_on
    assert AuditEvent.objects.filter(object_id=str(proposed.external_id), action="transition").exists()


def test_worklist_partial_lists_windows_that_need_someone(client, midwife, proposed):
    client.force_login(midwife)
    response = client.get("/reminders/worklist/")
    assert response.status_code == 200
    assert proposed.pregnancy.patient.name in response.content.decode()
