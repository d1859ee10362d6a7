"""Referral pages: the form, the inboxes, the referral page with its actions, the printouts.

Every step posts to its own URL and calls one service; what the service refuses changes nothing and is
shown on the page. Personas: ``obstetrician`` (and ``midwife``) at the county hospital that refers,
``centre_doctor`` at the city critical care centre that receives, ``outsider`` elsewhere.
"""

import datetime as dt
import re

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from cases.services import pregnancy_set_risk
from referrals import services
from referrals.models import Referral
from risk import services as risk_services
from tests.factories import PregnancyFactory

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def refer(actor, pregnancy, to, urgency="urgent", **extra):
    return services.referral_request(
        actor=actor,
        pregnancy=pregnancy,
        to_facility=to,
        urgency=urgency,
        reason="Severe pre-eclampsia",
        **extra,
    )


def get(client, user, path, **extra):
    client.force_login(user)
    return client.get(path, **EN, **extra)


def post(client, user, path, data=None, follow=False):
    client.force_login(user)
    return client.post(path, data or {}, follow=follow, **EN)


def page_url(referral, suffix=""):
    return f"/referrals/{referral.external_id}/{suffix}"


def form_url(pregnancy):
    return f"/referrals/new/?pregnancy={pregnancy.external_id}"


def actions(response) -> set[str]:
    return set(re.findall(r'data-action="(\w+)"', response.content.decode()))


@pytest.fixture
def red(pregnancy):
    return pregnancy_set_risk(pregnancy=pregnancy, risk_color="red")


# --- who sees which page ---------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["", "letter/", "return-slip/"])
def test_referral_pages_render_for_both_sides_and_404_for_an_unrelated_clinician(
    client, obstetrician, centre_doctor, outsider, pregnancy, centre, suffix
):
    referral = refer(obstetrician, pregnancy, centre)
    for user in (obstetrician, centre_doctor):
        response = get(client, user, page_url(referral, suffix))
        assert response.status_code == 200
        assert pregnancy.patient.name in response.content.decode()
    assert get(client, outsider, page_url(referral, suffix)).status_code == 404


def test_form_is_404_for_an_unrelated_clinician_and_403_for_read_only_access(
    client, obstetrician, centre_doctor, outsider, pregnancy, centre
):
    assert get(client, obstetrician, form_url(pregnancy)).status_code == 200
    assert get(client, outsider, form_url(pregnancy)).status_code == 404
    refer(obstetrician, pregnancy, centre)  # the centre may now read her record, not change it
    assert get(client, centre_doctor, form_url(pregnancy)).status_code == 403
    assert get(client, obstetrician, "/referrals/new/?pregnancy=nonsense").status_code == 404


def test_inboxes_show_each_side_its_own_referrals(
    client, obstetrician, centre_doctor, outsider, pregnancy, centre
):
    refer(obstetrician, pregnancy, centre)
    name = pregnancy.patient.name
    assert name in get(client, centre_doctor, "/referrals/").content.decode()
    assert name not in get(client, centre_doctor, "/referrals/?box=outgoing").content.decode()
    assert name in get(client, obstetrician, "/referrals/?box=outgoing").content.decode()
    assert name not in get(client, obstetrician, "/referrals/").content.decode()
    for box in ("incoming", "outgoing"):
        response = get(client, outsider, f"/referrals/?box={box}&show=all")
        assert response.status_code == 200
        assert name not in response.content.decode()


# --- the referral form -----------------------------------------------------------------------------------


def test_form_suggests_centres_and_creates_the_referral(client, obstetrician, red, centre):
    response = get(client, obstetrician, form_url(red))
    body = response.content.decode()
    assert 'class="ref-suggestion"' in body
    assert centre.name_en in body
    assert "red: tertiary city or provincial critical care centre" in body
    assert f'value="{centre.external_id}"' in body

    response = post(
        client,
        obstetrician,
        form_url(red),
        {
            "to_facility": str(centre.external_id),
            "urgency": "emergency",
            "purpose": "care",
            "transfers_management": "on",
            "reason": "Eclampsia, one fit, MgSO4 given",
            "treatments_given": "MgSO4 4 g IV 10:05",
            "transport": "ambulance_120",
            "escort": "Dr Li",
            "sender_contact": "0771-5552000",
            "decided_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        },
    )
    referral = Referral.objects.get(pregnancy=red)
    assert response.status_code == 302
    assert response["Location"] == page_url(referral)
    assert (referral.to_facility, referral.urgency, referral.transport, referral.status) == (
        centre,
        "emergency",
        "ambulance_120",
        "requested",
    )
    assert referral.decided_at is not None and referral.sending_clinician == obstetrician


def test_form_refers_to_any_other_active_facility(client, obstetrician, pregnancy, outsider):
    other = outsider.facility
    response = post(
        client,
        obstetrician,
        form_url(pregnancy),
        {
            "to_facility": "other",
            "other_facility": str(other.external_id),
            "urgency": "routine",
            "purpose": "grading",
            "reason": "Grading",
        },
    )
    assert response.status_code == 302
    referral = Referral.objects.get(pregnancy=pregnancy)
    assert referral.to_facility == other
    assert referral.transfers_management is False  # unchecked box: management stays


def test_form_shows_missing_fields_and_the_open_referral_conflict(client, obstetrician, pregnancy, centre):
    response = post(client, obstetrician, form_url(pregnancy), {"to_facility": "other", "urgency": "urgent"})
    assert response.status_code == 400
    assert "Choose the facility." in response.content.decode()
    assert not Referral.objects.exists()

    first = refer(obstetrician, pregnancy, centre)
    response = post(
        client,
        obstetrician,
        form_url(pregnancy),
        {"to_facility": str(centre.external_id), "urgency": "urgent", "purpose": "care", "reason": "Again"},
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "She already has an open referral." in body
    assert page_url(first) in body  # a link to the open referral
    assert Referral.objects.count() == 1


# --- actions: only the allowed side, only in the allowed state --------------------------------------------


def test_accept_is_offered_to_the_receiver_of_a_requested_referral_only(
    client, obstetrician, centre_doctor, centre_midwife, pregnancy, centre
):
    referral = refer(obstetrician, pregnancy, centre, urgency="routine")
    assert {"accept", "decline", "redirect"} <= actions(get(client, centre_doctor, page_url(referral)))
    sender = actions(get(client, obstetrician, page_url(referral)))
    assert "accept" not in sender and "decline" not in sender
    assert "cancel" in sender and "depart" not in sender
    # A midwife of the centre may discuss, not accept: obstetricians accept.
    assert actions(get(client, centre_midwife, page_url(referral))) == {"comment"}

    services.referral_accept(actor=centre_doctor, referral=referral)
    assert actions(get(client, centre_doctor, page_url(referral))) == {"comment"}
    assert {"cancel", "depart"} <= actions(get(client, obstetrician, page_url(referral)))


def test_decline_is_replaced_by_an_explanation_for_a_centre_on_an_emergency(
    client, obstetrician, centre_doctor, outsider, pregnancy, centre
):
    referral = refer(obstetrician, pregnancy, centre, urgency="emergency")
    response = get(client, centre_doctor, page_url(referral))
    assert "decline" not in actions(response)
    assert {"accept", "redirect"} <= actions(response)
    assert "may not refuse" in response.content.decode()
    # Posting it anyway is refused by the service and changes nothing.
    response = post(client, centre_doctor, page_url(referral, "decline/"), {"reason": "Full"}, follow=True)
    assert "may not refuse" in response.content.decode()
    referral.refresh_from_db()
    assert referral.status == "requested"

    services.referral_cancel(actor=obstetrician, referral=referral, reason="Wrong centre")
    ordinary = refer(obstetrician, pregnancy, outsider.facility, urgency="routine")
    assert "decline" in actions(get(client, outsider, page_url(ordinary)))


def test_an_action_posted_by_the_wrong_side_is_refused_and_changes_nothing(
    client, obstetrician, centre_doctor, outsider, pregnancy, centre
):
    referral = refer(obstetrician, pregnancy, centre)
    response = post(client, obstetrician, page_url(referral, "accept/"), follow=True)
    assert "Only the receiving facility can do this." in response.content.decode()
    response = post(client, centre_doctor, page_url(referral, "cancel/"), {"reason": "x"}, follow=True)
    assert "Only the sending facility can do this." in response.content.decode()
    assert post(client, outsider, page_url(referral, "accept/")).status_code == 404
    response = post(client, centre_doctor, page_url(referral, "arrive/"), follow=True)
    assert "no longer possible" in response.content.decode()
    referral.refresh_from_db()
    assert (referral.status, referral.accepted_at, referral.closed_at) == ("requested", None, None)
    assert get(client, centre_doctor, page_url(referral, "accept/")).status_code == 405


def test_invalid_input_is_shown_on_the_page_and_changes_nothing(client, obstetrician, outsider, pregnancy):
    referral = refer(obstetrician, pregnancy, outsider.facility, urgency="routine")
    response = post(client, outsider, page_url(referral, "decline/"), {"reason": "  "})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert '<details class="ref-disclosure" open>' in response.content.decode()
    referral.refresh_from_db()
    assert referral.status == "requested"


def test_the_whole_loop_through_the_pages(client, obstetrician, centre_doctor, red, centre):
    post(
        client,
        obstetrician,
        form_url(red),
        {
            "to_facility": str(centre.external_id),
            "urgency": "emergency",
            "purpose": "care",
            "transfers_management": "on",
            "reason": "Eclampsia",
        },
    )
    referral = Referral.objects.get(pregnancy=red)
    response = post(client, centre_doctor, page_url(referral, "accept/"), follow=True)
    assert "Accepted. The referring facility has been notified." in response.content.decode()
    post(client, obstetrician, page_url(referral, "messages/"), {"text": "Leaving in 5 min, BP 170/110"})
    post(
        client,
        obstetrician,
        page_url(referral, "depart/"),
        {"transport": "ambulance_120", "escort": "Nurse Wang"},
    )
    response = get(client, centre_doctor, page_url(referral))
    assert "arrive" in actions(response) and "clock--" in response.content.decode()  # the arrival clock
    post(client, centre_doctor, page_url(referral, "arrive/"))
    incomplete = post(
        client, centre_doctor, page_url(referral, "complete/"), {"findings": "", "disposition": ""}
    )
    assert incomplete.status_code == 400
    post(
        client,
        centre_doctor,
        page_url(referral, "complete/"),
        {
            "findings": "HELLP, delivered by CS",
            "disposition": "Obstetric ICU",
            "treatment": "CS, 2 u RBC",
            "recommendations": "BP checks at home",
        },
    )
    referral.refresh_from_db()
    assert referral.status == "completed" and referral.escort == "Nurse Wang"
    body = get(client, obstetrician, page_url(referral)).content.decode()
    assert "HELLP, delivered by CS" in body and "Return summary" in body
    assert "Leaving in 5 min" in body
    assert page_url(referral, "return-slip/") in body
    red.refresh_from_db()
    assert red.managing_facility == centre


def test_redirect_links_both_referrals(
    client, obstetrician, centre_doctor, other_centre_doctor, pregnancy, centre, other_centre
):
    referral = refer(obstetrician, pregnancy, centre, urgency="emergency")
    response = post(
        client,
        centre_doctor,
        page_url(referral, "redirect/"),
        {"to_facility": str(other_centre.external_id), "reason": "Needs cardiac surgery"},
        follow=True,
    )
    referral.refresh_from_db()
    assert referral.status == "redirected"
    linked = referral.redirected_to
    assert page_url(linked) in response.content.decode()
    body = get(client, other_centre_doctor, page_url(linked)).content.decode()
    assert page_url(referral) in body  # she may see the woman, so the first referral too
    assert get(client, other_centre_doctor, page_url(referral)).status_code == 200
    assert "accept" in actions(get(client, other_centre_doctor, page_url(linked)))
    assert page_url(referral) in get(client, obstetrician, page_url(linked)).content.decode()


# --- printouts ---------------------------------------------------------------------------------------------


def test_letter_and_return_slip_write_print_audit_rows_and_restrict_sensitive_criteria(
    client, obstetrician, midwife, pregnancy, centre
):
    risk_services.risk_assessment_create(
        actor=obstetrician, pregnancy=pregnancy, criteria=["P-INF-SYPHILIS"], measurements={"pasp_mmhg": 55}
    )
    referral = refer(obstetrician, pregnancy, centre)
    assert "P-INF-SYPHILIS" in referral.clinical_summary["criteria"]
    for suffix in ("letter/", "return-slip/"):
        restricted = get(client, midwife, page_url(referral, suffix)).content.decode()
        assert "Syphilis" not in restricted and "P-INF-SYPHILIS" not in restricted
        assert "Restricted" in restricted
        assert "Pulmonary" in restricted  # other criteria stay visible
        assert pregnancy.patient.masked_id_number in restricted or "—" in restricted
        assert "Syphilis" in get(client, obstetrician, page_url(referral, suffix)).content.decode()
    assert "Syphilis" not in get(client, midwife, page_url(referral)).content.decode()
    prints = AuditEvent.objects.filter(action="print", object_id=str(referral.external_id))
    assert prints.count() == 4
    assert {str(p) for e in prints for p in e.patient_ids} == {str(pregnancy.patient.external_id)}
    assert {e.changes["document"] for e in prints} == {"referral_letter", "referral_return_slip"}


# --- inbox clocks and query count -------------------------------------------------------------------------


def test_inbox_shows_an_overdue_clock_as_overdue(client, obstetrician, centre_doctor, pregnancy, centre):
    referral = refer(obstetrician, pregnancy, centre, urgency="emergency")
    # Test setup only: the clock started 20 minutes ago (target for an emergency: 15 minutes).
    Referral.objects.filter(pk=referral.pk).update(clock_started_at=timezone.now() - dt.timedelta(minutes=20))
    body = get(client, centre_doctor, "/referrals/").content.decode()
    assert "clock clock--over" in body
    assert "Overdue by 5 min" in body
    assert 'data-target="900"' in body and "data-start=" in body
    assert "row-overdue" in body

    Referral.objects.filter(pk=referral.pk).update(clock_started_at=timezone.now() - dt.timedelta(minutes=12))
    body = get(client, centre_doctor, "/referrals/").content.decode()
    assert "clock clock--near" in body and "12 min of 15 min" in body


def _fill_inbox(obstetrician, centre, home_facility, n):
    for _ in range(n):
        refer(obstetrician, PregnancyFactory(managing_facility=home_facility), centre)


@pytest.mark.parametrize("rows", [1, 8])
def test_inbox_query_count_is_constant_in_rows(
    client, obstetrician, centre_doctor, centre, home_facility, django_assert_num_queries, rows
):
    _fill_inbox(obstetrician, centre, home_facility, rows)
    client.force_login(centre_doctor)
    # Warm up: the first request after force_login stamps the session's refresh time (savepoint, session
    # save, release); the requests after it, within SESSION_REFRESH_SECONDS, write nothing.
    client.get("/referrals/")
    # 1 the signed-in user (her facility and region joined: the header needs no query of its own), 2-3 open
    # counts of the two tabs, 4 count of the list, 5 the page's ids in inbox order, 6 their rows (woman,
    # both facilities and the sending clinician joined), 7 the list audit row.
    with django_assert_num_queries(7) as captured:
        response = client.get("/referrals/")
    assert len(response.context["rows"]) == rows
    assert captured


@pytest.mark.parametrize("rows", [1, 8])
def test_outgoing_inbox_query_count_is_constant_in_rows(
    client, api, obstetrician, centre, home_facility, django_assert_num_queries, rows
):
    _fill_inbox(obstetrician, centre, home_facility, rows)
    client.force_login(obstetrician)
    client.get("/referrals/?box=outgoing")  # warm up the session (its refresh stamp, see above)
    # The same seven queries as the incoming box (see above), whatever the number of rows.
    with django_assert_num_queries(7):
        response = client.get("/referrals/?box=outgoing")
    assert len(response.context["rows"]) == rows
    assert {row["referral"].to_facility for row in response.context["rows"]} == {centre}
    # The API's outgoing box: user, COUNT(*), the page's ids, their rows joined, the list audit row, and the
    # session refresh (savepoint, UPDATE, release): this client was just signed in, so its first request
    # stamps the session.
    api_client = api.as_user(obstetrician)
    with django_assert_num_queries(8):
        assert api_client.get("/api/v1/referrals/", {"box": "outgoing"}).json()["count"] == rows


def test_every_page_of_an_inbox_is_the_inbox_order(
    client, obstetrician, centre_doctor, centre, home_facility, monkeypatch
):
    """A page is ranked on the referrals alone, then its rows read joined (``PagedByIds``): the pages
    together are the whole inbox in its order (open first, emergencies first, oldest clock first)."""
    from referrals.selectors import inbox_order, incoming

    monkeypatch.setattr("referrals.views.PAGE_SIZE", 3)
    for n, urgency in enumerate(
        ["routine", "emergency", "urgent", "emergency", "routine", "urgent", "urgent"]
    ):
        referral = refer(obstetrician, PregnancyFactory(managing_facility=home_facility), centre, urgency)
        if n % 3 == 0:
            services.referral_cancel(actor=obstetrician, referral=referral, reason="Delivered at home")
    want = [r.pk for r in inbox_order(incoming(actor=centre_doctor))]
    client.force_login(centre_doctor)
    got = []
    for number in (1, 2, 3):
        response = client.get("/referrals/", {"show": "all", "page": number})
        got += [row["referral"].pk for row in response.context["rows"]]
    assert len(want) == 7 and got == want
