"""Writes of the dashboards app: the weekly census snapshot (the counters themselves are kept by triggers)."""

import datetime as dt

from django.db import connection, transaction
from django.utils import timezone

from .series import SERIES


def census_keys() -> list[str]:
    return sorted({key for series in SERIES.values() if series.kind == "census" for key in series.keys})


def census_snapshot_take(*, now: dt.datetime | None = None) -> dict:
    """Copy the census counters into this ISO week's snapshot rows, replacing any earlier snapshot of the
    same week (idempotent: run daily, the week keeps its last state). Returns the week and the row count."""
    now = now or timezone.now()
    day = timezone.localtime(now).date()
    week = day - dt.timedelta(days=day.weekday())
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM dashboards_censussnapshot WHERE week = %s", [week])
        # Every facility with counters gets a row for every key a census series reads (0 when absent),
        # so that a week with a snapshot reads 0, not "no snapshot", for a figure that was nil then.
        cursor.execute(
            """INSERT INTO dashboards_censussnapshot (facility_id, key, week, n, taken_at)
            SELECT f.facility_id, k.key, %s, COALESCE(c.n, 0), %s
            FROM (SELECT DISTINCT facility_id FROM dashboards_censuscounter) AS f
            CROSS JOIN (
                SELECT unnest(%s::text[]) AS key UNION SELECT DISTINCT key FROM dashboards_censuscounter
            ) AS k
            LEFT JOIN dashboards_censuscounter c ON c.facility_id = f.facility_id AND c.key = k.key""",
            [week, now, census_keys()],
        )
        rows = cursor.rowcount
    return {"week": week.isoformat(), "rows": rows}
