"""E-mail and SMS attempts: sent inside a lease, never lost by a worker that dies after the delivery
commit, never sent by two sweeps at once; one ``now`` through the whole sweep. Real PostgreSQL."""

import datetime as dt
import threading

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from notifications import services
from notifications.models import Alert, DeliveryAttempt
from notifications.services import alert_deliver, alert_raise, alerts_sweep, attempts_retry, delivery_lease
from tests.factories import UserFactory

LEASE = dt.timedelta(seconds=120)


@pytest.fixture
def sms(settings, monkeypatch, tmp_path):
    """Texts handed to the gateway, one line each (the recording gateway of the reliability tests)."""
    settings.SMS_GATEWAY = "tests.notifications.gateways.RecordingSmsGateway"
    settings.ALERT_DELIVERY_LEASE_SECONDS = int(LEASE.total_seconds())
    path = tmp_path / "sms.txt"
    monkeypatch.setenv("RECORDING_SMS_FILE", str(path))
    return lambda: path.read_text().splitlines() if path.exists() else []


@pytest.fixture
def recipient(home_facility):
    """The alert's target, reachable by e-mail and by SMS."""
    return UserFactory(username="target", facility=home_facility, email="t@h.cn", phone="13800000009")


def raise_urgent(recipient, key="urgent:1", due_at=None):
    # Urgent: e-mailed and texted, and a 15-minute escalation window (longer than the lease).
    return alert_raise(
        kind="referral_requested",
        dedup_key=key,
        facility=recipient.facility,
        target_user=recipient,
        severity="urgent",
        due_at=due_at,
    )


def states(alert):
    return sorted(DeliveryAttempt.objects.filter(alert=alert).values_list("channel", "status", "attempts"))


def failed_attempt(recipient, *, key, channel="sms", due_in=dt.timedelta(0), now):
    """A delivered alert whose attempt on ``channel`` failed once and is due again ``due_in`` from now.
    (Raised as due later, so that no on-commit nudge goes to a broker in the transactional tests.)"""
    alert = raise_urgent(recipient, key=key, due_at=now + dt.timedelta(hours=1))
    Alert.objects.filter(pk=alert.pk).update(status="delivered", delivered_at=now)
    return DeliveryAttempt.objects.create(
        alert=alert,
        user=recipient,
        channel=channel,
        status="failed",
        attempts=1,
        next_attempt_at=now + due_in,
    )


@pytest.mark.django_db
def test_attempts_of_a_worker_that_died_after_the_delivery_commit_are_sent_once_its_lease_ran_out(
    recipient, sms, monkeypatch
):
    now = timezone.now()
    alert = raise_urgent(recipient)
    with monkeypatch.context() as dead:
        dead.setattr(services, "_send_claimed", lambda *args: 0)  # killed right after the commit
        assert alert_deliver(alert.pk, now=now) is True
    assert states(alert) == [("email", "pending", 0), ("sms", "pending", 0)]
    [lease_end] = set(DeliveryAttempt.objects.values_list("claimed_until", flat=True))
    assert lease_end >= now + LEASE  # the lease runs from the clock at the claim

    # While the lease runs the attempts are the dead worker's: a sweep leaves them alone.
    assert alerts_sweep(now=lease_end)["retried"] == 0
    assert sms() == [] and mail.outbox == []

    # Once it has run out, the sweep claims and sends each of them, once.
    assert alerts_sweep(now=lease_end + dt.timedelta(seconds=1))["retried"] == 2
    assert alerts_sweep(now=lease_end + dt.timedelta(seconds=2))["retried"] == 0
    assert [line.split("\t")[0] for line in sms()] == ["13800000009"] and len(mail.outbox) == 1
    assert states(alert) == [("email", "sent", 1), ("sms", "sent", 1)]
    assert not DeliveryAttempt.objects.filter(claimed_until__isnull=False).exists()


@pytest.mark.django_db
def test_the_delivering_worker_sends_what_it_created_and_the_sweep_sends_nothing_again(recipient, sms):
    now = timezone.now()
    alert = raise_urgent(recipient)
    assert alert_deliver(alert.pk, now=now) is True
    assert states(alert) == [("email", "sent", 1), ("sms", "sent", 1)]
    assert alerts_sweep(now=now + 2 * LEASE)["retried"] == 0
    assert len(sms()) == 1 and len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_failed_attempt_is_retried_after_its_backoff_and_not_while_another_sweep_holds_it(recipient, sms):
    now = timezone.now()
    waiting = failed_attempt(recipient, key="a", due_in=dt.timedelta(minutes=2), now=now)
    held = failed_attempt(recipient, key="b", now=now)
    DeliveryAttempt.objects.filter(pk=held.pk).update(claimed_until=now + dt.timedelta(seconds=30))
    due = failed_attempt(recipient, key="c", now=now)

    assert attempts_retry(now=now) == 1
    assert len(sms()) == 1
    waiting.refresh_from_db(), held.refresh_from_db(), due.refresh_from_db()
    assert (due.status, due.attempts, due.claimed_until) == ("sent", 2, None)
    assert (waiting.status, held.status) == ("failed", "failed")
    # Later, the backoff is over and the other sweep's lease has run out without a result.
    assert attempts_retry(now=now + dt.timedelta(minutes=3)) == 2
    assert len(sms()) == 3


@pytest.mark.django_db
def test_a_failure_backs_off_and_does_not_hold_up_the_other_recipients(recipient, sms, settings):
    settings.SMS_GATEWAY = "tests.notifications.test_outside_channels.BrokenGateway"
    now = timezone.now()
    alert = raise_urgent(recipient)
    assert alert_deliver(alert.pk, now=now) is True
    assert states(alert) == [("email", "sent", 1), ("sms", "failed", 1)]
    failed = DeliveryAttempt.objects.get(channel="sms")
    assert failed.next_attempt_at == now + dt.timedelta(minutes=2) and failed.claimed_until is None
    assert failed.last_error == "RuntimeError: no route to the SMS centre"
    assert attempts_retry(now=now + dt.timedelta(minutes=1)) == 0
    assert attempts_retry(now=now + dt.timedelta(minutes=2)) == 1
    failed.refresh_from_db()
    assert failed.attempts == 2 and failed.next_attempt_at == now + dt.timedelta(minutes=2 + 4)


class BrokenGateway:
    def send(self, *, phone, text):
        raise RuntimeError("no route to the SMS centre")


@pytest.mark.django_db
def test_retry_query_count_is_one_select_then_two_updates_per_attempt(
    recipient, sms, django_assert_num_queries
):
    now = timezone.now()
    failed_attempt(recipient, key="one", now=now)
    # SELECT the due attempts (recipient and alert joined), then per attempt: the claim, the result.
    with django_assert_num_queries(1 + 2 * 1):
        assert attempts_retry(now=now) == 1
    for n in range(3):
        failed_attempt(recipient, key=f"more:{n}", now=now)
    with django_assert_num_queries(1 + 2 * 3):
        assert attempts_retry(now=now) == 3
    # An idle sweep: due alerts, alerts to climb, due attempts — three SELECTs.
    with django_assert_num_queries(3):
        assert alerts_sweep(now=now) == {"delivered": 0, "escalated": 0, "retried": 0}


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_that_both_read_the_same_failed_attempt_send_it_once(recipient, sms, monkeypatch):
    """Two threads, two database connections: both SELECT the attempt as due, then both try to claim
    it at the same moment (a barrier); the conditional UPDATE lets exactly one of them send it."""
    now = timezone.now()
    attempt = failed_attempt(recipient, key="race", now=now)
    both_read = threading.Barrier(2, timeout=60)
    claim = services._claim_attempt
    results, errors = {}, []

    def claim_together(attempt_id, at):
        both_read.wait()
        return claim(attempt_id, at)

    monkeypatch.setattr(services, "_claim_attempt", claim_together)

    def sweep(name):
        try:
            results[name] = attempts_retry(now=now)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep, args=(name,)) for name in ("one", "two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == [] and not any(t.is_alive() for t in threads)
    assert sorted(results.values()) == [0, 1]
    assert len(sms()) == 1
    attempt.refresh_from_db()
    assert (attempt.status, attempt.attempts) == ("sent", 2)


@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_of_one_attempt_have_exactly_one_winner(recipient, sms):
    now = timezone.now()
    attempt = failed_attempt(recipient, key="claims", now=now)
    start = threading.Barrier(4, timeout=60)
    leases, errors = [], []

    def claim():
        try:
            start.wait()
            leases.append(services._claim_attempt(attempt.pk, now))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert leases.count(None) == 3
    [lease_end] = [lease for lease in leases if lease is not None]
    attempt.refresh_from_db()
    assert attempt.claimed_until == lease_end and lease_end >= now + delivery_lease()


# --- one `now` through the sweep ------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_sweep_at_a_later_now_delivers_at_that_now_and_does_not_escalate_at_once(recipient, sms):
    alert = raise_urgent(recipient)  # urgent: climbs 15 minutes after delivery
    later = timezone.now() + dt.timedelta(hours=1)
    assert alerts_sweep(now=later) == {"delivered": 1, "escalated": 0, "retried": 0}
    alert.refresh_from_db()
    assert alert.delivered_at == later and alert.escalation_level == 0
    assert alert.next_escalation_at == later + dt.timedelta(minutes=15)
    assert set(DeliveryAttempt.objects.values_list("sent_at", flat=True)) == {later}
    assert alerts_sweep(now=later + dt.timedelta(minutes=14))["escalated"] == 0
    assert alerts_sweep(now=later + dt.timedelta(minutes=15))["escalated"] == 1


@pytest.mark.django_db
def test_a_lease_taken_late_in_a_long_sweep_runs_from_the_clock_not_from_the_sweep_start(recipient, sms):
    started = timezone.now() - dt.timedelta(minutes=10)  # a sweep that has been running for ten minutes
    attempt = failed_attempt(recipient, key="slow", now=started)
    before = timezone.now()
    lease_end = services._claim_attempt(attempt.pk, started)
    assert lease_end is not None and lease_end >= before + LEASE
    # A sweep that starts now finds it held: it is not sent a second time while the first one sends.
    assert attempts_retry(now=timezone.now()) == 0
