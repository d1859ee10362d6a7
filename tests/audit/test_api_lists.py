"""Every API list of patient data writes one audit row per page read, naming the women on the page: the
referral, consultation, action-item, care-task, case-management, report, notification and break-the-glass
lists (the pregnancy, patient and follow-up lists are held to it in their own tests)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent

pytestmark = pytest.mark.django_db


LISTS = [
    ("/api/v1/referrals/", "referrals.referral", "obstetrician"),
    ("/api/v1/consults/", "consults.consult", "obstetrician"),
    ("/api/v1/consult-actions/", "consults.actionitem", "obstetrician"),
    ("/api/v1/care-tasks/", "cases.caretask", "obstetrician"),
    ("/api/v1/case-management/", "risk.casemanagement", "obstetrician"),
    ("/api/v1/risk/reports/", "risk.riskreport", "obstetrician"),
    ("/api/v1/notifications/", "notifications.inboxitem", "obstetrician"),
    ("/api/v1/break-glass/", "cases.breakglassaccess", "reviewer"),
]


@pytest.mark.parametrize(("url", "object_type", "reader"), LISTS)
def test_a_list_page_names_the_women_shown_once_each(api, request, women, url, object_type, reader):
    first, second, hidden = women
    user = request.getfixturevalue(reader)
    client = api.as_user(user)
    before = AuditEvent.objects.count()
    body = client.get(url, {"page_size": 10}).json()
    events = AuditEvent.objects.order_by("id")[before:]
    assert [(e.action, e.object_type, e.actor_username) for e in events] == [
        ("list", object_type, user.username)
    ]
    named = events[0].patient_ids
    assert sorted(named, key=str) == sorted([first.patient.external_id, second.patient.external_id], key=str)
    assert events[0].changes["count"] == len(body["results"]) >= 2
    assert events[0].changes["query"] == {"page_size": "10"}
    assert hidden.patient.external_id not in named


@pytest.mark.parametrize(("url", "object_type", "reader"), LISTS)
def test_a_page_names_only_its_own_women(api, request, women, url, object_type, reader):
    first, second, _hidden = women
    user = request.getfixturevalue(reader)
    body = api.as_user(user).get(url, {"page_size": 1}).json()
    event = AuditEvent.objects.filter(action="list", object_type=object_type).latest("id")
    assert len(body["results"]) == event.changes["count"] == 1
    assert len(event.patient_ids) == 1
    assert event.patient_ids[0] in (first.patient.external_id, second.patient.external_id)


def test_an_empty_list_is_audited_naming_nobody(api, outsider):
    api.as_user(outsider).get("/api/v1/referrals/")
    event = AuditEvent.objects.filter(action="list", object_type="referrals.referral").latest("id")
    assert (event.actor_username, event.patient_ids, event.changes["count"]) == ("outsider", [], 0)


def test_naming_the_women_costs_no_query(api, women, obstetrician):
    """The path to each row's woman is selected related: a page of ten referrals or alerts is as many
    statements as a page of one."""
    client = api.as_user(obstetrician)
    for url in ("/api/v1/referrals/", "/api/v1/notifications/", "/api/v1/consult-actions/"):
        client.get(url, {"page_size": 1})
        with CaptureQueriesContext(connection) as one:
            client.get(url, {"page_size": 1})
        with CaptureQueriesContext(connection) as several:
            client.get(url, {"page_size": 10})
        assert len(several.captured_queries) == len(one.captured_queries), url


def test_the_review_page_is_a_read_of_the_women_accessed(client, women, reviewer, midwife):
    """The emergency-access review page shows each access's clinical reason: one audit row naming the
    women whose records were opened, only accesses by the reviewer's staff."""
    first, second, hidden = women
    client.force_login(reviewer)
    page = client.get("/cases/emergency-accesses/")
    assert page.status_code == 200
    assert page.content.decode().count("Night emergency") == 2
    event = AuditEvent.objects.filter(action="list", object_type="cases.breakglassaccess").latest("id")
    assert event.actor_username == reviewer.username
    assert sorted(event.patient_ids, key=str) == sorted(
        [first.patient.external_id, second.patient.external_id], key=str
    )
    assert event.changes == {"count": 2, "page": "break_glass_reviews", "pending": True}
