"""The application as in production for ``make bench``: gunicorn (2 sync workers) and a Celery worker.

Both run under ``maternal_safety.settings.bench`` with the environment the harness builds (private Redis,
bench database); each in its own session so that stopping it stops its children too, and each dies
with the harness (``PR_SET_PDEATHSIG``) should the harness itself be killed.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from pathlib import Path

from bench.load import wrkrun
from tests.notifications.processes import PrivateRedis, Worker, _die_with_parent, stop_process_group

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the server -------------------------------------------------------------------------------------
class Server:
    """gunicorn (2 workers) + one Celery worker on a private Redis; ``stop()`` stops all of them."""

    def __init__(self, env: dict, folder: Path, redis: PrivateRedis, workers: int = 2) -> None:
        self.env, self.folder, self.redis, self.workers = env, folder, redis, workers
        self.port = free_port()
        self.gunicorn: subprocess.Popen | None = None
        self.celery: Worker | None = None
        self.log = folder / "gunicorn.log"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        cmd = [
            str(VENV_BIN / "gunicorn"),
            "maternal_safety.wsgi",
            "--workers",
            str(self.workers),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--graceful-timeout",
            "10",
            "--error-logfile",
            str(self.log),
        ]
        help_text = subprocess.run([cmd[0], "--help"], capture_output=True, text=True, check=False).stdout  # noqa: S603
        if "--no-control-socket" in help_text:
            cmd.append("--no-control-socket")
        self.gunicorn = subprocess.Popen(  # noqa: S603
            cmd,
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        self.celery = Worker(
            "bench", env=self.env, folder=self.folder, concurrency=1, loglevel="INFO"
        ).start()
        self.wait_http()
        self.celery.wait_ready()

    def drain(self, timeout: float = 600, queue: str = "celery") -> tuple[int, float]:
        """Wait until the Celery worker has taken every task waiting in the broker (the alert deliveries
        that preparing referrals queued, say), so that no backlog competes with a measured run for the
        two cores; ``(tasks waiting at the start, seconds waited)``. Raises if the queue does not empty."""
        client = self.redis.client()
        waiting = client.llen(queue)
        started = time.monotonic()
        while client.llen(queue):
            if time.monotonic() - started > timeout:
                raise RuntimeError(f"{client.llen(queue)} Celery tasks still waiting after {timeout:.0f} s")
            time.sleep(0.5)
        if waiting:
            time.sleep(2)  # the last ones taken (prefetch 1) finish
        return waiting, time.monotonic() - started

    def wait_http(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.gunicorn.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.gunicorn.returncode}:\n{self.tail()}")
            with contextlib.suppress(OSError):
                healthz = wrkrun.Request("/healthz/", headers={"X-Forwarded-Proto": "https"})
                status, _ = wrkrun.probe(self.base_url, healthz, timeout=3)
                if status == 200 and len(self.worker_pids()) >= self.workers:
                    return
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not answer /healthz/ within {timeout:.0f} s:\n{self.tail()}")

    def worker_pids(self) -> list[int]:
        return wrkrun.children_of(self.gunicorn.pid) if self.gunicorn else []

    def tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-40:]) if self.log.exists() else ""

    def check_alive(self) -> None:
        if self.gunicorn is None or self.gunicorn.poll() is not None:
            raise RuntimeError(f"gunicorn is not running:\n{self.tail()}")

    def stop(self) -> None:
        if self.celery is not None:
            self.celery.stop()
            self.celery = None
        if self.gunicorn is not None:
            stop_process_group(self.gunicorn, grace=15)
            self.gunicorn = None


# --- runs --------------------------------------------------------------------------------------------
