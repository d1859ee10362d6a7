"""Benchmark of the follow-up sweep (``reminders.services.followups_sweep``) over N open pregnancies.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ms_bench \
        .venv/bin/python bench/followup_sweep.py [--pregnancies 1000000] [--days 7] [--batch 5000]

Uses its own database (migrated here; never the test or demo one you care about). Seeds the demo
region with ``seed_demo --pregnancies N`` if it has fewer, then gives every open pregnancy an open
window in one INSERT … SELECT (dates spread over ±60 days around today so that every state and every
step occurs, like a real region mid-year; the per-woman schedule is unit-tested elsewhere). Then it
runs the sweep as beat would, once per simulated day for ``--days`` days, and prints for each run the
wall time, the rows moved per step, the alerts and texts written and the number of SQL statements.
The first run after the backfill moves the backlog; the later ones are what a normal night costs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maternal_safety.settings.local")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

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


def count(sql: str, params=()) -> int:
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
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    if count("SELECT count(*) FROM cases_pregnancy") < args.pregnancies:
        started = time.perf_counter()
        call_command("seed_demo", pregnancies=args.pregnancies, no_progress=True, verbosity=0)
        print(f"seeded {args.pregnancies:,} pregnancies in {time.perf_counter() - started:.0f} s")
    today = timezone.localdate()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(BACKFILL, {"today": today})
        cursor.execute("ANALYZE reminders_followup")
    opened = count("SELECT count(*) FROM reminders_followup WHERE status <> 'closed'")
    print(f"open windows: {opened:,} (backfill {time.perf_counter() - started:.1f} s)")

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
        print(
            f"{day:>3}  {seconds:7.2f}  {moved['due']:>5}  {moved['overdue']:>7}  {moved['tracing']:>7}  "
            f"{moved['lost_proposed']:>8}  {alerts:>6}  {texts:>5}  {len(queries):>10}",
            flush=True,
        )
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        followups_sweep(now=when, batch=args.batch)
        print(f"idle re-run: {time.perf_counter() - started:.3f} s, {len(queries)} statements")


if __name__ == "__main__":
    main()
