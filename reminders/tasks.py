"""Thin tasks: one service call each, idempotent (rows are the source of truth)."""

from celery import shared_task

from .services import followups_sweep, reminder_messages_send


@shared_task(name="reminders.tasks.followups_sweep_task", ignore_result=True)
def followups_sweep_task() -> dict:
    return followups_sweep()


@shared_task(name="reminders.tasks.reminder_messages_send_task", ignore_result=True)
def reminder_messages_send_task() -> dict:
    return reminder_messages_send()
