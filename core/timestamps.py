"""``timestamptz`` values read by psycopg's C loader instead of Django's Python one.

Django registers its own loader for ``timestamptz`` on every connection (a Python subclass of psycopg's
pure-Python loader that replaces the tzinfo with the connection's zone), so each value read is parsed
in Python: 8.5 µs a value here, against 0.3 µs for psycopg's C loader (``psycopg[binary]``), about
1 µs behind the Python front below. The reads of a page hold hundreds of them (issue #9: 4–8 % of the
Python time of the list API, the case page and visit entry).

The C loader gives the session time zone of the connection, and for ``UTC`` that is
``datetime.timezone.utc``, exactly what Django's loader puts there. So it is installed only where the
two agree: Django's connection time zone is UTC (``USE_TZ`` with no per-database ``TIME_ZONE``) and
the session says ``UTC``. Otherwise Django's loader stays. (A ``SET TIME ZONE`` on such a connection
afterwards would give values in that zone: the same instants, another ``tzinfo``. Nothing here does
that; Django sets the session zone once, when it connects.)
"""

from __future__ import annotations

import datetime as dt

from psycopg import adapters
from psycopg.pq import Format

TIMESTAMPTZ_OID = adapters.types["timestamptz"].oid


def _c_loader_class():
    try:
        from psycopg._cmodule import _psycopg
    except ImportError:  # pragma: no cover - psycopg without its C module
        return None
    base = getattr(_psycopg, "TimestamptzLoader", None) if _psycopg is not None else None
    if base is None:  # pragma: no cover
        return None

    from psycopg.adapt import Loader

    class UtcTimestamptzLoader(Loader):
        """psycopg's C loader behind a Python one: the C class cannot be subclassed, and Django's
        ``cursor()`` reads ``timezone`` from the connection's loader to compare it with its own zone.
        ``load`` is the C loader's own (bound) method: no Python frame per value."""

        timezone = dt.UTC

        def __init__(self, oid, context=None):
            super().__init__(oid, context)
            self.load = base(oid, context).load

        def load(self, data):  # replaced per instance in __init__
            raise NotImplementedError

    return UtcTimestamptzLoader


C_LOADER = _c_loader_class()


def install(wrapper) -> bool:
    """Put the C loader on ``wrapper``'s new psycopg connection if the session is in UTC and Django
    expects UTC; whether it did."""
    if C_LOADER is None or wrapper.vendor != "postgresql" or wrapper.timezone != dt.UTC:
        return False
    raw = wrapper.connection
    if raw is None or raw.info.parameter_status("TimeZone") != "UTC":
        return False
    raw.adapters.register_loader(TIMESTAMPTZ_OID, C_LOADER)
    return True


def on_connection_created(sender, connection, **kwargs) -> None:
    install(connection)


def loader_in_use(wrapper):
    return wrapper.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
