"""Referral transitions per side and role, grants, centres that may not refuse, redirects, clocks."""

import datetime as dt
import threading
import uuid

import pytest
from django.db import connection
from django.utils import timezone

from audit.models import AuditEvent
from cases.access import access_pregnancy_by_id, can_change_pregnancy, pregnancies_visible_to
from notifications.models import Alert
from referrals.models import Referral
from referrals.services import referral_clocks_sweep

pytestmark = pytest.mark.django_db


def refer(api, user, pregnancy, to, urgency="urgent", **extra):
    return api.as_user(user).post(
        "/api/v1/referrals/",
        {
            "pregnancy": str(pregnancy.external_id),
            "to_facility": str(to.external_id),
            "urgency": urgency,
            "reason": "Severe pre-eclampsia, needs ICU",
            **extra,
        },
        format="json",
    )


def step(api, user, referral_id, name, **body):
    return api.as_user(user).post(f"/api/v1/referrals/{referral_id}/{name}/", body, format="json")


def test_request_gives_the_receiver_read_access_only(
    api, obstetrician, centre_doctor, outsider, pregnancy, centre
):
    assert pregnancy not in pregnancies_visible_to(centre_doctor)
    response = refer(api, obstetrician, pregnancy, centre)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["direction"], body["urgency"]) == ("requested", "up", "urgent")
    assert pregnancy in pregnancies_visible_to(centre_doctor)
    assert not can_change_pregnancy(centre_doctor, pregnancy)
    assert pregnancy not in pregnancies_visible_to(outsider)
    assert Alert.objects.filter(kind="referral_requested", facility=centre).exists()
    assert refer(api, obstetrician, pregnancy, centre).status_code == 409


def test_check_order_404_then_403_then_409(
    api, obstetrician, centre_doctor, centre_midwife, outsider, pregnancy, centre
):
    referral = refer(api, obstetrician, pregnancy, centre).json()["id"]
    assert step(api, outsider, referral, "accept").status_code == 404
    assert step(api, obstetrician, referral, "accept").status_code == 403  # wrong side
    assert step(api, centre_midwife, referral, "accept").status_code == 403  # role
    assert step(api, centre_doctor, referral, "arrive").status_code == 409  # illegal state
    assert step(api, centre_doctor, referral, "accept").status_code == 200
    assert step(api, centre_doctor, referral, "accept").status_code == 409


def test_full_loop_moves_management_and_keeps_the_sender_informed(
    api, obstetrician, centre_doctor, pregnancy, centre, home_facility
):
    referral = refer(api, obstetrician, pregnancy, centre, urgency="emergency").json()["id"]
    step(api, centre_doctor, referral, "accept")
    assert can_change_pregnancy(centre_doctor, pregnancy)
    assert step(api, centre_doctor, referral, "depart").status_code == 403
    assert (
        step(api, obstetrician, referral, "depart", transport="ambulance_120", escort="Dr Li").status_code
        == 200
    )
    assert step(api, centre_doctor, referral, "arrive").status_code == 200
    incomplete = step(api, centre_doctor, referral, "complete", summary="")
    assert incomplete.status_code == 400
    done = step(
        api,
        centre_doctor,
        referral,
        "complete",
        summary="PE with HELLP, delivered by CS",
        disposition="Admitted to obstetric ICU",
        recommendations="Postpartum BP checks at home clinic",
    )
    assert done.status_code == 200
    assert done.json()["status"] == "completed"
    pregnancy.refresh_from_db()
    assert pregnancy.managing_facility == centre
    assert pregnancy in pregnancies_visible_to(obstetrician), (
        "the sender keeps read access to see the outcome"
    )
    assert not can_change_pregnancy(obstetrician, pregnancy)
    seen = api.as_user(obstetrician).get(f"/api/v1/referrals/{referral}/").json()
    assert seen["return_findings"] == "PE with HELLP, delivered by CS"
    times = Referral.objects.get(external_id=referral)
    assert (
        times.requested_at <= times.accepted_at <= times.departed_at <= times.arrived_at <= times.completed_at
    )


def test_decline_revokes_the_grant_and_needs_a_reason(api, obstetrician, outsider, pregnancy, other_facility):
    referral = refer(api, obstetrician, pregnancy, other_facility, urgency="routine").json()["id"]
    assert step(api, outsider, referral, "decline").status_code == 400
    assert step(api, outsider, referral, "decline", reason="No obstetric beds").status_code == 200
    assert pregnancy not in pregnancies_visible_to(outsider)
    assert refer(api, obstetrician, pregnancy, other_facility, urgency="routine").status_code == 201


def test_a_centre_may_not_refuse_an_emergency(api, obstetrician, centre_doctor, pregnancy, centre):
    referral = refer(api, obstetrician, pregnancy, centre, urgency="emergency").json()["id"]
    response = step(api, centre_doctor, referral, "decline", reason="Full")
    assert response.status_code == 409
    assert Referral.objects.get(external_id=referral).status == "requested"


def test_a_centre_may_not_refuse_an_orange_woman_coming_up(
    api, obstetrician, centre_doctor, pregnancy, centre
):
    pregnancy.risk_color = "orange"
    pregnancy.save(update_fields=["risk_color"])
    referral = refer(api, obstetrician, pregnancy, centre, urgency="routine").json()["id"]
    assert step(api, centre_doctor, referral, "decline", reason="Full").status_code == 409


def test_redirect_links_a_new_referral_and_keeps_the_clock(
    api, obstetrician, centre_doctor, other_centre_doctor, pregnancy, centre, other_centre
):
    first = refer(api, obstetrician, pregnancy, centre, urgency="emergency").json()
    response = step(
        api,
        centre_doctor,
        first["id"],
        "redirect",
        to_facility=str(other_centre.external_id),
        reason="Needs cardiac surgery on site",
    )
    assert response.status_code == 200
    assert response.json()["status"] == "redirected"
    linked = Referral.objects.get(external_id=response.json()["redirected_to"])
    assert (linked.status, linked.to_facility, linked.from_facility) == (
        "requested",
        other_centre,
        pregnancy.managing_facility,
    )
    assert linked.clock_started_at == Referral.objects.get(external_id=first["id"]).clock_started_at
    assert pregnancy not in pregnancies_visible_to(centre_doctor)
    assert pregnancy in pregnancies_visible_to(other_centre_doctor)


def test_sender_cancels_also_after_acceptance(api, obstetrician, centre_doctor, pregnancy, centre):
    referral = refer(api, obstetrician, pregnancy, centre).json()["id"]
    step(api, centre_doctor, referral, "accept")
    assert step(api, centre_doctor, referral, "cancel", reason="x").status_code == 403
    assert step(api, obstetrician, referral, "cancel").status_code == 400
    assert step(api, obstetrician, referral, "cancel", reason="Delivered on site").status_code == 200
    assert pregnancy not in pregnancies_visible_to(centre_doctor)


def test_down_referral_of_a_red_woman_needs_a_postpartum_reassessment(
    api, centre_doctor, pregnancy, centre, home_facility
):
    pregnancy.managing_facility = centre
    pregnancy.status, pregnancy.outcome = "postpartum", "delivery"
    pregnancy.ended_on = timezone.localdate() - dt.timedelta(days=3)
    pregnancy.risk_color = "red"
    pregnancy.save()
    response = refer(
        api, centre_doctor, pregnancy, home_facility, urgency="routine", purpose="postpartum_follow_up"
    )
    assert response.status_code == 409
    assert "postpartum reassessment" in response.json()["message"]


def test_down_referral_hands_over_the_follow_up(
    api, centre_doctor, obstetrician, pregnancy, centre, home_facility
):
    pregnancy.managing_facility = centre
    pregnancy.status, pregnancy.outcome = "postpartum", "delivery"
    pregnancy.ended_on = timezone.localdate() - dt.timedelta(days=3)
    pregnancy.save()
    referral = refer(
        api,
        centre_doctor,
        pregnancy,
        home_facility,
        urgency="routine",
        purpose="postpartum_follow_up",
        discharge_summary="CS day 3, wound clean",
    ).json()
    assert referral["direction"] == "down"
    for actor, name, body in (
        (obstetrician, "accept", {}),
        (centre_doctor, "depart", {}),
        (obstetrician, "arrive", {}),
        (obstetrician, "complete", {"summary": "Seen at home", "disposition": "Home visits"}),
    ):
        assert step(api, actor, referral["id"], name, **body).status_code == 200
    pregnancy.refresh_from_db()
    assert (pregnancy.managing_facility, pregnancy.follow_up_facility) == (home_facility, home_facility)


def test_clock_sweep_escalates_unaccepted_emergencies_once(
    api, obstetrician, pregnancy, centre, centre_doctor
):
    referral = Referral.objects.get(
        external_id=refer(api, obstetrician, pregnancy, centre, urgency="emergency").json()["id"]
    )
    assert referral_clocks_sweep(now=timezone.now()) == 0
    later = referral.clock_started_at + dt.timedelta(minutes=16)
    assert referral_clocks_sweep(now=later) == 1
    assert referral_clocks_sweep(now=later) == 1  # idempotent: still one alert
    alert = Alert.objects.get(kind="referral_accept_missed")
    assert (alert.severity, alert.facility, alert.status) == ("critical", centre, "pending")
    step(api, centre_doctor, str(referral.external_id), "accept")
    alert.refresh_from_db()
    assert alert.status == "resolved"
    assert referral_clocks_sweep(now=later) == 0


def test_comments_between_the_two_sides(api, obstetrician, centre_doctor, outsider, pregnancy, centre):
    referral = refer(api, obstetrician, pregnancy, centre).json()["id"]
    url = f"/api/v1/referrals/{referral}/comments/"
    assert api.as_user(centre_doctor).post(url, {"text": "Bed 12 ready"}, format="json").status_code == 201
    assert api.as_user(outsider).post(url, {"text": "hi"}, format="json").status_code == 404
    assert [c["text"] for c in api.as_user(obstetrician).get(url).json()] == ["Bed 12 ready"]


def test_inbox_query_count_is_constant(
    api, obstetrician, centre_doctor, centre, home_facility, django_assert_num_queries
):
    """Queries: user, COUNT(*), the page's ids, their rows joined to facilities and clinician, the list
    audit row, session refresh (3)."""
    from tests.factories import PregnancyFactory

    refer(api, obstetrician, PregnancyFactory(managing_facility=home_facility), centre)
    client = api.as_user(centre_doctor)
    with django_assert_num_queries(8):
        assert client.get("/api/v1/referrals/", {"box": "incoming"}).json()["count"] == 1
    for _ in range(5):
        refer(api, obstetrician, PregnancyFactory(managing_facility=home_facility), centre)
    client = api.as_user(centre_doctor)
    with django_assert_num_queries(8):
        assert client.get("/api/v1/referrals/", {"box": "incoming"}).json()["count"] == 6


# Not serialized_rollback: that leaves the tables empty after the test, without the permissions and
# content types the next transactional test (the browser test) needs; a plain flush re-creates them, and
# the conftest reloads the national catalogue.
@pytest.mark.django_db(transaction=True)
def test_of_many_simultaneous_accepts_exactly_one_wins(obstetrician, pregnancy, centre):
    """Eight threads, each with its own database connection, accept the same referral at once."""
    from accounts.choices import Role
    from core.errors import InvalidTransition
    from referrals.services import referral_accept, referral_request
    from tests.factories import UserFactory

    referral = referral_request(
        actor=obstetrician, pregnancy=pregnancy, to_facility=centre, urgency="emergency", reason="Eclampsia"
    )
    doctors = [UserFactory(facility=centre, roles=[Role.OBSTETRICIAN]) for _ in range(8)]
    barrier = threading.Barrier(len(doctors))
    outcomes: list[str] = []

    def accept(doctor):
        try:
            barrier.wait(timeout=10)
            referral_accept(actor=doctor, referral=Referral.objects.get(pk=referral.pk))
            outcomes.append("accepted")
        except InvalidTransition:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(d,)) for d in doctors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["accepted"] + ["conflict"] * 7
    referral.refresh_from_db()
    assert referral.status == "accepted" and referral.accepted_by in doctors
    assert access_pregnancy_by_id(referral.accepted_by, pregnancy.external_id, perm="change", audit=False)


def test_sensitive_criteria_in_the_summary_are_restricted(api, obstetrician, midwife, pregnancy, centre):
    graded = api.as_user(obstetrician).post(
        f"/api/v1/pregnancies/{pregnancy.external_id}/risk-assessments/",
        {"criteria": ["P-INF-HIV"], "measurements": {"hb_g_l": 100}},
        format="json",
    )
    assert graded.status_code == 201
    referral = refer(api, obstetrician, pregnancy, centre).json()
    assert "P-INF-HIV" in referral["clinical_summary"]["criteria"]
    seen = api.as_user(midwife).get(f"/api/v1/referrals/{referral['id']}/").json()
    assert seen["clinical_summary"]["criteria"] == ["Y-HEME-ANEMIA", "restricted"]
    assert seen["clinical_summary"]["purple"] is True


@pytest.mark.django_db(transaction=True)
def test_of_many_simultaneous_requests_for_one_woman_exactly_one_opens(obstetrician, pregnancy, centre):
    """Six clinicians of the sending facility refer the same woman at the same moment (each thread its own
    database connection): one referral opens, the others get 409, and only one grant is written."""
    from accounts.choices import Role
    from audit.models import AuditEvent
    from core.errors import Conflict
    from referrals.services import referral_request
    from tests.factories import UserFactory

    clinicians = [UserFactory(facility=obstetrician.facility, roles=[Role.OBSTETRICIAN]) for _ in range(6)]
    barrier = threading.Barrier(len(clinicians))
    outcomes: list[str] = []

    def request(clinician):
        try:
            barrier.wait(timeout=10)
            referral_request(
                actor=clinician, pregnancy=pregnancy, to_facility=centre, urgency="urgent", reason="Eclampsia"
            )
            outcomes.append("requested")
        except Conflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=request, args=(c,)) for c in clinicians]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["conflict"] * 5 + ["requested"]
    assert Referral.objects.filter(pregnancy=pregnancy).count() == 1
    assert AuditEvent.objects.filter(action="grant", object_id=str(pregnancy.external_id)).count() == 1


def test_a_list_redacts_every_summary_with_one_read_of_the_sensitive_codes(
    api, obstetrician, midwife, home_facility, centre, django_assert_num_queries
):
    """The midwife may not see sensitive criteria: each row's summary is redacted, and the codes are read
    once for the list (user, COUNT(*), the page's ids, its rows, the women's pregnancies and records
    (prefetched: see ``ReferralViewSet.get_queryset``), the codes, the audit row), not once a row."""
    from tests.factories import PregnancyFactory

    summary = {"criteria": ["P-INF-HIV", "Y-HEME-ANEMIA"], "purple": True}
    for total in (1, 4):
        while Referral.objects.count() < total:
            refer(api, obstetrician, PregnancyFactory(managing_facility=home_facility), centre)
        Referral.objects.update(clinical_summary=summary)
        client = api.as_user(midwife)  # the one API client: signed in as the midwife again
        client.get("/api/v1/referrals/")  # the session's first request stamps its refresh time
        with django_assert_num_queries(8):
            rows = client.get("/api/v1/referrals/").json()["results"]
        assert [row["clinical_summary"]["criteria"] for row in rows] == [
            ["restricted", "Y-HEME-ANEMIA"]
        ] * total


def test_each_step_answers_with_the_referral_as_it_now_stands(
    api, obstetrician, centre_doctor, other_centre_doctor, pregnancy, centre, other_centre
):
    """A step answers with the referral it moved, not read again: the answer must equal a fresh reading
    of it (its status, times, who accepted, the return summary, the redirect link)."""

    def fresh(user, referral_id):
        return api.as_user(user).get(f"/api/v1/referrals/{referral_id}/").json()

    first = refer(api, obstetrician, pregnancy, centre, urgency="emergency")
    assert first.status_code == 201 and first.json() == fresh(obstetrician, first.json()["id"])
    moved = step(
        api,
        centre_doctor,
        first.json()["id"],
        "redirect",
        to_facility=str(other_centre.external_id),
        reason="Needs cardiac surgery on site",
    )
    assert moved.json()["redirected_to"] and moved.json() == fresh(centre_doctor, first.json()["id"])
    linked = moved.json()["redirected_to"]
    walk = [
        (other_centre_doctor, "accept", {}),
        (obstetrician, "depart", {"transport": "ambulance_120", "escort": "Midwife"}),
        (other_centre_doctor, "arrive", {}),
        (other_centre_doctor, "complete", {"summary": "Stable", "disposition": "Admitted"}),
    ]
    for user, name, body in walk:
        response = step(api, user, linked, name, **body)
        assert response.status_code == 200, response.content
        assert response.json() == fresh(user, linked), name
    assert response.json()["status"] == "completed" and response.json()["return_findings"] == "Stable"


def test_each_step_costs_a_fixed_number_of_queries(
    api, obstetrician, centre_doctor, pregnancy, centre, django_assert_num_queries
):
    """Through the API, each step of the loop (the token, the referral with what the step needs, the move,
    the grant, the alerts, the audit): a step no longer reads its woman and facilities again after the
    move, which cost four queries a step (24, 18, 16, 30 before), and the move reads the referral back
    in its own statement (``UPDATE … RETURNING``: 20, 14, 12, 26 before), and a grant revokes its
    source's row and reads the other sources' levels in one statement, and the sending clinician comes
    with the referral (``STEP_NEEDS``), where the answer read her on her own; grants and the transfer
    take no savepoint inside the step's transaction."""
    referral_id = refer(api, obstetrician, pregnancy, centre).json()["id"]
    walk = [
        (centre_doctor, "accept", {}, 15),
        (obstetrician, "depart", {"transport": "ambulance_120", "escort": "Midwife"}, 12),
        (centre_doctor, "arrive", {}, 10),
        (centre_doctor, "complete", {"summary": "Stable", "disposition": "Admitted"}, 19),
    ]
    for user, name, body, queries in walk:
        client = api.as_user(user)
        with django_assert_num_queries(queries):
            response = client.post(f"/api/v1/referrals/{referral_id}/{name}/", body, format="json")
        assert response.status_code == 200, (name, response.content)


def test_every_page_of_the_list_is_the_inbox_order(api, obstetrician, centre_doctor, home_facility, centre):
    """A page is ranked on the referrals alone, then read with what it shows (``PagedByIds``): the same
    referrals in the same order as the whole list, on every page; open before closed, emergencies first,
    oldest clock first, the oldest referral first on the same clock."""
    from referrals.access import referrals_visible_to
    from referrals.selectors import inbox_order
    from tests.factories import PregnancyFactory

    made = []
    for n, urgency in enumerate(
        ["routine", "emergency", "urgent", "emergency", "routine", "urgent", "urgent"]
    ):
        response = refer(
            api, obstetrician, PregnancyFactory(managing_facility=home_facility), centre, urgency
        )
        made.append(response.json()["id"])
        if n % 3 == 0:
            step(api, obstetrician, made[-1], "cancel", reason="Delivered at home")
    same_clock = Referral.objects.filter(external_id__in=made[4:6])
    same_clock.update(clock_started_at=Referral.objects.get(external_id=made[4]).clock_started_at)
    want = [str(r.external_id) for r in inbox_order(referrals_visible_to(centre_doctor))]
    assert sorted(want) == sorted(made)
    client = api.as_user(centre_doctor)
    got = []
    for number in (1, 2, 3):
        body = client.get("/api/v1/referrals/", {"page": number, "page_size": 3}).json()
        assert body["count"] == len(made)
        got += [row["id"] for row in body["results"]]
    assert got == want
    statuses = [Referral.objects.get(external_id=i).status for i in got]
    assert statuses.index("cancelled") > max(i for i, s in enumerate(statuses) if s == "requested")


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_steps_plain_output_is_the_serializers(
    api, obstetrician, midwife, centre_doctor, other_centre_doctor, pregnancy, centre, other_centre, language
):
    """``referral_output`` (each step's answer) equals ``ReferralSerializer`` (OpenAPI, the list, the
    reading of one) at every status, with the sensitive criteria restricted for who may not see them,
    in both languages (the facilities' names)."""
    from django.test import RequestFactory
    from django.utils import translation

    from referrals.access import STEP_NEEDS, access_referral_by_id
    from referrals.api.serializers import ReferralSerializer, referral_output

    graded = api.as_user(obstetrician).post(
        f"/api/v1/pregnancies/{pregnancy.external_id}/risk-assessments/",
        {"criteria": ["P-INF-HIV"], "measurements": {"hb_g_l": 100}},
        format="json",
    )
    assert graded.status_code == 201
    first = refer(api, obstetrician, pregnancy, centre, urgency="emergency").json()["id"]
    redirected = step(
        api, centre_doctor, first, "redirect", to_facility=str(other_centre.external_id), reason="Cardiac"
    ).json()
    linked = redirected["redirected_to"]
    walk = [
        (other_centre_doctor, "accept", {}),
        (obstetrician, "depart", {"transport": "ambulance_120", "escort": "Midwife"}),
        (other_centre_doctor, "arrive", {}),
        (other_centre_doctor, "complete", {"summary": "Stable", "disposition": "Admitted"}),
    ]
    compared = []

    def same_for_both(referral_id):
        for user in (obstetrician, midwife):
            request = RequestFactory().get("/")
            request.user = user
            referral = access_referral_by_id(user, referral_id, related=STEP_NEEDS)
            with translation.override(language):
                plain = referral_output(referral, {"request": request})
                serialized = ReferralSerializer(referral, context={"request": request}).data
            assert plain == serialized, (user.username, referral.status)
            compared.append((user.username, referral.status, plain["clinical_summary"].get("criteria")))

    same_for_both(first)
    same_for_both(linked)
    for user, name, body in walk:
        assert step(api, user, linked, name, **body).status_code == 200
        same_for_both(linked)
    assert {status for _, status, _ in compared} == {
        "redirected",
        "requested",
        "accepted",
        "departed",
        "arrived",
        "completed",
    }
    # the summary names a sensitive criterion: shown to the obstetrician, restricted for the midwife
    criteria = {
        user: [c for u, _, c in compared if u == user] for user in (obstetrician.username, midwife.username)
    }
    assert any(c and "P-INF-HIV" in c for c in criteria[obstetrician.username])
    assert any(c and "restricted" in c for c in criteria[midwife.username])
    assert not any(c and "P-INF-HIV" in c for c in criteria[midwife.username])


def test_an_insert_the_database_refuses_is_a_409_and_leaves_nothing(
    api, obstetrician, pregnancy, centre, other_facility, monkeypatch
):
    """Should the open-referral check pass while another request's referral already stands (the unique
    constraint is the last word), the insert is refused: a 409 with the same message, the request's
    transaction rolled back whole (the insert takes no savepoint of its own), the first referral and
    its grant as they were, and the next request answered normally."""
    from cases.models import PregnancyGrant
    from referrals import services

    first = refer(api, obstetrician, pregnancy, centre)
    assert first.status_code == 201
    grants = list(PregnancyGrant.objects.filter(pregnancy=pregnancy).values_list("pk", "revoked_at"))
    events = AuditEvent.objects.exclude(action="login").count()  # the test client signs in per request
    monkeypatch.setattr(services, "_has_open_referral", lambda pregnancy_id: False)
    second = refer(api, obstetrician, pregnancy, other_facility)
    assert second.status_code == 409
    assert second.json()["message"] == "She already has an open referral."
    assert list(Referral.objects.filter(pregnancy=pregnancy).values_list("external_id", flat=True)) == [
        uuid.UUID(first.json()["id"])
    ]
    assert list(PregnancyGrant.objects.filter(pregnancy=pregnancy).values_list("pk", "revoked_at")) == grants
    assert AuditEvent.objects.exclude(action="login").count() == events
    monkeypatch.undo()
    assert refer(api, obstetrician, pregnancy, other_facility).status_code == 409  # the check answers
