"""/api/v1/follow-ups/: the caller's facility's windows with status filters; confirming a
lost-to-follow-up proposal (a person decides, audited) or turning it down."""

import datetime as dt

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from reminders.models import FollowUp
from reminders.services import followup_recompute, followups_sweep
from tests.factories import PregnancyFactory
from tests.plans import plan

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
    # user, count, one page — its windows' ids walked arm by arm, their rows with the woman, the same
    # windows read again with everything the answer shows — audit insert: whatever the number of windows
    client = api.as_user(midwife)
    # Warm up: the first request after force_login stamps the session's refresh time (savepoint, UPDATE,
    # release); the requests after it, within SESSION_REFRESH_SECONDS, write nothing.
    client.get(URL)
    with django_assert_num_queries(6):
        client.get(URL)
    for _ in range(3):
        followup_recompute(pregnancy=PregnancyFactory(managing_facility=followed.managing_facility))
    with django_assert_num_queries(6):
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


def test_every_page_of_the_list_is_the_open_windows_in_deadline_order(
    api, midwife, outsider, home_facility, other_facility
):
    """Unfiltered, a page's windows are walked arm by arm and status by status (``WalkedWindows``): the
    same windows in the same order as the whole list sorted, on every page, with windows of women managed
    here and followed up here interleaved, windows of several statuses, and a window whose copy still
    names her facility for a woman she may no longer see (left out; listed once a grant lets her)."""
    from cases.choices import GrantLevel
    from cases.services import pregnancy_access_grant
    from reminders.selectors import followup_list

    today = timezone.localdate()
    women = []
    for n in range(8):
        managing = home_facility if n % 2 else other_facility
        pregnancy = PregnancyFactory(
            managing_facility=managing, follow_up_facility=None if n % 2 else home_facility
        )
        pregnancy.edd = today + dt.timedelta(days=150 - 9 * n)
        pregnancy.booked_on = today
        pregnancy.save()
        followup_recompute(pregnancy=pregnancy)
        women.append(pregnancy)
    windows = FollowUp.objects.exclude(status="closed").order_by("due_by", "id")
    middle = windows[len(windows) // 2]
    followups_sweep(now=noon(middle.remind_on))
    assert len({w.status for w in windows}) >= 2
    moved = women[3]  # moved elsewhere; her window's copy still names the home facility
    type(moved).objects.filter(pk=moved.pk).update(managing_facility=other_facility)
    client = api.as_user(midwife)

    def pages():
        got = []
        for number in (1, 2, 3, 4):
            response = client.get(URL, {"page": number, "page_size": 3})
            if response.status_code == 404:  # past the last page
                break
            assert response.status_code == 200, response.content
            assert response.json()["count"] == len(want)  # followup_count, arm by arm
            got += [row["id"] for row in response.json()["results"]]
        return got

    want = [str(w.external_id) for w in followup_list(actor=midwife)]
    assert len(want) >= 7
    # windows in both arms of her facility (managed and followed up here) are counted once
    assert FollowUp.objects.filter(facility=home_facility, managing_facility=home_facility).exists()
    assert pages() == want
    assert str(open_window(moved).external_id) not in want
    pregnancy_access_grant(
        actor=outsider, pregnancy=moved, facility=home_facility, level=GrantLevel.READ, reason="referral"
    )
    want = [str(w.external_id) for w in followup_list(actor=midwife)]
    assert str(open_window(moved).external_id) in want
    assert pages() == want


@pytest.mark.parametrize("statuses", ["open", "worklist"])
def test_a_supervisors_first_page_can_walk_the_open_windows_in_deadline_order(supervisor, followed, statuses):
    """A regional supervisor's list (the API: every open window; the page: those that need someone) is
    her region's windows soonest deadline first: ``followup_open_due`` gives that order with her scope's
    columns, so a page is the first rows of one index walk, not a sort of the region's (a province:
    900,000). Shown on the plan with sorting and whole-table reads priced out: the index must fit the
    statement's order and conditions."""
    from reminders.choices import WORKLIST_STATUSES
    from reminders.selectors import followup_list

    rows = followup_list(actor=supervisor)
    if statuses == "worklist":
        rows = rows.filter(status__in=WORKLIST_STATUSES)
    sql, params = rows.values("pk")[:50].query.sql_with_params()
    shown = plan(sql, params, off=("sort", "seqscan", "bitmapscan"))
    assert "followup_open_due" in shown, shown
    assert "Sort" not in shown, shown
