"""Every API read of a woman's data writes an audit row naming her: each GET endpoint of the published
schema is called for a woman with a row in every list, and must either leave an audit row naming her or
be one of the endpoints that show no woman's data (facilities, reference data, aggregates, the caller)."""

import datetime as dt

import pytest
import yaml
from django.conf import settings
from django.utils import timezone

from audit.models import AuditEvent
from cases.models import Delivery
from consults.models import Consult
from referrals.models import Referral
from reminders.models import FollowUp
from reminders.services import followup_recompute

pytestmark = pytest.mark.django_db

SCHEMA = settings.BASE_DIR / "docs" / "openapi.yaml"
# GET endpoints that show no woman's data: who and what may be reached, counts, the caller herself.
NO_WOMAN = {
    "/api/v1/audit-events/",
    "/api/v1/consults/availability/",
    "/api/v1/consults/{id}.ics",  # a reference and a time only, by design (consults.calendar)
    "/api/v1/dashboard/series/",
    "/api/v1/dashboard/summary/",
    "/api/v1/dashboard/timeliness/",
    "/api/v1/facilities/",
    "/api/v1/facilities/{id}/",
    "/api/v1/health/",
    "/api/v1/me/",
    "/api/v1/notifications/unread-count/",
    "/api/v1/referrals/suggestions/",
    "/api/v1/risk/criteria/",
}


def _get_paths() -> list[str]:
    paths = yaml.safe_load(SCHEMA.read_text())["paths"]
    return sorted(path for path, operations in paths.items() if "get" in operations)


def test_the_list_of_exceptions_names_only_published_endpoints():
    assert set(NO_WOMAN) <= set(_get_paths())


@pytest.mark.parametrize("path", [p for p in _get_paths() if p not in NO_WOMAN])
def test_each_read_of_a_womans_data_is_audited_naming_her(api, request, women, obstetrician, path):
    first = women[0]
    first.edd = timezone.localdate() + dt.timedelta(days=140)
    first.booked_on = timezone.localdate()
    first.save(update_fields=["edd", "booked_on"])
    followup_recompute(pregnancy=first)
    Delivery.objects.create(
        pregnancy=first, delivered_at=timezone.now(), facility=first.managing_facility, mode="svd"
    )
    ids = {
        "/api/v1/consults/": Consult.objects.get(pregnancy=first).external_id,
        "/api/v1/referrals/": Referral.objects.get(pregnancy=first).external_id,
        "/api/v1/follow-ups/": FollowUp.objects.filter(pregnancy=first)
        .values_list("external_id", flat=True)
        .first(),
        "/api/v1/pregnancies/": first.external_id,
        "/api/v1/patients/": first.patient.external_id,
    }
    url = path
    if "{id}" in path:
        collection = path.split("{id}")[0]
        if ids.get(collection) is None:
            pytest.fail(f"no object for {path}")
        url = path.replace("{id}", str(ids[collection]))
    user = request.getfixturevalue("reviewer") if "break-glass" in path else obstetrician
    client = api.as_user(user)
    params = {}
    if path == "/api/v1/patients/duplicates/":  # her own name and birth date: she is among those found
        params = {"name": first.patient.name, "birth_date": first.patient.birth_date.isoformat()}
    before = AuditEvent.objects.count()
    response = client.get(url, params)
    assert response.status_code == 200, (url, response.status_code)
    named = [pid for e in AuditEvent.objects.order_by("id")[before:] for pid in e.patient_ids]
    assert first.patient.external_id in named, url
