"""The pregnancy and patient lists: lean rows equal to the published serializer, keyset paging."""

import datetime as dt

import pytest
from django.utils import timezone, translation
from rest_framework.test import APIRequestFactory

from audit.models import AuditEvent
from cases.api.serializers import PregnancyListSerializer
from cases.models import Pregnancy
from core.api.pagination import cursor_encode
from tests.factories import PatientFactory, PregnancyFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/pregnancies/"


def _walk(client, first_url):
    """Every page from ``first_url`` following ``next``: (ids in order, number of pages)."""
    ids, url, pages = [], first_url, 0
    while url:
        body = client.get(url).json()
        ids += [row["id"] for row in body["results"]]
        url = body["next"]
        pages += 1
    return ids, pages


def test_lean_rows_equal_the_list_serializer(api, midwife, home_facility):
    """Every published field of every kind of row (graded, ungraded, postpartum, closed, emergency,
    no EDD) is what ``PregnancyListSerializer`` writes for the same pregnancy."""
    today = timezone.localdate()
    PregnancyFactory(managing_facility=home_facility, risk_color="orange", purple=True, next_visit_date=today)
    PregnancyFactory(managing_facility=home_facility, edd=None, is_emergency_registration=True)
    PregnancyFactory(
        managing_facility=home_facility, status="postpartum", ended_on=today - dt.timedelta(days=9)
    )
    PregnancyFactory(managing_facility=home_facility, status="closed", ended_on=today - dt.timedelta(days=60))
    PregnancyFactory(managing_facility=home_facility, edd=today + dt.timedelta(days=290))  # before 0+0
    names = set()
    for language in ("zh-hans", "en"):  # the facility's name in the request's language
        body = api.as_user(midwife).get(URL, HTTP_ACCEPT_LANGUAGE=language).json()
        request = APIRequestFactory().get(URL)
        request.user = midwife
        with translation.override(language):
            expected = PregnancyListSerializer(
                Pregnancy.objects.filter(managing_facility=home_facility).order_by("-created_at", "-id"),
                many=True,
                context={"request": request},
            ).data
        assert body["count"] == 5
        assert body["results"] == [dict(row) for row in expected]
        assert {row["status"] for row in body["results"]} == {"active", "postpartum", "closed"}
        names.add(body["results"][0]["managing_facility_name"])
        # in the current time zone (Beijing time), as DRF writes it
        assert body["results"][0]["created_at"].endswith("+08:00")
    assert names == {home_facility.name_zh, home_facility.name_en} and len(names) == 2


def test_cursor_walks_the_whole_list_once_and_stays_stable_under_inserts(api, midwife, home_facility):
    PregnancyFactory.create_batch(7, managing_facility=home_facility)
    client = api.as_user(midwife)
    by_page_number = [row["id"] for row in client.get(f"{URL}?page_size=100").json()["results"]]

    ids, pages = _walk(client, f"{URL}?cursor=&page_size=3")
    assert (ids, pages) == (by_page_number, 3)

    first = client.get(f"{URL}?cursor=&page_size=3").json()
    assert (first["count"], first["previous"], len(first["results"])) == (7, None, 3)
    assert "cursor=" in first["next"] and "page=" not in first["next"]
    # Women registered while a clinician pages through do not shift the pages still to come.
    PregnancyFactory.create_batch(4, managing_facility=home_facility)
    rest, _pages = _walk(client, first["next"])
    assert [row["id"] for row in first["results"]] + rest == by_page_number


def test_cursor_keeps_the_filters_and_ties_on_created_at_are_broken_by_id(api, midwife, home_facility):
    same_moment = timezone.now()
    created = PregnancyFactory.create_batch(5, managing_facility=home_facility, risk_color="red")
    PregnancyFactory.create_batch(2, managing_facility=home_facility, risk_color="green")
    Pregnancy.objects.filter(pk__in=[p.pk for p in created]).update(created_at=same_moment)
    client = api.as_user(midwife)
    ids, pages = _walk(client, f"{URL}?risk_color=red&cursor=&page_size=2")
    newest_id_first = [str(p.external_id) for p in sorted(created, key=lambda p: -p.pk)]
    assert (ids, pages) == (newest_id_first, 3)


@pytest.mark.parametrize(
    "cursor",
    [
        "nonsense",
        # well-formed base64 JSON but not signed by the server
        "WyIyMDI2LTAxLTAxVDAwOjAwOjAwKzAwOjAwIiwgIjAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwMCJd",
    ],
)
def test_a_cursor_not_issued_by_the_server_is_a_translated_400(api, midwife, cursor):
    response = api.as_user(midwife).get(f"{URL}?cursor={cursor}", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400
    assert response.json()["errors"]["cursor"] == ["游标无效：请去掉游标从头开始。"]
    english = api.get(f"{URL}?cursor={cursor}", HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["errors"]["cursor"] == ["This cursor is not valid: start again without it."]


def test_a_cursor_cannot_reach_beyond_the_callers_scope(api, midwife, outsider, other_facility):
    """A cursor is a position, not a permission: an outsider's cursor still lists only her women."""
    elsewhere = PregnancyFactory(managing_facility=other_facility)
    cursor = cursor_encode(timezone.now() + dt.timedelta(days=1), elsewhere.external_id)
    body = api.as_user(midwife).get(f"{URL}?cursor={cursor}").json()
    assert body == {"count": 0, "next": None, "previous": None, "results": []}
    assert api.as_user(outsider).get(f"{URL}?cursor={cursor}").json()["count"] == 1


def test_cursor_page_is_audited_with_the_women_shown(api, midwife, home_facility):
    pregnancies = PregnancyFactory.create_batch(3, managing_facility=home_facility)
    client = api.as_user(midwife)
    first = client.get(f"{URL}?cursor=&page_size=2").json()
    client.get(first["next"])
    events = list(AuditEvent.objects.filter(action="list", object_type="cases.pregnancy").order_by("id"))
    assert [e.changes["count"] for e in events] == [2, 1]
    shown = {str(p) for e in events for p in e.patient_ids}
    assert shown == {str(p.patient.external_id) for p in pregnancies}


@pytest.mark.parametrize("rows", [12, 30])
def test_list_query_count_is_constant_in_both_modes(
    api, midwife, home_facility, rows, django_assert_num_queries
):
    PregnancyFactory.create_batch(rows, managing_facility=home_facility)
    client = api.as_user(midwife)
    # This first request after force_login also stamps the session's refresh time (savepoint, UPDATE,
    # release); the requests after it, within SESSION_REFRESH_SECONDS, write nothing.
    first = client.get(f"{URL}?cursor=&page_size=10").json()
    # 1 the user (session), 2 COUNT(*), 3 the page (woman and facility joined), 4 the audit row.
    with django_assert_num_queries(4):
        assert len(client.get(f"{URL}?page_size=10").json()["results"]) == min(rows, 10)
    # The same in cursor mode: the tie-break id is a sub-select of the page query, not a query of its own.
    with django_assert_num_queries(4):
        assert len(client.get(first["next"]).json()["results"]) == min(rows - 10, 10)


def test_patient_list_pages_by_cursor(api, midwife, home_facility):
    PatientFactory.create_batch(5, registered_facility=home_facility)
    client = api.as_user(midwife)
    by_page_number = [row["id"] for row in client.get("/api/v1/patients/").json()["results"]]
    ids, pages = _walk(client, "/api/v1/patients/?cursor=&page_size=2")
    assert (ids, pages) == (by_page_number, 3)
    assert client.get("/api/v1/patients/?cursor=bad").status_code == 400


def test_worklist_pages_arm_by_arm_in_the_worklist_order(midwife, home_facility, other_facility):
    """Managed here or followed up here, overdue / due / undated, every colour: every slice of the
    arm-by-arm paging equals the same slice of the one-query worklist, overdue first."""
    from cases.selectors import worklist, worklist_rows

    today = timezone.localdate()
    dates = [today - dt.timedelta(days=3), today, today + dt.timedelta(days=7), None]
    colours = ["green", "red", None, "orange"]
    for i in range(12):
        managed_here = i % 3 != 0
        PregnancyFactory(
            managing_facility=home_facility if managed_here else other_facility,
            follow_up_facility=None if managed_here else home_facility,
            next_visit_date=dates[i % 4],
            risk_color=colours[(i // 4) % 4],
        )
    PregnancyFactory(managing_facility=home_facility, status="closed", next_visit_date=today)
    PregnancyFactory(managing_facility=other_facility, next_visit_date=today)  # not ours at all
    expected = [p.pk for p in worklist(actor=midwife)]
    rows = worklist_rows(actor=midwife, queryset=Pregnancy.objects.all())
    assert rows.count() == len(expected) == 12
    assert [p.pk for start in range(0, 12, 5) for p in rows[start : start + 5]] == expected
    first = Pregnancy.objects.get(pk=expected[0])
    assert first.next_visit_date < today


def test_a_supervisor_lists_her_region_by_page_and_by_cursor(api, supervisor, home_facility, other_facility):
    """One arm only (her region): counted and paged like the others; another city's women are not listed."""
    mine = PregnancyFactory.create_batch(3, managing_facility=home_facility)
    PregnancyFactory(managing_facility=other_facility)
    client = api.as_user(supervisor)
    body = client.get(URL).json()
    assert body["count"] == 3
    assert {row["id"] for row in body["results"]} == {str(p.external_id) for p in mine}
    ids, pages = _walk(client, f"{URL}?cursor=&page_size=2")
    assert (ids, pages) == ([row["id"] for row in body["results"]], 2)


def test_access_flags_belong_to_the_actor_who_fetched_the_record(midwife, outsider, supervisor, pregnancy):
    """``access_pregnancy_by_id`` answers "may she change it" in its own statement; the answer is reused
    for that actor only (another actor, or anonymous, is checked afresh)."""
    from django.contrib.auth.models import AnonymousUser

    from cases.access import _emergency_access_used, access_pregnancy_by_id, can_change_pregnancy

    fetched = access_pregnancy_by_id(midwife, pregnancy.external_id, audit=False)
    assert can_change_pregnancy(midwife, fetched) is True
    assert _emergency_access_used(midwife, fetched) is None
    assert can_change_pregnancy(outsider, fetched) is False
    assert can_change_pregnancy(AnonymousUser(), fetched) is False
    seen_by_supervisor = access_pregnancy_by_id(supervisor, pregnancy.external_id, audit=False)
    assert can_change_pregnancy(supervisor, seen_by_supervisor) is False
    assert can_change_pregnancy(midwife, seen_by_supervisor) is True


def test_the_unfiltered_count_reads_the_facility_counters_and_equals_a_recount(
    api, midwife, home_facility, other_facility, outsider
):
    """Unfiltered, the managing facility's part of ``count`` is the sum of its status counters (kept by
    triggers); it equals counting the rows, for every status, with follow-up and granted records on top,
    and filtered lists still count rows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cases.choices import GrantLevel, PregnancyStatus
    from cases.services import pregnancy_access_grant

    for status in PregnancyStatus.values:
        if status == PregnancyStatus.MERGED:  # a merged record points at the record it was merged into
            target = PregnancyFactory(managing_facility=home_facility)
            PregnancyFactory(managing_facility=home_facility, status=status, merged_into=target)
        else:
            PregnancyFactory.create_batch(2, managing_facility=home_facility, status=status)
    PregnancyFactory.create_batch(3, managing_facility=other_facility, follow_up_facility=home_facility)
    granted = PregnancyFactory(managing_facility=other_facility)
    pregnancy_access_grant(
        actor=outsider, pregnancy=granted, facility=home_facility, level=GrantLevel.READ, reason="referral"
    )
    PregnancyFactory.create_batch(4, managing_facility=other_facility)  # not hers
    client = api.as_user(midwife)
    client.get(URL)  # warm-up (session refresh)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL)
    assert '"count":' + str(response.json()["count"]) + "," in response.content.decode()
    count = response.json()["count"]
    expected = Pregnancy.objects.filter(managing_facility=home_facility).count() + 3 + 1
    assert count == expected == 2 * len(PregnancyStatus.values) + 4
    assert isinstance(count, int)  # an integer in the JSON, not 27.0 (SUM is numeric in PostgreSQL)
    assert any("dashboards_censuscounter" in q["sql"] for q in ctx.captured_queries)
    # Filtered: rows are counted (the counters hold no filter).
    assert client.get(f"{URL}?status=closed").json()["count"] == 2


def test_the_worklist_count_reads_the_open_status_counters_and_equals_a_recount(
    midwife, home_facility, other_facility
):
    """Unfiltered, the worklist's managed part of ``count`` is the facility's ``status:active`` and
    ``status:postpartum`` counters: equal to counting the open rows (every status present, follow-up
    records on top); with a filter, or through ``filter()`` (cursor paging), rows are counted."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cases.choices import PregnancyStatus
    from cases.selectors import worklist, worklist_rows

    for status in PregnancyStatus.values:
        if status == PregnancyStatus.MERGED:
            target = PregnancyFactory(managing_facility=home_facility)
            PregnancyFactory(managing_facility=home_facility, status=status, merged_into=target)
        else:
            PregnancyFactory.create_batch(2, managing_facility=home_facility, status=status)
    PregnancyFactory(managing_facility=other_facility, follow_up_facility=home_facility)
    PregnancyFactory(managing_facility=other_facility, follow_up_facility=home_facility, status="closed")
    PregnancyFactory(managing_facility=other_facility)  # not hers

    rows = worklist_rows(actor=midwife, queryset=Pregnancy.objects.all())
    with CaptureQueriesContext(connection) as ctx:
        count = rows.count()
    assert count == worklist(actor=midwife).count() == 2 + 2 + 1 + 1  # active, postpartum, the merge target
    assert "dashboards_censuscounter" in ctx.captured_queries[0]["sql"]
    # the women followed up here are counted by their ``followed_here`` counters, not read
    assert "followed_here" in ctx.captured_queries[0]["sql"]
    assert "follow_up_facility_id" not in ctx.captured_queries[0]["sql"]
    moved = PregnancyFactory(managing_facility=other_facility, follow_up_facility=home_facility)
    Pregnancy.objects.filter(pk=moved.pk).update(status="postpartum")
    PregnancyFactory(managing_facility=other_facility, follow_up_facility=other_facility)  # not hers
    assert rows.count() == worklist(actor=midwife).count() == 7
    Pregnancy.objects.filter(pk=moved.pk).update(follow_up_facility=other_facility)
    assert rows.count() == worklist(actor=midwife).count() == 6

    red = worklist_rows(actor=midwife, queryset=Pregnancy.objects.filter(risk_color="red"))
    PregnancyFactory(managing_facility=home_facility, risk_color="red")
    with CaptureQueriesContext(connection) as ctx:
        assert red.count() == 1
    assert "dashboards_censuscounter" not in ctx.captured_queries[0]["sql"]
    assert rows.filter(risk_color="red").count() == 1


def test_a_supervisors_unfiltered_count_reads_her_regions_counters_and_equals_a_recount(
    api, supervisor, home_facility, other_facility, county
):
    """A supervisor of no facility: her region is the first arm. Unfiltered, its count is the sum of the
    status counters of the region's facilities; it equals counting the rows (every status, several
    facilities of the region), with records granted to her outside the region on top and those granted
    inside it counted once; a transfer out of the region moves the count; filtered lists count rows; the
    page merges both arms newest first."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from guardian.shortcuts import assign_perm

    from cases.choices import PregnancyStatus
    from tests.factories import FacilityFactory

    township = FacilityFactory(region=county, tier="primary")  # a second facility of her city
    for status in PregnancyStatus.values:
        if status == PregnancyStatus.MERGED:
            target = PregnancyFactory(managing_facility=home_facility)
            PregnancyFactory(managing_facility=home_facility, status=status, merged_into=target)
        else:
            PregnancyFactory(managing_facility=home_facility, status=status)
            PregnancyFactory(managing_facility=township, status=status)
    outside = PregnancyFactory.create_batch(3, managing_facility=other_facility)
    assign_perm("cases.view_pregnancy", supervisor, outside[0])  # granted outside her region
    closed_here = Pregnancy.objects.get(managing_facility=township, status=PregnancyStatus.CLOSED)
    assign_perm("cases.view_pregnancy", supervisor, closed_here)  # granted inside it: counted once
    in_region = Pregnancy.objects.filter(managing_facility__region_code__startswith="4501").count()
    assert in_region == 2 * len(PregnancyStatus.values)

    client = api.as_user(supervisor)
    client.get(URL)  # warm-up (session refresh)
    with CaptureQueriesContext(connection) as ctx:
        body = client.get(URL).json()
    assert body["count"] == in_region + 1
    assert any("dashboards_censuscounter" in q["sql"] for q in ctx.captured_queries)
    expected = [
        str(p.external_id)
        for p in Pregnancy.objects.filter(
            pk__in=[
                outside[0].pk,
                *Pregnancy.objects.filter(managing_facility__region_code__startswith="4501").values_list(
                    "pk", flat=True
                ),
            ]
        ).order_by("-created_at", "-id")
    ]
    assert [row["id"] for row in body["results"]] == expected

    moved = Pregnancy.objects.filter(managing_facility=township, status=PregnancyStatus.ACTIVE).get()
    moved.managing_facility = other_facility
    moved.save(update_fields=["managing_facility"])
    assert client.get(URL).json()["count"] == in_region  # one left the region, still one granted outside
    assert client.get(f"{URL}?status=closed").json()["count"] == 2
    # active: hers, the merge target, the one granted outside (the moved one is no longer hers)
    assert client.get(f"{URL}?status=active").json()["count"] == 3


def test_choice_filters_count_and_list_without_select_distinct(api, midwife, home_facility):
    """Several statuses and colours at once: the rows are each pregnancy once, and no statement of the
    list says ``DISTINCT`` (a column of the pregnancy cannot repeat a row; ``SELECT DISTINCT`` made
    PostgreSQL hash every matching id before counting)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from audit.filtersets import AuditEventFilterSet
    from audit.models import AuditEvent as Event

    red = PregnancyFactory(managing_facility=home_facility, risk_color="red")
    orange = PregnancyFactory(managing_facility=home_facility, risk_color="orange", status="postpartum")
    PregnancyFactory(managing_facility=home_facility, risk_color="green")
    PregnancyFactory(managing_facility=home_facility, risk_color="red", status="closed")
    client = api.as_user(midwife)
    client.get(URL)
    with CaptureQueriesContext(connection) as ctx:
        body = client.get(f"{URL}?status=active&status=postpartum&risk_color=red&risk_color=orange").json()
    assert body["count"] == 2
    assert sorted(row["id"] for row in body["results"]) == sorted(
        [str(red.external_id), str(orange.external_id)]
    )
    assert not [q["sql"] for q in ctx.captured_queries if "DISTINCT" in q["sql"].upper()]
    audit = AuditEventFilterSet({"action": ["list", "read"]}, queryset=Event.objects.all())
    assert audit.is_valid() and audit.qs.query.distinct is False


def test_an_unfiltered_list_builds_no_filter_form_and_filters_still_apply(api, midwife, home_facility):
    """With no filter parameter the filterset is skipped (``ScopedReadOnlyViewSet.filter_queryset``);
    any filter parameter, valid or not, still goes through it."""
    from unittest import mock

    from cases.filtersets import PregnancyFilterSet

    PregnancyFactory(managing_facility=home_facility, risk_color="red")
    PregnancyFactory(managing_facility=home_facility, risk_color="green")
    client = api.as_user(midwife)
    with mock.patch.object(
        PregnancyFilterSet, "__init__", autospec=True, side_effect=PregnancyFilterSet.__init__
    ) as built:
        assert client.get(f"{URL}?page=1&page_size=10").json()["count"] == 2
        assert built.call_count == 0
        red = client.get(f"{URL}?risk_color=red").json()
        assert red["count"] == 1 and red["results"][0]["risk_color"] == "red"
        assert built.call_count == 1
    bad = client.get(f"{URL}?risk_color=crimson")
    assert bad.status_code == 400
    assert "risk_color" in str(bad.json())
    assert client.get(f"{URL}?ga_min=50").status_code == 400
