"""The worker path end to end: a task sent through Redis is executed by a real Celery worker process."""

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from core.tasks import health_task

pytestmark = [pytest.mark.django_db, pytest.mark.worker]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def worker_queue():
    """A real worker process listening on a queue of its own (nothing else on the broker consumes it)."""
    queue = f"test-health-{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "maternal_safety.settings.test",
        "DATABASE_URL": (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        ),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "maternal_safety",
            "worker",
            "-Q",
            queue,
            "--pool",
            "prefork",
            "--concurrency",
            "1",
            "--loglevel",
            "WARNING",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    yield queue
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def test_health_task_runs_in_a_real_worker(worker_queue):
    token = uuid.uuid4().hex
    result = health_task.apply_async(args=[token], queue=worker_queue)
    body = result.get(timeout=60)
    assert body["token"] == token
    assert body["database"] is True


def test_celery_is_configured_for_at_least_once_delivery():
    assert settings.CELERY_TASK_ACKS_LATE is True
    assert settings.CELERY_TASK_REJECT_ON_WORKER_LOST is True
    assert settings.CELERY_TASK_SERIALIZER == "json" and settings.CELERY_ACCEPT_CONTENT == ["json"]
    assert settings.CELERY_TASK_TIME_LIMIT > settings.CELERY_TASK_SOFT_TIME_LIMIT > 0
    assert "core-heartbeat" in settings.CELERY_BEAT_SCHEDULE
