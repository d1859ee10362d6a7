"""Weekly series for the trend charts: ISO weeks (Monday start, Asia/Shanghai), oldest first.

Event indicators (deliveries, live births, deaths, near misses, referrals requested, grading reports, the
delivery cohort) are sums of ``WeeklyCounter`` rows kept by the triggers; census indicators (women by
colour, in care, …) are the weekly ``CensusSnapshot`` rows, with the live ``CensusCounter`` as the
current week's point. One query per series, whatever the number of facilities or rows behind them:
a region's facilities × weeks counter rows, read by the (facility, key, week) unique index.
"""

import datetime as dt
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ValidationFailed

from .access import DashboardScope
from .selectors import SUPPRESS_BELOW, _scope_sql


@dataclass(frozen=True)
class Series:
    kind: str  # "events" (weekly counters) or "census" (snapshots, then now)
    keys: tuple[str, ...]  # counter keys summed


SERIES: dict[str, Series] = {
    "deliveries": Series("events", ("deliveries",)),
    "live_births": Series("events", ("live_births",)),
    "maternal_deaths": Series("events", ("maternal_deaths",)),
    "near_miss_events": Series("events", ("near_miss_events",)),
    "referrals_requested": Series("events", ("referrals_requested",)),
    "reports_due": Series("events", ("reports_due",)),
    "reports_on_time": Series("events", ("reports_on_time",)),
    "early_booking": Series("events", ("cohort:early_booking",)),
    "anc_1_visit": Series("events", ("cohort:anc_1",)),
    "anc_5_visits": Series("events", ("cohort:anc_5",)),
    "postpartum_visit": Series("events", ("cohort:postpartum_visit",)),
    "high_risk_deliveries": Series("events", ("cohort:high_risk",)),
    "appropriate_tier_deliveries": Series("events", ("cohort:appropriate_tier",)),
    "active_pregnancies": Series("census", ("status:active", "status:postpartum")),
    "green": Series("census", ("color:green",)),
    "yellow": Series("census", ("color:yellow",)),
    "orange": Series("census", ("color:orange",)),
    "red": Series("census", ("color:red",)),
    "ungraded": Series("census", ("color:ungraded",)),
    "purple": Series("census", ("purple",)),
    "under_case_management": Series("census", ("case_management",)),
}
DEFAULT_WEEKS, MAX_WEEKS = 12, 104


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def parse_series(indicator: str | None, weeks: str | None) -> tuple[str, int]:
    """The indicator and the number of weeks asked for; ``ValidationFailed`` (400) otherwise."""
    errors = {}
    if indicator not in SERIES:
        errors["indicator"] = [_("Unknown indicator; one of: %(names)s.") % {"names": ", ".join(SERIES)}]
    try:
        count = int(weeks) if weeks not in (None, "") else DEFAULT_WEEKS
    except ValueError:
        count = 0
    if not 1 <= count <= MAX_WEEKS:
        errors["weeks"] = [_("Give a number of weeks from 1 to %(max)s.") % {"max": MAX_WEEKS}]
    if errors:
        raise ValidationFailed(errors=errors)
    return indicator, count


def _rows(scope: DashboardScope, series: Series, first: dt.date, current: dt.date) -> dict[dt.date, int]:
    where, params = _scope_sql(scope)
    keys = list(series.keys)
    if series.kind == "events":
        sql = f"""SELECT w.week, SUM(w.n) FROM dashboards_weeklycounter w
            JOIN facilities_facility f ON f.id = w.facility_id
            WHERE {where} AND w.key = ANY(%s) AND w.week >= %s AND w.week <= %s GROUP BY w.week"""  # noqa: S608
        args = [*params, keys, first, current]
    else:
        sql = f"""SELECT s.week, SUM(s.n) FROM dashboards_censussnapshot s
            JOIN facilities_facility f ON f.id = s.facility_id
            WHERE {where} AND s.key = ANY(%s) AND s.week >= %s AND s.week < %s GROUP BY s.week
            UNION ALL
            SELECT %s::date, SUM(c.n) FROM dashboards_censuscounter c
            JOIN facilities_facility f ON f.id = c.facility_id
            WHERE {where} AND c.key = ANY(%s)"""  # noqa: S608
        args = [*params, keys, first, current, current, *params, keys]
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        return {week: int(n) for week, n in cursor.fetchall() if n is not None}


def series_get(*, scope: DashboardScope, indicator: str, weeks: int, today: dt.date | None = None) -> dict:
    """``weeks`` ISO weeks ending with the current one; census weeks without a snapshot are null."""
    series = SERIES[indicator]
    current = week_start(today or timezone.localdate())
    first = current - dt.timedelta(weeks=weeks - 1)
    found = _rows(scope, series, first, current)
    points, suppressed = [], []
    for i in range(weeks):
        start = first + dt.timedelta(weeks=i)
        value = found.get(start, 0 if series.kind == "events" else None)
        if value is not None and scope.aggregate_only and 0 < value < SUPPRESS_BELOW:
            value = None
            suppressed.append(start.isoformat())
        year, week, _day = start.isocalendar()
        points.append({"week": f"{year}-W{week:02d}", "start": start.isoformat(), "value": value})
    return {
        "scope": scope.as_dict(),
        "indicator": indicator,
        "kind": series.kind,
        "weeks": points,
        "suppressed": suppressed,
        "as_of": timezone.now().isoformat(),
    }
