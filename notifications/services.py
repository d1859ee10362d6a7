"""Raising and resolving alerts. Called inside the caller's transaction: a rolled-back cause leaves
no alert, and the same cause (``dedup_key``) raised twice leaves one."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from .choices import AlertStatus
from .models import Alert


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
            return Alert.objects.create(
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


def alert_resolve(*, dedup_key: str) -> int:
    """The cause is cleared (report submitted, grade confirmed…): a pending or delivered alert resolves."""
    return Alert.objects.filter(
        dedup_key=dedup_key, status__in=[AlertStatus.PENDING, AlertStatus.DELIVERED, AlertStatus.ACKNOWLEDGED]
    ).update(status=AlertStatus.RESOLVED, resolved_at=timezone.now(), updated_at=timezone.now())
