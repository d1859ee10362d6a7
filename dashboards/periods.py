"""Reporting periods: a calendar year ``2026``, a month ``2026-03`` or a statistical year ``SY2026``.

China's national maternal and child health reports use the statistical year 1 October – 30 September
(DOMAIN.md §7): ``SY2026`` runs from 1 October 2025 to 30 September 2026. Pure functions, no database.
"""

import datetime as dt
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from core.errors import ValidationFailed

_PATTERN = re.compile(r"^(?:(?P<sy>SY)(?P<sy_year>\d{4})|(?P<year>\d{4})(?:-(?P<month>\d{2}))?)$")
MIN_YEAR, MAX_YEAR = 2000, 2100


@dataclass(frozen=True)
class Period:
    """``start`` is the first day; ``end`` the day after the last (half-open, as the month buckets)."""

    code: str
    start: dt.date
    end: dt.date

    @property
    def last_day(self) -> dt.date:
        return self.end - dt.timedelta(days=1)

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """The period as aware datetimes: local midnight of the first day, and of the day after the last."""
        from django.utils import timezone

        return (
            timezone.make_aware(dt.datetime.combine(self.start, dt.time())),
            timezone.make_aware(dt.datetime.combine(self.end, dt.time())),
        )

    def as_dict(self) -> dict:
        return {"code": self.code, "start": self.start.isoformat(), "end": self.last_day.isoformat()}


def statistical_year(year: int) -> Period:
    return Period(f"SY{year}", dt.date(year - 1, 10, 1), dt.date(year, 10, 1))


def current_period(today: dt.date) -> Period:
    """The statistical year that contains ``today`` (October starts the next one)."""
    return statistical_year(today.year + 1 if today.month >= 10 else today.year)


def parse_period(text: str | None, *, today: dt.date) -> Period:
    """The period named by ``text``; the current statistical year when empty.

    Raises ``ValidationFailed`` (400, translated, under ``errors["period"]``) for anything else.
    """
    text = (text or "").strip()
    if not text:
        return current_period(today)
    match = _PATTERN.match(text.upper())
    year = int(match.group("sy_year") or match.group("year")) if match else 0
    month = int(match.group("month")) if match and match.group("month") else None
    if not match or not MIN_YEAR <= year <= MAX_YEAR or (month is not None and not 1 <= month <= 12):
        message = _(
            "Give the period as a year (2026), a month (2026-03) or a statistical year "
            "(SY2026 = 1 October 2025 to 30 September 2026), between %(min)s and %(max)s."
        ) % {"min": MIN_YEAR, "max": MAX_YEAR}
        raise ValidationFailed(errors={"period": [message]})
    if match.group("sy"):
        return statistical_year(year)
    if month is None:
        return Period(str(year), dt.date(year, 1, 1), dt.date(year + 1, 1, 1))
    end = dt.date(year + 1, 1, 1) if month == 12 else dt.date(year, month + 1, 1)
    return Period(f"{year}-{month:02d}", dt.date(year, month, 1), end)
