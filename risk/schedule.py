"""When the next antenatal visit is due (DOMAIN.md §4): the national schedule for green (and ungraded)
women, a tighter interval by colour from the regional policy, and a clinician's earlier date always
wins. Pure; the reminders (alerts issue) use it."""

from __future__ import annotations

import datetime as dt

# Chinese prenatal-care guideline 2018 windows (start week, end week); weekly from 37 weeks.
NATIONAL_WINDOWS: tuple[tuple[int, int], ...] = ((6, 13), (14, 19), (20, 24), (25, 28), (29, 32), (33, 36))
WEEKLY_FROM_WEEK = 37


def _ga_days(edd: dt.date, on: dt.date) -> int:
    return 280 - (edd - on).days


def national_next_due(*, edd: dt.date, last_visit: dt.date | None) -> dt.date:
    """The start of the next national window after the last visit (weekly from 37 weeks)."""
    conception_start = edd - dt.timedelta(days=280)  # LMP-equivalent day 0
    if last_visit is None:
        return conception_start + dt.timedelta(weeks=NATIONAL_WINDOWS[0][0])
    weeks = _ga_days(edd, last_visit) // 7
    if weeks >= WEEKLY_FROM_WEEK - 1:
        return last_visit + dt.timedelta(days=7)
    for start, _end in NATIONAL_WINDOWS:
        if weeks < start:
            return conception_start + dt.timedelta(weeks=start)
    return conception_start + dt.timedelta(weeks=WEEKLY_FROM_WEEK)


def next_visit_due(
    *,
    edd: dt.date | None,
    last_visit: dt.date | None,
    color: str | None,
    interval_days: dict[str, int],
    clinician_date: dt.date | None = None,
) -> dt.date | None:
    """The due date of the next antenatal visit, or None when nothing can be computed (no EDD and no date).

    A colour with an interval (e.g. orange 14 days) counts from the last visit; green and ungraded
    women follow the national schedule; the earliest of that and the clinician's date wins.
    """
    candidates = []
    if clinician_date is not None:
        candidates.append(clinician_date)
    interval = interval_days.get(color or "")
    if interval and last_visit is not None:
        candidates.append(last_visit + dt.timedelta(days=int(interval)))
    elif edd is not None:
        candidates.append(national_next_due(edd=edd, last_visit=last_visit))
    return min(candidates) if candidates else None
