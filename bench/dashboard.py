"""Benchmark of the dashboard summary against the equivalent plain aggregate SQL over the raw rows.

    DATABASE_URL=postgres://…/ms_bench .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://…/ms_bench .venv/bin/python manage.py seed_demo --pregnancies 1000000
    DATABASE_URL=postgres://…/ms_bench .venv/bin/python bench/dashboard.py [--requests 500] [--user U]

Measures, in one process on this machine: the whole API request ``GET /api/v1/dashboard/summary/``
through Django (middleware, session, scope, counters, serialisation), the selector alone
(``summary_get``), and the plain SQL that computes the same census and outcome figures live from the
raw tables (``COUNT(*) … GROUP BY`` over pregnancies, deliveries, newborns, deaths, referrals of the
region). Prints p50 / p95 in milliseconds and the ratio plain SQL ÷ summary. Concurrency and
requests per second belong to a load generator against gunicorn (wrk / locust), not here.

Then each weekly series of the page's trend charts (``GET /api/v1/dashboard/series/``, 12 weeks): the API
request in process against the plain SQL that computes the same weeks live from the raw rows
(``date_trunc('week', …) GROUP BY``; for the delivery cohort the per-delivery visit look-ups; for the
census series only the current week, since past weeks have no raw equivalent), and the dashboard page.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maternal_safety.settings.local")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from dashboards.access import dashboard_scope  # noqa: E402
from dashboards.periods import current_period  # noqa: E402
from dashboards.selectors import read_sums, summary_get  # noqa: E402
from dashboards.timeliness import timeliness_get  # noqa: E402

PLAIN_SQL = """
WITH f AS (SELECT id, tier, critical_care_level FROM facilities_facility WHERE region_code LIKE %(prefix)s)
SELECT
  (SELECT json_object_agg(k, n) FROM (
     SELECT COALESCE(NULLIF(p.risk_color, ''), 'ungraded') AS k, COUNT(*) AS n
     FROM cases_pregnancy p JOIN f ON f.id = p.managing_facility_id
     WHERE p.status IN ('active', 'postpartum') GROUP BY 1) c),
  (SELECT COUNT(*) FILTER (WHERE p.purple) || ',' || COUNT(*) FILTER (WHERE p.under_case_management)
          || ',' || COUNT(*) FILTER (WHERE p.needs_referral)
     FROM cases_pregnancy p JOIN f ON f.id = p.managing_facility_id
     WHERE p.status IN ('active', 'postpartum')),
  (SELECT COUNT(*) FROM referrals_referral r JOIN f ON f.id = r.from_facility_id
     WHERE r.status IN ('requested', 'accepted', 'departed', 'arrived')),
  (SELECT COUNT(*) FROM cases_delivery d JOIN cases_pregnancy p ON p.id = d.pregnancy_id
     JOIN cases_newborn nb ON nb.delivery_id = d.id AND nb.outcome IN ('live_birth', 'neonatal_death')
     WHERE COALESCE(d.facility_id, p.booking_facility_id) IN (SELECT id FROM f)
       AND d.delivered_at >= %(start)s AND d.delivered_at < %(end)s),
  (SELECT COUNT(*) FROM cases_maternaldeath md JOIN cases_pregnancy p ON p.id = md.pregnancy_id
     WHERE COALESCE(md.facility_id, p.booking_facility_id) IN (SELECT id FROM f) AND NOT md.is_late
       AND md.died_at >= %(start)s AND md.died_at < %(end)s)
"""


# The weeks of a series live from the raw rows of the region (same definitions as the counters).
PLAIN_SERIES = {
    "deliveries": """SELECT date_trunc('week', d.delivered_at AT TIME ZONE 'Asia/Shanghai'), COUNT(*)
        FROM cases_delivery d JOIN cases_pregnancy p ON p.id = d.pregnancy_id
        WHERE COALESCE(d.facility_id, p.booking_facility_id) IN (SELECT id FROM f)
          AND d.delivered_at >= %(since)s
        GROUP BY 1""",
    "live_births": """SELECT date_trunc('week', d.delivered_at AT TIME ZONE 'Asia/Shanghai'), COUNT(*)
        FROM cases_delivery d JOIN cases_pregnancy p ON p.id = d.pregnancy_id
        JOIN cases_newborn nb ON nb.delivery_id = d.id AND nb.outcome IN ('live_birth', 'neonatal_death')
        WHERE COALESCE(d.facility_id, p.booking_facility_id) IN (SELECT id FROM f)
          AND d.delivered_at >= %(since)s
        GROUP BY 1""",
    "near_miss_events": """SELECT date_trunc('week', e.occurred_at AT TIME ZONE 'Asia/Shanghai'), COUNT(*)
        FROM cases_nearmissevent e
        WHERE e.facility_id IN (SELECT id FROM f) AND e.occurred_at >= %(since)s
        GROUP BY 1""",
    "referrals_requested": """SELECT date_trunc('week', r.requested_at AT TIME ZONE 'Asia/Shanghai'), COUNT(*)
        FROM referrals_referral r
        WHERE r.from_facility_id IN (SELECT id FROM f) AND r.requested_at >= %(since)s
        GROUP BY 1""",
    "early_booking": """SELECT date_trunc('week', d.delivered_at AT TIME ZONE 'Asia/Shanghai'), COUNT(*)
        FROM cases_delivery d JOIN cases_pregnancy p ON p.id = d.pregnancy_id
        CROSS JOIN LATERAL (SELECT v.ga_days FROM cases_visit v WHERE v.pregnancy_id = d.pregnancy_id
            AND v.kind = 'antenatal' ORDER BY v.visited_at, v.id LIMIT 1) first
        WHERE COALESCE(d.facility_id, p.booking_facility_id) IN (SELECT id FROM f)
          AND d.delivered_at >= %(since)s
          AND first.ga_days < 91 GROUP BY 1""",
    "red": """SELECT COUNT(*) FROM cases_pregnancy p JOIN f ON f.id = p.managing_facility_id
        WHERE p.status IN ('active', 'postpartum') AND p.risk_color = 'red'""",
    "orange": """SELECT COUNT(*) FROM cases_pregnancy p JOIN f ON f.id = p.managing_facility_id
        WHERE p.status IN ('active', 'postpartum') AND p.risk_color = 'orange'""",
}


def bench_series(client, scope, prefix: str, requests: int) -> None:
    from dashboards.series import series_get
    from dashboards.views import TREND_WEEKS

    since = timezone.now() - timezone.timedelta(weeks=TREND_WEEKS)
    for indicator, sql in PLAIN_SERIES.items():

        def api(indicator=indicator):
            response = client.get("/api/v1/dashboard/series/", {"indicator": indicator, "weeks": TREND_WEEKS})
            assert response.status_code == 200, response.content[:200]

        def plain(sql=sql):
            with connection.cursor() as cursor:
                cursor.execute(
                    "WITH f AS (SELECT id FROM facilities_facility WHERE region_code LIKE %(prefix)s) "  # noqa: S608
                    + sql,
                    {"prefix": prefix, "since": since},
                )
                cursor.fetchall()

        _, api_p95 = report(f"series {indicator} (API)", timed(api, requests))
        report(
            f"series {indicator} (series_get)",
            timed(
                lambda indicator=indicator: series_get(scope=scope, indicator=indicator, weeks=TREND_WEEKS),
                requests,
            ),
        )
        _, sql_p95 = report(f"series {indicator} (plain SQL)", timed(plain, max(10, requests // 10)))
        print(f"  ratio plain SQL p95 / API p95: {sql_p95 / api_p95:.1f}×")


def timed(fn, n: int) -> list[float]:
    fn()  # warm-up (connection, caches)
    out = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def report(name: str, samples: list[float]) -> tuple[float, float]:
    p50 = statistics.median(samples)
    p95 = statistics.quantiles(samples, n=20)[-1]
    print(f"{name:<34} p50 {p50:8.2f} ms   p95 {p95:8.2f} ms   (n={len(samples)})")
    return p50, p95


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--user", default="sup.guangxi", help="a supervisor of the seeded region")
    args = parser.parse_args()

    user = User.objects.get(username=args.user)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM cases_pregnancy")
        print(f"pregnancies: {cursor.fetchone()[0]:,}; user {user.username} ({', '.join(user.roles)})")
    period = current_period(timezone.localdate())
    scope = dashboard_scope(user)
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)

    def api():
        response = client.get("/api/v1/dashboard/summary/")
        assert response.status_code == 200, response.content[:200]

    params = {
        "prefix": scope.region_prefix + "%",
        "start": timezone.make_aware(timezone.datetime.combine(period.start, timezone.datetime.min.time())),
        "end": timezone.make_aware(timezone.datetime.combine(period.end, timezone.datetime.min.time())),
    }

    def plain():
        with connection.cursor() as cursor:
            cursor.execute(PLAIN_SQL, params)
            cursor.fetchall()

    def api_sums_read():
        read_sums.clear()  # as after a commit that moved the province's counters: the sums are read again
        api()

    _, api_p95 = report("API request (Django, in process; sums reused)", timed(api, args.requests))
    _, api_read_p95 = report("API request (sums read again)", timed(api_sums_read, args.requests))
    _, sel_p95 = report(
        "summary_get (counters; sums reused)",
        timed(lambda: summary_get(scope=scope, period=period), args.requests),
    )
    report(
        "timeliness_get (live, period)",
        timed(lambda: timeliness_get(scope=scope, period=period), max(20, args.requests // 5)),
    )
    _, sql_p95 = report("plain aggregate SQL (raw rows)", timed(plain, max(20, args.requests // 10)))
    print(
        f"ratio plain SQL p95 / API p95: {sql_p95 / api_p95:.1f}× (sums reused), "
        f"{sql_p95 / api_read_p95:.1f}× (sums read again); / summary_get p95: {sql_p95 / sel_p95:.1f}×"
    )
    bench_series(client, scope, params["prefix"], args.requests)

    def page():
        assert client.get("/dashboards/").status_code == 200

    report("dashboard page (HTML, 6 trend charts)", timed(page, max(20, args.requests // 10)))


if __name__ == "__main__":
    main()
