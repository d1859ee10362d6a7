"""Infrastructure tasks that prove the worker path end to end."""

from celery import shared_task
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

HEARTBEAT_CACHE_KEY = "worker:heartbeat"


@shared_task(name="core.tasks.heartbeat_task", ignore_result=True)
def heartbeat_task() -> None:
    """Beat sends this every minute; the operations page shows the last time a worker ran it."""
    cache.set(HEARTBEAT_CACHE_KEY, timezone.now().isoformat(), timeout=3600)


@shared_task(name="core.tasks.health_task")
def health_task(token: str) -> dict:
    """Round trip through broker, worker, database and result backend; echoes ``token``."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        (one,) = cursor.fetchone()
    return {"token": token, "database": one == 1, "at": timezone.now().isoformat()}
