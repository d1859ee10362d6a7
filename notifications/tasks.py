"""Thin tasks: ids in, one service call, idempotent."""

from celery import shared_task

from .services import alert_deliver, alerts_sweep


@shared_task(name="notifications.tasks.alert_deliver_task", ignore_result=True)
def alert_deliver_task(alert_id: int) -> bool:
    return alert_deliver(alert_id)


@shared_task(name="notifications.tasks.alerts_sweep_task", ignore_result=True)
def alerts_sweep_task() -> dict:
    return alerts_sweep()
