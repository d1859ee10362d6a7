"""Thin tasks: one service call each, idempotent."""

from celery import shared_task

from .services import census_snapshot_take


@shared_task(name="dashboards.tasks.census_snapshot_take_task", ignore_result=True)
def census_snapshot_take_task() -> dict:
    return census_snapshot_take()
