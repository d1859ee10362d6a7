"""``|date`` and ``|time`` for the formats the pages use, without Django's format machinery; a builtin
of ``TEMPLATES``.

Every page prints its dates and times in fixed numeric formats ("Y-m-d", "Y-m-d H:i", "m-d H:i", …), the
same in both languages. Django's ``date`` filter reads such a format character by character after
looking it up in each format module of the active language (a format string that is not a setting's
name is never cached): some 25 µs a value, ten to twenty values on a case page, a hundred times on the
MDT board (issue #9). These filters, registered as a builtin after Django's so that they take the names
``date`` and ``time``, write those formats
directly with the digits Django writes (``"%04d"`` year, two-digit month, day, hour, minute, second),
after the same conversion to local time (``expects_localtime``); any other format or value goes to
Django's filter. ``tests/core/test_dates.py`` compares both on every format listed here.
"""

import datetime as dt

from django import template
from django.template.defaultfilters import date as django_date
from django.template.defaultfilters import time as django_time

register = template.Library()


def _ymd(v) -> str:
    return f"{v.year:04d}-{v.month:02d}-{v.day:02d}"


def _hm(v) -> str:
    return f"{v.hour:02d}:{v.minute:02d}"


def _hms(v) -> str:
    return f"{v.hour:02d}:{v.minute:02d}:{v.second:02d}"


# format → (writer, whether it needs a time of day)
FAST = {
    "Y-m-d": (_ymd, False),
    "m-d": (lambda v: f"{v.month:02d}-{v.day:02d}", False),
    "Y-m-d H:i": (lambda v: f"{_ymd(v)} {_hm(v)}", True),
    "Y-m-d H:i:s": (lambda v: f"{_ymd(v)} {_hms(v)}", True),
    "m-d H:i": (lambda v: f"{v.month:02d}-{v.day:02d} {_hm(v)}", True),
    "H:i": (_hm, True),
    "H:i:s": (_hms, True),
}


@register.filter(expects_localtime=True, is_safe=False)
def date(value, arg=None):
    fast = FAST.get(arg) if isinstance(arg, str) else None
    if fast is not None:
        write, needs_time = fast
        if isinstance(value, dt.datetime) or (isinstance(value, dt.date) and not needs_time):
            return write(value)
    return django_date(value, arg)


# ``|time``: formats of a time of day only, for a datetime or a time.
FAST_TIME = {"H:i": _hm, "H:i:s": _hms}


@register.filter(expects_localtime=True, is_safe=False)
def time(value, arg=None):
    write = FAST_TIME.get(arg) if isinstance(arg, str) else None
    if write is not None and isinstance(value, (dt.datetime, dt.time)):
        return write(value)
    return django_time(value, arg)
