"""Raising, delivering, escalating, acknowledging and resolving alerts.

An alert is a row written in its cause's transaction (``alert_raise``): a rolled-back cause leaves no
alert; the same cause (``dedup_key``) twice leaves one. Delivery claims the row with a conditional
UPDATE (a lease), so two workers never deliver it twice, and creates one inbox item per recipient
(unique): shown exactly once even if a worker dies half-way and the task runs again. E-mail and SMS
attempts are sent inside a lease of their own (see "outside channels" below): at least once, never by
two workers at the same time.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from audit.choices import AuditAction
from audit.services import audit_record
from core.errors import InvalidTransition, NotFound
from core.prepared import prepared_cursor
from core.rows import Joined, insert

from . import channels
from .choices import AlertKind, AlertStatus, Severity
from .models import Alert, DeliveryAttempt, InboxItem
from .recipients import MAX_LEVEL, base_recipients, escalation_recipients

log = logging.getLogger(__name__)
OUTSIDE_CHANNEL_SEVERITIES = (Severity.URGENT, Severity.CRITICAL)


def escalation_window(severity: str) -> dt.timedelta | None:
    minutes = settings.ALERT_ESCALATION_MINUTES.get(severity)
    return dt.timedelta(minutes=minutes) if minutes else None


# The alert of one cause (``dedup_key`` is unique) in one fixed, prepared statement (``core.rows.Joined``):
# every visit that keeps a colour proposed looks it up again, and the ORM compiled ``.first()`` each time.
_BY_CAUSE = Joined(Alert)


def _alert_of_cause(dedup_key: str) -> Alert | None:
    found = _BY_CAUSE.fetch("t0.dedup_key = %s", [dedup_key])
    return None if found is None else found[0]


def alert_raise(
    *,
    kind: str,
    dedup_key: str,
    due_at=None,
    severity: str = "warning",
    pregnancy=None,
    facility=None,
    region=None,
    target_user=None,
    target_role: str = "",
    payload=None,
) -> Alert:
    existing = _alert_of_cause(dedup_key)
    if existing is not None:
        return existing
    alert = Alert(
        kind=kind,
        dedup_key=dedup_key,
        due_at=due_at or timezone.now(),
        severity=severity,
        pregnancy=pregnancy,
        facility=facility,
        region=region,
        target_user=target_user,
        target_role=target_role,
        payload=payload or {},
    )
    # One statement: a concurrent request that raised the same cause first wins, and its alert is the one
    # (was a savepoint around the ORM's insert, three statements).
    if not insert(alert, skip_if="dedup_key"):
        return _alert_of_cause(dedup_key)
    if severity in OUTSIDE_CHANNEL_SEVERITIES and alert.due_at <= timezone.now():
        # Urgent alerts are nudged to a worker within seconds of the commit; if the broker is down the
        # beat sweep delivers them from the row. robust: a broker error never fails the request.
        transaction.on_commit(lambda: _nudge(alert.pk), robust=True)
    return alert


def _nudge(alert_id: int) -> None:
    from .tasks import alert_deliver_task

    alert_deliver_task.apply_async(args=[alert_id], retry=False, expires=300)


def alert_resolve(*, dedup_key: str) -> int:
    """The cause is cleared (report submitted, referral accepted…): the alert resolves and stops climbing."""
    return alerts_resolve(dedup_keys=[dedup_key])


_UNRESOLVED = (AlertStatus.PENDING, AlertStatus.DELIVERED, AlertStatus.ACKNOWLEDGED)


def _resolve(where: str, params: list) -> int:
    """Resolve the unresolved alerts ``where`` selects (SQL written in this module, values as
    parameters), in one prepared statement: the ORM compiled the ``update`` on every referral step and
    visit that clears a cause (issue #9). How many resolved."""
    now = timezone.now()
    table = connection.ops.quote_name(Alert._meta.db_table)
    sql = (
        f"UPDATE {table} SET status = %s, resolved_at = %s, next_escalation_at = NULL, updated_at = %s "  # noqa: S608
        f"WHERE status = ANY(%s) AND {where}"
    )
    with prepared_cursor() as cursor:
        cursor.execute(sql, [AlertStatus.RESOLVED.value, now, now, [s.value for s in _UNRESOLVED], *params])
        return cursor.rowcount


def alerts_resolve(*, dedup_keys: list[str]) -> int:
    """``alert_resolve`` for several causes in one statement (a visit closing a follow-up window clears
    its four alert causes at once); how many alerts resolved."""
    if not dedup_keys:
        return 0
    return _resolve("dedup_key = ANY(%s)", [list(dedup_keys)])


def alerts_resolve_of_pregnancy(*, kind: str, pregnancy_id: int) -> int:
    """``alerts_resolve_where(kind=kind, condition=Q(pregnancy_id=pregnancy_id))`` in a prepared statement
    (every referral request and transfer clears her "needs referral" alerts)."""
    return _resolve("kind = %s AND pregnancy_id = %s", [str(kind), pregnancy_id])


# --- delivery ------------------------------------------------------------------------------------------


def delivery_lease() -> dt.timedelta:
    """How long a claim keeps other workers off a row (an alert, or an e-mail / SMS attempt); a worker
    that dies holding it delays the row this long (``ALERT_DELIVERY_LEASE_SECONDS``), never loses it."""
    return dt.timedelta(seconds=settings.ALERT_DELIVERY_LEASE_SECONDS)


def _unclaimed(now: dt.datetime) -> Q:
    return Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)


def _lease_from(now: dt.datetime) -> dt.datetime:
    """The end of a lease taken now. Leases run on the clock even when a sweep is given an earlier
    ``now`` (its start): a long sweep must not hand out leases that have already run out. Whether a
    lease has run out is judged at the sweep's ``now``, which is never later than the clock."""
    return max(now, timezone.now()) + delivery_lease()


def _claim(alert_id: int, statuses, now: dt.datetime) -> bool:
    return bool(
        Alert.objects.filter(pk=alert_id, status__in=list(statuses))
        .filter(_unclaimed(now))
        .update(claimed_until=_lease_from(now))
    )


def _message(alert: Alert) -> tuple[str, str]:
    with override(settings.LANGUAGE_CODE):
        subject = _("[Maternal Safety] %(kind)s") % {"kind": AlertKind(alert.kind).label}
        body = _("%(kind)s. Open the inbox in Maternal Safety for details (alert %(ref)s).") % {
            "kind": AlertKind(alert.kind).label,
            "ref": str(alert.external_id)[:8],
        }
    return subject, body


def _reach(alert: Alert, users, level: int, *, lease_until: dt.datetime) -> list[InboxItem]:
    """Inbox items for ``users`` and, for urgent alerts, their e-mail / SMS attempts, created already
    claimed until ``lease_until`` by the caller, who sends them after its commit (``_send_claimed``).
    Rows that exist (a recipient reached before) are left as they are."""
    items = InboxItem.objects.bulk_create(
        [InboxItem(alert=alert, user=user, level=level) for user in users], ignore_conflicts=True
    )
    if alert.severity in OUTSIDE_CHANNEL_SEVERITIES:
        attempts = [
            DeliveryAttempt(alert=alert, user=user, channel=channel, claimed_until=lease_until)
            for user in users
            for channel, address in (("email", user.email), ("sms", user.phone))
            if address
        ]
        if attempts:
            DeliveryAttempt.objects.bulk_create(attempts, ignore_conflicts=True)
    return items


def alert_deliver(alert_id: int, *, now: dt.datetime | None = None) -> bool:
    """Deliver one due alert (idempotent). Returns False when another worker has it or it is not due.
    ``now`` (default: the clock) stamps the delivery and starts the escalation window."""
    now = now or timezone.now()
    if not _claim(alert_id, [AlertStatus.PENDING], now):
        return False
    with transaction.atomic():
        alert = (
            Alert.objects.select_for_update(of=("self",))
            .select_related(
                "pregnancy__managing_facility",
                "pregnancy__responsible_clinician",
                "facility",
                "target_user",
                "region",
            )
            .get(pk=alert_id)
        )
        if alert.status != AlertStatus.PENDING:  # acknowledged or resolved since the claim
            Alert.objects.filter(pk=alert_id).update(claimed_until=None)
            return False
        lease_until = _lease_from(now)
        _reach(alert, base_recipients(alert), 0, lease_until=lease_until)
        window = escalation_window(alert.severity)
        alert.status, alert.delivered_at, alert.claimed_until = AlertStatus.DELIVERED, now, None
        alert.next_escalation_at = now + window if window else None
        alert.save(
            update_fields=["status", "delivered_at", "claimed_until", "next_escalation_at", "updated_at"]
        )
    _send_claimed(alert_id, lease_until, now)
    return True


# --- outside channels (e-mail, SMS) ------------------------------------------------------------------------
#
# Every send happens inside a lease on its DeliveryAttempt row (``claimed_until``), taken by a conditional
# UPDATE: the worker that creates attempts holds them from their creation (same transaction as the inbox
# items), and the sweep claims a failed attempt that is due, or one whose lease ran out (its worker died
# after the delivery commit, before or while sending), before sending it. Two sweeps never send the same
# attempt at once, and no attempt stays pending for ever.
#
# This is at-least-once, not exactly-once: a worker that dies after the gateway or the mail server
# accepted a message but before the result is committed, or a send that outlasts the lease
# (ALERT_DELIVERY_LEASE_SECONDS; the SMS gateway and EMAIL_TIMEOUT must give up well before it), leaves
# the attempt to be sent again once the lease runs out. Only an idempotency key honoured by the gateway
# could close that window.


def _due_attempts(now: dt.datetime) -> Q:
    """Attempts someone may claim at ``now``: never claimed or lease run out, and either pending or
    failed with their backoff over."""
    due_retry = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    return (
        Q(status__in=["pending", "failed"])
        & _unclaimed(now)
        & (Q(status="pending") | (Q(status="failed") & due_retry))
    )


def _send_one(attempt: DeliveryAttempt, lease_until: dt.datetime, now: dt.datetime) -> bool:
    """Send one claimed attempt and record the result (one UPDATE). A success is recorded whatever
    happened to the lease (the message went out); a failure only while the lease is still ours."""
    subject, body = _message(attempt.alert)
    try:
        if attempt.channel == "email":
            channels.send_email(to=attempt.user.email, subject=subject, body=body)
        else:
            channels.sms_gateway().send(phone=attempt.user.phone, text=body)
    except Exception as exc:  # noqa: BLE001 - one recipient's failure must not hold up the others
        if not isinstance(exc, channels.TransientDeliveryError):
            log.exception("sending %s for alert %s failed", attempt.channel, attempt.alert_id)
        backoff = dt.timedelta(minutes=2 ** min(attempt.attempts + 1, 6))
        DeliveryAttempt.objects.filter(pk=attempt.pk, claimed_until=lease_until).update(
            status="failed",
            attempts=F("attempts") + 1,
            last_error=f"{type(exc).__name__}: {exc}"[:500],
            next_attempt_at=now + backoff,
            claimed_until=None,
            updated_at=now,
        )
        return False
    DeliveryAttempt.objects.filter(pk=attempt.pk).update(
        status="sent",
        attempts=F("attempts") + 1,
        sent_at=now,
        last_error="",
        next_attempt_at=None,
        claimed_until=None,
        updated_at=now,
    )
    return True


def _send_claimed(alert_id: int, lease_until: dt.datetime, now: dt.datetime) -> int:
    """Send the attempts this worker created (claimed until ``lease_until``) for ``alert_id``."""
    mine = DeliveryAttempt.objects.filter(
        alert_id=alert_id, status="pending", claimed_until=lease_until
    ).select_related("user", "alert")
    return sum(_send_one(attempt, lease_until, now) for attempt in mine)


def attempts_retry(*, alert_id: int | None = None, now: dt.datetime | None = None, limit: int = 5000) -> int:
    """Claim and send e-mail / SMS attempts that are due (of one alert, or all): failed ones whose
    backoff is over, and pending ones nobody holds (their worker died). Each is claimed by a conditional
    UPDATE first, so concurrent callers never send the same attempt twice. Returns how many were
    claimed. Queries: one SELECT, then two UPDATEs (claim, result) per attempt."""
    now = now or timezone.now()
    due = DeliveryAttempt.objects.filter(_due_attempts(now))
    if alert_id is not None:
        due = due.filter(alert_id=alert_id)
    claimed = 0
    for attempt in due.select_related("user", "alert").order_by("id")[:limit]:
        lease_until = _claim_attempt(attempt.pk, now)
        if lease_until is None:
            continue  # another sweep or worker took it between the SELECT and here
        claimed += 1
        _send_one(attempt, lease_until, now)
    return claimed


def _claim_attempt(attempt_id: int, now: dt.datetime) -> dt.datetime | None:
    """Take the lease on one attempt if it is still due (conditional UPDATE; of concurrent claims
    exactly one matches the row). Returns the lease's end, which the result UPDATE checks."""
    lease_until = _lease_from(now)
    claimed = (
        DeliveryAttempt.objects.filter(pk=attempt_id)
        .filter(_due_attempts(now))
        .update(claimed_until=lease_until, updated_at=now)
    )
    return lease_until if claimed else None


def send_outside(alert_id: int, *, now: dt.datetime | None = None) -> int:
    """E-mail and SMS of one alert that are due now (see ``attempts_retry``)."""
    return attempts_retry(alert_id=alert_id, now=now)


# --- escalation and the sweep ------------------------------------------------------------------------------


def alert_escalate(alert_id: int, *, now: dt.datetime | None = None) -> bool:
    """Climb one rung if the alert is still unacknowledged and its window has passed (at ``now``)."""
    now = now or timezone.now()
    if not _claim(alert_id, [AlertStatus.DELIVERED], now):
        return False
    with transaction.atomic():
        alert = (
            Alert.objects.select_for_update(of=("self",))
            .select_related("pregnancy", "facility", "region")
            .get(pk=alert_id)
        )
        due = alert.next_escalation_at is not None and alert.next_escalation_at <= now
        if alert.status != AlertStatus.DELIVERED or not due or alert.escalation_level >= MAX_LEVEL:
            Alert.objects.filter(pk=alert_id).update(claimed_until=None)
            return False
        level = alert.escalation_level + 1
        lease_until = _lease_from(now)
        _reach(alert, escalation_recipients(alert, level), level, lease_until=lease_until)
        window = escalation_window(alert.severity)
        alert.escalation_level, alert.claimed_until = level, None
        alert.next_escalation_at = now + window if window and level < MAX_LEVEL else None
        alert.save(update_fields=["escalation_level", "claimed_until", "next_escalation_at", "updated_at"])
    _send_claimed(alert_id, lease_until, now)
    return True


def alerts_sweep(*, now: dt.datetime | None = None, limit: int = 5000) -> dict:
    """What beat runs every minute: deliver due alerts, climb overdue ones, send due e-mail / SMS
    attempts (failed ones after their backoff, and any whose worker died holding them). One ``now``
    for the whole sweep: what it delivers is stamped ``now`` and starts its escalation window then, so
    it does not also climb in the same sweep. The database is the source of truth; a lost broker
    message only delays, never loses, an alert."""
    now = now or timezone.now()
    due_ids = list(
        Alert.objects.filter(status=AlertStatus.PENDING, due_at__lte=now)
        .filter(_unclaimed(now))
        .order_by("due_at")
        .values_list("id", flat=True)[:limit]
    )
    delivered = sum(alert_deliver(alert_id, now=now) for alert_id in due_ids)
    climb_ids = list(
        Alert.objects.filter(status=AlertStatus.DELIVERED, next_escalation_at__lte=now).values_list(
            "id", flat=True
        )[:limit]
    )
    escalated = sum(alert_escalate(alert_id, now=now) for alert_id in climb_ids)
    retried = attempts_retry(now=now, limit=limit)
    return {"delivered": delivered, "escalated": escalated, "retried": retried}


# --- the inbox -----------------------------------------------------------------------------------------


@transaction.atomic
def alert_acknowledge(*, actor, item: InboxItem, note: str = "") -> Alert:
    """Acknowledging stops the climb for everyone the alert reached; they all see who acknowledged."""
    if item.user_id != actor.pk:
        raise NotFound()
    updated = Alert.objects.filter(
        pk=item.alert_id, status__in=[AlertStatus.DELIVERED, AlertStatus.PENDING]
    ).update(
        status=AlertStatus.ACKNOWLEDGED,
        acknowledged_at=timezone.now(),
        acknowledged_by=actor,
        acknowledge_note=(note or "").strip()[:1000],
        next_escalation_at=None,
        updated_at=timezone.now(),
    )
    if not updated:
        raise InvalidTransition(_("This alert has already been acknowledged or resolved."))
    InboxItem.objects.filter(pk=item.pk, read_at__isnull=True).update(read_at=timezone.now())
    alert = Alert.objects.select_related("pregnancy__patient").get(pk=item.alert_id)
    audit_record(
        actor=actor,
        action=AuditAction.TRANSITION,
        obj=alert,
        reason=alert.acknowledge_note,
        patient_ids=[alert.pregnancy.patient.external_id] if alert.pregnancy_id else [],
        changes={"status": "acknowledged", "level": alert.escalation_level},
    )
    return alert


def inbox_mark_read(*, actor, item: InboxItem) -> None:
    InboxItem.objects.filter(pk=item.pk, user=actor, read_at__isnull=True).update(read_at=timezone.now())


# --- re-arming and resolving by condition (rules) --------------------------------------------------------


def alerts_rearm(*, now: dt.datetime | None = None) -> int:
    """An acknowledged alert whose cause is still open (never resolved) comes back after its kind's
    window (``ALERT_REARM_MINUTES``): it is unacknowledged again, unread for everyone it reached, and
    its escalation clock restarts from the rung it had reached. Kinds not configured never re-arm.
    Set-based: two UPDATEs per configured kind and severity, whatever the number of alerts."""
    now = now or timezone.now()
    rearmed = 0
    for kind, minutes in (getattr(settings, "ALERT_REARM_MINUTES", None) or {}).items():
        for severity in Severity.values:
            window = escalation_window(severity)
            with transaction.atomic():
                due = Alert.objects.filter(
                    kind=kind,
                    severity=severity,
                    status=AlertStatus.ACKNOWLEDGED,
                    resolved_at__isnull=True,
                    acknowledged_at__lte=now - dt.timedelta(minutes=minutes),
                )
                ids = list(due.select_for_update(skip_locked=True).values_list("id", flat=True))
                if not ids:
                    continue
                Alert.objects.filter(pk__in=ids).update(
                    status=AlertStatus.DELIVERED, next_escalation_at=None, updated_at=now
                )
                if window:  # the top rung has nobody left to climb to
                    Alert.objects.filter(pk__in=ids, escalation_level__lt=MAX_LEVEL).update(
                        next_escalation_at=now + window
                    )
                InboxItem.objects.filter(alert_id__in=ids).update(read_at=None)
            rearmed += len(ids)
    return rearmed


def alerts_resolve_where(*, kind: str, condition: Q, now: dt.datetime | None = None) -> int:
    """Resolve every unresolved alert of ``kind`` matching ``condition`` (one UPDATE): what
    ``alert_resolve`` does for one cause, for a rule that checks many causes at once."""
    now = now or timezone.now()
    return (
        Alert.objects.filter(
            kind=kind, status__in=[AlertStatus.PENDING, AlertStatus.DELIVERED, AlertStatus.ACKNOWLEDGED]
        )
        .filter(condition)
        .update(status=AlertStatus.RESOLVED, resolved_at=now, next_escalation_at=None, updated_at=now)
    )
