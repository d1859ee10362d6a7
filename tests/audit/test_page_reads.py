"""Every page that shows a woman's data writes an audit row naming her. The test walks every URL pattern of
the site (not the API): each is opened with GET for a woman who has a row of every kind, by someone who may
see her; a page that answers 200 must leave an audit row naming her, unless it is one of the pages that
show no woman's data. Patterns that only take POST answer 405 and are left to their services' audit."""

import datetime as dt

import pytest
from django.urls import get_resolver
from django.urls.resolvers import URLResolver
from django.utils import timezone

from accounts.choices import Role
from audit.models import AuditEvent
from cases.models import BreakGlassAccess, CareTask
from consults.models import ActionItem, Consult, Participant
from notifications.models import InboxItem
from referrals.models import Referral
from reminders.models import FollowUp
from reminders.services import followup_recompute
from risk.models import CaseManagement, RiskAssessment, RiskReport
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# Pages that show no woman's data: the directories, reference and sign-in pages, aggregates, forms that
# start from nothing, the bell (a count), the health check.
NO_WOMAN = {
    "i18n/setlang/",
    "accounts/login/",
    "accounts/logout/",
    "facilities/",
    "facilities/staff/",
    "facilities/<uuid:facility_id>/",
    "audit/",
    "cases/register/",
    "cases/emergency/",
    "cases/pregnancies/<uuid:pregnancy_id>/break-glass/",  # the reason form: nothing about her until opened
    "dashboards/",
    "dashboards/export.csv",
    "dashboards/export.xlsx",
    "notifications/bell/",
    "notifications/operations/",  # delivery health: alert kinds, facilities and staff, no woman
    "healthz/",
}
# Who opens each page (the obstetrician of the woman's facility unless named) and its query string.
READER = {
    "cases/emergency-accesses/": "reviewer",
    "dashboards/women/": "supervisor",
    "consults/board/": "coordinator",
    "consults/<uuid:consult_id>/schedule/": "coordinator",
}
QUERY = {
    "referrals/new/": {"pregnancy": "{pregnancy}"},
    "consults/new/": {"pregnancy": "{pregnancy}"},
    "referrals/": {"box": "outgoing"},
}


@pytest.fixture
def coordinator(home_facility):
    return UserFactory(username="coordinator", facility=home_facility, roles=[Role.MDT_COORDINATOR])


def _patterns(resolver=None, prefix=""):
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern)


PAGES = sorted(
    p
    for p in _patterns()
    if not p.startswith(("api/", "admin/", "static/", "bench-minimal/")) and "<path:" not in p
)


@pytest.fixture
def objects(women, obstetrician, home_facility):
    """The first woman's row of every kind, by the name its URL gives the id."""
    first = women[0]
    first.edd = timezone.localdate() + dt.timedelta(days=140)
    first.booked_on = timezone.localdate()
    first.save(update_fields=["edd", "booked_on"])
    followup_recompute(pregnancy=first)
    FollowUp.objects.filter(pregnancy=first).update(status="due")  # one that needs someone: on the worklist
    consult = Consult.objects.get(pregnancy=first)
    Consult.objects.filter(pk=consult.pk).update(
        status="scheduled",
        scheduled_start=timezone.now() + dt.timedelta(hours=2),
        scheduled_end=timezone.now() + dt.timedelta(hours=3),
    )
    participant = Participant.objects.create(consult=consult, user=obstetrician, specialty="obstetrics")
    return first, {
        "pregnancy_id": first.external_id,
        "referral_id": Referral.objects.get(pregnancy=first).external_id,
        "consult_id": consult.external_id,
        "invitation_id": participant.external_id,
        "assessment_id": RiskAssessment.objects.get(pregnancy=first).external_id,
        "case_id": CaseManagement.objects.get(pregnancy=first).external_id,
        "report_id": RiskReport.objects.get(pregnancy=first).external_id,
        "task_id": CareTask.objects.get(pregnancy=first).external_id,
        "access_id": BreakGlassAccess.objects.get(pregnancy=first).external_id,
        "follow_up_id": FollowUp.objects.get(pregnancy=first).external_id,
        "action_id": ActionItem.objects.get(consult=consult).external_id,
        "item_id": InboxItem.objects.filter(alert__pregnancy=first).values_list("external_id", flat=True)[0],
        "facility_id": home_facility.external_id,
    }


def test_the_exceptions_are_patterns_of_the_site():
    assert set(NO_WOMAN) | set(READER) | set(QUERY) <= set(PAGES)


@pytest.mark.parametrize("pattern", [p for p in PAGES if p not in NO_WOMAN])
def test_each_page_that_shows_her_is_audited_naming_her(client, request, objects, obstetrician, pattern):
    first, ids = objects
    url = "/" + pattern
    for name, value in ids.items():
        url = url.replace(f"<uuid:{name}>", str(value))
    assert "<" not in url, f"no object for {pattern}"
    client.force_login(request.getfixturevalue(READER.get(pattern, "obstetrician")))
    query = {
        key: value.replace("{pregnancy}", str(first.external_id))
        for key, value in QUERY.get(pattern, {}).items()
    }
    before = AuditEvent.objects.count()
    response = client.get(url, query)
    if response.status_code == 405:  # a step, taken by POST: its service writes the audit row
        return
    assert response.status_code == 200, (url, response.status_code)
    named = [pid for event in AuditEvent.objects.order_by("id")[before:] for pid in event.patient_ids]
    assert first.patient.external_id in named, url
