"""Alert pages: the bell, the inbox (own items only, what each is about as far as the reader may see,
acknowledgement seen by everyone reached) and the operations page (administrators, scoped)."""

import datetime as dt
import re
import uuid

import pytest
from django.utils import timezone
from django.utils.html import escape

from accounts.choices import Role, Title
from audit.models import AuditEvent
from notifications.models import Alert, DeliveryAttempt, InboxItem
from notifications.services import alert_deliver, alert_raise, alerts_sweep
from tests.factories import OnCallShiftFactory, PregnancyFactory, UserFactory

pytestmark = pytest.mark.django_db

INBOX, BELL, OPERATIONS = "/notifications/", "/notifications/bell/", "/notifications/operations/"


@pytest.fixture
def chain(home_facility):
    """The on-call obstetrician (level 0), the department head (level 1), the medical director (level 2,
    a facility administrator who may not read records)."""
    on_call = UserFactory(
        username="oncall", display_name="Wang Lihua", facility=home_facility, roles=[Role.OBSTETRICIAN]
    )
    OnCallShiftFactory(user=on_call, facility=home_facility, is_lead=False)
    head = UserFactory(
        username="head",
        display_name="Zhao Min",
        facility=home_facility,
        roles=[Role.OBSTETRICIAN],
        title=Title.CHIEF,
        is_department_head=True,
    )
    director = UserFactory(
        username="director",
        display_name="Director Liu",
        facility=home_facility,
        roles=[Role.FACILITY_ADMIN],
        is_medical_director=True,
    )
    return {"on_call": on_call, "head": head, "director": director}


def raise_alert(pregnancy, key="meows:1", severity="critical", kind="meows_trigger", payload=None, **extra):
    return alert_raise(
        kind=kind,
        dedup_key=key,
        pregnancy=pregnancy,
        facility=pregnancy.managing_facility if pregnancy else extra.pop("facility"),
        target_role="responsible_team",
        severity=severity,
        payload=payload,
        **extra,
    )


def delivered(pregnancy, **kwargs):
    alert = raise_alert(pregnancy, **kwargs)
    alert_deliver(alert.pk)
    return alert


def escalated_twice(pregnancy):
    """A critical alert left unacknowledged: on call → department head → medical director."""
    alert = raise_alert(pregnancy)
    now = timezone.now()
    alerts_sweep(now=now)
    alerts_sweep(now=now + dt.timedelta(minutes=6))
    alerts_sweep(now=now + dt.timedelta(minutes=12))
    alert.refresh_from_db()
    assert alert.escalation_level == 2
    return alert


def html_of(client, user, url, **params):
    client.force_login(user)
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def items_in(html):
    return re.findall(r'<li id="item-([0-9a-f-]+)"', html)


# --- access --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [INBOX, OPERATIONS])
def test_anonymous_is_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_anonymous_bell_is_empty_and_posts_go_to_sign_in(client, pregnancy, chain):
    alert = delivered(pregnancy)
    item = InboxItem.objects.get(alert=alert)
    assert client.get(BELL).status_code == 204
    response = client.post(f"{INBOX}{item.external_id}/acknowledge/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    alert.refresh_from_db()
    assert alert.status == "delivered"


def test_clinician_sees_only_her_own_items(client, pregnancy, chain, outsider, other_facility):
    mine = delivered(pregnancy)
    elsewhere = PregnancyFactory(managing_facility=other_facility)
    OnCallShiftFactory(user=outsider, facility=other_facility, is_lead=False)
    theirs = delivered(elsewhere, key="meows:elsewhere")
    html = html_of(client, chain["on_call"], INBOX)
    assert items_in(html) == [str(InboxItem.objects.get(alert=mine).external_id)]
    assert elsewhere.patient.name not in html
    assert items_in(html_of(client, outsider, INBOX)) == [
        str(InboxItem.objects.get(alert=theirs).external_id)
    ]


def test_someone_elses_item_cannot_be_acknowledged_or_marked_read(client, pregnancy, chain, outsider):
    item = InboxItem.objects.get(alert=delivered(pregnancy))
    client.force_login(outsider)
    assert client.post(f"{INBOX}{item.external_id}/acknowledge/", {"note": "x"}).status_code == 404
    assert client.post(f"{INBOX}{item.external_id}/read/").status_code == 404
    assert client.post(f"{INBOX}{uuid.uuid4()}/acknowledge/").status_code == 404
    item.alert.refresh_from_db()
    assert item.alert.status == "delivered" and item.alert.acknowledged_by is None


@pytest.mark.parametrize("persona", ["obstetrician", "midwife", "supervisor", "auditor"])
def test_operations_page_is_for_administrators_only(client, persona, request):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(OPERATIONS).status_code == 404


def test_facility_administrator_sees_her_facility_and_system_administrator_all(
    client, pregnancy, chain, facility_admin, system_admin, other_facility, outsider
):
    delivered(pregnancy)  # home facility: delivered, unacknowledged
    elsewhere = PregnancyFactory(managing_facility=other_facility)
    for n in range(3):  # other facility: three pending alerts
        raise_alert(elsewhere, key=f"elsewhere:{n}", severity="warning")
    Alert.objects.filter(dedup_key__startswith="elsewhere:").update(
        due_at=timezone.now() - dt.timedelta(minutes=40)
    )

    def stat(html, name):
        return int(re.search(rf'data-stat="{name}">(\d+)<', html).group(1))

    own = html_of(client, facility_admin, OPERATIONS)
    assert (stat(own, "pending"), stat(own, "unacknowledged")) == (0, 1)
    assert escape(pregnancy.managing_facility.name) in own
    everything = html_of(client, system_admin, OPERATIONS)
    assert (stat(everything, "pending"), stat(everything, "unacknowledged")) == (3, 1)
    assert "oldest waiting 40 min" in everything


# --- the bell ------------------------------------------------------------------------------------------


def test_bell_counts_unread_and_marks_urgent_ones(client, pregnancy, chain):
    client.force_login(chain["on_call"])
    html = client.get(BELL).content.decode()
    assert 'data-unread="0"' in html and "bell--loud" not in html
    delivered(pregnancy, key="warn:1", severity="warning")
    html = client.get(BELL).content.decode()
    assert 'data-unread="1"' in html and "bell--unread" in html and "bell--loud" not in html
    delivered(pregnancy, key="crit:1", severity="critical")
    html = client.get(BELL).content.decode()
    assert 'data-unread="2"' in html and 'data-loud="1"' in html and "bell--loud" in html


def test_bell_counts_only_her_unread_items_and_as_loud_only_those_still_awaiting(pregnancy, chain):
    """The prepared statement against what the ORM reads: read items, other people's items and
    acknowledged or resolved alerts are not loud; warnings are unread but never loud."""
    from notifications.selectors import inbox_unread_summary

    on_call = chain["on_call"]
    warning = delivered(pregnancy, key="warn:2", severity="warning")
    critical = delivered(pregnancy, key="crit:2", severity="critical")
    urgent = delivered(pregnancy, key="urg:2", severity="urgent")
    read = delivered(pregnancy, key="crit:3", severity="critical")
    InboxItem.objects.filter(alert=read, user=on_call).update(read_at=timezone.now())
    assert inbox_unread_summary(actor=on_call) == {"unread": 3, "loud": 2}
    Alert.objects.filter(pk=critical.pk).update(status="acknowledged")
    assert inbox_unread_summary(actor=on_call) == {"unread": 3, "loud": 1}
    Alert.objects.filter(pk=urgent.pk).update(status="resolved")
    assert inbox_unread_summary(actor=on_call) == {"unread": 3, "loud": 0}
    assert InboxItem.objects.filter(alert=warning, user=on_call).exists()
    nobody = UserFactory(facility=on_call.facility)
    assert inbox_unread_summary(actor=nobody) == {"unread": 0, "loud": 0}


def test_bell_is_one_query_and_does_not_keep_the_session_alive(
    client, pregnancy, chain, django_assert_num_queries
):
    delivered(pregnancy)
    client.force_login(chain["on_call"])
    # Queries: the session user; the unread count (with the urgent ones) in one aggregate.
    with django_assert_num_queries(2):
        response = client.get(BELL)
    assert 'data-unread="1"' in response.content.decode()
    assert "sessionid" not in response.cookies, "polling must not push the idle timeout back"
    assert "sessionid" in client.get(INBOX).cookies, "an ordinary page does"


def test_every_page_has_the_bell_and_its_script(client, midwife):
    html = html_of(client, midwife, "/facilities/")
    assert 'id="bell"' in html and 'data-bell-url="/notifications/bell/"' in html
    assert '<script src="/static/js/bell.js" defer></script>' in html


# --- the inbox -----------------------------------------------------------------------------------------


def test_inbox_shows_what_it_is_about_and_the_escalation(client, pregnancy, chain):
    escalated_twice(pregnancy)
    on_call = html_of(client, chain["on_call"], INBOX)
    assert pregnancy.patient.name in on_call and f"/cases/pregnancies/{pregnancy.external_id}/" in on_call
    assert "Level 2 of 3" in on_call and "Medical director" in on_call
    for name in ("Wang Lihua", "Zhao Min", "Director Liu"):
        assert name in on_call
    assert 'data-action="acknowledge"' in on_call


def test_no_name_for_a_reader_who_may_not_open_the_record(client, pregnancy, chain):
    escalated_twice(pregnancy)
    html = html_of(client, chain["director"], INBOX)
    assert len(items_in(html)) == 1
    assert pregnancy.patient.name not in html and pregnancy.patient.record_number not in html
    assert f"/cases/pregnancies/{pregnancy.external_id}/" not in html
    assert "A woman at County A People&#x27;s Hospital" in html
    assert not AuditEvent.objects.filter(action="list", actor=chain["director"]).exists()


def test_a_named_woman_leaves_one_audit_row(client, pregnancy, chain):
    delivered(pregnancy)
    html_of(client, chain["on_call"], INBOX)
    event = AuditEvent.objects.get(action="list", actor=chain["on_call"])
    assert event.patient_ids == [pregnancy.patient.external_id]


def test_referral_link_only_when_the_reader_may_open_it(
    client, pregnancy, chain, obstetrician, other_facility
):
    from referrals.services import referral_request

    referral = referral_request(
        actor=obstetrician, pregnancy=pregnancy, to_facility=other_facility, urgency="urgent", reason="HELLP"
    )
    delivered(
        pregnancy,
        key="about:referral",
        kind="referral_accept_missed",
        payload={"referral": str(referral.external_id)},
    )
    delivered(
        pregnancy, key="about:unknown", kind="referral_accept_missed", payload={"referral": str(uuid.uuid4())}
    )
    html = html_of(client, chain["on_call"], INBOX)
    assert re.findall(r'href="/referrals/([0-9a-f-]+)/"', html) == [str(referral.external_id)]


def test_acknowledging_stops_the_climb_and_everyone_reached_sees_who(client, pregnancy, chain, supervisor):
    alert = escalated_twice(pregnancy)
    item = InboxItem.objects.get(alert=alert, user=chain["head"])
    client.force_login(chain["head"])
    response = client.post(
        f"{INBOX}{item.external_id}/acknowledge/",
        {"note": "In theatre in 5 min", "next": INBOX + "?unread=on"},
    )
    assert response.status_code == 302 and response["Location"] == INBOX + "?unread=on"
    alert.refresh_from_db()
    item.refresh_from_db()
    assert alert.status == "acknowledged" and alert.acknowledged_by == chain["head"]
    assert item.read_at is not None
    alerts_sweep(now=timezone.now() + dt.timedelta(minutes=30))
    assert not InboxItem.objects.filter(alert=alert, user=supervisor).exists()
    for person in ("on_call", "director"):
        html = html_of(client, chain[person], INBOX)
        assert "by Zhao Min at" in html and "In theatre in 5 min" in html
        assert 'data-action="acknowledge"' not in html and 'data-action="mark-read"' in html


def test_acknowledging_with_htmx_returns_the_item_and_refreshes_the_bell(client, pregnancy, chain):
    item = InboxItem.objects.get(alert=delivered(pregnancy))
    client.force_login(chain["on_call"])
    response = client.post(
        f"{INBOX}{item.external_id}/acknowledge/", {"note": ""}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200 and response["HX-Trigger"] == "bell-refresh"
    html = response.content.decode()
    assert html.lstrip().startswith(f'<li id="item-{item.external_id}"')
    assert "Acknowledged: Early-warning trigger." in html and "by Wang Lihua at" in html
    again = client.post(f"{INBOX}{item.external_id}/acknowledge/", headers={"HX-Request": "true"})
    assert "already been acknowledged" in again.content.decode()


def test_mark_read_only_once_nobody_needs_to_acknowledge(client, pregnancy, chain):
    alert = escalated_twice(pregnancy)
    on_call_item = InboxItem.objects.get(alert=alert, user=chain["on_call"])
    client.force_login(chain["on_call"])
    client.post(f"{INBOX}{on_call_item.external_id}/read/")
    on_call_item.refresh_from_db()
    assert on_call_item.read_at is None, "an alert still climbing is acknowledged, not just read"
    client.force_login(chain["director"])
    client.post(
        f"{INBOX}{InboxItem.objects.get(alert=alert, user=chain['director']).external_id}/acknowledge/"
    )
    client.force_login(chain["on_call"])
    client.post(f"{INBOX}{on_call_item.external_id}/read/")
    on_call_item.refresh_from_db()
    assert on_call_item.read_at is not None
    assert 'data-unread="0"' in client.get(BELL).content.decode()


def test_filters(client, pregnancy, chain):
    delivered(pregnancy, key="a", severity="critical")
    delivered(pregnancy, key="b", severity="warning", kind="high_risk_grade")
    acked = delivered(pregnancy, key="c", severity="urgent", kind="referral_accept_missed")
    client.force_login(chain["on_call"])
    client.post(f"{INBOX}{InboxItem.objects.get(alert=acked).external_id}/acknowledge/")

    def keys(**params):
        html = html_of(client, chain["on_call"], INBOX, **params)
        ids = items_in(html)
        return sorted(InboxItem.objects.get(external_id=i).alert.dedup_key for i in ids)

    assert keys() == ["a", "b", "c"]
    assert keys(status="acknowledged") == ["c"]
    assert keys(status="delivered") == ["a", "b"]
    assert keys(kind="high_risk_grade") == ["b"]
    assert keys(severity="critical") == ["a"]
    assert keys(unread="on") == ["a", "b"]
    assert keys(status="delivered", severity="warning") == ["b"]
    assert "No alerts match these filters." in html_of(
        client, chain["on_call"], INBOX, kind="consult_reminder"
    )


def test_inbox_is_paginated(client, pregnancy, chain):
    for n in range(23):
        delivered(pregnancy, key=f"p:{n}", severity="warning")
    assert len(items_in(html_of(client, chain["on_call"], INBOX))) == 20
    second = html_of(client, chain["on_call"], INBOX, page=2)
    assert len(items_in(second)) == 3 and "Page 2 of 2 · 23 in total" in second


def test_inbox_query_count_is_constant_in_items(client, pregnancy, chain, django_assert_num_queries):
    """Queries: the session user (her facility and region joined: the header needs no query of its own),
    COUNT(*), one page of items (alert, woman, facilities and acknowledger joined), every recipient of
    those alerts (prefetch), which of the women she may read, the audit row naming them, the bell summary.
    The same for 2 and 12 items."""
    for n in range(2):
        delivered(pregnancy, key=f"q:{n}")
    client.force_login(chain["on_call"])
    # Warm up: the first request after force_login stamps the session's refresh time (savepoint, update,
    # release); the requests after it, within SESSION_REFRESH_SECONDS, write nothing.
    client.get(INBOX)
    with django_assert_num_queries(7):
        client.get(INBOX)
    for n in range(2, 12):
        delivered(pregnancy, key=f"q:{n}")
    with django_assert_num_queries(7):
        response = client.get(INBOX)
    assert len(items_in(response.content.decode())) == 12


def test_pages_are_csp_safe(client, pregnancy, chain, system_admin):
    delivered(pregnancy)
    for user, url in ((chain["on_call"], INBOX), (system_admin, OPERATIONS)):
        html = html_of(client, user, url)
        assert not re.search(r"<script(?![^>]*\ssrc=)", html), "no inline script"
        assert " style=" not in html and "<style" not in html
    assert re.search(
        r'<script src="/static/django_htmx/htmx-2[^"]*\.js"', html_of(client, chain["on_call"], INBOX)
    )


# --- the operations page --------------------------------------------------------------------------------


def test_operations_counts_escalations_and_channels(client, pregnancy, chain, facility_admin, monkeypatch):
    from notifications import channels

    chain["on_call"].email, chain["on_call"].phone = "oc@h.cn", "+8613800001234"
    chain["on_call"].save()

    def sms_down(self, *, phone, text):
        raise channels.TransientDeliveryError("gateway timeout")

    monkeypatch.setattr(channels.LoggingSmsGateway, "send", sms_down)
    escalated_twice(pregnancy)
    delivered(pregnancy, key="w:1", severity="warning")
    raise_alert(pregnancy, key="later", severity="warning", due_at=timezone.now() + dt.timedelta(hours=3))
    html = html_of(client, facility_admin, OPERATIONS)
    assert re.search(r'data-stat="unacknowledged">2<', html)
    assert re.search(r'data-stat="scheduled">1<', html)
    assert re.search(r'data-stat="failing">1<', html)
    assert re.search(r'data-level="2">1<', html) and re.search(r'data-level="1">0<', html)
    email = re.search(r'<tr data-channel="email"[^>]*>(.*?)</tr>', html, re.S).group(1)
    sms = re.search(r'<tr data-channel="sms"[^>]*>(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r'class="num">(\d+)<', email)[:3] == ["1", "1", "0"]
    # The gateway is down through all three sweeps: tried at delivery, then retried by the sweeps at
    # +6 and +12 minutes (backoff 2 and 4 minutes): three attempts, none sent, one failing.
    assert re.findall(r'class="num">(\d+)<', sms)[:3] == ["3", "0", "1"]
    assert "gateway timeout" in html
    assert DeliveryAttempt.objects.filter(channel="sms", status="failed").count() == 1


def test_operations_shows_that_no_worker_responded_and_no_sweep_recorded(client, system_admin):
    from django.core.cache import cache

    from notifications.tasks import SWEEP_CACHE_KEY

    cache.delete(SWEEP_CACHE_KEY)
    html = html_of(client, system_admin, OPERATIONS)
    assert "No worker responded." in html and "ops-health--down" in html
    assert "Not recorded yet: the scheduler (beat) may not be running." in html


def test_operations_shows_workers_and_the_last_sweep(client, system_admin, pregnancy, chain, monkeypatch):
    from maternal_safety.celery import app
    from notifications.tasks import alerts_sweep_task

    raise_alert(pregnancy)
    alerts_sweep_task()  # what beat runs: delivers, then records its time
    monkeypatch.setattr(app.control, "ping", lambda timeout: [{"celery@ward-1": {"ok": "pong"}}])
    html = html_of(client, system_admin, OPERATIONS)
    assert "1 worker responded" in html and "celery@ward-1" in html and "No worker responded" not in html
    assert re.search(r"ago: 1 delivered, 0 escalated", html)


def test_operations_query_count(
    client, system_admin, pregnancy, chain, django_assert_num_queries, monkeypatch
):
    """Queries: the session user, the alert counts, the channels, the in-app items, the longest-waiting
    alerts, the latest failures, and the idle-timeout session refresh (savepoint, update, release)."""
    from maternal_safety.celery import app

    monkeypatch.setattr(app.control, "ping", lambda timeout: [])
    delivered(pregnancy)
    client.force_login(system_admin)
    with django_assert_num_queries(9):
        assert client.get(OPERATIONS).status_code == 200
