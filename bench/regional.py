"""``make bench``: the application at regional scale under load, as in production, against issue #9's targets.

    .venv/bin/python bench/regional.py [--scale 1000000] [--duration 20] [--warmup 5]
        [--only worklist_api,case_page,…] [--skip-seed] [--skip-micro] [--micro grading,followup,reminders]
        [--seed-args "…"] [--clinician obstetrician] [--supervisor sup.guangxi] [--coordinator coordinator]

1. Database: ``BENCH_DATABASE_URL`` (default ``postgres://postgres@127.0.0.1:5432/ms_bench``), created
   if missing and migrated; seeded with ``manage.py seed_demo --pregnancies SCALE`` unless it already
   holds that many pregnancies (or ``--skip-seed``). ``--seed-args`` are passed on to the seeder.
2. Server: gunicorn with 2 sync workers and a Celery worker under ``maternal_safety.settings.bench``
   (production's settings: DEBUG off, persistent connections, audit on; plus the minimal comparison
   views), a private Redis (cache, sessions' cache, broker) on a unix socket.
3. Load: wrk, 8 connections, authenticated (API token / session cookie), per endpoint a warm-up then
   ``--duration`` seconds (referral transitions: each request moves a different referral prepared for
   the run, ``bench/load/referrals.py``, after the other endpoints were measured; what the run left open
   is closed after it); then a mixed load weighted like a clinical day.
   Per endpoint: req/s,
   p50/p95/p99, errors, queries per request (counted in process), wrk's CPU share; for the worklist
   API, the case page and the dashboard summary also the minimal view running the same SQL and the
   plain SQL time.
4. Micro-benchmarks (``--skip-micro`` to skip): grading engine, follow-up sweep over the bench
   database, reminders delivered per second.
5. Results: ``bench/results/<timestamp>.json`` and ``.md`` and ``bench/results/latest.md``.

Every process started here (gunicorn, Celery, redis-server, wrk) is stopped on exit, Ctrl-C or error.
Exit status: 0 when every run completed (targets met or not: see the table), 1 when a run failed.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import log, report, scenarios, targets, wrkrun  # noqa: E402
from bench.load.micro import MICRO, run_micro  # noqa: E402
from bench.load.scenarios import ENDPOINTS, MINIMAL_FOR, MIXED_WEIGHTS  # noqa: E402
from bench.load.server import Server  # noqa: E402
from tests.notifications.processes import PrivateRedis, _die_with_parent  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/ms_bench"
SETTINGS = "maternal_safety.settings.bench"
VENV_BIN = Path(sys.executable).parent


class Stop(Exception):
    """SIGTERM / SIGHUP: unwind like Ctrl-C so that every process is stopped."""


def _on_signal(signum, frame):  # noqa: ARG001
    raise Stop(f"signal {signum}")


# --- prerequisites --------------------------------------------------------------------------------
def ensure_wrk() -> str:
    if shutil.which("wrk"):
        return shutil.which("wrk")
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log("wrk missing: installing it with apt-get")
        env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, env=env)  # noqa: S607
        if not shutil.which("wrk"):
            subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)  # noqa: S607
            subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, env=env)  # noqa: S607
    if not shutil.which("wrk"):
        raise SystemExit("error: make bench needs wrk (https://github.com/wg/wrk): apt-get install -y wrk")
    return shutil.which("wrk")


def ensure_database(url: str) -> bool:
    """Create the database of ``url`` if missing; True when it was created."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return True


def count_pregnancies(url: str) -> int:
    import psycopg

    with psycopg.connect(url, connect_timeout=10) as conn:
        exists = conn.execute("SELECT to_regclass('cases_pregnancy') IS NOT NULL").fetchone()[0]
        return conn.execute("SELECT count(*) FROM cases_pregnancy").fetchone()[0] if exists else 0


def settle_database(url: str, *, skip: bool) -> str:
    """VACUUM (ANALYZE) the bench database when its pregnancies have never been vacuumed, or whenever the
    server's autovacuum is off: a freshly bulk-loaded table has no visibility map (no index-only scans),
    and the dead row versions earlier runs left (visits written, counters incremented) are never
    reclaimed without autovacuum — a production database with autovacuum does not look like either."""
    import psycopg

    with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
        row = conn.execute(
            "SELECT last_vacuum IS NULL AND last_autovacuum IS NULL FROM pg_stat_user_tables "
            "WHERE relname = 'cases_pregnancy'"
        ).fetchone()
        autovacuum = conn.execute("SHOW autovacuum").fetchone()[0]
        never = bool(row and row[0])
        if skip or not row or not (never or autovacuum == "off"):
            return f"not vacuumed here (autovacuum {autovacuum}{', --no-vacuum' if skip else ''})"
        log(f"VACUUM (ANALYZE) of the bench database (never vacuumed: {never}; autovacuum {autovacuum})…")
        started = time.monotonic()
        conn.execute("VACUUM (ANALYZE)")
        return (
            f"VACUUM (ANALYZE) before the run, {time.monotonic() - started:.0f} s (autovacuum {autovacuum})"
        )


def manage(env: dict, *args: str) -> None:
    subprocess.run(  # noqa: S603 - this interpreter, our manage.py
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,  # noqa: S603
        stdin=subprocess.DEVNULL,
    )


def measure(server: Server, load: scenarios.Load, args, name: str) -> dict:
    server.check_alive()
    probe = load.probe
    status, body = wrkrun.probe(server.base_url, probe)
    if status != probe.expected_status:
        raise RuntimeError(
            f"{probe.method} {probe.path} answered {status}, expected {probe.expected_status}: "
            f"{body.decode(errors='replace')}"
        )
    if args.warmup > 0 and load.warmup:
        wrkrun.run_wrk(
            server.base_url,
            load.warmup,
            seconds=args.warmup,
            connections=args.connections,
            threads=args.threads,
            preexec_fn=_die_with_parent,
        )
    result = wrkrun.run_wrk(
        server.base_url,
        load.run,
        seconds=args.duration,
        connections=args.connections,
        threads=args.threads,
        server_pids=server.worker_pids(),
        preexec_fn=_die_with_parent,
    )
    if load.single_use:
        result["rotation"] = len(load.run)
        if result["requests"] > len(load.run):
            result["note"] = (
                f"sent {result['requests']:,} requests, {len(load.run):,} prepared: single-use requests "
                "came round again (409s among the errors)"
            )
    log(
        f"{name:<20} {result['rps']:>8,.0f} req/s  p50 {result['p50_ms']:6.1f}  p95 {result['p95_ms']:6.1f}  "
        f"p99 {result['p99_ms']:6.1f} ms  errors {result['error_count']}  "
        f"wrk CPU {result['cpu']['wrk_pct_of_busy']}% of busy"
    )
    return result


def _drain(server: Server, notes: list[str], when: str) -> None:
    """Let the Celery worker run what preparing queued (the prepared referrals' alert deliveries) before
    a measurement, so that no backlog competes with it; noted when there was any."""
    waiting, seconds = server.drain()
    if waiting:
        log(f"the Celery worker took {seconds:.0f} s for the {waiting:,} tasks preparing had queued")
        notes.append(
            f"{waiting:,} Celery tasks queued while preparing (alert deliveries of the prepared "
            f"referrals) were run {when} ({seconds:.0f} s)"
        )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__,
    )
    parser.add_argument(
        "--scale", type=int, default=1_000_000, help="pregnancies to seed (default 1,000,000)"
    )
    parser.add_argument(
        "--duration", type=float, default=20, help="seconds of load per endpoint (default 20)"
    )
    parser.add_argument(
        "--warmup", type=float, default=5, help="seconds of warm-up load per endpoint (default 5)"
    )
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument(
        "--only", default="", help=f"comma-separated endpoints of: {', '.join([*ENDPOINTS, 'mixed'])}"
    )
    parser.add_argument(
        "--skip-seed", action="store_true", help="use the database as it is (no migrate, no seed)"
    )
    parser.add_argument(
        "--no-vacuum", action="store_true", help="do not VACUUM (ANALYZE) the database before the run"
    )
    parser.add_argument("--seed-args", default="", help='extra options for seed_demo, e.g. "--no-stories"')
    parser.add_argument("--skip-micro", action="store_true", help="skip the micro-benchmarks")
    parser.add_argument(
        "--micro", default=",".join(MICRO), help=f"which micro-benchmarks (default {','.join(MICRO)})"
    )
    parser.add_argument(
        "--clinician", default="obstetrician", help="the clinician whose worklist and cases are read"
    )
    parser.add_argument(
        "--supervisor", default="sup.guangxi", help="the regional supervisor of the dashboard"
    )
    parser.add_argument(
        "--coordinator", default="coordinator", help="the MDT coordinator of the consult board"
    )
    parser.add_argument("--results", default=str(report.RESULTS), help="folder for the results files")
    args = parser.parse_args(argv)
    known = [*ENDPOINTS, "mixed"]
    args.endpoints = [e.strip() for e in args.only.split(",") if e.strip()] or known
    unknown = sorted(set(args.endpoints) - set(known))
    if unknown:
        parser.error(f"unknown endpoint(s) {', '.join(unknown)}; known: {', '.join(known)}")
    args.micro_list = [] if args.skip_micro else [m.strip() for m in args.micro.split(",") if m.strip()]
    if set(args.micro_list) - set(MICRO):
        parser.error(f"--micro takes {', '.join(MICRO)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _on_signal)
    # Ctrl-C raises KeyboardInterrupt even when started in the background (where SIGINT is inherited ignored)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    ensure_wrk()
    db_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB)
    started_at = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    # the load average before anything of ours runs; PostgreSQL once the database exists (after the seed)
    machine = report.machine()
    log(f"machine: {machine['cpu']}, {machine['cores']} cores, load {machine['load_average']}")
    folder = Path(tempfile.mkdtemp(prefix="msbench-"))
    redis = PrivateRedis(folder)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "PYTEST_"))} | {
        "DJANGO_SETTINGS_MODULE": SETTINGS,
        "SECRET_KEY": secrets.token_urlsafe(40),
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "DATABASE_URL": db_url,
        "CONN_MAX_AGE": "60",
        "REDIS_URL": redis.cache_url,
        "CACHE_URL": redis.cache_url,
        "CELERY_BROKER_URL": redis.broker_url,
        "CELERY_RESULT_BACKEND": redis.broker_url,
        "BENCH_REPLAY_FILE": str(folder / "replay.json"),
        "BENCH_STATIC_ROOT": str(folder / "static"),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    server = Server(env, folder, redis)
    results: dict = {"started_at": started_at, "machine": machine, "endpoints": {}, "micro": {}, "notes": []}
    failed = False
    try:
        redis.start()  # before the seeder: its demo stories publish on-commit alert nudges
        seed_note = prepare_database(db_url, args, env)
        machine |= report.postgres(db_url)
        pregnancies = count_pregnancies(db_url)
        if pregnancies == 0:
            raise SystemExit(f"error: {db_url} holds no pregnancies (seed it, or drop --skip-seed)")
        vacuum_note = settle_database(db_url, skip=args.no_vacuum)
        log(
            f"database {urlsplit(db_url).path.lstrip('/')}: {pregnancies:,} pregnancies; "
            "collecting static files…"
        )
        manage(env, "collectstatic", "--noinput", "-v", "0")
        os.environ.update(env)
        import django

        django.setup()
        plan = scenarios.prepare(args, db_url, folder / "replay.json", log=log)
        results["run"] = {
            "database": urlsplit(db_url).path.lstrip("/"),
            "pregnancies": pregnancies,
            "seed": seed_note,
            "vacuum": vacuum_note,
            "settings": SETTINGS,
            "gunicorn_workers": 2,
            "conn_max_age": 60,
            "connections": args.connections,
            "threads": args.threads,
            "duration": args.duration,
            "warmup": args.warmup,
            "users": plan.users,
        }
        results["notes"] += plan.notes
        log(f"starting gunicorn (2 workers) and a Celery worker on {server.base_url}…")
        server.start()
        _drain(server, results["notes"], "before the first measurement")
        for name in args.endpoints:
            try:
                if scenarios.transitions_due(plan, name):
                    if plan.transitions_for is not None:  # the run alone's unused ones go first
                        closed = scenarios.close_transitions(plan, log)
                        if closed:
                            results["notes"].append(
                                f"referrals the transitions alone left open, closed before {name}: {closed}"
                            )
                    scenarios.prepare_transitions(plan, args, log, name)
                    results["notes"] += [n for n in plan.notes if n not in results["notes"]]
                    _drain(server, results["notes"], f"before {name} was measured")
                if name == "mixed":
                    load = scenarios.load_for(plan, "mixed", args)
                    results["endpoints"]["mixed"] = measure(server, load, args, "mixed") | {
                        "weights": scenarios.mixed_weights(plan)
                    }
                    if results["endpoints"]["mixed"].get("note"):
                        results["notes"].append(f"mixed: {results['endpoints']['mixed']['note']}")
                    left_out = sorted(set(MIXED_WEIGHTS) - set(plan.requests))
                    if left_out:
                        results["notes"].append(
                            f"the mixed load left out {', '.join(left_out)} (could not be prepared)"
                        )
                    continue
                if name not in plan.requests:
                    results["endpoints"][name] = {"failed": plan.skipped.get(name, "no requests prepared")}
                    failed = True
                    continue
                result = measure(server, scenarios.load_for(plan, name, args), args, name)
                result["queries"] = plan.queries.get(name)
                if name in MINIMAL_FOR:
                    minimal = plan.minimal_requests[name]
                    result["minimal"] = measure(
                        server, scenarios.Load(minimal[0], minimal, minimal), args, f"{name} (minimal)"
                    )
                    result["plain_sql"] = plan.plain_sql.get(name)
                results["endpoints"][name] = result
                if result.get("note"):
                    results["notes"].append(f"{name}: {result['note']}")
            except (RuntimeError, ValueError) as exc:
                log(f"{name} failed: {exc}")
                results["endpoints"][name] = {"failed": str(exc)}
                failed = True
        server.stop()
        closed = scenarios.close_transitions(plan, log)
        if closed:
            results["notes"].append(f"referrals the run left open, closed after it: {closed}")
        if args.micro_list:
            results["micro"] = run_micro(args.micro_list, env, db_url, folder)
            failed = failed or any(v.get("failed") for v in results["micro"].values())
    except KeyboardInterrupt:
        log("interrupted: stopping everything")
        failed = True
        results["notes"].append("interrupted (Ctrl-C): partial results")
    except Stop as exc:
        log(f"stopped by {exc}: stopping everything")
        failed = True
        results["notes"].append(f"stopped by {exc}: partial results")
    finally:
        server.stop()
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        redis.cleanup()
    results["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    if "run" not in results:
        return 1
    results["checks"] = targets.check_all(results["endpoints"])
    json_path, md_path = report.write_results(results, Path(args.results))
    print()
    print(report.render_markdown(results))
    log(
        f"results: {json_path.relative_to(ROOT) if json_path.is_relative_to(ROOT) else json_path}, "
        f"{md_path.name}, latest.md"
    )
    return 1 if failed else 0


def prepare_database(db_url: str, args, env: dict) -> str:
    """Create, migrate and seed the bench database as needed; a note of what was done."""
    if args.skip_seed:
        return "used as found (--skip-seed)"
    created = ensure_database(db_url)
    log(f"database {urlsplit(db_url).path.lstrip('/')}: {'created, ' if created else ''}migrating…")
    manage(env, "migrate", "--noinput", "-v", "0")
    have = count_pregnancies(db_url)
    if have >= args.scale:
        return f"seed reused ({have:,} ≥ --scale {args.scale:,})"
    log(f"seeding {args.scale:,} pregnancies (have {have:,}) with seed_demo…")
    started = time.monotonic()
    manage(env, "seed_demo", "--pregnancies", str(args.scale), "--no-progress", *shlex.split(args.seed_args))
    seconds = time.monotonic() - started
    return f"seeded with seed_demo --pregnancies {args.scale:,} {args.seed_args} in {seconds:.0f} s"


if __name__ == "__main__":
    raise SystemExit(main())
