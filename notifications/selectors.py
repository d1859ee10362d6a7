"""Reads for the inbox, the bell and the operations page. Every list is scoped to the actor here.

- The inbox is the actor's own items only (an alert reaches her through an ``InboxItem``).
- What an item is *about* is shown only as far as the actor may see it: a woman's name only when she may
  read the pregnancy (``cases.access``), a link to a referral or consultation only when she may open it.
- The operations page counts alerts of the administrator's facility (its own alerts, or, for alerts
  without a facility, those of women it manages); system administrators count everything.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.core.cache import cache
from django.db.models import Count, Min, Prefetch, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.choices import Role
from accounts.permissions import Action, has_action
from core.prepared import prepared_cursor

from .choices import AlertStatus, Severity
from .models import Alert, DeliveryAttempt, InboxItem

log = logging.getLogger(__name__)

LOUD_SEVERITIES = (Severity.URGENT, Severity.CRITICAL)
AWAITING = (AlertStatus.PENDING, AlertStatus.DELIVERED)  # acknowledging is still possible
CHANNELS = ("inapp", "email", "sms")
_LOUD_VALUES = [severity.value for severity in LOUD_SEVERITIES]
_AWAITING_VALUES = [status.value for status in AWAITING]
WORKER_PING_SECONDS = 1.0


# --- the inbox and the bell -----------------------------------------------------------------------------


def inbox_item_list(
    *,
    actor,
    statuses: list[str] | None = None,
    kinds: list[str] | None = None,
    severities: list[str] | None = None,
    unread: bool = False,
) -> QuerySet[InboxItem]:
    """The actor's items, newest first, with the alert, the woman, the acknowledger and every recipient
    of the alert (one prefetch query) loaded."""
    recipients = InboxItem.objects.select_related("user").order_by("level", "created_at", "id")
    qs = (
        InboxItem.objects.filter(user=actor)
        .select_related(
            "alert__pregnancy__patient",
            "alert__pregnancy__managing_facility",
            "alert__facility",
            "alert__acknowledged_by",
        )
        .prefetch_related(Prefetch("alert__items", queryset=recipients, to_attr="recipients"))
        .order_by("-created_at", "-id")
    )
    if statuses:
        qs = qs.filter(alert__status__in=statuses)
    if kinds:
        qs = qs.filter(alert__kind__in=kinds)
    if severities:
        qs = qs.filter(alert__severity__in=severities)
    if unread:
        qs = qs.filter(read_at__isnull=True)
    return qs


def inbox_item_get(*, actor, item_id) -> InboxItem | None:
    """One of the actor's own items (None for anyone else's: the caller answers 404)."""
    return inbox_item_list(actor=actor).filter(external_id=item_id).first()


_UNREAD_SUMMARY = """
SELECT count(*), count(*) FILTER (WHERE a.severity = ANY(%s) AND a.status = ANY(%s))
  FROM notifications_inboxitem i
  JOIN notifications_alert a ON a.id = i.alert_id
 WHERE i.user_id = %s AND i.read_at IS NULL
"""


def inbox_unread_summary(*, actor) -> dict[str, int]:
    """The bell: unread items and how many of them are urgent or critical, in one prepared statement
    (index ``inbox_user_unread``).

    Every open page asks for it every ``ALERT_BELL_POLL_SECONDS`` while in sight, so it is the request a
    region sends most often: the ORM's aggregate spent longer composing its SQL (about 0.5 ms) than
    PostgreSQL spent answering it."""
    with prepared_cursor() as cursor:
        cursor.execute(_UNREAD_SUMMARY, [_LOUD_VALUES, _AWAITING_VALUES, actor.pk])
        unread, loud = cursor.fetchone()
    return {"unread": unread, "loud": loud}


def alert_subjects(*, actor, items: list[InboxItem]) -> dict[str, set]:
    """Which of the women, referrals and consultations these items are about the actor may open: at most
    one query each, whatever the number of items."""
    from cases.access import pregnancies_visible_to

    pregnancy_ids = {i.alert.pregnancy_id for i in items if i.alert.pregnancy_id}
    referral_ids = {i.alert.payload.get("referral") for i in items if i.alert.payload.get("referral")}
    consult_ids = {i.alert.payload.get("consult") for i in items if i.alert.payload.get("consult")}
    visible: dict[str, set] = {"pregnancies": set(), "referrals": set(), "consults": set()}
    if pregnancy_ids:
        visible["pregnancies"] = set(
            pregnancies_visible_to(actor).filter(pk__in=pregnancy_ids).values_list("pk", flat=True)
        )
    if referral_ids:
        from referrals.access import referrals_visible_to

        visible["referrals"] = {
            str(u)
            for u in referrals_visible_to(actor)
            .filter(external_id__in=referral_ids)
            .values_list("external_id", flat=True)
        }
    if consult_ids:
        from consults.access import consults_visible_to

        visible["consults"] = {
            str(u)
            for u in consults_visible_to(actor)
            .filter(external_id__in=consult_ids)
            .values_list("external_id", flat=True)
        }
    return visible


# --- the operations page --------------------------------------------------------------------------------


def operations_scope(actor) -> Q | None:
    """The alerts an administrator oversees: all for a system administrator, her facility's for a facility
    administrator; None for anyone else (the page answers 404)."""
    if not has_action(actor, Action.VIEW_ALERT_OPERATIONS):
        return None
    if actor.has_role(Role.SYSTEM_ADMIN):
        return Q()
    if actor.facility_id is None:
        return None
    return Q(facility_id=actor.facility_id) | Q(
        facility__isnull=True, pregnancy__managing_facility_id=actor.facility_id
    )


def _prefixed(scope: Q, prefix: str) -> Q:
    """The same scope seen from a model that points at the alert (``alert__``)."""
    if not scope.children:
        return Q()
    out = Q()
    out.connector, out.negated = scope.connector, scope.negated
    for child in scope.children:
        if isinstance(child, Q):
            out.children.append(_prefixed(child, prefix))
        else:
            key, value = child
            out.children.append((prefix + key, value))
    return out


def alert_operations(*, scope: Q, now: dt.datetime | None = None) -> dict:
    """Counts for the operations page. Queries: the alert counts (one aggregate), outside channels by
    channel (one grouped query), in-app items of the last 24 h (one aggregate), the longest-waiting
    pending alerts and the latest failed deliveries (one query each)."""
    now = now or timezone.now()
    since = now - dt.timedelta(hours=24)
    alerts = Alert.objects.filter(scope)
    due = Q(status=AlertStatus.PENDING, due_at__lte=now)
    counts = alerts.aggregate(
        pending=Count("id", filter=due),
        scheduled=Count("id", filter=Q(status=AlertStatus.PENDING, due_at__gt=now)),
        unacknowledged=Count("id", filter=Q(status=AlertStatus.DELIVERED)),
        level1=Count("id", filter=Q(status=AlertStatus.DELIVERED, escalation_level=1)),
        level2=Count("id", filter=Q(status=AlertStatus.DELIVERED, escalation_level=2)),
        level3=Count("id", filter=Q(status=AlertStatus.DELIVERED, escalation_level__gte=3)),
        acknowledged_24h=Count("id", filter=Q(acknowledged_at__gte=since)),
        oldest_due=Min("due_at", filter=due),
    )
    attempt_scope = _prefixed(scope, "alert__")
    outside = {
        row["channel"]: row
        for row in DeliveryAttempt.objects.filter(attempt_scope)
        .values("channel")
        .annotate(
            attempts=Sum("attempts", filter=Q(updated_at__gte=since), default=0),
            sent=Count("id", filter=Q(status="sent", sent_at__gte=since)),
            failed=Count("id", filter=Q(status="failed", updated_at__gte=since)),
            failing=Count("id", filter=Q(status="failed")),
            waiting=Count("id", filter=Q(status="pending")),
        )
        .order_by()
    }
    inapp = InboxItem.objects.filter(attempt_scope, created_at__gte=since).aggregate(
        delivered=Count("id"), unread=Count("id", filter=Q(read_at__isnull=True))
    )
    channels = [
        {
            "channel": "inapp",
            "attempts": inapp["delivered"],
            "sent": inapp["delivered"],
            "failed": 0,
            "failing": 0,
            "waiting": inapp["unread"],
        },
    ]
    for channel in ("email", "sms"):
        row = outside.get(channel, {})
        channels.append(
            {
                "channel": channel,
                **{k: row.get(k, 0) for k in ("attempts", "sent", "failed", "failing", "waiting")},
            }
        )
    oldest = counts.pop("oldest_due")
    return {
        **counts,
        "failing": sum(c["failing"] for c in channels),
        "oldest_pending_minutes": int((now - oldest).total_seconds() // 60) if oldest else None,
        "channels": channels,
        "waiting": list(alerts.filter(due).select_related("facility").order_by("due_at", "id")[:5]),
        "failures": list(
            DeliveryAttempt.objects.filter(attempt_scope, status="failed")
            .select_related("alert", "user")
            .order_by("-updated_at", "-id")[:10]
        ),
    }


def worker_health() -> dict:
    """Ping the Celery workers (short timeout) and read what beat last recorded in the cache: the core
    heartbeat and the alerts sweep. Never raises: an unreachable broker or cache is itself the finding."""
    from core.tasks import HEARTBEAT_CACHE_KEY
    from maternal_safety.celery import app

    from .tasks import SWEEP_CACHE_KEY

    health: dict = {"workers": [], "broker_error": "", "heartbeat": None, "sweep": None, "cache_error": ""}
    try:
        replies = app.control.ping(timeout=WORKER_PING_SECONDS) or []
        health["workers"] = sorted(name for reply in replies for name in reply)
    except Exception as exc:  # noqa: BLE001 - any broker failure is shown, not raised
        log.warning("worker ping failed", exc_info=True)
        health["broker_error"] = type(exc).__name__
    try:
        heartbeat, sweep = cache.get(HEARTBEAT_CACHE_KEY), cache.get(SWEEP_CACHE_KEY)
    except Exception as exc:  # noqa: BLE001
        log.warning("cache unreachable", exc_info=True)
        health["cache_error"] = type(exc).__name__
    else:
        health["heartbeat"] = parse_datetime(heartbeat) if heartbeat else None
        if sweep:
            health["sweep"] = {**sweep, "at": parse_datetime(sweep["at"])}
    return health
