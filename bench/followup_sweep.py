"""Benchmark of the follow-up sweep (``reminders.services.followups_sweep``) over N open pregnancies.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ms_bench \
        .venv/bin/python bench/followup_sweep.py [--pregnancies 1000000] [--days 7] [--batch 5000]
        [--database-url URL] [--no-seed] [--json PATH]

Uses its own database (``--database-url``, else ``DATABASE_URL``; created if missing and migrated
here; never the test or demo one you care about). ``make bench`` runs it on its bench database with
``--no-seed`` (the cohort is whatever that database holds). Unless ``--no-seed``, it seeds the demo
region with ``seed_demo --pregnancies N`` if it has fewer, then gives every open pregnancy an open
window in one INSERT … SELECT (dates spread over ±60 days around today so that every state and every
step occurs, like a real region mid-year; the per-woman schedule is unit-tested elsewhere). Then it
runs the sweep as beat would, once per simulated day for ``--days`` days, and prints for each run the
wall time, the rows moved per step, the alerts and texts written and the number of SQL statements.
The first run after the backfill moves the backlog; the later ones are what a normal night costs.
``--rollback`` (what ``make bench`` passes) does all of it in one transaction and rolls it back, so the
bench database's windows are not moved days ahead by every run.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maternal_safety.settings.local")

BACKFILL = """
INSERT INTO reminders_followup (external_id, created_at, updated_at, pregnancy_id, facility_id,
    managing_facility_id, kind, status, color, purple, source, remind_on, due_from, due_by, overdue_on,
    trace_on, lost_on, next_step_on, traced_on, close_reason, close_note)
SELECT gen_random_uuid(), now(), now(), p.id, coalesce(p.follow_up_facility_id, p.managing_facility_id),
       p.managing_facility_id, CASE WHEN p.status = 'active' THEN 'antenatal' ELSE 'postpartum' END,
       'upcoming', coalesce(p.risk_color, ''), p.purple, 'schedule',
       w.due_from - 3, w.due_from, w.due_from + 6, w.due_from + 7, w.due_from + 6 + 14,
       w.due_from + 6 + 42, w.due_from - 3, NULL, '', ''
FROM cases_pregnancy p
CROSS JOIN LATERAL (SELECT %(today)s::date + ((p.id * 7919) %% 121)::int - 60 AS due_from) w
WHERE p.status IN ('active', 'postpartum')
  AND NOT EXISTS (SELECT 1 FROM reminders_followup f WHERE f.pregnancy_id = p.id AND f.status <> 'closed')
"""


def ensure_database(url: str) -> None:
    """Create the database of ``url`` on its server if it does not exist."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(
        urlunsplit(parts._replace(path="/postgres")), autocommit=True, connect_timeout=10
    ) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")


def count(sql: str, params=()) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pregnancies", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=5)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument(
        "--database-url", default=os.environ.get("DATABASE_URL"), help="default: DATABASE_URL"
    )
    parser.add_argument("--no-seed", action="store_true", help="use the pregnancies the database holds")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON to PATH")
    parser.add_argument(
        "--rollback",
        action="store_true",
        help="measure in one transaction and roll it back, leaving the database as found (make bench)",
    )
    args = parser.parse_args()
    if args.database_url:
        ensure_database(args.database_url)
        os.environ["DATABASE_URL"] = args.database_url

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    report = {"pregnancies": count("SELECT count(*) FROM cases_pregnancy"), "days": []}
    if not args.no_seed and report["pregnancies"] < args.pregnancies:
        started = time.perf_counter()
        call_command("seed_demo", pregnancies=args.pregnancies, no_progress=True, verbosity=0)
        print(f"seeded {args.pregnancies:,} pregnancies in {time.perf_counter() - started:.0f} s")
    from django.db import transaction

    with transaction.atomic() if args.rollback else contextlib.nullcontext():
        measure(args, report, connection, CaptureQueriesContext, timezone)
        if args.rollback:  # the simulated days must not move the bench database's windows for good
            transaction.set_rollback(True)
            print("rolled back: the database is as it was found")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")


def measure(args, report, connection, CaptureQueriesContext, timezone) -> None:  # noqa: N803
    today = timezone.localdate()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(BACKFILL, {"today": today})
        cursor.execute("ANALYZE reminders_followup")
    opened = count("SELECT count(*) FROM reminders_followup WHERE status <> 'closed'")
    report |= {"open_windows": opened, "backfill_seconds": round(time.perf_counter() - started, 2)}
    print(f"open windows: {opened:,} (backfill {report['backfill_seconds']:.1f} s)")

    from reminders.services import followups_sweep

    print("day  seconds  due  overdue  tracing  proposed  alerts  texts  statements")
    for day in range(args.days):
        when = dt.datetime.combine(
            today + dt.timedelta(days=day), dt.time(0, 7), tzinfo=timezone.get_current_timezone()
        )
        alerts_before = count("SELECT count(*) FROM notifications_alert")
        texts_before = count("SELECT count(*) FROM reminders_remindermessage")
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            moved = followups_sweep(now=when, batch=args.batch)
            seconds = time.perf_counter() - started
        alerts = count("SELECT count(*) FROM notifications_alert") - alerts_before
        texts = count("SELECT count(*) FROM reminders_remindermessage") - texts_before
        report["days"].append({"seconds": round(seconds, 3), **moved, "alerts": alerts, "texts": texts,
                               "statements": len(queries)})  # fmt: skip
        print(
            f"{day:>3}  {seconds:7.2f}  {moved['due']:>5}  {moved['overdue']:>7}  {moved['tracing']:>7}  "
            f"{moved['lost_proposed']:>8}  {alerts:>6}  {texts:>5}  {len(queries):>10}",
            flush=True,
        )
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        followups_sweep(now=when, batch=args.batch)
        report["idle_seconds"] = round(time.perf_counter() - started, 4)
        print(f"idle re-run: {report['idle_seconds']:.3f} s, {len(queries)} statements")


if __name__ == "__main__":
    main()
