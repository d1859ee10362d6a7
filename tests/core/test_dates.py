"""``|date`` (core/templatetags/dates.py) writes the pages' fixed formats itself: it must print exactly
what Django's filter prints, after the same conversion to local time, and leave everything else to it."""

import datetime as dt
import zoneinfo

import pytest
from django.template import Context, Engine, engines
from django.utils import timezone, translation

from core.templatetags.dates import FAST, FAST_TIME

DJANGO = Engine()  # Django's builtins only
UTC = dt.UTC
VALUES = [
    dt.date(2026, 3, 7),
    dt.date(999, 12, 31),
    dt.datetime(2026, 11, 27, 23, 59, 58, tzinfo=UTC),  # already the next day in Beijing
    dt.datetime(2026, 1, 1, 0, 0, 0, tzinfo=zoneinfo.ZoneInfo("America/New_York")),
    dt.datetime(2026, 6, 15, 8, 5, 9),  # naive
    dt.datetime(5, 2, 3, 4, 5, 6, tzinfo=UTC),
    None,
    "",
    "2026-03-07",
    dt.time(8, 30),
    dt.time(23, 5, 7),
]
FORMATS = [*FAST, "l", "r", "DATE_FORMAT", "j F Y"]


def _outcome(render):
    """The text rendered, or the error raised (Django's filter raises on a time format for a date)."""
    try:
        return render()
    except Exception as exc:  # noqa: BLE001 - both sides must fail alike
        return (type(exc), str(exc))


CASES = [("date", fmt) for fmt in FORMATS] + [
    ("time", fmt) for fmt in [*FAST_TIME, "P", "TIME_FORMAT", "Y-m-d"]
]


@pytest.mark.parametrize(("name", "fmt"), CASES)
@pytest.mark.parametrize("zone", ["Asia/Shanghai", "UTC"])
def test_prints_what_djangos_filter_prints(name, fmt, zone):
    shown = "{{ v|" + name + ':"' + fmt + '" }}'
    source = f"{shown}|{{% autoescape off %}}{shown}{{% endautoescape %}}"
    ours = engines["django"].from_string(source)
    djangos = DJANGO.from_string(source)
    with timezone.override(zoneinfo.ZoneInfo(zone)):
        for language in ("zh-hans", "en"):
            with translation.override(language):
                for value in VALUES:
                    mine = _outcome(lambda: ours.render({"v": value}))
                    theirs = _outcome(lambda: djangos.render(Context({"v": value})))
                    assert mine == theirs, (name, fmt, value)


def test_local_time_is_applied_before_writing():
    template = engines["django"].from_string('{{ v|date:"Y-m-d H:i" }}')
    with timezone.override(zoneinfo.ZoneInfo("Asia/Shanghai")):
        assert template.render({"v": dt.datetime(2026, 11, 27, 23, 59, tzinfo=UTC)}) == "2026-11-28 07:59"


def test_are_the_date_and_time_filters_of_every_template():
    from core.templatetags import dates

    template = engines["django"].from_string("{{ v|date:'Y' }}{{ v|time:'H' }}")
    used = {f for node in template.template.nodelist for f, _ in node.filter_expression.filters}
    assert used == {dates.date, dates.time}
