"""The dashboard page, its CSV export and the list of women behind a census figure. Thin views."""

import csv
import io
from urllib.parse import urlencode

import xlsxwriter
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from accounts.choices import Role
from accounts.permissions import Action, has_action
from audit.choices import AuditAction
from audit.services import audit_record
from core.errors import NotFound, PermissionDenied, ValidationFailed

from .access import DashboardScope, dashboard_scope
from .indicators import BY_KEY, INDICATORS, TIMELINESS, TIMELINESS_BY_KEY, definition, value
from .periods import Period, current_period, parse_period
from .selectors import (
    COHORT_RATES,
    COLORS,
    WOMEN_FLAGS,
    facility_breakdown,
    summary_get,
    women_list,
    women_total,
)
from .series import SERIES, series_get
from .timeliness import CONSULT_URGENCIES, ESCALATION_LEVELS, REFERRAL_URGENCIES, timeliness_get

WOMEN_PAGE_SIZE = 50
# Figures of the table under the colour chart and of the per-facility table, in column order.
COLOR_KEYS = [f"by_color.{c}" for c in COLORS]
FACILITY_COLUMNS = [
    "active_pregnancies",
    *COLOR_KEYS,
    "purple",
    "under_case_management",
    "needs_referral",
    "referrals.open",
    "deliveries",
    "live_births",
    "maternal_deaths",
    "mmr",
]
OUTCOME_KEYS = [
    "deliveries",
    "live_births",
    "maternal_deaths",
    "late_maternal_deaths",
    "near_miss_events",
    "mmr",
    "near_miss_ratio",
    "severe_maternal_outcome_ratio",
    "mortality_index",
    "referrals.requested_in_period",
    "referrals.requested",
    "referrals.in_transit",
    "lost_to_follow_up",
    "not_at_appropriate_tier.orange",
]
# Census figures that have a list of women behind them: key → (color, flag) filter of the list.
WOMEN_FILTERS = {
    "active_pregnancies": (None, None),
    **{f"by_color.{c}": (c, None) for c in COLORS},
    "purple": (None, "purple"),
    "under_case_management": (None, "case_management"),
    "needs_referral": (None, "needs_referral"),
}


URGENCY_LABELS = {
    "emergency": gettext_lazy("Emergency"),
    "urgent": gettext_lazy("Urgent"),
    "routine": gettext_lazy("Routine"),
    "scheduled": gettext_lazy("Scheduled MDT clinic"),
}
TIMELINESS_COLUMNS = [
    "timeliness.n",
    "timeliness.target_minutes",
    "timeliness.median_minutes",
    "timeliness.p90_minutes",
    "timeliness.within_target_pct",
]


def duration_display(minutes: float | None) -> str | None:
    """Minutes, human-readably: "0.5 min", "18 min", "2 h 5 min", "3 d 4 h" (whole minutes from one
    minute on, whole hours from one day on)."""
    if minutes is None:
        return None
    if minutes < 1:
        return _("%(minutes)s min") % {"minutes": f"{minutes:g}"}
    total = int(minutes + 0.5)  # half up (20.5 min → 21 min), as people round
    if total >= 24 * 60:
        days, hours = divmod(int(total / 60 + 0.5), 24)
        if not hours:
            return _("%(days)d d") % {"days": days}
        return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    hours, mins = divmod(total, 60)
    if hours and mins:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": mins}
    if hours:
        return _("%(hours)d h") % {"hours": hours}
    return _("%(minutes)s min") % {"minutes": mins}


def percent_display(pct: float | None) -> str | None:
    return None if pct is None else _("%(pct)s%%") % {"pct": f"{pct:g}"}


def _tcell(key: str, raw, display, suppressed: bool) -> dict:
    """A timeliness figure: its API value (``raw``, for ``data-value``), shown human-readably."""
    return {"key": key, "raw": raw, "value": display, "suppressed": suppressed, "url": None}


def _timeliness_groups(data: dict) -> list[dict]:
    """The three tables of the timeliness section: referrals by urgency, consults by urgency, alerts."""
    hidden = set(data["suppressed"])

    def family(name: str, urgencies) -> dict:
        rows = []
        for urgency in urgencies:
            group = data[name][urgency]
            key = f"{name}.{urgency}"
            suppressed = key in hidden
            rows.append(
                {
                    "urgency": urgency,
                    "label": URGENCY_LABELS[urgency],
                    "cells": [
                        _tcell(f"{key}.n", group["n"], group["n"], suppressed),
                        _tcell(
                            f"{key}.target_minutes",
                            group["target_minutes"],
                            duration_display(group["target_minutes"]),
                            False,
                        ),
                        _tcell(
                            f"{key}.median_minutes",
                            group["median_minutes"],
                            duration_display(group["median_minutes"]),
                            suppressed,
                        ),
                        _tcell(
                            f"{key}.p90_minutes",
                            group["p90_minutes"],
                            duration_display(group["p90_minutes"]),
                            suppressed,
                        ),
                        _tcell(
                            f"{key}.within_target_pct",
                            group["within_target_pct"],
                            percent_display(group["within_target_pct"]),
                            suppressed and group["target_minutes"] is not None,
                        ),
                    ],
                }
            )
        indicator = TIMELINESS_BY_KEY[name]
        return {"key": name, "label": indicator.label, "definition": definition(name), "rows": rows}

    alerts = data["alerts"]
    alert_rows = [
        _tcell("alerts.delivered", alerts["delivered"], alerts["delivered"], "alerts.delivered" in hidden),
        _tcell(
            "alerts.acknowledged_within_window_pct",
            alerts["acknowledged_within_window_pct"],
            percent_display(alerts["acknowledged_within_window_pct"]),
            "alerts.delivered" in hidden,
        ),
        *(
            _tcell(
                f"alerts.escalated.level_{level}",
                alerts["escalated"][f"level_{level}"],
                alerts["escalated"][f"level_{level}"],
                f"alerts.escalated.level_{level}" in hidden,
            )
            for level in ESCALATION_LEVELS
        ),
    ]
    for cell in alert_rows:
        cell["label"] = TIMELINESS_BY_KEY[cell["key"]].label
        cell["definition"] = definition(cell["key"])
    return [
        {
            "id": "timeliness-referrals",
            "title": gettext_lazy("Referrals by urgency"),
            "families": [
                family("referral_acceptance", REFERRAL_URGENCIES),
                family("referral_arrival", REFERRAL_URGENCIES),
            ],
        },
        {
            "id": "timeliness-consults",
            "title": gettext_lazy("MDT consultations by urgency"),
            "families": [
                family("consult_scheduling", CONSULT_URGENCIES),
                family("consult_conclusion", CONSULT_URGENCIES),
            ],
        },
        {"id": "timeliness-alerts", "title": gettext_lazy("Alerts"), "alert_rows": alert_rows},
    ]


def _resolve(request: HttpRequest) -> tuple[DashboardScope, Period]:
    """Scope and period from the query string; service errors become 403/404 (400 is the caller's)."""
    scope = _resolve_scope_params(request, request.GET)
    period = parse_period(request.GET.get("period"), today=timezone.localdate())
    return scope, period


def _women_url(scope: DashboardScope, key: str, extra: dict | None = None) -> str | None:
    if not scope.can_list_women or key not in WOMEN_FILTERS:
        return None
    color, flag = WOMEN_FILTERS[key]
    params = {**scope.params(), **(extra or {})}
    if color:
        params["color"] = color
    if flag:
        params["flag"] = flag
    return reverse("dashboards:women") + "?" + urlencode(params)


def _cell(scope: DashboardScope, figures: dict, key: str, extra: dict | None = None) -> dict:
    return {
        "key": key,
        "value": value(figures, key),
        "suppressed": key in figures.get("suppressed", []),
        "url": _women_url(scope, key, extra),
    }


def _cards(scope: DashboardScope, summary: dict) -> list[dict]:
    keys = [
        "active_pregnancies",
        "purple",
        "under_case_management",
        "needs_referral",
        "not_at_appropriate_tier.red",
        "overdue_followups",
        "followups_due_7_days",
        "referrals.open",
        "referrals.incoming_open",
        "live_births",
        "maternal_deaths",
        "mmr",
    ]
    return [
        {
            **_cell(scope, summary, key),
            "label": BY_KEY[key].label,
            "definition": definition(key),
            "unavailable": key in summary["unavailable"],
        }
        for key in keys
    ]


def _facility_rows(scope: DashboardScope, period: Period) -> list[dict]:
    rows = []
    for row in facility_breakdown(scope=scope, period=period):
        facility = row["facility"]
        extra = {"facility": str(facility.external_id)}
        rows.append(
            {
                "facility": facility,
                "drill_url": reverse("dashboards:summary")
                + "?"
                + urlencode({**extra, "period": period.code}),
                "cells": [_cell(scope, row, key, extra) for key in FACILITY_COLUMNS],
            }
        )
    return rows


@login_required
@require_GET
def summary(request: HttpRequest) -> HttpResponse:
    try:
        scope, period = _resolve(request)
    except ValidationFailed as exc:
        scope, period = _resolve_scope_only(request), current_period(timezone.localdate())
        return _render_summary(request, scope, period, errors=exc.errors, status=400)
    return _render_summary(request, scope, period)


def _resolve_scope_only(request: HttpRequest) -> DashboardScope:
    """The scope alone (a bad period must not hide the page); a bad region or facility: the own scope."""
    try:
        return _resolve_scope_params(request, request.GET)
    except ValidationFailed:
        return _resolve_scope_params(request, {})


def _resolve_scope_params(request: HttpRequest, params) -> DashboardScope:
    try:
        return dashboard_scope(
            request.user, region=params.get("region") or None, facility=params.get("facility") or None
        )
    except PermissionDenied as exc:
        raise DjangoPermissionDenied from exc
    except NotFound as exc:
        raise Http404 from exc


def _render_summary(request, scope, period, *, errors=None, status=200) -> HttpResponse:
    data = summary_get(scope=scope, period=period)
    timeliness = timeliness_get(scope=scope, period=period)
    query = urlencode({**scope.params(), "period": period.code})
    context = {
        "scope": scope,
        "period": period,
        "period_input": request.GET.get("period", period.code) if errors else period.code,
        "summary": data,
        "cards": _cards(scope, data),
        "color_rows": [
            {
                **_cell(scope, data, key),
                "color": key.split(".")[1],
                "label": BY_KEY[key].label,
                "definition": definition(key),
            }
            for key in COLOR_KEYS
        ],
        "outcome_rows": [
            {**_cell(scope, data, key), "label": BY_KEY[key].label, "definition": definition(key)}
            for key in OUTCOME_KEYS
        ],
        "rate_rows": _rate_rows(data),
        "trends": _trends(request, scope, period),
        "facility_columns": [
            {"key": key, "label": BY_KEY[key].label, "definition": definition(key)}
            for key in FACILITY_COLUMNS
        ],
        "facility_rows": _facility_rows(scope, period),
        "timeliness": timeliness,
        "timeliness_groups": _timeliness_groups(timeliness),
        "timeliness_columns": [
            {"key": key, "label": TIMELINESS_BY_KEY[key].label, "definition": definition(key)}
            for key in TIMELINESS_COLUMNS
        ],
        "definitions": [
            {"label": i.label, "definition": definition(i.key)} for i in (*INDICATORS, *TIMELINESS)
        ],
        "export_url": reverse("dashboards:export") + "?" + query
        if has_action(request.user, Action.EXPORT) and not scope.aggregate_only
        else None,
        "export_xlsx_url": reverse("dashboards:export_xlsx") + "?" + query,
        "errors": errors or {},
        "parent_url": _parent_url(request.user, scope, period),
    }
    return render(request, "dashboards/summary.html", context, status=status)


def _rate_rows(data: dict) -> list[dict]:
    """The coverage and quality rates: numerator, denominator and rate, each possibly suppressed."""
    hidden = set(data["suppressed"])
    rows = []
    for name in COHORT_RATES:
        key = f"{name}.rate_pct"
        rate = data[name]
        cells = [
            {
                "key": f"{name}.{part}",
                "value": rate[part],
                "suppressed": f"{name}.{part}" in hidden,
                "url": None,
            }
            for part in ("numerator", "denominator")
        ]
        pct = {
            "key": key,
            "value": percent_display(rate["rate_pct"]),
            "suppressed": key in hidden,
            "url": None,
        }
        rows.append(
            {"key": name, "label": BY_KEY[key].label, "definition": definition(key), "cells": [*cells, pct]}
        )
    return rows


# The trend charts of the page: weekly series (dashboards/series.py), 12 ISO weeks to the current one.
TREND_SERIES = ("deliveries", "live_births", "near_miss_events", "referrals_requested", "red", "orange")
TREND_WEEKS = 12
SERIES_LABELS = {
    "deliveries": "deliveries",
    "live_births": "live_births",
    "maternal_deaths": "maternal_deaths",
    "near_miss_events": "near_miss_events",
    "referrals_requested": "referrals.requested_in_period",
    "early_booking": "early_booking.rate_pct",
    "anc_1_visit": "anc_1_visit.rate_pct",
    "anc_5_visits": "anc_5_visits.rate_pct",
    "postpartum_visit": "postpartum_visit.rate_pct",
    "active_pregnancies": "active_pregnancies",
    **{color: f"by_color.{color}" for color in COLORS},
    "purple": "purple",
    "under_case_management": "under_case_management",
}


def series_label(indicator: str) -> str:
    key = SERIES_LABELS.get(indicator)
    return str(BY_KEY[key].label) if key else indicator


def _trends(request, scope: DashboardScope, period: Period) -> list[dict]:
    can_export = has_action(request.user, Action.EXPORT) and not scope.aggregate_only
    charts = []
    for indicator in TREND_SERIES:
        data = series_get(scope=scope, indicator=indicator, weeks=TREND_WEEKS)
        hidden = set(data["suppressed"])
        query = urlencode({**scope.params(), "period": period.code, "table": f"series:{indicator}"})
        charts.append(
            {
                "indicator": indicator,
                "kind": data["kind"],
                "label": series_label(indicator),
                "definition": definition(SERIES_LABELS[indicator]),
                "color": indicator if indicator in COLORS else "",
                "rows": [{**w, "suppressed": w["start"] in hidden} for w in data["weeks"]],
                "csv_url": reverse("dashboards:export") + "?" + query if can_export else None,
                "xlsx_url": reverse("dashboards:export_xlsx") + "?" + query if can_export else None,
            }
        )
    return charts


def _parent_url(user, scope: DashboardScope, period: Period) -> str | None:
    """Up one level of the drill-down (facility → its county → the city …), for people with a regional
    view; facility administrators stay on their facility."""
    if not (has_action(user, Action.VIEW_AGGREGATES) or user.has_role(Role.SYSTEM_ADMIN)):
        return None
    if scope.facility is not None:
        up = scope.facility.region
    elif scope.region is not None and scope.region.parent_id is not None:
        up = scope.region.parent
    else:
        return None
    return reverse("dashboards:summary") + "?" + urlencode({"region": up.code, "period": period.code})


def _export_table(request, scope: DashboardScope, period: Period, table: str) -> tuple[list, list[list], str]:
    """(header, rows, file name stem) of an exportable table: the facility breakdown or a weekly series."""
    if table.startswith("series:"):
        indicator = table.removeprefix("series:")
        if indicator not in SERIES:
            raise Http404
        data = series_get(scope=scope, indicator=indicator, weeks=TREND_WEEKS)
        header = [_("ISO week"), _("Week starting"), series_label(indicator)]
        rows = [[w["week"], w["start"], w["value"]] for w in data["weeks"]]
        return header, rows, f"dashboard-{indicator}-weekly"
    if table != "facilities":
        raise Http404
    data = summary_get(scope=scope, period=period)
    header = [
        _("Facility"),
        _("Facility code"),
        _("Region code"),
        *(str(BY_KEY[k].label) for k in FACILITY_COLUMNS),
    ]
    rows = [
        [row["facility"].name, row["facility"].code, row["facility"].region_code]
        + [value(row, k) for k in FACILITY_COLUMNS]
        for row in facility_breakdown(scope=scope, period=period)
    ]
    total = [_("Total"), "", scope.region.code if scope.region else ""]
    return header, [*rows, total + [value(data, k) for k in FACILITY_COLUMNS]], f"dashboard-{period.code}"


@login_required
@require_GET
def export(request: HttpRequest, fmt: str = "csv") -> HttpResponse:
    """A table of the page (``table=facilities``, the default: per facility and the total; or
    ``table=series:<indicator>``: a trend chart's weeks) as CSV (UTF-8 with BOM, for spreadsheet
    programs) or XLSX, headers in the user's language. Audited."""
    try:
        scope, period = _resolve(request)
    except ValidationFailed as exc:
        return HttpResponse(
            str(exc.errors.get("period", [exc.message])[0]), status=400, content_type="text/plain"
        )
    if not has_action(request.user, Action.EXPORT) or scope.aggregate_only:
        raise DjangoPermissionDenied
    table = request.GET.get("table") or "facilities"
    header, rows, stem = _export_table(request, scope, period, table)
    response = _xlsx(header, rows, stem) if fmt == "xlsx" else _csv_response(header, rows, stem)
    audit_record(
        actor=request.user,
        action=AuditAction.EXPORT,
        obj=("dashboards.summary", period.code),
        changes={
            "scope": scope.params(),
            "period": period.code,
            "rows": len(rows) - (table == "facilities"),
            "format": fmt,
            "table": table,
        },
    )
    return response


def _csv_response(header: list, rows: list[list], stem: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{stem}.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if cell is None else str(cell) for cell in row])
    return response


def _xlsx(header: list, rows: list[list], stem: str) -> HttpResponse:
    """One worksheet: the header in bold, numbers as numbers, empty cells for empty figures."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, [str(h) for h in header], workbook.add_format({"bold": True}))
    for i, row in enumerate(rows, start=1):
        for j, cell in enumerate(row):
            if cell is not None:
                sheet.write(i, j, cell if isinstance(cell, int | float) else str(cell))
    sheet.set_column(0, 0, 36)
    sheet.set_column(1, len(header) - 1, 14)
    workbook.close()
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{stem}.xlsx"'
    return response


def _csv(figures: dict, key: str) -> str:
    figure = value(figures, key)
    return "" if figure is None else str(figure)


@login_required
@require_GET
def women(request: HttpRequest) -> HttpResponse:
    """The open pregnancies behind a census figure, for those who may read the women's records.

    Queries: session, user, scope (region or facility), count (the census figure's counters when she
    sees every woman of the scope: ``women_total``), one page (woman and facility joined), the audit
    insert naming the women shown.
    """
    try:
        scope, period = _resolve(request)
    except ValidationFailed as exc:
        raise Http404 from exc
    if not scope.can_list_women:
        raise DjangoPermissionDenied
    color = request.GET.get("color") or None
    flag = request.GET.get("flag") or None
    if (color and color not in COLORS) or (flag and flag not in WOMEN_FLAGS):
        return HttpResponse(_("Unknown colour or flag."), status=400, content_type="text/plain")
    key = (
        f"by_color.{color}"
        if color
        else {
            None: "active_pregnancies",
            "purple": "purple",
            "case_management": "under_case_management",
            "needs_referral": "needs_referral",
        }[flag]
    )
    queryset = women_list(actor=request.user, scope=scope, color=color, flag=flag)
    paginator = Paginator(queryset, WOMEN_PAGE_SIZE)
    total = women_total(actor=request.user, scope=scope, period=period, key=key)
    if total is not None:
        paginator.count = total  # the census figure: the same women, without counting their rows
    page = paginator.get_page(request.GET.get("page"))
    audit_record(
        actor=request.user,
        action=AuditAction.LIST,
        obj=("cases.pregnancy", ""),
        patient_ids=[p.patient.external_id for p in page.object_list],
        changes={"count": len(page.object_list), "query": request.GET.dict(), "page": "dashboard_women"},
    )
    return render(
        request,
        "dashboards/women.html",
        {
            "scope": scope,
            "page": page,
            "indicator": BY_KEY[key],
            "definition": definition(key),
            "color": color,
            "flag": flag,
            "back_url": reverse("dashboards:summary") + "?" + urlencode(scope.params()),
            "page_query": urlencode({k: v for k, v in request.GET.items() if k != "page"}),
        },
    )
