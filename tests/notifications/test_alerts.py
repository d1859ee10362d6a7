"""Alerts: one per cause, none on rollback, delivered once to the right people, escalating up the chain
until acknowledged, resolved when the cause clears; the inbox API."""

import datetime as dt

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from accounts.choices import Role, Title
from notifications.models import Alert, DeliveryAttempt, InboxItem
from notifications.services import alert_deliver, alert_raise, alert_resolve, alerts_sweep
from tests.factories import OnCallShiftFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain(home_facility, supervisor):
    """On-call obstetrician, on-call lead / department head, medical director, regional supervisor."""
    on_call = UserFactory(
        username="oncall", facility=home_facility, roles=[Role.OBSTETRICIAN], email="oc@h.cn"
    )
    OnCallShiftFactory(user=on_call, facility=home_facility, is_lead=False)
    head = UserFactory(
        username="head",
        facility=home_facility,
        roles=[Role.OBSTETRICIAN],
        title=Title.CHIEF,
        is_department_head=True,
    )
    director = UserFactory(
        username="director", facility=home_facility, roles=[Role.FACILITY_ADMIN], is_medical_director=True
    )
    return {"on_call": on_call, "head": head, "director": director, "supervisor": supervisor}


def raise_meows(pregnancy, key="meows:1", severity="critical"):
    return alert_raise(
        kind="meows_trigger",
        dedup_key=key,
        pregnancy=pregnancy,
        facility=pregnancy.managing_facility,
        target_role="responsible_team",
        severity=severity,
    )


def recipients(alert):
    return set(InboxItem.objects.filter(alert=alert).values_list("user__username", flat=True))


def test_same_cause_twice_gives_one_alert(pregnancy):
    first, second = raise_meows(pregnancy), raise_meows(pregnancy)
    assert first.pk == second.pk and Alert.objects.count() == 1


def test_rolled_back_cause_leaves_no_alert(pregnancy):
    with pytest.raises(RuntimeError), transaction.atomic():
        raise_meows(pregnancy)
        raise RuntimeError("the cause failed")
    assert not Alert.objects.exists()


def test_urgent_alert_is_nudged_after_commit_only(pregnancy, django_capture_on_commit_callbacks, monkeypatch):
    sent = []
    monkeypatch.setattr("notifications.services._nudge", lambda alert_id: sent.append(alert_id))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        alert = raise_meows(pregnancy)
        assert sent == []
    assert len(callbacks) == 1 and sent == [alert.pk]


def test_delivery_reaches_the_responsible_team_exactly_once(pregnancy, chain, obstetrician):
    from risk.models import CaseManagement

    CaseManagement.objects.create(
        pregnancy=pregnancy, manager=obstetrician, opened_at=timezone.now(), reasons=["red"]
    )
    alert = raise_meows(pregnancy)
    assert alert_deliver(alert.pk) is True
    assert alert_deliver(alert.pk) is False  # already delivered: nothing twice
    assert recipients(alert) == {"obstetrician", "oncall"}
    alert.refresh_from_db()
    assert alert.status == "delivered" and alert.next_escalation_at is not None
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["oc@h.cn"]
    assert pregnancy.patient.name not in mail.outbox[0].body
    assert DeliveryAttempt.objects.get(channel="email").status == "sent"


def test_nobody_on_call_falls_back_to_department_head_then_director(pregnancy, home_facility):
    director = UserFactory(
        facility=home_facility, roles=[Role.FACILITY_ADMIN], is_medical_director=True, username="director"
    )
    alert = alert_raise(
        kind="referral_requested", dedup_key="r:1", facility=home_facility, target_role="on_call_lead"
    )
    alert_deliver(alert.pk)
    assert recipients(alert) == {"director"}
    assert director.inbox_items.count() == 1


def test_unacknowledged_alert_climbs_the_chain_until_acknowledged(api, pregnancy, chain):
    alert = raise_meows(pregnancy)  # critical: 5-minute windows
    alerts_sweep(now=timezone.now())
    assert recipients(alert) == {"oncall"}
    step = dt.timedelta(minutes=6)
    now = timezone.now()
    alerts_sweep(now=now + step)
    assert recipients(alert) == {"oncall", "head"}
    alerts_sweep(now=now + 2 * step)
    assert recipients(alert) == {"oncall", "head", "director"}
    item = InboxItem.objects.get(alert=alert, user=chain["director"])
    response = api.as_user(chain["director"]).post(
        f"/api/v1/notifications/{item.external_id}/acknowledge/",
        {"note": "Anaesthetist on the way"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["alert"]["acknowledged_by"] == chain["director"].name
    alerts_sweep(now=now + 3 * step)
    assert "supervisor" not in recipients(alert)
    seen_by_on_call = api.as_user(chain["on_call"]).get("/api/v1/notifications/").json()["results"][0]
    assert seen_by_on_call["alert"]["status"] == "acknowledged"
    assert seen_by_on_call["alert"]["acknowledge_note"] == "Anaesthetist on the way"


def test_without_acknowledgement_it_reaches_the_regional_supervisor(pregnancy, chain):
    alert = raise_meows(pregnancy)
    now = timezone.now()
    for minutes in (0, 6, 12, 18, 24):
        alerts_sweep(now=now + dt.timedelta(minutes=minutes))
    assert "supervisor" in recipients(alert)
    alert.refresh_from_db()
    assert alert.escalation_level == 3 and alert.next_escalation_at is None


def test_resolved_cause_stops_the_climb(pregnancy, chain):
    alert = raise_meows(pregnancy)
    alerts_sweep(now=timezone.now())
    alert_resolve(dedup_key=alert.dedup_key)
    alerts_sweep(now=timezone.now() + dt.timedelta(minutes=30))
    assert recipients(alert) == {"oncall"}


def test_future_reminders_wait_for_their_time(pregnancy, chain):
    alert = alert_raise(
        kind="consult_reminder",
        dedup_key="rem:1",
        pregnancy=pregnancy,
        target_user=chain["on_call"],
        due_at=timezone.now() + dt.timedelta(hours=2),
    )
    assert alerts_sweep(now=timezone.now())["delivered"] == 0
    assert alerts_sweep(now=timezone.now() + dt.timedelta(hours=2, minutes=1))["delivered"] == 1
    assert recipients(alert) == {"oncall"}


def test_inbox_api_is_mine_only_and_counts_unread(api, pregnancy, chain, outsider):
    alert = raise_meows(pregnancy)
    alert_deliver(alert.pk)
    assert api.as_user(chain["on_call"]).get("/api/v1/notifications/unread-count/").json() == {"unread": 1}
    assert api.as_user(outsider).get("/api/v1/notifications/").json()["count"] == 0
    item = InboxItem.objects.get(alert=alert)
    assert (
        api.as_user(outsider).post(f"/api/v1/notifications/{item.external_id}/acknowledge/").status_code
        == 404
    )
    client = api.as_user(chain["on_call"])
    assert client.post(f"/api/v1/notifications/{item.external_id}/acknowledge/").status_code == 200
    assert client.post(f"/api/v1/notifications/{item.external_id}/acknowledge/").status_code == 409
    assert client.get("/api/v1/notifications/unread-count/").json() == {"unread": 0}
    assert client.get("/api/v1/notifications/", {"status": "acknowledged"}).json()["count"] == 1
    assert client.get("/api/v1/notifications/", {"status": "delivered"}).json()["count"] == 0
