"""The follow-up block on the clinicians' home page (only when something needs someone, constant queries,
named in the page's audit row), the whole list page, and the HTML decisions on a lost-to-follow-up
proposal (POST with CSRF, access-checked, audited by the service, translated messages)."""

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from audit.models import AuditEvent
from reminders.models import FollowUp
from reminders.services import followup_recompute, followups_sweep
from tests.factories import PregnancyFactory

from .conftest import noon, open_window

pytestmark = pytest.mark.django_db


@pytest.fixture
def proposed(followed):
    window = open_window(followed)
    followups_sweep(now=noon(window.lost_on))
    window.refresh_from_db()
    assert window.status == "lost_proposed"
    return window


def confirm_url(window):
    return f"/reminders/follow-ups/{window.external_id}/confirm-lost/"


def keep_url(window):
    return f"/reminders/follow-ups/{window.external_id}/keep-tracing/"


def test_home_shows_the_block_only_when_a_visit_needs_someone(client, midwife, followed):
    client.force_login(midwife)
    response = client.get("/")
    assert response.context["followups"] == [] and 'id="followups"' not in response.content.decode()
    window = open_window(followed)
    followups_sweep(now=noon(window.lost_on))
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="followups"' in page and followed.patient.record_number in page
    assert "Confirm lost to follow-up" in page and "Keep tracing" in page
    event = AuditEvent.objects.filter(action="list", object_type="cases.pregnancy").latest("id")
    assert followed.patient.external_id in event.patient_ids
    assert event.changes["follow_ups"] == 1


def _due_windows(facility, n):
    for _ in range(n):
        pregnancy = PregnancyFactory(managing_facility=facility)
        window = followup_recompute(pregnancy=pregnancy)
        followups_sweep(now=noon(window.remind_on))


@pytest.mark.parametrize("windows", [1, 12])
def test_home_query_count_is_constant_in_follow_ups(
    client, midwife, home_facility, windows, django_assert_num_queries
):
    _due_windows(home_facility, windows)
    client.force_login(midwife)
    # Warm up: the first request after force_login stamps the session's refresh time (savepoint, session
    # save, release); the requests after it, within SESSION_REFRESH_SECONDS, write nothing.
    client.get("/")
    # 1 user (her facility and region joined: the header needs no query of its own), 2 worklist count, 3-4
    # one page of rows (ids, then the rows), 5 MDT action items, 6-7 the follow-up windows (ids, then the
    # rows with pregnancy and woman joined, the columns shown; at most 11 read), 8 the list audit row.
    with django_assert_num_queries(8):
        response = client.get("/")
    shown = response.context["followups"]
    assert len(shown) == min(windows, 10)
    assert response.context["followups_more"] is (windows > 10)


def test_list_page_and_htmx_partial(client, midwife, proposed):
    client.force_login(midwife)
    page = client.get("/reminders/worklist/")
    assert page.status_code == 200 and [t.name for t in page.templates][0] == "reminders/followup_list.html"
    partial = client.get("/reminders/worklist/", HTTP_HX_REQUEST="true")
    assert [t.name for t in partial.templates][0] == "reminders/partials/followups.html"
    assert proposed.pregnancy.patient.name in partial.content.decode()


@pytest.mark.parametrize("path", ["/", "/reminders/worklist/"])
def test_every_row_links_to_her_case_and_a_proposal_to_its_two_decisions(client, midwife, proposed, path):
    """The links are reversed once per list (``_with_links``): each row's own, on the home block and the
    whole list alike."""
    other = PregnancyFactory(
        managing_facility=proposed.pregnancy.managing_facility, edd=proposed.pregnancy.edd, risk_color="green"
    )
    followup_recompute(pregnancy=other)
    due = open_window(other)
    FollowUp.objects.filter(pk=due.pk).update(status="overdue")  # needs someone, not proposed lost
    client.force_login(midwife)
    html = client.get(path).content.decode()
    for window in (proposed, due):
        assert f'href="/cases/pregnancies/{window.pregnancy.external_id}/"' in html
    assert f'action="{confirm_url(proposed)}"' in html and f'action="{keep_url(proposed)}"' in html
    assert confirm_url(due) not in html and keep_url(due) not in html  # not proposed lost: no decision


def test_confirming_lost_from_the_home_page(client, midwife, proposed):
    client.force_login(midwife)
    response = client.post(
        confirm_url(proposed),
        {"reason": "Three calls, one home visit", "next": "home"},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert (response.status_code, response["Location"]) == (302, "/")
    proposed.refresh_from_db()
    assert (proposed.status, proposed.close_reason, proposed.closed_by) == (
        "closed",
        "confirmed_lost",
        midwife,
    )
    pregnancy = proposed.pregnancy
    pregnancy.refresh_from_db()
    assert pregnancy.status == "lost_to_follow_up"
    audited = AuditEvent.objects.get(object_id=str(proposed.external_id), action="transition")
    assert (audited.actor, audited.reason) == (midwife, "Three calls, one home visit")
    messages = [str(m) for m in client.get("/").context["messages"]]
    assert messages == ["已确认失访。"]  # in the language of the request that confirmed


def test_keeping_tracing_from_the_list_page(client, midwife, proposed):
    client.force_login(midwife)
    response = client.post(keep_url(proposed), {"reason": "Reached by phone", "next": "list"})
    assert (response.status_code, response["Location"]) == (302, "/reminders/worklist/")
    proposed.refresh_from_db()
    assert proposed.status == "tracing" and proposed.next_step_on == proposed.lost_on


def test_a_decision_needs_a_reason_and_a_proposal(client, midwife, proposed, followed):
    client.force_login(midwife)
    response = client.post(confirm_url(proposed), {"reason": "  "})
    assert response.status_code == 400
    assert "Say what tracing found" in response.content.decode()
    client.post(keep_url(proposed), {"reason": "Reached by phone"})
    response = client.post(confirm_url(proposed), {"reason": "No answer"})  # tracing again: no proposal
    assert response.status_code == 409
    followed.refresh_from_db()
    assert followed.status == "active"


def test_decisions_are_access_checked_in_order(client, outsider, supervisor, auditor, proposed):
    for user, status in ((outsider, 404), (auditor, 404), (supervisor, 403)):
        client.force_login(user)
        assert client.post(confirm_url(proposed), {"reason": "x"}).status_code == status
        assert client.post(keep_url(proposed), {"reason": "x"}).status_code == status
    client.logout()
    response = client.post(confirm_url(proposed), {"reason": "x"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.get(confirm_url(proposed)).status_code == 302
    proposed.refresh_from_db()
    assert proposed.status == "lost_proposed"


def test_decisions_need_the_csrf_token_and_post(midwife, proposed):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(midwife)
    assert browser.post(confirm_url(proposed), {"reason": "No answer"}).status_code == 403
    assert browser.get(confirm_url(proposed)).status_code == 405
    assert FollowUp.objects.get(pk=proposed.pk).status == "lost_proposed"


def test_the_home_blocks_rows_are_the_first_of_the_whole_worklist_for_every_length(
    midwife, supervisor, home_facility, other_facility, django_assert_num_queries
):
    """``followup_worklist_first`` walks her facility's two arms (managing, follow-up) in deadline order:
    the same rows, in the same order, as the first rows of the whole worklist, for every length, with
    windows of both arms interleaved, windows not yet due and windows of women she may not see."""
    from reminders.choices import OPEN_STATUSES, WORKLIST_STATUSES
    from reminders.selectors import followup_count, followup_first, followup_list, followup_worklist_first

    today = timezone.localdate()
    for n in range(12):
        # managed here; or managed elsewhere and followed up here; or neither (n = 6: not hers to see)
        managing = home_facility if n % 3 else other_facility
        follow_up = home_facility if n % 3 == 0 and n != 6 else None
        pregnancy = PregnancyFactory(managing_facility=managing, follow_up_facility=follow_up)
        pregnancy.edd = today + dt.timedelta(days=140 - 5 * n)
        pregnancy.booked_on = today
        pregnancy.save()
        followup_recompute(pregnancy=pregnancy)
    windows = FollowUp.objects.exclude(status="closed")
    middle = sorted(windows.values_list("remind_on", flat=True))[6]
    followups_sweep(now=noon(middle))
    statuses = set(windows.values_list("status", flat=True))
    assert "upcoming" in statuses and statuses & set(WORKLIST_STATUSES)
    followed_here = windows.filter(facility=home_facility).exclude(managing_facility=home_facility)
    assert followed_here.filter(status__in=WORKLIST_STATUSES).exists()
    assert windows.exclude(facility=home_facility).exclude(managing_facility=home_facility).exists()

    for actor, queries in ((midwife, 2), (supervisor, 1)):  # her facility's: ids, then rows; a region's: one
        whole = list(followup_list(actor=actor).filter(status__in=WORKLIST_STATUSES))
        assert whole, actor.username
        for limit in range(1, len(whole) + 2):
            with django_assert_num_queries(queries):
                first = followup_worklist_first(actor=actor, limit=limit)
            assert [w.pk for w in first] == [w.pk for w in whole[:limit]], (actor.username, limit)
        assert followup_count(actor=actor, statuses=WORKLIST_STATUSES) == len(whole)
        # every open window (the API's list): each status walked apart, the same rows in the same order
        whole = list(followup_list(actor=actor))
        assert followup_count(actor=actor) == len(whole)
        assert {w.status for w in whole} >= {"upcoming", *statuses & set(WORKLIST_STATUSES)}
        for limit in range(1, len(whole) + 2):
            with django_assert_num_queries(queries):
                first = followup_first(actor=actor, limit=limit, statuses=OPEN_STATUSES)
            assert [w.pk for w in first] == [w.pk for w in whole[:limit]], (actor.username, limit)
    # her facility's ids statements (kept per process) run on their generic plans, never planned for the
    # values, with the statuses written in: what lets a generic plan use the partial indexes
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT statement, custom_plans FROM pg_prepared_statements WHERE name LIKE 'ms_generic_%'"
        )
        kept = [row for row in cursor.fetchall() if '"reminders_followup"' in row[0]]
    assert kept and all(custom == 0 for _, custom in kept)
    assert any("\"status\" IN ('due', 'overdue', 'tracing', 'lost_proposed')" in sql for sql, _ in kept)
    # every open one, status by status (the follow-up list's pages), is left to the planner's choice
    # (``_first_windows``)
    assert not any("\"status\" IN ('upcoming')" in sql for sql, _ in kept)


def test_the_home_block_reads_again_with_the_scope_when_a_window_is_not_of_her_facilitys_women(
    midwife, outsider, home_facility, other_facility, django_assert_num_queries
):
    """Windows whose copy of the facilities names hers, of a woman who is no longer managed or followed up
    there: left out while she may not see the woman, listed once a grant lets her (a second read, with
    the access scope, in both cases: ids and rows each time)."""
    from cases.choices import GrantLevel
    from cases.services import pregnancy_access_grant
    from reminders.choices import WORKLIST_STATUSES
    from reminders.selectors import followup_count, followup_list, followup_worklist_first

    today = timezone.localdate()
    pregnancies = []
    for n in range(4):
        pregnancy = PregnancyFactory(managing_facility=home_facility)
        pregnancy.edd = today + dt.timedelta(days=140 - 5 * n)
        pregnancy.booked_on = today
        pregnancy.save()
        followup_recompute(pregnancy=pregnancy)
        pregnancies.append(pregnancy)
    FollowUp.objects.update(status="due")
    moved = pregnancies[2]  # moved elsewhere; her window still says the home facility (a stale copy)
    type(moved).objects.filter(pk=moved.pk).update(managing_facility=other_facility)
    soonest = [w.pk for w in FollowUp.objects.filter(status="due").order_by("due_by", "id")]
    assert open_window(moved).pk in soonest[:2]  # among the first rows read

    with django_assert_num_queries(4):
        first = followup_worklist_first(actor=midwife, limit=3)
    whole = list(followup_list(actor=midwife).filter(status__in=WORKLIST_STATUSES))
    assert followup_count(actor=midwife, statuses=WORKLIST_STATUSES) == len(whole) == 3
    assert open_window(moved).pk not in [w.pk for w in first]
    assert [w.pk for w in first] == [w.pk for w in whole[:3]]
    assert len(first) == 3

    pregnancy_access_grant(
        actor=outsider, pregnancy=moved, facility=home_facility, level=GrantLevel.READ, reason="referral"
    )
    with django_assert_num_queries(4):
        first = followup_worklist_first(actor=midwife, limit=3)
    assert open_window(moved).pk in [w.pk for w in first]
    assert [w.pk for w in first] == soonest[:3]
    assert followup_count(actor=midwife, statuses=WORKLIST_STATUSES) == 4


def test_the_list_heading_counts_every_window_that_needs_someone(client, midwife, home_facility, monkeypatch):
    """The whole list says how many windows need someone, not how many one page shows; the home block
    says how many it shows and "+" when there are more."""
    monkeypatch.setattr("reminders.views.PAGE_SIZE", 2)
    monkeypatch.setattr("reminders.views.HOME_LIMIT", 2)
    _due_windows(home_facility, 3)
    client.force_login(midwife)
    heading = re.compile(r'id="h-followups">[^<]*<span class="tag">([^<]*)</span>')
    listed = client.get("/reminders/worklist/")
    assert len(listed.context["followups"]) == 2
    assert heading.search(listed.content.decode()).group(1) == "3"
    assert heading.search(client.get("/").content.decode()).group(1) == "2+"


def test_every_page_of_the_list_is_the_lists_rows_in_order_at_a_constant_cost(
    client, midwife, home_facility, other_facility, monkeypatch, django_assert_num_queries
):
    """Unfiltered, a page's rows are read arm by arm (``WalkedWindows``): the same windows, in the same
    order, as the whole list sorted, on every page; windows of women managed here and of women followed up
    here from elsewhere interleave by deadline."""
    from reminders.choices import WORKLIST_STATUSES
    from reminders.selectors import followup_list

    monkeypatch.setattr("reminders.views.PAGE_SIZE", 3)
    _due_windows(home_facility, 4)
    for _ in range(3):
        woman = PregnancyFactory(managing_facility=other_facility, follow_up_facility=home_facility)
        window = followup_recompute(pregnancy=woman)
        followups_sweep(now=noon(window.remind_on))
    FollowUp.objects.filter(pk__in=FollowUp.objects.order_by("id").values("pk")[:3]).update(status="overdue")
    want = list(
        followup_list(actor=midwife)
        .filter(status__in=WORKLIST_STATUSES)
        .values_list("external_id", flat=True)
    )
    assert (
        len(want) == 7 and len({FollowUp.objects.get(external_id=w).managing_facility_id for w in want}) == 2
    )
    client.force_login(midwife)
    client.get("/reminders/worklist/")  # the session's first request stamps its refresh time
    got = []
    for number in (1, 2, 3):
        # user, count, the page's ids, their rows, the audit row
        with django_assert_num_queries(5):
            response = client.get("/reminders/worklist/", {"fpage": number})
        got += [row.external_id for row in response.context["followups"]]
    assert got == want


def test_an_empty_list_is_a_page_that_says_so(client, midwife):
    client.force_login(midwife)
    response = client.get("/reminders/worklist/")
    assert response.status_code == 200 and response.context["followups"] == []
    assert response.context["followup_page"].paginator.count == 0


def test_each_arms_index_gives_the_pages_order_exactly():
    """A page walks one status of one arm (``_first_windows``) in (due_by, id) order: each arm's open-
    window index must hold the arm's facility and the status, then exactly that order, or PostgreSQL
    prefers the region-wide ``followup_open_due`` and filters it (about 200 ms a page at a bench
    facility, against 3 ms)."""
    indexes = {index.name: index for index in FollowUp._meta.indexes}
    assert indexes["followup_managing"].fields == ["managing_facility", "status", "due_by", "id"]
    assert indexes["followup_facility"].fields == ["facility", "status", "due_by", "id"]
