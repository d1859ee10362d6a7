"""MDT consultations: lifecycle and illegal steps, double-booking, signatures, immutability and addenda,
action items and their escalation, participants' record access and its expiry, calendar files."""

import datetime as dt

import icalendar
import pytest
from django.utils import timezone

from accounts.choices import Role, Title
from cases.access import pregnancies_visible_to
from consults.models import Consult
from consults.services import consult_sweep
from notifications.models import Alert
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def start_at(hours=2):
    return timezone.now() + dt.timedelta(hours=hours)


def request_consult(api, user, pregnancy, urgency="routine"):
    response = api.as_user(user).post(
        "/api/v1/consults/",
        {
            "pregnancy": str(pregnancy.external_id),
            "urgency": urgency,
            "question": "PAH 55 mmHg at 24 weeks: continue the pregnancy?",
            "specialties": ["cardiology", "anesthesiology"],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()


def schedule(api, coordinator, consult_id, users, hours=2, **extra):
    return api.as_user(coordinator).post(
        f"/api/v1/consults/{consult_id}/schedule/",
        {
            "start": start_at(hours).isoformat(),
            "end": start_at(hours + 1).isoformat(),
            "location": "MDT room 3",
            "participants": [{"user": str(u.external_id), "specialty": u.specialty} for u in users],
            **extra,
        },
        format="json",
    )


def invitation_of(consult_id, user):
    return Consult.objects.get(external_id=consult_id).participants.get(user=user)


def test_request_contract_and_summary(api, obstetrician, pregnancy):
    body = request_consult(api, obstetrician, pregnancy)
    assert body["status"] == "requested" and body["id"]
    assert body["case_summary"]["edd"] == pregnancy.edd.isoformat()
    assert Alert.objects.filter(kind="consult_requested").exists()


def test_full_lifecycle_with_invited_specialists_from_another_hospital(
    api, obstetrician, coordinator, cardiologist, anaesthetist, pregnancy, midwife
):
    consult = request_consult(api, obstetrician, pregnancy)["id"]
    assert pregnancy not in pregnancies_visible_to(cardiologist)
    response = schedule(api, coordinator, consult, [cardiologist, anaesthetist])
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "scheduled"
    assert pregnancy in pregnancies_visible_to(cardiologist), "invited participants read the case"
    for user in (cardiologist, anaesthetist):
        invitation = invitation_of(consult, user)
        url = f"/api/v1/invitations/{invitation.external_id}/accept/"
        assert api.as_user(obstetrician).post(url).status_code == 404  # not hers
        assert api.as_user(user).post(url).status_code == 200
    opinion = api.as_user(cardiologist).post(
        f"/api/v1/consults/{consult}/opinions/",
        {
            "specialty": "cardiology",
            "text": "PAH moderate; high risk in late pregnancy",
            "attendance": "remote",
        },
        format="json",
    )
    assert opinion.status_code == 201
    assert Consult.objects.get(external_id=consult).status == "in_progress"
    concluded = api.as_user(cardiologist).post(
        f"/api/v1/consults/{consult}/conclude/",
        {
            "recommendations": "Deliver at the city centre at 32-34 weeks",
            "decision_kind": "delivery_plan",
            "decision": "Planned CS at 34 weeks, ICU bed booked",
            "actions": [
                {
                    "owner": str(midwife.external_id),
                    "due": str(timezone.localdate() + dt.timedelta(days=7)),
                    "text": "Weekly BNP and echo",
                }
            ],
        },
        format="json",
    )
    assert concluded.status_code == 200, concluded.json()
    body = concluded.json()
    assert body["status"] == "concluded" and body["signatures"][0]["is_lead"] is True
    worklist = api.as_user(midwife).get("/api/v1/consult-actions/").json()
    assert [item["text"] for item in worklist["results"]] == ["Weekly BNP and echo"]


def test_illegal_steps_are_409(api, obstetrician, coordinator, cardiologist, pregnancy):
    consult = request_consult(api, obstetrician, pregnancy)["id"]
    no_opinion = api.as_user(obstetrician).post(
        f"/api/v1/consults/{consult}/conclude/", {"recommendations": "x", "decision": "y"}, format="json"
    )
    assert no_opinion.status_code == 409  # requested, not scheduled
    schedule(api, coordinator, consult, [cardiologist])
    no_opinion = api.as_user(obstetrician).post(
        f"/api/v1/consults/{consult}/conclude/", {"recommendations": "x", "decision": "y"}, format="json"
    )
    assert no_opinion.status_code == 409
    assert "opinion" in no_opinion.json()["message"]
    api.as_user(obstetrician).post(
        f"/api/v1/consults/{consult}/cancel/", {"reason": "She delivered"}, format="json"
    )
    assert (
        api.as_user(obstetrician)
        .post(f"/api/v1/consults/{consult}/cancel/", {"reason": "again"}, format="json")
        .status_code
        == 409
    )
    assert schedule(api, coordinator, consult, [cardiologist]).status_code == 409


def test_only_the_coordinator_schedules(api, obstetrician, cardiologist, pregnancy):
    consult = request_consult(api, obstetrician, pregnancy)["id"]
    assert schedule(api, obstetrician, consult, [cardiologist]).status_code == 403


def test_double_booking_is_detected(api, obstetrician, coordinator, cardiologist, pregnancy, home_facility):
    from tests.factories import PregnancyFactory

    first = request_consult(api, obstetrician, pregnancy)["id"]
    schedule(api, coordinator, first, [cardiologist], hours=2)
    second = request_consult(api, obstetrician, PregnancyFactory(managing_facility=home_facility))["id"]
    clash = schedule(api, coordinator, second, [cardiologist], hours=2)
    assert clash.status_code == 409
    assert clash.json()["conflicts"][0]["name"] == cardiologist.name
    assert Consult.objects.get(external_id=second).status == "requested"
    availability = api.as_user(coordinator).get(
        "/api/v1/consults/availability/",
        {
            "users": str(cardiologist.external_id),
            "start": start_at(2).isoformat(),
            "end": start_at(3).isoformat(),
        },
    )
    assert len(availability.json()) == 1
    assert schedule(api, coordinator, second, [cardiologist], hours=5).status_code == 200
    assert (
        schedule(api, coordinator, second, [cardiologist], hours=2, allow_double_booking=True).status_code
        == 200
    )


def _ready(api, obstetrician, coordinator, specialists, pregnancy):
    consult = request_consult(api, obstetrician, pregnancy)["id"]
    schedule(api, coordinator, consult, specialists)
    for user in specialists:
        api.as_user(user).post(f"/api/v1/invitations/{invitation_of(consult, user).external_id}/accept/")
    api.as_user(specialists[0]).post(
        f"/api/v1/consults/{consult}/opinions/",
        {"specialty": "cardiology", "text": "Continuing carries a high maternal mortality"},
        format="json",
    )
    return consult


def test_termination_needs_three_senior_signatures_on_the_same_text(
    api, obstetrician, coordinator, cardiologist, anaesthetist, pregnancy, home_facility
):
    chief = UserFactory(facility=home_facility, roles=[Role.OBSTETRICIAN], title=Title.CHIEF)
    consult = _ready(api, obstetrician, coordinator, [cardiologist, anaesthetist, chief], pregnancy)
    decision = {"decision_kind": "terminate", "decision": "Recommend termination; the woman agrees"}
    body = {"recommendations": "Termination at the city centre", **decision}
    refused = api.as_user(cardiologist).post(f"/api/v1/consults/{consult}/conclude/", body, format="json")
    assert refused.status_code == 409 and "senior signatures" in refused.json()["message"]
    api.as_user(anaesthetist).post(f"/api/v1/consults/{consult}/sign/", decision, format="json")
    other_text = {**decision, "decision": "Recommend termination"}
    api.as_user(chief).post(f"/api/v1/consults/{consult}/sign/", other_text, format="json")
    assert (
        api.as_user(cardiologist)
        .post(f"/api/v1/consults/{consult}/conclude/", body, format="json")
        .status_code
        == 409
    )
    api.as_user(chief).post(f"/api/v1/consults/{consult}/sign/", decision, format="json")
    done = api.as_user(cardiologist).post(f"/api/v1/consults/{consult}/conclude/", body, format="json")
    assert done.status_code == 200
    assert sum(s["is_senior"] for s in done.json()["signatures"]) >= 3


def test_concluded_record_is_immutable_corrections_are_addenda(
    api, obstetrician, coordinator, cardiologist, pregnancy
):
    consult = _ready(api, obstetrician, coordinator, [cardiologist], pregnancy)
    api.as_user(cardiologist).post(
        f"/api/v1/consults/{consult}/conclude/",
        {"recommendations": "r", "decision": "Continue with monthly echo", "decision_kind": "continue"},
        format="json",
    )
    late = api.as_user(cardiologist).post(
        f"/api/v1/consults/{consult}/opinions/", {"specialty": "cardiology", "text": "late"}, format="json"
    )
    assert late.status_code == 409
    addendum = api.as_user(cardiologist).post(
        f"/api/v1/consults/{consult}/addenda/", {"text": "Correction: echo every 3 weeks"}, format="json"
    )
    assert addendum.status_code == 201
    record = api.as_user(obstetrician).get(f"/api/v1/consults/{consult}/").json()
    assert record["decision"] == "Continue with monthly echo"
    assert [a["text"] for a in record["addenda"]] == ["Correction: echo every 3 weeks"]


def test_overdue_action_items_and_unscheduled_emergencies_escalate(
    api, obstetrician, coordinator, cardiologist, midwife, pregnancy
):
    consult = _ready(api, obstetrician, coordinator, [cardiologist], pregnancy)
    api.as_user(cardiologist).post(
        f"/api/v1/consults/{consult}/conclude/",
        {
            "recommendations": "r",
            "decision": "d",
            "actions": [
                {"owner": str(midwife.external_id), "due": str(timezone.localdate()), "text": "Book echo"}
            ],
        },
        format="json",
    )
    assert consult_sweep(now=timezone.now())["overdue_actions"] == 0
    tomorrow = timezone.now() + dt.timedelta(days=1)
    assert consult_sweep(now=tomorrow)["overdue_actions"] == 1
    consult_sweep(now=tomorrow)
    assert Alert.objects.filter(kind="consult_action_overdue").count() == 1
    item = api.as_user(midwife).get("/api/v1/consult-actions/").json()["results"][0]
    assert (
        api.as_user(cardiologist).post(f"/api/v1/consult-actions/{item['id']}/complete/").status_code == 404
    )
    assert api.as_user(midwife).post(f"/api/v1/consult-actions/{item['id']}/complete/").status_code == 200
    assert Alert.objects.get(kind="consult_action_overdue").status == "resolved"

    emergency = request_consult(api, obstetrician, pregnancy, urgency="emergency")
    requested = Consult.objects.get(external_id=emergency["id"]).requested_at
    assert consult_sweep(now=requested + dt.timedelta(minutes=9))["not_scheduled"] == 0
    assert consult_sweep(now=requested + dt.timedelta(minutes=11))["not_scheduled"] == 1
    assert Alert.objects.get(kind="consult_not_scheduled").severity == "critical"


def test_participant_access_ends_after_the_follow_up(
    api, obstetrician, coordinator, cardiologist, pregnancy, settings
):
    consult = _ready(api, obstetrician, coordinator, [cardiologist], pregnancy)
    api.as_user(cardiologist).post(
        f"/api/v1/consults/{consult}/conclude/", {"recommendations": "r", "decision": "d"}, format="json"
    )
    participant = invitation_of(consult, cardiologist)
    days = settings.CONSULT_GRANT_DAYS_AFTER
    assert participant.grant_expires_at > timezone.now() + dt.timedelta(days=days - 1)
    consult_sweep(now=timezone.now() + dt.timedelta(days=days - 1))
    assert pregnancy in pregnancies_visible_to(cardiologist)
    consult_sweep(now=timezone.now() + dt.timedelta(days=days + 2))
    assert pregnancy not in pregnancies_visible_to(cardiologist)
    assert api.as_user(cardiologist).get(f"/api/v1/consults/{consult}/").status_code == 404


def test_declining_ends_access(api, obstetrician, coordinator, cardiologist, pregnancy):
    consult = request_consult(api, obstetrician, pregnancy)["id"]
    schedule(api, coordinator, consult, [cardiologist])
    invitation = invitation_of(consult, cardiologist)
    api.as_user(cardiologist).post(
        f"/api/v1/invitations/{invitation.external_id}/decline/", {"reason": "On leave"}, format="json"
    )
    assert pregnancy not in pregnancies_visible_to(cardiologist)


def test_calendar_file_is_valid_and_carries_no_patient_data(
    api, obstetrician, coordinator, cardiologist, pregnancy
):
    consult = request_consult(api, obstetrician, pregnancy)["id"]
    schedule(api, coordinator, consult, [cardiologist], meeting_url="https://meet.example.org/abc")
    for url in (f"/api/v1/consults/{consult}.ics", f"/api/v1/consults/{consult}/?format=ics"):
        response = api.as_user(cardiologist).get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"].startswith("text/calendar")
        text = response.content.decode()
        calendar = icalendar.Calendar.from_ical(text)
        event = next(iter(calendar.walk("VEVENT")))
        record = Consult.objects.get(external_id=consult)
        # iCalendar has whole seconds
        assert event.decoded("DTSTART") == record.scheduled_start.replace(microsecond=0)
        assert event.decoded("DTEND") == record.scheduled_end.replace(microsecond=0)
        assert str(event["UID"]).startswith(consult)
        assert pregnancy.patient.name not in text and "PAH" not in text
    assert api.as_user(None).get(f"/api/v1/consults/{consult}.ics").status_code == 401


def test_only_one_consultation_has_a_calendar_form(api, obstetrician, pregnancy):
    """The list and the availability check have no ``ics`` form: an unknown format, 404 in the JSON error
    shape (not an empty 200 without a content type), as docs/openapi.yaml says."""
    request_consult(api, obstetrician, pregnancy)
    client = api.as_user(obstetrician)
    for url in ("/api/v1/consults/?format=ics", "/api/v1/consults/availability/?format=ics"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response["Content-Type"].startswith("application/json"), url
        assert set(response.json()) == {"message", "errors"}, url
    assert client.get("/api/v1/consults/?format=json").json()["count"] == 1


def test_outsiders_see_nothing(api, obstetrician, outsider, pregnancy):
    consult = request_consult(api, obstetrician, pregnancy)["id"]
    assert api.as_user(outsider).get(f"/api/v1/consults/{consult}/").status_code == 404
    assert api.as_user(outsider).get("/api/v1/consults/").json()["count"] == 0


def test_list_query_count_is_constant(api, obstetrician, pregnancy, home_facility, django_assert_num_queries):
    """Queries: user, COUNT(*), the page, its women's pregnancies and patient records (prefetched: see
    ``ConsultViewSet.get_queryset``), the list audit row."""
    from tests.factories import PregnancyFactory

    # request_consult's POST is the first request after force_login: it stamps the session's refresh time
    # (savepoint, UPDATE, release). Signing the same user in again keeps that session, so the requests
    # measured below, within SESSION_REFRESH_SECONDS, write nothing.
    request_consult(api, obstetrician, pregnancy)
    client = api.as_user(obstetrician)
    with django_assert_num_queries(6):
        assert client.get("/api/v1/consults/").json()["count"] == 1
    for _ in range(4):
        request_consult(api, obstetrician, PregnancyFactory(managing_facility=home_facility))
    client = api.as_user(obstetrician)
    with django_assert_num_queries(6):
        assert client.get("/api/v1/consults/").json()["count"] == 5


def test_termination_decision_is_restricted_to_users_without_view_sensitive(
    api, obstetrician, coordinator, cardiologist, anaesthetist, pregnancy, home_facility, midwife
):
    chief = UserFactory(facility=home_facility, roles=[Role.OBSTETRICIAN], title=Title.CHIEF)
    consult = _ready(api, obstetrician, coordinator, [cardiologist, anaesthetist, chief], pregnancy)
    decision = {"decision_kind": "terminate", "decision": "Recommend termination; the woman agrees"}
    for signer in (anaesthetist, chief):
        api.as_user(signer).post(f"/api/v1/consults/{consult}/sign/", decision, format="json")
    api.as_user(cardiologist).post(
        f"/api/v1/consults/{consult}/conclude/", {"recommendations": "r", **decision}, format="json"
    )
    assert (
        api.as_user(obstetrician).get(f"/api/v1/consults/{consult}/").json()["decision"]
        == decision["decision"]
    )
    seen = api.as_user(midwife).get(f"/api/v1/consults/{consult}/").json()
    assert seen["decision"] == "restricted" and seen["recommendations"] == "restricted"
