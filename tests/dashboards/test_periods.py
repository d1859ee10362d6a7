import datetime as dt

import pytest
from django.utils import translation

from core.errors import ValidationFailed
from dashboards.periods import current_period, parse_period

TODAY = dt.date(2026, 11, 26)


@pytest.mark.parametrize(
    ("text", "code", "start", "last_day"),
    [
        ("2026", "2026", dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
        ("2026-03", "2026-03", dt.date(2026, 3, 1), dt.date(2026, 3, 31)),
        ("2024-02", "2024-02", dt.date(2024, 2, 1), dt.date(2024, 2, 29)),
        ("2026-12", "2026-12", dt.date(2026, 12, 1), dt.date(2026, 12, 31)),
        ("SY2026", "SY2026", dt.date(2025, 10, 1), dt.date(2026, 9, 30)),
        ("sy2026", "SY2026", dt.date(2025, 10, 1), dt.date(2026, 9, 30)),
        (" 2025 ", "2025", dt.date(2025, 1, 1), dt.date(2025, 12, 31)),
    ],
)
def test_periods_are_parsed_with_their_first_and_last_day(text, code, start, last_day):
    period = parse_period(text, today=TODAY)
    assert (period.code, period.start, period.last_day) == (code, start, last_day)
    assert period.end == last_day + dt.timedelta(days=1)


@pytest.mark.parametrize(
    ("today", "code"),
    [(dt.date(2026, 9, 30), "SY2026"), (dt.date(2026, 10, 1), "SY2027"), (dt.date(2026, 1, 1), "SY2026")],
)
def test_no_period_means_the_current_statistical_year(today, code):
    assert parse_period("", today=today).code == code == current_period(today).code
    assert parse_period(None, today=today).code == code


@pytest.mark.parametrize(
    "text", ["2026-13", "2026-00", "SY26", "FY2026", "2026-3", "1999", "2101", "abc", "2026/03", "SY2026-01"]
)
def test_anything_else_is_refused_with_a_message_naming_the_formats(text):
    with pytest.raises(ValidationFailed) as caught:
        parse_period(text, today=TODAY)
    assert "SY2026" in caught.value.errors["period"][0]


def test_the_refusal_is_translated():
    with translation.override("en"), pytest.raises(ValidationFailed) as english:
        parse_period("x", today=TODAY)
    with translation.override("zh-hans"), pytest.raises(ValidationFailed) as chinese:
        parse_period("x", today=TODAY)
    assert english.value.errors["period"][0].startswith("Give the period")
    assert "统计年" in chinese.value.errors["period"][0]
