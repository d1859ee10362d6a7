"""Raising, delivering, escalating, acknowledging and resolving alerts.

An alert is a row written in its cause's transaction (``alert_raise``): a rolled-back cause leaves no
alert; the same cause (``dedup_key``) twice leaves one. Delivery claims the row with a conditional
UPDATE (a lease), so two workers never deliver it twice, and creates one inbox item per recipient
(unique): shown exactly once even if a worker dies half-way and the task runs again.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from audit.choices import AuditAction
from audit.services import audit_record
from core.errors import InvalidTransition, NotFound

from . import channels
from .choices import AlertKind, AlertStatus, Severity
from .models import Alert, DeliveryAttempt, InboxItem
from .recipients import MAX_LEVEL, base_recipients, escalation_recipients

log = logging.getLogger(__name__)
LEASE = dt.timedelta(seconds=120)
OUTSIDE_CHANNEL_SEVERITIES = (Severity.URGENT, Severity.CRITICAL)


def escalation_window(severity: str) -> dt.timedelta | None:
    minutes = settings.ALERT_ESCALATION_MINUTES.get(severity)
    return dt.timedelta(minutes=minutes) if minutes else None


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
    existing = Alert.objects.filter(dedup_key=dedup_key).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
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
    except IntegrityError:
        return Alert.objects.get(dedup_key=dedup_key)
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
    return Alert.objects.filter(
        dedup_key=dedup_key, status__in=[AlertStatus.PENDING, AlertStatus.DELIVERED, AlertStatus.ACKNOWLEDGED]
    ).update(
        status=AlertStatus.RESOLVED,
        resolved_at=timezone.now(),
        next_escalation_at=None,
        updated_at=timezone.now(),
    )


# --- delivery ------------------------------------------------------------------------------------------


def _claim(alert_id: int, statuses) -> bool:
    now = timezone.now()
    return bool(
        Alert.objects.filter(pk=alert_id, status__in=list(statuses))
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=now + LEASE)
    )


def _message(alert: Alert) -> tuple[str, str]:
    with override(settings.LANGUAGE_CODE):
        subject = _("[Maternal Safety] %(kind)s") % {"kind": AlertKind(alert.kind).label}
        body = _("%(kind)s. Open the inbox in Maternal Safety for details (alert %(ref)s).") % {
            "kind": AlertKind(alert.kind).label,
            "ref": str(alert.external_id)[:8],
        }
    return subject, body


def _reach(alert: Alert, users, level: int) -> list[InboxItem]:
    items = InboxItem.objects.bulk_create(
        [InboxItem(alert=alert, user=user, level=level) for user in users], ignore_conflicts=True
    )
    if alert.severity in OUTSIDE_CHANNEL_SEVERITIES:
        for user in users:
            if user.email:
                DeliveryAttempt.objects.get_or_create(alert=alert, user=user, channel="email")
            if user.phone:
                DeliveryAttempt.objects.get_or_create(alert=alert, user=user, channel="sms")
    return items


def alert_deliver(alert_id: int) -> bool:
    """Deliver one due alert (idempotent). Returns False when another worker has it or it is not due."""
    if not _claim(alert_id, [AlertStatus.PENDING]):
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
        if alert.status != AlertStatus.PENDING:
            return False
        _reach(alert, base_recipients(alert), 0)
        window = escalation_window(alert.severity)
        now = timezone.now()
        alert.status, alert.delivered_at, alert.claimed_until = AlertStatus.DELIVERED, now, None
        alert.next_escalation_at = now + window if window else None
        alert.save(
            update_fields=["status", "delivered_at", "claimed_until", "next_escalation_at", "updated_at"]
        )
    send_outside(alert_id)
    return True


def send_outside(alert_id: int) -> None:
    """E-mail and SMS for urgent and critical alerts; failures are retried with backoff by the sweep."""
    now = timezone.now()
    due = (
        DeliveryAttempt.objects.filter(alert_id=alert_id, status__in=["pending", "failed"])
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .select_related("user", "alert")
    )
    for attempt in due:
        subject, body = _message(attempt.alert)
        try:
            if attempt.channel == "email":
                channels.send_email(to=attempt.user.email, subject=subject, body=body)
            else:
                channels.sms_gateway().send(phone=attempt.user.phone, text=body)
        except channels.TransientDeliveryError as exc:
            attempt.attempts += 1
            attempt.status, attempt.last_error = "failed", str(exc)[:500]
            attempt.next_attempt_at = now + dt.timedelta(minutes=2 ** min(attempt.attempts, 6))
        else:
            attempt.attempts += 1
            attempt.status, attempt.sent_at, attempt.last_error = "sent", now, ""
        attempt.save(
            update_fields=["attempts", "status", "last_error", "sent_at", "next_attempt_at", "updated_at"]
        )


def alert_escalate(alert_id: int, *, now: dt.datetime | None = None) -> bool:
    """Climb one rung if the alert is still unacknowledged and its window has passed (at ``now``)."""
    if not _claim(alert_id, [AlertStatus.DELIVERED]):
        return False
    with transaction.atomic():
        alert = (
            Alert.objects.select_for_update(of=("self",))
            .select_related("pregnancy", "facility", "region")
            .get(pk=alert_id)
        )
        now = now or timezone.now()
        due = alert.next_escalation_at is not None and alert.next_escalation_at <= now
        if alert.status != AlertStatus.DELIVERED or not due or alert.escalation_level >= MAX_LEVEL:
            Alert.objects.filter(pk=alert_id).update(claimed_until=None)
            return False
        level = alert.escalation_level + 1
        _reach(alert, escalation_recipients(alert, level), level)
        window = escalation_window(alert.severity)
        alert.escalation_level, alert.claimed_until = level, None
        alert.next_escalation_at = now + window if window and level < MAX_LEVEL else None
        alert.save(update_fields=["escalation_level", "claimed_until", "next_escalation_at", "updated_at"])
    send_outside(alert_id)
    return True


def alerts_sweep(*, now: dt.datetime | None = None, limit: int = 5000) -> dict:
    """What beat runs every minute: deliver due alerts, climb overdue ones, retry outside channels.
    The database is the source of truth; a lost broker message only delays, never loses, an alert."""
    now = now or timezone.now()
    due_ids = list(
        Alert.objects.filter(status=AlertStatus.PENDING, due_at__lte=now)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .order_by("due_at")
        .values_list("id", flat=True)[:limit]
    )
    delivered = sum(alert_deliver(alert_id) for alert_id in due_ids)
    climb_ids = list(
        Alert.objects.filter(status=AlertStatus.DELIVERED, next_escalation_at__lte=now).values_list(
            "id", flat=True
        )[:limit]
    )
    escalated = sum(alert_escalate(alert_id, now=now) for alert_id in climb_ids)
    retry_ids = set(
        DeliveryAttempt.objects.filter(status="failed", next_attempt_at__lte=now).values_list(
            "alert_id", flat=True
        )[:limit]
    )
    for alert_id in retry_ids:
        send_outside(alert_id)
    return {"delivered": delivered, "escalated": escalated, "retried": len(retry_ids)}


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
