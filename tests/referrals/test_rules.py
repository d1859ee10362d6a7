"""The rules around the state machine: centres may not refuse (by her colour at the request), the thread
closes with the referral, the snapshot takes the newest readings, the inboxes are for staff who refer or
receive, the record follows the woman through every stage, and missed clocks escalate."""

import datetime as dt

import pytest
from django.utils import timezone

from accounts.choices import Role
from audit.models import AuditEvent
from cases.access import can_change_pregnancy, pregnancies_visible_to
from cases.services import pregnancy_set_risk, visit_record
from notifications.models import Alert
from referrals import services
from referrals.models import Referral
from referrals.selectors import incoming, outgoing
from referrals.tasks import referral_clocks_sweep_task
from risk.services import observation_record
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def refer(actor, pregnancy, to, urgency="routine", **extra):
    return services.referral_request(
        actor=actor,
        pregnancy=pregnancy,
        to_facility=to,
        urgency=urgency,
        reason="Severe pre-eclampsia",
        **extra,
    )


def post(api, user, referral, step, **body):
    return api.as_user(user).post(f"/api/v1/referrals/{referral.external_id}/{step}/", body, format="json")


# --- centres may not refuse: her colour when she was referred ----------------------------------------------


def test_the_colour_at_the_request_is_stored_on_the_referral(api, obstetrician, pregnancy, centre):
    pregnancy_set_risk(pregnancy=pregnancy, risk_color="orange")
    referral = refer(obstetrician, pregnancy, centre)
    pregnancy_set_risk(pregnancy=pregnancy, risk_color="green")
    referral.refresh_from_db()
    assert referral.risk_color_at_request == "orange"
    assert (
        api.as_user(obstetrician)
        .get(f"/api/v1/referrals/{referral.external_id}/")
        .json()["risk_color_at_request"]
        == "orange"
    )


def test_a_centre_may_not_refuse_an_orange_woman_whose_grade_was_lowered_after_the_request(
    api, obstetrician, centre_doctor, pregnancy, centre
):
    pregnancy_set_risk(pregnancy=pregnancy, risk_color="orange")
    referral = refer(obstetrician, pregnancy, centre)
    pregnancy_set_risk(pregnancy=pregnancy, risk_color="yellow")  # regraded while she waits
    response = post(api, centre_doctor, referral, "decline", reason="Full")
    assert response.status_code == 409
    assert "may not refuse" in response.json()["message"]
    referral.refresh_from_db()
    assert referral.status == "requested"


def test_a_woman_graded_red_while_the_referral_waits_may_not_be_refused_either(
    api, obstetrician, centre_doctor, pregnancy, centre
):
    """A yellow woman's routine referral may be declined; once she is graded red while it waits, the
    centre must take her (or redirect her) rather than send her back to be referred again."""
    pregnancy_set_risk(pregnancy=pregnancy, risk_color="yellow")
    referral = refer(obstetrician, pregnancy, centre)
    assert services.may_refuse(
        Referral.objects.select_related("to_facility", "pregnancy").get(pk=referral.pk)
    )
    pregnancy_set_risk(pregnancy=pregnancy, risk_color="red")
    assert not services.may_refuse(
        Referral.objects.select_related("to_facility", "pregnancy").get(pk=referral.pk)
    )
    assert post(api, centre_doctor, referral, "decline", reason="Only for grading").status_code == 409


def test_the_migration_backfills_the_colour_from_the_snapshot(obstetrician, pregnancy, centre):
    import importlib

    from django.apps import apps

    migration = importlib.import_module(
        "referrals.migrations.0002_risk_color_at_request_and_translation_contexts"
    )
    pregnancy_set_risk(pregnancy=pregnancy, risk_color="red")
    referral = refer(obstetrician, pregnancy, centre)
    Referral.objects.filter(pk=referral.pk).update(risk_color_at_request=None)  # as before the migration
    migration.backfill_risk_color_at_request(apps, None)
    referral.refresh_from_db()
    assert referral.risk_color_at_request == "red"


# --- the discussion closes with the referral ---------------------------------------------------------------


@pytest.fixture
def closed(obstetrician, centre_doctor, other_centre, pregnancy, centre):
    """One referral in each closed state, all of the same woman, one after the other."""

    def make(state):
        referral = refer(obstetrician, pregnancy, centre)
        if state == "declined":
            services.referral_decline(actor=centre_doctor, referral=referral, reason="No beds")
        elif state == "cancelled":
            services.referral_cancel(actor=obstetrician, referral=referral, reason="Delivered")
        elif state == "redirected":
            services.referral_redirect(
                actor=centre_doctor, referral=referral, to_facility=other_centre, reason="Cardiac surgery"
            )
            services.referral_cancel(actor=obstetrician, referral=referral.redirected_to, reason="Not needed")
        else:
            services.referral_accept(actor=centre_doctor, referral=referral)
            services.referral_depart(actor=obstetrician, referral=referral)
            services.referral_arrive(actor=centre_doctor, referral=referral)
            services.referral_complete(
                actor=centre_doctor, referral=referral, findings="Seen", disposition="ICU"
            )
        referral.refresh_from_db()
        return referral

    return make


@pytest.mark.parametrize("state", ["completed", "declined", "cancelled", "redirected"])
def test_no_messages_on_a_closed_referral(api, client, obstetrician, centre_doctor, outsider, closed, state):
    referral = closed(state)
    url = f"/api/v1/referrals/{referral.external_id}/comments/"
    response = api.as_user(centre_doctor).post(url, {"text": "One more thing"}, format="json")
    assert response.status_code == 409
    assert "closed" in response.json()["message"]
    assert api.as_user(obstetrician).post(url, {"text": "Thanks"}, format="json").status_code == 409
    assert api.as_user(outsider).post(url, {"text": "hi"}, format="json").status_code == 404  # 404 first
    assert api.as_user(obstetrician).get(url).json() == []
    assert not referral.comments.exists()
    # The page offers no message box any more, and a posted message is refused with the reason.
    client.force_login(obstetrician)
    page = client.get(f"/referrals/{referral.external_id}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-action="comment"' not in page and "the discussion is kept as it was" in page
    shown = client.post(
        f"/referrals/{referral.external_id}/messages/", {"text": "x"}, follow=True, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "no more messages can be added" in shown
    assert not referral.comments.exists()


def test_the_closed_thread_message_is_translated(api, centre_doctor, closed):
    referral = closed("completed")
    response = api.as_user(centre_doctor).post(
        f"/api/v1/referrals/{referral.external_id}/comments/",
        {"text": "x"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 409
    assert response.json()["message"] == "该转诊已结束（“已完成”），不能再留言。"


def test_messages_are_open_until_the_referral_closes(api, obstetrician, centre_doctor, pregnancy, centre):
    referral = refer(obstetrician, pregnancy, centre)
    url = f"/api/v1/referrals/{referral.external_id}/comments/"
    for step in ("accept", "depart", "arrive"):
        actor = obstetrician if step == "depart" else centre_doctor
        assert post(api, actor, referral, step).status_code == 200
        assert (
            api.as_user(obstetrician).post(url, {"text": f"after {step}"}, format="json").status_code == 201
        )
    assert [c["text"] for c in api.as_user(centre_doctor).get(url).json()] == [
        "after accept",
        "after depart",
        "after arrive",
    ]


# --- the snapshot: the newest readings ----------------------------------------------------------------------


def test_summary_takes_vital_signs_and_meows_from_a_chart_newer_than_the_last_visit(
    obstetrician, pregnancy, centre, centre_doctor
):
    now = timezone.now()
    visit_record(
        actor=obstetrician,
        pregnancy=pregnancy,
        visited_at=now - dt.timedelta(hours=3),
        measurements={"sbp_mmhg": 150, "dbp_mmhg": 95, "pulse_bpm": 88, "hb_g_l": 98},
        confirm_unusual=True,
    )
    observation_record(
        actor=obstetrician,
        pregnancy=pregnancy,
        values={"sbp_mmhg": 172, "dbp_mmhg": 112, "pulse_bpm": 124, "spo2_pct": 93},
        taken_at=now - dt.timedelta(minutes=20),
    )
    referral = refer(obstetrician, pregnancy, centre, urgency="emergency")
    snap = referral.clinical_summary
    assert snap["vitals_source"] == "observation"
    assert (snap["vitals"]["sbp_mmhg"], snap["vitals"]["pulse_bpm"], snap["vitals"]["spo2_pct"]) == (
        172,
        124,
        93,
    )
    assert snap["vitals"]["hb_g_l"] == 98  # labs come from the visit, with their own time
    assert dt.datetime.fromisoformat(snap["vitals_at"]) == now - dt.timedelta(minutes=20)
    assert dt.datetime.fromisoformat(snap["labs_at"]) == now - dt.timedelta(hours=3)
    assert snap["meows"]["level"] == "red" and snap["meows"]["triggered"] is True

    # At departure the snapshot is taken again: a newer chart entry replaces the one at the request.
    services.referral_accept(actor=centre_doctor, referral=referral)
    observation_record(
        actor=obstetrician,
        pregnancy=pregnancy,
        values={"sbp_mmhg": 138, "dbp_mmhg": 88, "pulse_bpm": 96},
        taken_at=timezone.now() - dt.timedelta(minutes=1),
    )
    services.referral_depart(actor=obstetrician, referral=referral)
    referral.refresh_from_db()
    assert referral.clinical_summary["vitals"]["sbp_mmhg"] == 138
    assert "spo2_pct" not in referral.clinical_summary["vitals"]  # not mixed with the older chart entry
    assert referral.clinical_summary["meows"]["level"] == "normal"


def test_summary_keeps_the_visit_when_it_is_newer_than_the_chart(obstetrician, pregnancy, centre):
    now = timezone.now()
    observation_record(
        actor=obstetrician,
        pregnancy=pregnancy,
        values={"pulse_bpm": 130},
        taken_at=now - dt.timedelta(hours=5),
    )
    visit_record(
        actor=obstetrician,
        pregnancy=pregnancy,
        visited_at=now - dt.timedelta(minutes=10),
        measurements={"sbp_mmhg": 120, "dbp_mmhg": 80, "pulse_bpm": 84},
    )
    snap = refer(obstetrician, pregnancy, centre).clinical_summary
    assert snap["vitals_source"] == "visit"
    assert snap["vitals"]["pulse_bpm"] == 84
    assert snap["meows"]["level"] == "red"  # the latest early-warning score, even if older than the visit


def test_referral_page_says_where_the_vital_signs_come_from(client, obstetrician, pregnancy, centre):
    observation_record(actor=obstetrician, pregnancy=pregnancy, values={"pulse_bpm": 124})
    referral = refer(obstetrician, pregnancy, centre)
    client.force_login(obstetrician)
    body = client.get(f"/referrals/{referral.external_id}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "observation chart," in body and "124" in body


# --- inboxes are for staff who refer or receive ----------------------------------------------------------


@pytest.mark.parametrize("role", [Role.MDT_COORDINATOR, Role.SPECIALIST, Role.FACILITY_ADMIN])
def test_staff_who_take_no_part_in_referrals_do_not_see_the_facility_inboxes(
    api, client, obstetrician, pregnancy, centre, centre_doctor, role
):
    refer(obstetrician, pregnancy, centre)
    colleague = UserFactory(facility=centre, roles=[role])
    assert incoming(actor=centre_doctor).count() == 1
    assert incoming(actor=colleague).count() == 0
    assert outgoing(actor=UserFactory(facility=obstetrician.facility, roles=[role])).count() == 0
    for box in ("incoming", "outgoing"):
        assert api.as_user(colleague).get("/api/v1/referrals/", {"box": box}).json()["count"] == 0
    client.force_login(colleague)
    assert client.get("/referrals/").status_code == 403
    assert client.get("/referrals/?box=outgoing").status_code == 403


def test_an_mdt_coordinator_sees_a_referral_only_while_she_may_see_the_woman(
    api, obstetrician, centre_doctor, pregnancy, centre
):
    """Not a participant: the facility's referral history is not hers; the open referral of a woman her
    facility may read is (through the record's grant), until a decline takes the record away again."""
    coordinator = UserFactory(facility=centre, roles=[Role.MDT_COORDINATOR])
    referral = refer(obstetrician, pregnancy, centre)
    url = f"/api/v1/referrals/{referral.external_id}/"
    assert api.as_user(coordinator).get("/api/v1/referrals/").json()["count"] == 1
    assert api.as_user(coordinator).get(url).status_code == 200
    pregnancy_set_risk(pregnancy=pregnancy, risk_color="yellow")  # routine, yellow: the centre may decline
    services.referral_decline(actor=centre_doctor, referral=referral, reason="Grading only")
    assert api.as_user(coordinator).get("/api/v1/referrals/").json()["count"] == 0
    assert api.as_user(coordinator).get(url).status_code == 404
    assert api.as_user(centre_doctor).get(url).status_code == 200  # the receiving obstetrician keeps it


def test_a_midwife_who_refers_sees_both_inboxes(
    api, midwife, centre_midwife, obstetrician, pregnancy, centre
):
    refer(obstetrician, pregnancy, centre)
    assert outgoing(actor=midwife).count() == 1
    assert incoming(actor=centre_midwife).count() == 1
    assert api.as_user(midwife).get("/api/v1/referrals/", {"box": "outgoing"}).json()["count"] == 1


def test_suggestions_are_for_staff_who_may_refer(api, supervisor, midwife, pregnancy):
    url = "/api/v1/referrals/suggestions/"
    assert api.as_user(supervisor).get(url, {"pregnancy": str(pregnancy.external_id)}).status_code == 403
    assert api.as_user(midwife).get(url, {"pregnancy": str(pregnancy.external_id)}).status_code == 200


# --- the record follows the woman ---------------------------------------------------------------------------


def _can(user, pregnancy) -> tuple[bool, bool]:
    return pregnancy in pregnancies_visible_to(user), can_change_pregnancy(user, pregnancy)


def test_access_before_the_request_after_it_after_acceptance_and_after_completion(
    api, obstetrician, centre_doctor, centre_midwife, outsider, pregnancy, centre, home_facility
):
    detail = f"/api/v1/pregnancies/{pregnancy.external_id}/"
    # Before the request: the centre knows nothing of her.
    assert _can(centre_doctor, pregnancy) == (False, False)
    assert api.as_user(centre_doctor).get(detail).status_code == 404
    referral = refer(obstetrician, pregnancy, centre, urgency="urgent")
    # Requested: the whole receiving facility may read her record (to decide), not change it.
    assert _can(centre_doctor, pregnancy) == _can(centre_midwife, pregnancy) == (True, False)
    assert api.as_user(centre_doctor).get(detail).status_code == 200
    assert api.as_user(centre_doctor).patch(detail, {"fetuses": 2}, format="json").status_code == 403
    services.referral_accept(actor=centre_doctor, referral=referral)
    # Accepted: it may write.
    assert _can(centre_doctor, pregnancy) == (True, True)
    assert _can(obstetrician, pregnancy) == (True, True)  # still managed by the sender until completion
    services.referral_depart(actor=obstetrician, referral=referral)
    services.referral_arrive(actor=centre_doctor, referral=referral)
    services.referral_complete(actor=centre_doctor, referral=referral, findings="HELLP", disposition="ICU")
    # Completed: management moved; the sender keeps read access to see the outcome.
    pregnancy.refresh_from_db()
    assert pregnancy.managing_facility == centre
    assert _can(centre_doctor, pregnancy) == (True, True)
    assert _can(obstetrician, pregnancy) == (True, False)
    assert api.as_user(obstetrician).get(detail).status_code == 200
    assert _can(outsider, pregnancy) == (False, False)
    # Every grant names the referral as its source.
    source = ["referrals.referral", str(referral.external_id)]
    grants = AuditEvent.objects.filter(action="grant", object_id=str(pregnancy.external_id))
    assert [(g.changes["level"], g.changes["source"]) for g in grants.order_by("id")] == [
        ("read", source),
        ("write", source),
        ("read", source),
    ]
    assert {g.changes["facility"] for g in grants} == {
        str(centre.external_id),
        str(home_facility.external_id),
    }


@pytest.mark.parametrize("ending", ["decline", "cancel", "redirect"])
def test_the_receiver_loses_access_when_the_referral_ends_without_her(
    obstetrician, outsider, other_centre, other_centre_doctor, pregnancy, ending
):
    receiving = outsider.facility  # a county hospital without a critical-care designation: it may decline
    referral = refer(obstetrician, pregnancy, receiving)
    if ending == "decline":
        services.referral_decline(actor=outsider, referral=referral, reason="No beds")
    elif ending == "cancel":
        services.referral_accept(actor=outsider, referral=referral)
        services.referral_cancel(actor=obstetrician, referral=referral, reason="Delivered on site")
    else:
        services.referral_redirect(actor=outsider, referral=referral, to_facility=other_centre, reason="NICU")
        assert _can(other_centre_doctor, pregnancy) == (True, False)
    assert _can(outsider, pregnancy) == (False, False)
    revoked = AuditEvent.objects.get(action="revoke", object_id=str(pregnancy.external_id))
    assert revoked.changes["source"] == ["referrals.referral", str(referral.external_id)]


# --- clocks -------------------------------------------------------------------------------------------------


def test_an_urgent_referral_escalates_after_two_hours_and_a_routine_one_does_not(
    obstetrician, pregnancy, centre, other_centre, home_facility
):
    from tests.factories import PregnancyFactory

    urgent = refer(obstetrician, pregnancy, centre, urgency="urgent")
    routine = refer(obstetrician, PregnancyFactory(managing_facility=home_facility), other_centre)
    start = urgent.clock_started_at
    assert services.referral_clocks_sweep(now=start + dt.timedelta(minutes=119)) == 0
    assert services.referral_clocks_sweep(now=start + dt.timedelta(minutes=121)) == 1
    alert = Alert.objects.get(kind="referral_accept_missed")
    assert (alert.facility, alert.severity, alert.target_role, alert.pregnancy) == (
        centre,
        "urgent",
        "on_call_lead",
        pregnancy,
    )
    assert alert.payload == {"referral": str(urgent.external_id), "minutes": 120}
    assert not Alert.objects.filter(kind="referral_accept_missed", payload__referral=str(routine.external_id))


def test_a_missed_arrival_escalates_at_the_receiving_centre_until_she_arrives(
    obstetrician, centre_doctor, pregnancy, centre
):
    referral = refer(obstetrician, pregnancy, centre, urgency="emergency")
    services.referral_accept(actor=centre_doctor, referral=referral)
    services.referral_depart(actor=obstetrician, referral=referral)
    referral.refresh_from_db()
    assert services.referral_clocks_sweep(now=referral.departed_at + dt.timedelta(minutes=59)) == 0
    assert services.referral_clocks_sweep(now=referral.departed_at + dt.timedelta(minutes=61)) == 1
    alert = Alert.objects.get(kind="referral_arrival_missed")
    assert (alert.facility, alert.target_role, alert.status) == (centre, "on_call_lead", "pending")
    services.referral_arrive(actor=centre_doctor, referral=referral)
    alert.refresh_from_db()
    assert alert.status == "resolved"
    assert services.referral_clocks_sweep(now=referral.departed_at + dt.timedelta(minutes=61)) == 0


def test_a_redirected_emergency_escalates_on_the_first_requests_clock(
    obstetrician, centre_doctor, pregnancy, centre, other_centre
):
    referral = refer(obstetrician, pregnancy, centre, urgency="emergency")
    # Test setup only: the first request was made 10 minutes ago.
    Referral.objects.filter(pk=referral.pk).update(clock_started_at=timezone.now() - dt.timedelta(minutes=10))
    referral.refresh_from_db()
    services.referral_redirect(
        actor=centre_doctor, referral=referral, to_facility=other_centre, reason="ECMO"
    )
    linked = Referral.objects.get(pk=Referral.objects.get(pk=referral.pk).redirected_to_id)
    assert services.referral_clocks_sweep(now=timezone.now() + dt.timedelta(minutes=6)) == 1
    alert = Alert.objects.get(kind="referral_accept_missed")
    assert (alert.facility, alert.payload["referral"]) == (other_centre, str(linked.external_id))


def test_the_beat_task_runs_the_sweep(obstetrician, pregnancy, centre):
    referral = refer(obstetrician, pregnancy, centre, urgency="emergency")
    Referral.objects.filter(pk=referral.pk).update(clock_started_at=timezone.now() - dt.timedelta(minutes=16))
    assert referral_clocks_sweep_task() == 1
    assert Alert.objects.filter(kind="referral_accept_missed", facility=centre).count() == 1
