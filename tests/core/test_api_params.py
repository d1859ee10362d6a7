"""The list endpoints' hand-read status and kind filters (``core.api.params.choice_list``): a comma-separated
list of known values filters, anything else answers 400 naming the parameter, in the reader's language,
and never reaches the database (a NUL byte once did, and PostgreSQL answered a 500: CI's schemathesis run,
``/api/v1/notifications/?kind=%00q…``)."""

import pytest

from notifications.services import alert_raise
from tests.factories import FacilityFactory, PregnancyFactory, UserFactory
from tests.rows import consult, referral

pytestmark = pytest.mark.django_db

ENDPOINTS = [
    ("/api/v1/notifications/", "status"),
    ("/api/v1/notifications/", "kind"),
    ("/api/v1/referrals/", "status"),
    ("/api/v1/consults/", "status"),
    ("/api/v1/risk/reports/", "status"),
]
BAD = ["\x00q", "bogus", ",", "requested,bogus", "delivered,\x00"]


@pytest.mark.parametrize(("path", "name"), ENDPOINTS)
@pytest.mark.parametrize("value", BAD)
def test_an_unknown_value_is_a_400_naming_the_parameter(api, obstetrician, path, name, value):
    response = api.as_user(obstetrician).get(path, {name: value})
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["message"] == "Some values are not valid."
    assert list(body["errors"]) == [name]
    assert body["errors"][name][0].startswith("Unknown value. Give one or more of ")


@pytest.mark.parametrize(("path", "name"), ENDPOINTS)
def test_the_error_is_in_the_readers_language(api, obstetrician, path, name):
    response = api.as_user(obstetrician).get(path, {name: "bogus"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400
    message = response.json()["errors"][name][0]
    assert message.startswith("未知的取值"), message


@pytest.mark.parametrize(("path", "name"), ENDPOINTS)
def test_a_blank_parameter_filters_nothing(api, obstetrician, path, name):
    assert api.as_user(obstetrician).get(path, {name: ""}).status_code == 200


def test_referrals_by_a_list_of_statuses(api, obstetrician, home_facility):
    elsewhere = FacilityFactory()
    rows = {}
    for status in ("requested", "accepted", "cancelled"):  # one open referral a woman: three women
        rows[status] = referral(PregnancyFactory(managing_facility=home_facility), elsewhere, obstetrician)
        rows[status].status = status
        rows[status].save(update_fields=["status"])
    client = api.as_user(obstetrician)

    def listed(value):
        body = client.get("/api/v1/referrals/", {"status": value}).json()
        return {row["id"] for row in body["results"]}

    assert listed("requested, accepted") == {
        str(rows["requested"].external_id),
        str(rows["accepted"].external_id),
    }
    assert listed("cancelled") == {str(rows["cancelled"].external_id)}


def test_consults_by_a_list_of_statuses(api, obstetrician, pregnancy, home_facility):
    rows = {}
    for status in ("requested", "scheduled", "cancelled"):
        rows[status] = consult(pregnancy, home_facility, obstetrician)
        rows[status].status = status
        rows[status].save(update_fields=["status"])
    client = api.as_user(obstetrician)

    def listed(value):
        body = client.get("/api/v1/consults/", {"status": value}).json()
        return {row["id"] for row in body["results"]}

    assert listed("requested,cancelled") == {
        str(rows["requested"].external_id),
        str(rows["cancelled"].external_id),
    }
    assert listed("scheduled") == {str(rows["scheduled"].external_id)}


def test_my_alerts_by_a_list_of_kinds(api, pregnancy, home_facility):
    from notifications.models import InboxItem

    reader = UserFactory(facility=home_facility)
    kinds = ("meows_trigger", "follow_up_due", "report_due")
    for kind in kinds:
        alert = alert_raise(
            kind=kind,
            dedup_key=f"{kind}:1",
            pregnancy=pregnancy,
            facility=home_facility,
            target_role="responsible_team",
            severity="warning",
        )
        InboxItem.objects.create(user=reader, alert=alert)
    client = api.as_user(reader)

    def listed(value):
        body = client.get("/api/v1/notifications/", {"kind": value}).json()
        return sorted(row["alert"]["kind"] for row in body["results"])

    assert listed("meows_trigger,report_due") == ["meows_trigger", "report_due"]
    assert listed("follow_up_due") == ["follow_up_due"]


def test_a_patient_search_with_a_nul_character_is_a_400(api, obstetrician, pregnancy):
    client = api.as_user(obstetrician)
    name = pregnancy.patient.name
    assert client.get("/api/v1/patients/", {"q": name}).json()["count"] == 1
    response = client.get("/api/v1/patients/", {"q": name + "\x00"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["q"]
    # the project's own Chinese (core.translation_overrides), not Django's misspelt one
    assert response.json()["errors"]["q"] == ["不允许包含空字符（NUL）。"]
