"""Thin tasks: ids in, one service call, idempotent."""

import logging

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

from .services import alert_deliver, alerts_sweep

log = logging.getLogger(__name__)
# The operations page shows when beat's sweep last ran (notifications/views.py).
SWEEP_CACHE_KEY = "notifications:last_sweep"


@shared_task(name="notifications.tasks.alert_deliver_task", ignore_result=True)
def alert_deliver_task(alert_id: int) -> bool:
    return alert_deliver(alert_id)


@shared_task(name="notifications.tasks.alerts_sweep_task", ignore_result=True)
def alerts_sweep_task() -> dict:
    result = alerts_sweep()
    try:
        cache.set(SWEEP_CACHE_KEY, {"at": timezone.now().isoformat(), **result}, timeout=24 * 3600)
    except Exception:  # noqa: BLE001 - a cache outage must never fail the sweep that delivered alerts
        log.warning("could not record the sweep time in the cache", exc_info=True)
    return result


@shared_task(name="notifications.tasks.alerts_rearm_task", ignore_result=True)
def alerts_rearm_task() -> int:
    from .services import alerts_rearm

    return alerts_rearm()
