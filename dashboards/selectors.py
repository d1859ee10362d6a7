"""Reads for the dashboards: sums of the counters over a scope and a period, and the women behind them.

``summary_get`` costs one query whatever the size of the region: the counters are a few rows per
facility, kept current by triggers (``dashboards/models.py``), including the follow-up windows'
statuses. The sums read are kept per process beside the counter generation and reused, after one
primary-key read, for as long as no commit has changed any counter (``_ReadSums``). Figures are exact,
not estimates: ``tests/dashboards`` recounts them from the raw rows.
Timeliness (medians, percentiles) is live SQL over the period's events: ``dashboards/timeliness.py``.
"""

import datetime as dt
import threading
from collections import OrderedDict, defaultdict

from django.apps import apps
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.choices import Role
from cases.choices import OPEN_STATUSES, RiskColor
from cases.models import Pregnancy
from cases.selectors import pregnancy_list
from core.prepared import prepared_cursor
from facilities.choices import Tier
from facilities.models import Facility

from .access import DashboardScope
from .periods import Period

COLORS = [c.value for c in RiskColor] + ["ungraded"]
OPEN_REFERRAL_STATUSES = ("requested", "accepted", "departed", "arrived")
SUPPRESS_BELOW = 5

# Orange: care at a critical maternal care centre (any level) or a tertiary hospital; red: a tertiary
# hospital (DOMAIN.md §2). Evaluated at read time against the facility's current tier/designation.
_OFF_TIER = f"""(c.key = 'color:red' AND f.tier <> '{Tier.TERTIARY.value}')
    OR (c.key = 'color:orange' AND f.tier <> '{Tier.TERTIARY.value}' AND f.critical_care_level IS NULL)"""


def _scope_sql(scope: DashboardScope) -> tuple[str, list]:
    if scope.facility is not None:
        return "f.id = %s", [scope.facility.pk]
    if scope.region is not None:
        return "f.region_code LIKE %s", [scope.region_prefix + "%"]
    return "TRUE", []


def due_soon_range(today: dt.date) -> tuple[dt.date, dt.date]:
    """Follow-ups "due in the next 7 days": deadline (``due_by``) from today to today + 6, half-open."""
    return today, today + dt.timedelta(days=DUE_SOON_DAYS)


def _counter_sql(scope: DashboardScope, period: Period, *, by_facility: bool) -> tuple[str, list]:
    """(facility id or 0, source 'c'/'m', key, n, off-tier n) — census and period counters together,
    and the open follow-up windows due in the next 7 days (source 'c', from their deadline-day counters)."""
    where, params = _scope_sql(scope)
    facility = "c.facility_id" if by_facility else "0"
    soon_from, soon_until = due_soon_range(timezone.localdate())
    # Only fixed SQL fragments are interpolated; every value is a parameter. The follow-up branch reads
    # the open windows by deadline day (FollowUpDueCounter): at most seven rows per facility.
    sql = f"""
        SELECT {facility}, 'c', c.key, SUM(c.n), SUM(c.n) FILTER (WHERE {_OFF_TIER})
        FROM dashboards_censuscounter c JOIN facilities_facility f ON f.id = c.facility_id
        WHERE {where} GROUP BY 1, c.key
        UNION ALL
        SELECT {facility.replace("c.", "m.")}, 'm', m.key, SUM(m.n), NULL
        FROM dashboards_monthlycounter m JOIN facilities_facility f ON f.id = m.facility_id
        WHERE {where} AND m.month >= %s AND m.month < %s GROUP BY 1, m.key
        UNION ALL
        SELECT {facility.replace("c.", "u.")}, 'c', 'followups_due_soon', SUM(u.n), NULL
        FROM dashboards_followupduecounter u JOIN facilities_facility f ON f.id = u.facility_id
        WHERE {where} AND u.due_on >= %s AND u.due_on < %s GROUP BY 1"""  # noqa: S608
    return sql, [*params, *params, period.start, period.end, *params, soon_from, soon_until]


# The fingerprint of the committed state of the counters (``CounterGeneration``, one row).
_GENERATION_SQL = "SELECT g FROM dashboards_countergeneration WHERE id = 1"


class _ReadSums:
    """The counter rows last read per scope, period and day in this process, each beside the counter
    generation read in the same statement (so from the same snapshot).

    A request that finds the generation unchanged reuses the rows: one primary-key read instead of summing
    the region's counters (at a million pregnancies: 0.1 ms instead of 1.5–2.5 ms of SQL). Exact, not
    a time-to-live: any commit that changes a counter, or a facility, moves the generation
    (``CounterGeneration``). Inside a transaction (``atomic``) nothing is reused or kept: the
    transaction's own uncommitted changes are in the counters it reads but not yet in a generation.
    At most ``MAX_ENTRIES`` entries and ``MAX_ROWS`` rows are kept, of the newest generation only.
    """

    MAX_ENTRIES = 256
    MAX_ROWS = 100_000  # a province of 300 facilities: 12,000 rows per facility breakdown

    def __init__(self) -> None:
        self._rows: OrderedDict[tuple, tuple[int | None, list[tuple]]] = OrderedDict()
        self._kept_rows = 0
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._rows.clear()
            self._kept_rows = 0

    def size(self) -> int:
        return len(self._rows)

    def _keep(self, key: tuple, generation: int | None, rows: list[tuple]) -> None:
        """Keep ``rows`` (least recently used first out), within ``MAX_ENTRIES`` and ``MAX_ROWS``; the
        entries of an older generation can never be reused again and go at once."""
        with self._lock:
            if generation is not None:
                for stale in [k for k, (g, _) in self._rows.items() if g is None or g < generation]:
                    self._kept_rows -= len(self._rows.pop(stale)[1])
            if key in self._rows:
                self._kept_rows -= len(self._rows.pop(key)[1])
            if len(rows) > self.MAX_ROWS:
                return
            self._rows[key] = (generation, rows)
            self._kept_rows += len(rows)
            while len(self._rows) > self.MAX_ENTRIES or self._kept_rows > self.MAX_ROWS:
                self._kept_rows -= len(self._rows.popitem(last=False)[1][1])

    def fetch(self, sql: str, params: list) -> list[tuple]:
        if connection.in_atomic_block:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall()
        key = (connection.settings_dict["NAME"], sql, *params)
        with self._lock:
            kept = self._rows.get(key)
        if kept is not None:
            with prepared_cursor() as cursor:
                cursor.execute(_GENERATION_SQL)
                row = cursor.fetchone()
            if (row[0] if row else None) == kept[0]:
                with self._lock:
                    if key in self._rows:
                        self._rows.move_to_end(key)
                return kept[1]
        with connection.cursor() as cursor:
            cursor.execute(
                f"{sql} UNION ALL SELECT 0, 'g', NULL, ({_GENERATION_SQL}), NULL",  # noqa: S608 - fixed
                params,
            )
            rows = cursor.fetchall()
        generation = next(row[3] for row in rows if row[1] == "g")
        generation = None if generation is None else int(generation)
        rows = [row for row in rows if row[1] != "g"]
        self._keep(key, generation, rows)
        return rows


read_sums = _ReadSums()


def _counter_rows(scope: DashboardScope, period: Period, *, by_facility: bool) -> list[tuple]:
    sql, params = _counter_sql(scope, period, by_facility=by_facility)
    return read_sums.fetch(sql, params)


def _status_counters_sql(facility_id: int, prefix: str, statuses: tuple[str, ...] | None) -> tuple[str, list]:
    """(SQL, parameters) of the sum of ``facility_id``'s census counters ``<prefix><status>``, of every
    status or of ``statuses``."""
    if statuses is None:
        condition, params = "key LIKE %s", [prefix + "%"]
    else:
        condition, params = "key = ANY(%s)", [[prefix + str(status) for status in statuses]]
    sql = "SELECT COALESCE(SUM(n), 0)::bigint FROM dashboards_censuscounter WHERE facility_id = %s AND "
    return sql + condition, [facility_id, *params]


def managed_pregnancy_total_sql(
    facility_id: int, statuses: tuple[str, ...] | None = None
) -> tuple[str, list]:
    """(SQL, parameters) of how many pregnancies ``facility_id`` manages, of every status or of
    ``statuses``: the sum of its ``status:*`` census counters, kept by the triggers in the transaction that
    changes a pregnancy. The pregnancy list's and the worklist's unfiltered counts embed it instead of
    counting the facility's rows (``cases.selectors.ScopedRows``)."""
    return _status_counters_sql(facility_id, "status:", statuses)


def followed_pregnancy_total_sql(
    facility_id: int, statuses: tuple[str, ...] | None = None
) -> tuple[str, list]:
    """(SQL, parameters) of how many pregnancies ``facility_id`` follows up for another facility (its
    follow-up facility, managed elsewhere), of every status or of ``statuses``: the sum of its
    ``followed_here:*`` census counters (``dashboards/0009``). The second arm of a facility member's
    pregnancy list and worklist, counted without reading those pregnancies (``cases.selectors``)."""
    return _status_counters_sql(facility_id, "followed_here:", statuses)


def region_pregnancy_total_sql(prefix: str) -> tuple[str, list]:
    """(SQL, parameters) of how many pregnancies, of every status, the facilities of a region (its code
    ``prefix``) manage: ``managed_pregnancy_total_sql`` summed over the region's facilities."""
    sql = (
        "SELECT COALESCE(SUM(c.n), 0)::bigint FROM dashboards_censuscounter c"
        " JOIN facilities_facility f ON f.id = c.facility_id"
        " WHERE f.region_code LIKE %s AND c.key LIKE %s"
    )
    return sql, [prefix + "%", "status:%"]


# Follow-up windows past their deadline and still open (reminders.choices.FollowUpStatus).
OVERDUE_FOLLOW_UP_STATUSES = ("overdue", "tracing", "lost_proposed")
FOLLOW_UP_STATUSES = ("upcoming", "due", *OVERDUE_FOLLOW_UP_STATUSES)
DUE_SOON_DAYS = 7

# Rates of the women delivering in the period: name → (numerator key, denominator key) of the counters.
COHORT_RATES = {
    "early_booking": ("cohort:early_booking", "live_births"),
    "anc_1_visit": ("cohort:anc_1", "live_births"),
    "anc_5_visits": ("cohort:anc_5", "live_births"),
    "postpartum_visit": ("cohort:postpartum_visit", "live_births"),
    "on_time_reporting": ("reports_on_time", "reports_due"),
    "appropriate_tier_delivery": ("cohort:appropriate_tier", "cohort:high_risk"),
}
RATIOS = ("near_miss_ratio", "severe_maternal_outcome_ratio", "mortality_index")


def _rate(numerator: int, denominator: int) -> dict:
    pct = round(numerator * 100 / denominator, 1) if denominator else None
    return {"numerator": numerator, "denominator": denominator, "rate_pct": pct}


def _ratio(numerator: int, denominator: int, per: int) -> float | None:
    return round(numerator * per / denominator, 1) if denominator else None


def overdue_followups_available() -> bool:
    return apps.is_installed("reminders")


def _figures(census: dict[str, int], off_tier: dict[str, int], monthly: dict[str, int]) -> dict:
    deaths, births = monthly.get("maternal_deaths", 0), monthly.get("live_births", 0)
    near_misses = monthly.get("near_miss_events", 0)
    referrals_out = {s: census.get(f"referral_out:{s}", 0) for s in OPEN_REFERRAL_STATUSES}
    return {
        "active_pregnancies": census.get("status:active", 0) + census.get("status:postpartum", 0),
        "antenatal": census.get("status:active", 0),
        "postpartum": census.get("status:postpartum", 0),
        "by_color": {color: census.get(f"color:{color}", 0) for color in COLORS},
        "purple": census.get("purple", 0),
        "under_case_management": census.get("case_management", 0),
        "needs_referral": census.get("needs_referral", 0),
        "not_at_appropriate_tier": {
            "orange": off_tier.get("color:orange", 0),
            "red": off_tier.get("color:red", 0),
        },
        "lost_to_follow_up": census.get("status:lost_to_follow_up", 0),
        # Time-driven: the statuses the follow-up sweep records in the reminder rows when a window's
        # dates pass, summed per managing facility by the triggers on those rows (migration 0003).
        "overdue_followups": sum(census.get(f"followup:{s}", 0) for s in OVERDUE_FOLLOW_UP_STATUSES),
        "follow_ups": {s: census.get(f"followup:{s}", 0) for s in FOLLOW_UP_STATUSES},
        "referrals": {
            "open": sum(referrals_out.values()),
            "requested": referrals_out["requested"],
            "accepted": referrals_out["accepted"],
            "in_transit": referrals_out["departed"],
            "arrived": referrals_out["arrived"],
            "incoming_open": sum(census.get(f"referral_in:{s}", 0) for s in OPEN_REFERRAL_STATUSES),
            "requested_in_period": monthly.get("referrals_requested", 0),
        },
        "deliveries": monthly.get("deliveries", 0),
        "live_births": births,
        "maternal_deaths": deaths,
        "late_maternal_deaths": monthly.get("late_maternal_deaths", 0),
        "near_miss_events": monthly.get("near_miss_events", 0),
        "mmr": round(deaths * 100_000 / births, 1) if births else None,
        **{
            name: _rate(monthly.get(num, 0), monthly.get(den, 0)) for name, (num, den) in COHORT_RATES.items()
        },
        "near_miss_ratio": _ratio(near_misses, births, 1000),
        "severe_maternal_outcome_ratio": _ratio(near_misses + deaths, births, 1000),
        "mortality_index": _ratio(deaths, near_misses + deaths, 100),
        # Time-driven: the reminder rows' deadlines, counted per day by triggers (see _counter_rows).
        "followups_due_7_days": census.get("followups_due_soon", 0),
    }


def _split(rows) -> dict[int, tuple[dict, dict, dict]]:
    out: dict[int, tuple[dict, dict, dict]] = defaultdict(lambda: ({}, {}, {}))
    for facility_id, source, key, n, off in rows:
        census, off_tier, monthly = out[facility_id]
        if source == "c":
            census[key] = int(n)
            off_tier[key] = int(off or 0)
        else:
            monthly[key] = int(n)
    return out


def summary_get(*, scope: DashboardScope, period: Period) -> dict:
    """The headline figures for the scope: census now, outcomes in the period; suppressed if asked."""
    census, off_tier, monthly = _split(_counter_rows(scope, period, by_facility=False)).get(0, ({}, {}, {}))
    figures = _figures(census, off_tier, monthly)
    suppressed = suppress(figures) if scope.aggregate_only else []
    return {
        "scope": scope.as_dict(),
        "period": period.as_dict(),
        **figures,
        "suppressed": suppressed,
        "unavailable": [] if overdue_followups_available() else ["overdue_followups"],
        "as_of": timezone.now().isoformat(),
    }


def facility_breakdown(*, scope: DashboardScope, period: Period) -> list[dict]:
    """One row of figures per facility in the scope that has any counter (drill-down table)."""
    per_facility = _split(_counter_rows(scope, period, by_facility=True))
    facilities = Facility.objects.in_bulk(list(per_facility))
    rows = []
    for facility_id, (census, off_tier, monthly) in per_facility.items():
        figures = _figures(census, off_tier, monthly)
        suppressed = suppress(figures) if scope.aggregate_only else []
        rows.append({"facility": facilities[facility_id], **figures, "suppressed": suppressed})
    rows.sort(key=lambda row: (row["facility"].region_code, row["facility"].tier, row["facility"].name_zh))
    return rows


# --- small-number suppression -----------------------------------------------------------------------

_GROUPS = (
    # Parts that add up to a shown total: one hidden part could be recovered by subtraction.
    ("by_color", tuple(COLORS)),
    ("referrals", ("requested", "accepted", "in_transit", "arrived")),
    ("follow_ups", OVERDUE_FOLLOW_UP_STATUSES),  # they add up to overdue_followups
)


def suppress(figures: dict) -> list[str]:
    """Replace every count from 1 to 4 by None (in place) and return the dotted names replaced.

    Zero stays: it identifies nobody. Within a group whose parts add up to a shown total, a single
    hidden part would be recoverable by subtraction, so the next smallest part is hidden too; the
    off-tier figure of a hidden colour is hidden with it. The mortality ratio is hidden when its
    numerator or denominator is.
    """
    hidden: list[str] = []
    for name, value in list(figures.items()):
        if isinstance(value, dict):
            for part, sub in value.items():
                if isinstance(sub, int) and 0 < sub < SUPPRESS_BELOW:
                    value[part] = None
                    hidden.append(f"{name}.{part}")
        elif isinstance(value, int) and not isinstance(value, bool) and 0 < value < SUPPRESS_BELOW:
            figures[name] = None
            hidden.append(name)
    for group, parts in _GROUPS:
        values = figures[group]
        if sum(values[p] is None for p in parts) == 1:
            shown = sorted((values[p], p) for p in parts if values[p])
            if shown:
                values[shown[0][1]] = None
                hidden.append(f"{group}.{shown[0][1]}")
    for color in ("orange", "red"):  # off tier ≤ the colour: at one facility it can equal it
        if f"by_color.{color}" in hidden and figures["not_at_appropriate_tier"][color]:
            figures["not_at_appropriate_tier"][color] = None
            hidden.append(f"not_at_appropriate_tier.{color}")
    if ("maternal_deaths" in hidden or "live_births" in hidden) and figures["mmr"] is not None:
        figures["mmr"] = None
        hidden.append("mmr")
    for name in COHORT_RATES:  # a rate and its denominator give the numerator back, and vice versa
        rate = figures[name]
        if (rate["numerator"] is None or rate["denominator"] is None) and rate["rate_pct"] is not None:
            rate["rate_pct"] = None
            hidden.append(f"{name}.rate_pct")
    parts = ("maternal_deaths", "near_miss_events", "live_births")
    if any(part in hidden for part in parts):
        for name in RATIOS:
            if figures[name] is not None:
                figures[name] = None
                hidden.append(name)
    return hidden


# --- the women behind a number ----------------------------------------------------------------------

WOMEN_FLAGS = ("purple", "case_management", "needs_referral")


def women_list(*, actor, scope: DashboardScope, color: str | None, flag: str | None) -> QuerySet[Pregnancy]:
    """The open pregnancies counted in a census figure of the scope, among those the actor may see.

    Same definitions as the counters: managing facility in the scope, status active or postpartum,
    ``ungraded`` = no colour yet.
    """
    queryset = pregnancy_list(actor=actor).filter(status__in=OPEN_STATUSES)
    if scope.facility is not None:
        queryset = queryset.filter(managing_facility_id=scope.facility.pk)
    elif scope.region is not None:
        queryset = queryset.filter(managing_facility__region_code__startswith=scope.region_prefix)
    if color == "ungraded":
        queryset = queryset.filter(Q(risk_color__isnull=True) | Q(risk_color=""))
    elif color:
        queryset = queryset.filter(risk_color=color)
    if flag == "purple":
        queryset = queryset.filter(purple=True)
    elif flag == "case_management":
        queryset = queryset.filter(under_case_management=True)
    elif flag == "needs_referral":
        queryset = queryset.filter(needs_referral=True)
    return queryset


def women_total(*, actor, scope: DashboardScope, period: Period, key: str) -> int | None:
    """How many women ``women_list`` selects for the census figure ``key`` (``active_pregnancies``,
    ``by_color.red``, ``purple``…), read from the census counters when every pregnancy managed in the
    scope is one ``actor`` may see; ``None`` otherwise (the rows must be counted).

    She sees them all when she supervises a region that contains the scope (her region is an arm of her
    view scope, ``cases.access.pregnancy_scope_arms``) or works at the scope's facility (its managed
    women are her first arm). The figure is then exactly the list's length: the counters count the same
    pregnancies (managed in the scope, active or postpartum, the colour or flag), kept by triggers in the
    writing transaction. Counting the rows of a province's 700,000 open pregnancies took 430 ms for one
    page of her drill-down from the dashboard (issue #9).
    """
    from cases.access import may_use_scope

    if not may_use_scope(actor, "view") or (scope.region is None and scope.facility is None):
        return None
    where = scope.facility.region_code if scope.facility is not None else scope.region_prefix
    supervises = actor.has_role(Role.REGIONAL_SUPERVISOR) and actor.region_id is not None
    covered = (supervises and where.startswith(actor.region.code_prefix)) or (
        scope.facility is not None and scope.facility.pk == actor.facility_id
    )
    if not covered:
        return None
    figure = summary_get(scope=scope, period=period)
    for part in key.split("."):
        figure = figure[part]
    return int(figure)
