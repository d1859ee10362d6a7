"""Rebuild or check the dashboard counters against the raw rows."""

from django.core.management.base import BaseCommand
from django.db import connection, transaction

# Stored counters (copied to temp tables) against the counters rebuilt from scratch (in the real tables,
# inside a transaction that is rolled back afterwards).
_DIFF = """
    SELECT 'census', facility_id, key, NULL::date, COALESCE(s.n, 0), COALESCE(e.n, 0)
    FROM pg_temp.stored_census s
    FULL JOIN (SELECT facility_id, key, n FROM dashboards_censuscounter WHERE n <> 0) e
        USING (facility_id, key)
    WHERE s.n IS DISTINCT FROM e.n
    UNION ALL
    SELECT 'monthly', facility_id, key, month, COALESCE(s.n, 0), COALESCE(e.n, 0)
    FROM pg_temp.stored_monthly s
    FULL JOIN (SELECT facility_id, key, month, n FROM dashboards_monthlycounter WHERE n <> 0) e
        USING (facility_id, key, month)
    WHERE s.n IS DISTINCT FROM e.n
    UNION ALL
    SELECT 'weekly', facility_id, key, week, COALESCE(s.n, 0), COALESCE(e.n, 0)
    FROM pg_temp.stored_weekly s
    FULL JOIN (SELECT facility_id, key, week, n FROM dashboards_weeklycounter WHERE n <> 0) e
        USING (facility_id, key, week)
    WHERE s.n IS DISTINCT FROM e.n
    UNION ALL
    SELECT 'due', facility_id, 'followups_due', due_on, COALESCE(s.n, 0), COALESCE(e.n, 0)
    FROM pg_temp.stored_due s
    FULL JOIN (SELECT facility_id, due_on, n FROM dashboards_followupduecounter WHERE n <> 0) e
        USING (facility_id, due_on)
    WHERE s.n IS DISTINCT FROM e.n
    ORDER BY 1, 2, 3, 4"""


class Command(BaseCommand):
    help = (
        "Dashboard counters: --rebuild recomputes them all from the raw rows (after a restore, a TRUNCATE "
        "of a source table, or to be sure); --check compares them with a recount and exits 1 on a difference."
    )

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--rebuild", action="store_true")
        group.add_argument("--check", action="store_true")

    def handle(self, *args, rebuild: bool = False, check: bool = False, **options):
        if rebuild:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT dashboards_rebuild_counters()")
                cursor.execute(
                    "SELECT (SELECT count(*) FROM dashboards_censuscounter), "
                    "(SELECT count(*) FROM dashboards_monthlycounter), "
                    "(SELECT count(*) FROM dashboards_weeklycounter)"
                )
                census, monthly, weekly = cursor.fetchone()
            self.stdout.write(f"rebuilt {census} census, {monthly} monthly and {weekly} weekly counters")
            return
        differences = self._differences()
        for source, facility_id, key, month, stored, expected in differences:
            when = f" {month:%Y-%m-%d}" if month else ""
            self.stderr.write(
                f"{source} facility {facility_id} {key}{when}: stored {stored}, recount {expected}"
            )
        if differences:
            raise SystemExit(1)
        self.stdout.write("counters equal a recount")

    def _differences(self) -> list[tuple]:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMP TABLE stored_census AS "
                "SELECT facility_id, key, n FROM dashboards_censuscounter WHERE n <> 0"
            )
            cursor.execute(
                "CREATE TEMP TABLE stored_monthly AS "
                "SELECT facility_id, key, month, n FROM dashboards_monthlycounter WHERE n <> 0"
            )
            cursor.execute(
                "CREATE TEMP TABLE stored_weekly AS "
                "SELECT facility_id, key, week, n FROM dashboards_weeklycounter WHERE n <> 0"
            )
            cursor.execute(
                "CREATE TEMP TABLE stored_due AS "
                "SELECT facility_id, due_on, n FROM dashboards_followupduecounter WHERE n <> 0"
            )
            cursor.execute("SELECT dashboards_rebuild_counters()")
            cursor.execute(_DIFF)
            rows = cursor.fetchall()
            transaction.set_rollback(True)  # the stored counters stay as they were; the temp tables go
        return rows
