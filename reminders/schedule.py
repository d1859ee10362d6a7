"""Which follow-up window comes next (DOMAIN.md §4). Pure: no database, no clock.

Antenatal: the next window of the national grid (Chinese guideline 2018; weekly from 37 weeks), a
shorter interval from the last contact for higher colours (the regional policy's interval by colour,
purple from settings), and the clinician's next-visit date; the earliest start wins and the window
ends at the earliest end. Postpartum: the home visit 3–7 days after discharge (or the end of the
pregnancy), then the 42-day check. Every window then has its step dates: remind a few days before,
overdue the day after it ends, tracing and a lost-to-follow-up proposal after thresholds that are
shorter for higher colours.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from risk.schedule import NATIONAL_WINDOWS, WEEKLY_FROM_WEEK

from .choices import FollowUpKind

DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Rules:
    """Thresholds (days). Tables keyed by colour (``green``…``red``, ``purple``) with a ``default``;
    for a woman the tightest applicable entry counts (her colour, and purple when flagged)."""

    remind_days_before: int = 3
    grace_days: dict = field(default_factory=lambda: {"default": 7, "orange": 3, "red": 2, "purple": 3})
    trace_after_days: dict = field(
        default_factory=lambda: {"default": 14, "orange": 7, "red": 3, "purple": 7}
    )
    lost_after_days: dict = field(
        default_factory=lambda: {"default": 42, "orange": 28, "red": 21, "purple": 28}
    )
    interval_days: dict = field(default_factory=lambda: {"yellow": 28, "orange": 14, "red": 7, "purple": 14})
    default_interval_days: int = 28
    postpartum_visit_days: tuple[int, int] = (3, 7)
    check_42d_days: tuple[int, int] = (42, 49)

    def tightest(self, table: dict, color: str | None, purple: bool) -> int | None:
        keys = [k for k in (color, "purple" if purple else None) if k and k in table]
        values = [int(table[k]) for k in keys]
        if values:
            return min(values)
        return int(table["default"]) if "default" in table else None


@dataclass(frozen=True)
class Facts:
    """What the computation needs to know about one pregnancy."""

    status: str  # "active" or "postpartum"
    color: str | None = None
    purple: bool = False
    edd: dt.date | None = None
    booked_on: dt.date | None = None
    last_visit_on: dt.date | None = None  # last antenatal contact (antenatal) / last postpartum visit
    clinician_date: dt.date | None = None
    ended_on: dt.date | None = None
    discharged_on: dt.date | None = None
    postpartum_visit_done: bool = False


@dataclass(frozen=True)
class Window:
    kind: str
    source: str
    due_from: dt.date
    due_by: dt.date
    remind_on: dt.date
    overdue_on: dt.date
    trace_on: dt.date
    lost_on: dt.date

    def same_dates(self, other) -> bool:
        return (self.kind, self.due_from, self.due_by, self.remind_on, self.trace_on, self.lost_on) == (
            other.kind,
            other.due_from,
            other.due_by,
            other.remind_on,
            other.trace_on,
            other.lost_on,
        )


def national_window(edd: dt.date, last: dt.date | None) -> tuple[dt.date, dt.date]:
    """The next window of the national grid after the contact on ``last`` (both ends inclusive)."""
    day0 = edd - dt.timedelta(days=280)
    weeks = (last - day0).days // 7 if last else -1
    if weeks >= WEEKLY_FROM_WEEK - 1:
        start = last + dt.timedelta(days=7)
        return start, start + dt.timedelta(days=6)
    for start_week, end_week in NATIONAL_WINDOWS:
        if weeks < start_week:
            return day0 + dt.timedelta(weeks=start_week), day0 + dt.timedelta(weeks=end_week, days=6)
    start = day0 + dt.timedelta(weeks=WEEKLY_FROM_WEEK)
    return start, start + dt.timedelta(days=6)


def _antenatal(facts: Facts, rules: Rules) -> tuple[str, dt.date, dt.date] | None:
    last = max((d for d in (facts.last_visit_on, facts.booked_on) if d), default=None)
    grace = dt.timedelta(days=rules.tightest(rules.grace_days, facts.color, facts.purple) or 7)
    candidates: list[tuple[dt.date, dt.date, str]] = []
    if facts.edd is not None:
        start, end = national_window(facts.edd, last)
        candidates.append((start, end, "schedule"))
    interval = rules.tightest(
        {k: v for k, v in rules.interval_days.items() if k != "default"}, facts.color, facts.purple
    )
    if interval and last is not None:
        start = last + dt.timedelta(days=interval)
        candidates.append((start, start + grace, "interval"))
    if facts.clinician_date is not None:
        candidates.append((facts.clinician_date, facts.clinician_date + grace, "clinician"))
    if not candidates and last is not None:
        start = last + dt.timedelta(days=rules.default_interval_days)
        candidates.append((start, start + grace, "interval"))
    if not candidates:
        return None
    due_from, _end, source = min(candidates)
    due_by = max(due_from, min(end for _start, end, _source in candidates))
    return source, due_from, due_by


def compute_window(facts: Facts, rules: Rules) -> Window | None:
    """The current window for an open pregnancy, or None when nothing is known to compute one."""
    if facts.status == "active":
        found = _antenatal(facts, rules)
        if found is None:
            return None
        source, due_from, due_by = found
        kind = FollowUpKind.ANTENATAL
    elif facts.status == "postpartum":
        ended = facts.ended_on or facts.discharged_on
        if ended is None:
            return None
        if not facts.postpartum_visit_done:
            base = max(d for d in (facts.discharged_on, ended) if d)
            first, last = rules.postpartum_visit_days
            kind, due_from, due_by = FollowUpKind.POSTPARTUM, base + first * DAY, base + last * DAY
        else:
            first, last = rules.check_42d_days
            kind, due_from, due_by = FollowUpKind.CHECK_42D, ended + first * DAY, ended + last * DAY
        source = "postpartum"
    else:
        return None
    trace_after = rules.tightest(rules.trace_after_days, facts.color, facts.purple) or 14
    lost_after = max(trace_after, rules.tightest(rules.lost_after_days, facts.color, facts.purple) or 42)
    return Window(
        kind=kind,
        source=source,
        due_from=due_from,
        due_by=due_by,
        remind_on=due_from - rules.remind_days_before * DAY,
        overdue_on=due_by + DAY,
        trace_on=due_by + trace_after * DAY,
        lost_on=due_by + lost_after * DAY,
    )
