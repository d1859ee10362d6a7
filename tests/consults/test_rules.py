"""MDT consultations: who takes part (and the implicit acceptance), the order of refusals (404 → 403 → 409 →
400), cancelling an ongoing consult, invitation e-mails with calendar files, rescheduling, participants'
record access, and the action items on their owners' worklists. State is set up through the services."""

import datetime as dt
import logging
import smtplib

import icalendar
import pytest
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

from accounts.choices import Role, Title
from audit.models import AuditEvent
from cases.access import pregnancies_visible_to
from consults import services
from consults.models import ActionItem, Consult, Opinion, Signature
from core.errors import Conflict, InvalidTransition, PermissionDenied
from notifications.models import Alert
from tests.factories import PregnancyFactory, UserFactory

pytestmark = pytest.mark.django_db

QUESTION = "PAH 55 mmHg at 24 weeks: continue the pregnancy?"


def requested(obstetrician, pregnancy, urgency="routine"):
    return services.consult_request(
        actor=obstetrician,
        pregnancy=pregnancy,
        urgency=urgency,
        question=QUESTION,
        specialties=["cardiology", "anesthesiology"],
    )


def slot(hours=2, minutes=60):
    start = timezone.now().replace(second=0, microsecond=0) + dt.timedelta(hours=hours)
    return start, start + dt.timedelta(minutes=minutes)


def scheduled(coordinator, consult, people, hours=2, location="MDT room 3", **extra):
    """``people``: users, or (user, specialty) pairs."""
    start, end = slot(hours)
    pairs = [p if isinstance(p, tuple) else (p, "") for p in people]
    return services.consult_schedule(
        actor=coordinator,
        consult=consult,
        start=start,
        end=end,
        participants=pairs,
        location=location,
        **extra,
    )


def opinion(user, consult, specialty="cardiology"):
    return services.opinion_record(actor=user, consult=consult, specialty=specialty, text="High risk late")


def conclude(user, consult, actions=None):
    return services.consult_conclude(
        actor=user,
        consult=consult,
        recommendations="Deliver at the city centre",
        decision_kind="delivery_plan",
        decision="Planned CS at 34 weeks",
        actions=actions or [],
    )


def answer(consult, user):
    return consult.participants.get(user=user).status


def calendar_of(message):
    """The .ics attached to an e-mail, parsed back with the icalendar library."""
    (name, content, mimetype) = message.attachments[0]
    assert name.endswith(".ics") and mimetype.startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(content)
    return calendar, next(iter(calendar.walk("VEVENT"))), content


def mail_to(outbox, user):
    return [m for m in outbox if m.to == [user.email]]


class RefusingSmtp(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("mail server down")


# --- who takes part -----------------------------------------------------------------------------------


def test_an_invitee_who_has_not_answered_records_her_opinion_and_thereby_accepts(
    api, obstetrician, coordinator, cardiologist, pregnancy
):
    consult = scheduled(coordinator, requested(obstetrician, pregnancy), [cardiologist])
    invitation = consult.participants.get(user=cardiologist)
    assert Alert.objects.get(kind="consult_invitation").status == "pending"
    response = api.as_user(cardiologist).post(
        f"/api/v1/consults/{consult.external_id}/opinions/",
        {"specialty": "cardiology", "text": "PAH moderate"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    invitation.refresh_from_db()
    assert invitation.status == "accepted" and invitation.responded_at is not None
    assert Alert.objects.get(kind="consult_invitation").status == "resolved"
    assert AuditEvent.objects.filter(object_id=str(consult.external_id), changes__implicit=True).exists()
    # her invitation is answered now: the accept button answers 409
    assert (
        api.as_user(cardiologist).post(f"/api/v1/invitations/{invitation.external_id}/accept/").status_code
        == 409
    )


def test_an_invitee_who_has_not_answered_may_sign_and_her_signature_counts(
    obstetrician, coordinator, cardiologist, anaesthetist, pregnancy
):
    consult = scheduled(coordinator, requested(obstetrician, pregnancy), [cardiologist, anaesthetist])
    opinion(cardiologist, consult)
    services.consult_sign(actor=anaesthetist, consult=consult, decision_kind="continue", decision="Continue")
    assert Signature.objects.get(signer=anaesthetist).is_senior
    assert answer(consult, anaesthetist) == "accepted"


def test_staff_of_the_facilities_who_are_not_invited_do_not_take_part(
    api, obstetrician, coordinator, cardiologist, midwife, pregnancy, home_facility
):
    """The woman's facility manages her and the coordinating facility runs the MDT, but only the requester
    and the invitees opine, sign or conclude; the coordinator schedules and cancels."""
    chief = UserFactory(facility=home_facility, roles=[Role.OBSTETRICIAN], title=Title.CHIEF)
    invited_chief = UserFactory(facility=home_facility, roles=[Role.OBSTETRICIAN], title=Title.CHIEF)
    consult = scheduled(coordinator, requested(obstetrician, pregnancy), [cardiologist, invited_chief])
    opinion(cardiologist, consult)
    base = f"/api/v1/consults/{consult.external_id}"
    steps = [
        ("opinions/", {"specialty": "obstetrics", "text": "Stable"}),
        ("sign/", {"decision_kind": "continue", "decision": "Continue"}),
        ("conclude/", {"recommendations": "r", "decision": "Continue", "decision_kind": "continue"}),
    ]
    for user in (chief, midwife, coordinator):
        assert api.as_user(user).get(f"{base}/").status_code == 200, user  # they read the record
        for suffix, body in steps:
            response = api.as_user(user).post(f"{base}/{suffix}", body, format="json")
            assert response.status_code == 403, (user, suffix)
    assert api.as_user(chief).post(f"{base}/cancel/", {"reason": "x"}, format="json").status_code == 403
    assert Opinion.objects.count() == 1 and not Signature.objects.exists()
    with pytest.raises(PermissionDenied):
        services.consult_sign(actor=chief, consult=consult, decision_kind="continue", decision="Continue")
    # the same rank and facility, invited: she takes part
    response = api.as_user(invited_chief).post(f"{base}/sign/", steps[1][1], format="json")
    assert response.status_code == 201


def test_an_invitee_who_declined_takes_no_part(api, obstetrician, coordinator, pregnancy, home_facility):
    neighbour = UserFactory(facility=home_facility, roles=[Role.SPECIALIST], specialty="cardiology")
    consult = scheduled(coordinator, requested(obstetrician, pregnancy), [neighbour])
    invitation = consult.participants.get(user=neighbour)
    services.invitation_respond(actor=neighbour, participant=invitation, accept=False, reason="On leave")
    response = api.as_user(neighbour).post(
        f"/api/v1/consults/{consult.external_id}/opinions/",
        {"specialty": "cardiology", "text": "x"},
        format="json",
    )
    assert response.status_code == 403  # she still reads the record (her facility manages the woman)


# --- order of refusals: 404, 403, 409, 400 ---------------------------------------------------------------


@pytest.fixture
def lifecycle(obstetrician, coordinator, cardiologist, pregnancy, home_facility):
    """Three consults about the same woman: open (with an opinion), cancelled, concluded."""
    open_ = scheduled(coordinator, requested(obstetrician, pregnancy), [cardiologist])
    opinion(cardiologist, open_)
    cancelled = scheduled(coordinator, requested(obstetrician, pregnancy), [cardiologist], hours=5)
    services.consult_cancel(actor=obstetrician, consult=cancelled, reason="She delivered")
    concluded = scheduled(coordinator, requested(obstetrician, pregnancy), [cardiologist], hours=8)
    opinion(cardiologist, concluded)
    conclude(cardiologist, concluded)
    return {"open": open_, "cancelled": cancelled, "concluded": concluded}


BAD_CONCLUDE = {
    "recommendations": "",
    "decision": "",
    "actions": [{"owner": "nobody", "due": "x", "text": ""}],
}


@pytest.mark.parametrize(
    ("who", "which", "expected"),
    [
        ("outsider", "open", 404),  # may not know the consult exists
        ("colleague", "open", 403),  # reads it, does not take part
        ("obstetrician", "cancelled", 409),  # takes part, wrong state — though the input is bad too
        ("obstetrician", "concluded", 409),
        ("obstetrician", "open", 400),  # right person, right state, bad input
    ],
)
def test_conclude_refuses_in_the_order_access_role_state_input(
    api, lifecycle, who, which, expected, obstetrician, outsider, home_facility
):
    users = {
        "outsider": outsider,
        "colleague": UserFactory(facility=home_facility, roles=[Role.OBSTETRICIAN]),
        "obstetrician": obstetrician,
    }
    consult = lifecycle[which]
    response = api.as_user(users[who]).post(
        f"/api/v1/consults/{consult.external_id}/conclude/", BAD_CONCLUDE, format="json"
    )
    assert response.status_code == expected, response.json()
    assert set(response.json()) == {"message", "errors"}


def test_every_step_checks_the_state_before_the_input(
    api, lifecycle, obstetrician, cardiologist, coordinator
):
    concluded, cancelled, open_ = lifecycle["concluded"], lifecycle["cancelled"], lifecycle["open"]

    def post(user, consult, suffix, body):
        return api.as_user(user).post(f"/api/v1/consults/{consult.external_id}/{suffix}", body, format="json")

    assert post(obstetrician, concluded, "cancel/", {"reason": ""}).status_code == 409
    assert post(obstetrician, cancelled, "cancel/", {}).status_code == 409
    assert post(obstetrician, concluded, "opinions/", {"specialty": "nonsense"}).status_code == 409
    assert post(obstetrician, concluded, "sign/", {}).status_code == 409
    assert post(obstetrician, open_, "addenda/", {"text": ""}).status_code == 409
    assert post(coordinator, concluded, "schedule/", {}).status_code == 409
    # the HTML forms too: the consult page again with the message, nothing changed
    from django.test import Client

    client = Client()
    client.force_login(obstetrician)
    page = client.post(f"/consults/{cancelled.external_id}/conclude/", {"recommendations": ""})
    assert page.status_code == 409
    assert "Only a scheduled or ongoing consultation can be concluded." in page.content.decode()
    # and the services alone
    with pytest.raises(InvalidTransition):
        services.consult_conclude(
            actor=cardiologist, consult=concluded, recommendations="", decision_kind="", decision=""
        )


# --- cancelling -----------------------------------------------------------------------------------------


def test_an_ongoing_consult_can_be_cancelled_with_a_reason_and_access_ends(
    api, obstetrician, coordinator, cardiologist, pregnancy
):
    consult = scheduled(coordinator, requested(obstetrician, pregnancy), [cardiologist])
    opinion(cardiologist, consult)
    consult.refresh_from_db()
    assert consult.status == "in_progress"
    url = f"/api/v1/consults/{consult.external_id}/cancel/"
    assert api.as_user(obstetrician).post(url, {"reason": ""}, format="json").status_code == 400
    assert api.as_user(cardiologist).post(url, {"reason": "x"}, format="json").status_code == 403
    response = api.as_user(coordinator).post(url, {"reason": "She was transferred"}, format="json")
    assert response.status_code == 200, response.json()
    assert (
        response.json()["status"] == "cancelled" and response.json()["cancel_reason"] == "She was transferred"
    )
    assert pregnancy not in pregnancies_visible_to(cardiologist)
    assert Alert.objects.filter(kind="consult_reminder", status="pending").count() == 0
    assert api.as_user(obstetrician).post(url, {"reason": "again"}, format="json").status_code == 409


# --- e-mails with calendar files ---------------------------------------------------------------------


def test_scheduling_emails_each_invitee_the_ics_after_commit_without_patient_data(
    obstetrician,
    coordinator,
    cardiologist,
    anaesthetist,
    pregnancy,
    home_facility,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    no_email = UserFactory(facility=home_facility, roles=[Role.SPECIALIST], specialty="icu", email="")
    consult = requested(obstetrician, pregnancy)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        scheduled(coordinator, consult, [cardiologist, anaesthetist, no_email])
    assert mailoutbox == [] and len(callbacks) == 1  # nothing leaves before the commit
    callbacks[0]()
    assert sorted(m.to[0] for m in mailoutbox) == sorted([cardiologist.email, anaesthetist.email])
    message = mail_to(mailoutbox, cardiologist)[0]
    calendar, event, raw = calendar_of(message)
    consult.refresh_from_db()
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(event["UID"]) == f"{consult.external_id}@maternal-safety"
    assert int(event["SEQUENCE"]) == 0
    assert event.decoded("DTSTART") == consult.scheduled_start
    assert event.decoded("DTEND") == consult.scheduled_end
    assert str(event["LOCATION"]) == "MDT room 3"
    assert consult.reference in str(event["SUMMARY"])
    assert str(event["ATTENDEE"]) == f"mailto:{cardiologist.email}"
    text = raw + message.subject + message.body
    patient = pregnancy.patient
    for secret in (patient.name, patient.record_number, QUESTION, "PAH"):
        assert secret not in text
    assert f"/consults/{consult.external_id}/" in message.body


def test_a_refusing_mail_server_is_logged_and_the_schedule_still_succeeds(
    api,
    obstetrician,
    coordinator,
    cardiologist,
    pregnancy,
    settings,
    caplog,
    django_capture_on_commit_callbacks,
):
    settings.EMAIL_BACKEND = "tests.consults.test_rules.RefusingSmtp"
    consult = requested(obstetrician, pregnancy)
    start, end = slot()
    logged = caplog.at_level(logging.ERROR, logger="consults.mail")
    with logged, django_capture_on_commit_callbacks(execute=True):
        response = api.as_user(coordinator).post(
            f"/api/v1/consults/{consult.external_id}/schedule/",
            {
                "start": start.isoformat(),
                "end": end.isoformat(),
                "location": "MDT room 3",
                "participants": [str(cardiologist.external_id)],
            },
            format="json",
        )
    assert response.status_code == 200 and response.json()["status"] == "scheduled"
    assert any("failed" in r.getMessage() and r.exc_info for r in caplog.records if r.name == "consults.mail")


def test_cancelling_sends_a_calendar_cancel_with_the_same_uid_and_a_higher_sequence(
    obstetrician, coordinator, cardiologist, pregnancy, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        consult = scheduled(coordinator, requested(obstetrician, pregnancy), [cardiologist])
    with django_capture_on_commit_callbacks(execute=True):
        services.consult_cancel(actor=obstetrician, consult=consult, reason="She delivered")
    (_c, invited, _r), (calendar, cancelled, _raw) = [calendar_of(m) for m in mailoutbox]
    assert str(calendar["METHOD"]) == "CANCEL" and str(cancelled["STATUS"]) == "CANCELLED"
    assert cancelled["UID"] == invited["UID"]
    assert int(cancelled["SEQUENCE"]) > int(invited["SEQUENCE"])


def test_a_refused_schedule_sends_nothing(
    obstetrician,
    coordinator,
    cardiologist,
    pregnancy,
    home_facility,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    scheduled(coordinator, requested(obstetrician, pregnancy), [cardiologist])
    second = requested(obstetrician, PregnancyFactory(managing_facility=home_facility))
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(Conflict):
        scheduled(coordinator, second, [cardiologist])  # double-booked: refused
    assert callbacks == [] and mailoutbox == []


# --- rescheduling ---------------------------------------------------------------------------------------


def test_rescheduling_to_a_new_time_asks_everyone_again_and_updates_their_calendars(
    obstetrician,
    coordinator,
    cardiologist,
    anaesthetist,
    pregnancy,
    home_facility,
    city_centre,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    icu = UserFactory(
        facility=city_centre, roles=[Role.SPECIALIST], specialty="icu", email="icu@centre.example.org"
    )
    consult = scheduled(coordinator, requested(obstetrician, pregnancy), [cardiologist, anaesthetist])
    services.invitation_respond(
        actor=cardiologist, participant=consult.participants.get(user=cardiologist), accept=True
    )
    services.invitation_respond(
        actor=anaesthetist,
        participant=consult.participants.get(user=anaesthetist),
        accept=False,
        reason="Theatre",
    )
    assert pregnancy not in pregnancies_visible_to(anaesthetist)
    old_reminder = Alert.objects.get(kind="consult_reminder", target_user=cardiologist)
    with django_capture_on_commit_callbacks(execute=True):
        # a new time and place: the anaesthetist (who declined) is asked again, the ICU physician joins, and
        # the cardiologist stays, now for respiratory medicine
        consult = scheduled(
            coordinator,
            Consult.objects.get(pk=consult.pk),
            [(cardiologist, "respiratory"), anaesthetist, icu],
            hours=26,
            location="Room 5",
        )
    assert consult.calendar_sequence == 1
    assert {p.user_id: p.status for p in consult.participants.all()} == {
        cardiologist.pk: "invited",
        anaesthetist.pk: "invited",
        icu.pk: "invited",
    }
    assert consult.participants.get(user=cardiologist).specialty == "respiratory"
    assert consult.participants.get(user=anaesthetist).invitation_round == 2
    assert pregnancy in pregnancies_visible_to(anaesthetist) and pregnancy in pregnancies_visible_to(icu)
    # the old reminder will not ring; the new one is due 30 minutes before the new start
    old_reminder.refresh_from_db()
    assert old_reminder.status == "resolved"
    new_reminder = Alert.objects.get(kind="consult_reminder", target_user=cardiologist, status="pending")
    assert new_reminder.due_at == consult.scheduled_start - dt.timedelta(minutes=30)
    # asked again: the anaesthetist has a new invitation alert
    assert (
        Alert.objects.filter(kind="consult_invitation", target_user=anaesthetist, status="pending").count()
        == 1
    )
    assert sorted(m.to[0] for m in mailoutbox) == sorted([cardiologist.email, anaesthetist.email, icu.email])
    for message in mailoutbox:
        calendar, event, _raw = calendar_of(message)
        assert str(calendar["METHOD"]) == "REQUEST"
        assert str(event["UID"]) == f"{consult.external_id}@maternal-safety"
        assert int(event["SEQUENCE"]) == 1
        assert event.decoded("DTSTART") == consult.scheduled_start
        assert str(event["LOCATION"]) == "Room 5"


def test_rescheduling_removes_people_revokes_their_access_and_cancels_their_event(
    obstetrician,
    coordinator,
    cardiologist,
    anaesthetist,
    pregnancy,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    consult = scheduled(coordinator, requested(obstetrician, pregnancy), [cardiologist, anaesthetist])
    with django_capture_on_commit_callbacks(execute=True):
        consult = scheduled(
            coordinator, Consult.objects.get(pk=consult.pk), [cardiologist]
        )  # same time and place
    assert answer(consult, anaesthetist) == "withdrawn"
    assert pregnancy not in pregnancies_visible_to(anaesthetist)
    assert pregnancy in pregnancies_visible_to(cardiologist)
    assert consult.calendar_sequence == 0  # the event did not change for those who stay
    assert [m.to for m in mailoutbox] == [[anaesthetist.email]]
    calendar, _event, _raw = calendar_of(mailoutbox[0])
    assert str(calendar["METHOD"]) == "CANCEL"
    assert Alert.objects.filter(target_user=anaesthetist, status="pending").count() == 0


def test_a_new_place_at_the_same_time_keeps_the_answers_and_updates_the_calendars(
    obstetrician, coordinator, cardiologist, pregnancy, mailoutbox, django_capture_on_commit_callbacks
):
    consult = scheduled(coordinator, requested(obstetrician, pregnancy), [cardiologist])
    services.invitation_respond(
        actor=cardiologist, participant=consult.participants.get(user=cardiologist), accept=True
    )
    with django_capture_on_commit_callbacks(execute=True):
        consult = scheduled(
            coordinator, Consult.objects.get(pk=consult.pk), [cardiologist], location="Room 9"
        )
    assert answer(consult, cardiologist) == "accepted" and consult.calendar_sequence == 1
    (_calendar, event, _raw) = calendar_of(mailoutbox[0])
    assert str(event["LOCATION"]) == "Room 9" and int(event["SEQUENCE"]) == 1


def test_rescheduling_runs_the_double_booking_check_again(
    api, obstetrician, coordinator, cardiologist, pregnancy, home_facility
):
    busy = scheduled(
        coordinator,
        requested(obstetrician, PregnancyFactory(managing_facility=home_facility)),
        [cardiologist],
        hours=6,
    )
    consult = scheduled(coordinator, requested(obstetrician, pregnancy), [cardiologist], hours=2)
    before = consult.scheduled_start
    start, end = slot(6)
    response = api.as_user(coordinator).post(
        f"/api/v1/consults/{consult.external_id}/schedule/",
        {
            "start": start.isoformat(),
            "end": end.isoformat(),
            "location": "Room 5",
            "participants": [str(cardiologist.external_id)],
        },
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["conflicts"][0]["consult"] == busy.reference
    consult.refresh_from_db()
    assert consult.scheduled_start == before and consult.location == "MDT room 3"


def test_the_downloaded_calendar_file_follows_the_revisions(
    api, obstetrician, coordinator, cardiologist, pregnancy
):
    consult = scheduled(coordinator, requested(obstetrician, pregnancy), [cardiologist])
    scheduled(coordinator, Consult.objects.get(pk=consult.pk), [cardiologist], hours=4)
    calendar = icalendar.Calendar.from_ical(
        api.as_user(obstetrician).get(f"/api/v1/consults/{consult.external_id}.ics").content
    )
    assert int(next(iter(calendar.walk("VEVENT")))["SEQUENCE"]) == 1
    services.consult_cancel(
        actor=obstetrician, consult=Consult.objects.get(pk=consult.pk), reason="Transferred"
    )
    calendar = icalendar.Calendar.from_ical(
        api.as_user(obstetrician).get(f"/api/v1/consults/{consult.external_id}.ics").content
    )
    assert str(calendar["METHOD"]) == "CANCEL"
    event = next(iter(calendar.walk("VEVENT")))
    assert str(event["STATUS"]) == "CANCELLED" and int(event["SEQUENCE"]) == 2


# --- participants' access ---------------------------------------------------------------------------


def test_participant_access_lasts_until_some_days_after_the_last_action_item(
    obstetrician, coordinator, cardiologist, midwife, pregnancy, settings
):
    consult = scheduled(coordinator, requested(obstetrician, pregnancy), [cardiologist])
    opinion(cardiologist, consult)
    due = timezone.localdate() + dt.timedelta(days=30)
    conclude(cardiologist, consult, actions=[{"owner": midwife, "due": due, "text": "Echo at 32 weeks"}])
    participant = consult.participants.get(user=cardiologist)
    days = settings.CONSULT_GRANT_DAYS_AFTER
    assert timezone.localtime(participant.grant_expires_at).date() == due + dt.timedelta(days=days)
    services.consult_sweep(now=timezone.now() + dt.timedelta(days=30 + days - 1))
    assert pregnancy in pregnancies_visible_to(cardiologist)
    assert services.consult_sweep(now=timezone.now() + dt.timedelta(days=30 + days + 1))["grants_ended"] == 1
    assert pregnancy not in pregnancies_visible_to(cardiologist)
    participant.refresh_from_db()
    assert participant.grant_revoked_at is not None
    assert services.consult_sweep(now=timezone.now() + dt.timedelta(days=30 + days + 2))["grants_ended"] == 0


def test_staff_of_the_womans_facility_get_no_personal_grant(
    obstetrician, coordinator, pregnancy, home_facility
):
    neighbour = UserFactory(facility=home_facility, roles=[Role.SPECIALIST], specialty="cardiology")
    consult = scheduled(coordinator, requested(obstetrician, pregnancy), [neighbour])
    grants = AuditEvent.objects.filter(
        action="grant", changes__source=["consults.consult", str(consult.external_id)]
    )
    assert not grants.filter(changes__user=str(neighbour.external_id)).exists()


# --- immutability -------------------------------------------------------------------------------------


def test_a_concluded_record_refuses_every_change_but_addenda_by_those_taking_part(
    api, lifecycle, obstetrician, cardiologist, coordinator, home_facility
):
    concluded = lifecycle["concluded"]
    base = f"/api/v1/consults/{concluded.external_id}"
    for user, suffix, body in (
        (cardiologist, "sign/", {"decision_kind": "continue", "decision": "Other"}),
        (cardiologist, "conclude/", {"recommendations": "r", "decision": "Other"}),
        (obstetrician, "cancel/", {"reason": "Changed my mind"}),
    ):
        assert api.as_user(user).post(f"{base}/{suffix}", body, format="json").status_code == 409, suffix
    colleague = UserFactory(facility=home_facility, roles=[Role.OBSTETRICIAN])
    assert api.as_user(colleague).post(f"{base}/addenda/", {"text": "x"}, format="json").status_code == 403
    assert (
        api.as_user(obstetrician).post(f"{base}/addenda/", {"text": "Echo normal"}, format="json").status_code
        == 201
    )
    concluded.refresh_from_db()
    assert concluded.decision == "Planned CS at 34 weeks" and concluded.addenda.count() == 1


# --- action items on the owners' worklists ------------------------------------------------------------


def _concluded_with_actions(obstetrician, coordinator, cardiologist, owner, home_facility, n):
    """``n`` women, each with a concluded consult and one action item for ``owner``."""
    consults = []
    for i in range(n):
        woman = PregnancyFactory(managing_facility=home_facility)
        consult = scheduled(coordinator, requested(obstetrician, woman), [cardiologist], hours=2 + 2 * i)
        opinion(cardiologist, consult)
        due = timezone.localdate() + dt.timedelta(days=i)
        conclude(cardiologist, consult, actions=[{"owner": owner, "due": due, "text": f"Weekly BNP {i}"}])
        consults.append(consult)
    return consults


@pytest.mark.parametrize("items", [1, 4])
def test_the_owner_sees_her_action_items_on_her_worklist_in_constant_queries(
    client, obstetrician, coordinator, cardiologist, midwife, home_facility, django_assert_num_queries, items
):
    consults = _concluded_with_actions(obstetrician, coordinator, cardiologist, midwife, home_facility, items)
    client.force_login(midwife)
    # Warm up: the first request after force_login stamps the session's refresh time (savepoint, session
    # save, release); the requests after it, within SESSION_REFRESH_SECONDS, write nothing.
    client.get("/")
    # 1 the signed-in user (her facility and region joined: the header needs no query of its own), 2 count
    # of the worklist, 3-4 one page of its rows (ids, then the rows), 5 her open action items (consult and
    # woman joined), 6 the follow-up windows that need someone (none here), 7 one list audit row naming
    # the women of both — whatever the number of action items.
    with django_assert_num_queries(7):
        response = client.get("/")
    body = response.content.decode()
    assert 'id="h-my-actions"' in body
    for i, consult in enumerate(consults):
        assert f"Weekly BNP {i}" in body and consult.reference in body
    event = AuditEvent.objects.filter(action="list", actor=midwife).latest("id")
    assert event.changes["action_items"] == items
    assert {c.pregnancy.patient.external_id for c in consults} <= set(event.patient_ids)
    # the fixed read gives the ORM query's rows, in its order, with consult and woman attached
    shown = response.context["action_items"]
    expected = list(
        ActionItem.objects.filter(owner=midwife, status="open")
        .select_related("consult__pregnancy__patient")
        .order_by("due", "id")
    )
    assert [(i.pk, i.text, i.consult.reference, i.consult.pregnancy.patient.name) for i in shown] == [
        (i.pk, i.text, i.consult.reference, i.consult.pregnancy.patient.name) for i in expected
    ]


def test_an_action_item_marked_done_on_the_worklist_leaves_it(
    client, obstetrician, coordinator, cardiologist, midwife, home_facility
):
    (consult,) = _concluded_with_actions(obstetrician, coordinator, cardiologist, midwife, home_facility, 1)
    item = consult.actions.get()
    client.force_login(midwife)
    done = client.post(f"/consults/actions/{item.external_id}/done/", {"return": "home"})
    assert done.status_code == 302 and done["Location"] == "/"
    body = client.get("/").content.decode()
    assert "Weekly BNP 0" not in body and 'id="h-my-actions"' not in body


def test_someone_elses_action_items_are_not_on_my_worklist(
    client, obstetrician, coordinator, cardiologist, midwife, home_facility
):
    _concluded_with_actions(obstetrician, coordinator, cardiologist, obstetrician, home_facility, 1)
    client.force_login(midwife)
    body = client.get("/").content.decode()
    assert "Weekly BNP 0" not in body and 'id="h-my-actions"' not in body
    client.force_login(obstetrician)
    assert "Weekly BNP 0" in client.get("/").content.decode()


# --- query counts ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("extra", [0, 3])
def test_consult_detail_and_page_query_counts_do_not_grow_with_participants(
    api,
    client,
    obstetrician,
    coordinator,
    cardiologist,
    anaesthetist,
    pregnancy,
    home_facility,
    django_assert_num_queries,
    extra,
):
    others = [UserFactory(facility=home_facility, roles=[Role.SPECIALIST]) for _ in range(extra)]
    consult = scheduled(
        coordinator, requested(obstetrician, pregnancy), [cardiologist, anaesthetist, *others]
    )
    opinion(cardiologist, consult)
    opinion(anaesthetist, consult, "anesthesiology")
    api_client = api.as_user(obstetrician)
    # Warm up: the first request after force_login stamps the session's refresh time (savepoint, session
    # save, release); the requests after it, within SESSION_REFRESH_SECONDS, write nothing.
    api_client.get(f"/api/v1/consults/{consult.external_id}/")
    # 1 user, 2 the consult through access, 3 read audit row, 4 the consult with its joins, 5-7 participants,
    # their users, their facilities, 8-9 opinions and authors, 10 signatures, 11 action items, 12 addenda.
    with django_assert_num_queries(12):
        body = api_client.get(f"/api/v1/consults/{consult.external_id}/").json()
    assert len(body["participants"]) == 2 + extra and len(body["opinions"]) == 2
    client.force_login(obstetrician)
    client.get(f"/consults/{consult.external_id}/")  # warm up: this client's session refresh stamp, as above
    # 1 user (her facility and region joined: the header needs no query of its own), 2 the consult through
    # access, 3 read audit row, 4 the consult with its joins, 5 participants (user and facility joined), 6-7
    # opinions and authors, 8 signatures, 9 action items, 10 addenda, 11-13 the owner choices of the three
    # empty action rows of the conclusion form.
    with django_assert_num_queries(13):
        page = client.get(f"/consults/{consult.external_id}/")
    assert page.content.decode().count("mdt-opinion") >= 2
