"""``timestamptz`` read by psycopg's C loader (``core.timestamps``): the same values as Django's loader."""

import datetime as dt

import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import register_tzloader

from core import timestamps

pytestmark = pytest.mark.django_db

VALUES_SQL = """
SELECT v FROM (VALUES
    (now()),
    ('2026-11-27 03:04:05.123456+00'::timestamptz),
    ('2026-11-27 11:04:05+08'::timestamptz),
    ('2026-03-29 01:30:00-07:30'::timestamptz),
    ('0001-01-01 00:00:00+00'::timestamptz),
    ('9999-12-31 23:59:59.999999+00'::timestamptz),
    (NULL::timestamptz)
) AS t(v)
"""


def _read(cursor) -> list:
    cursor.execute(VALUES_SQL)
    return [row[0] for row in cursor.fetchall()]


def test_every_connection_reads_timestamps_with_the_c_loader():
    connection.ensure_connection()
    assert timestamps.loader_in_use(connection) is timestamps.C_LOADER


def test_the_c_loader_reads_what_djangos_loader_reads():
    with connection.cursor() as ours, connection.cursor() as djangos:
        register_tzloader(dt.UTC, djangos.cursor)  # Django's own loader on this cursor only
        djangos_loader = djangos.cursor.adapters.get_loader(timestamps.TIMESTAMPTZ_OID, 0)
        assert djangos_loader is not timestamps.C_LOADER
        fast, slow = _read(ours.cursor), _read(djangos.cursor)
    assert fast == slow and fast[-1] is None
    assert all(value.tzinfo is dt.UTC for value in fast[:-1])
    assert fast[1] == dt.datetime(2026, 11, 27, 3, 4, 5, 123456, tzinfo=dt.UTC)
    assert fast[3] == dt.datetime(2026, 3, 29, 9, 0, tzinfo=dt.UTC)


def test_not_installed_where_django_expects_another_zone(monkeypatch):
    from zoneinfo import ZoneInfo

    connection.ensure_connection()
    monkeypatch.setattr(connection, "timezone", ZoneInfo("Asia/Shanghai"))
    assert timestamps.install(connection) is False


def test_not_installed_where_the_session_is_not_in_utc():
    connection.ensure_connection()
    raw = connection.connection
    with connection.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'Asia/Shanghai'")
        try:
            assert raw.info.parameter_status("TimeZone") == "Asia/Shanghai"
            assert timestamps.install(connection) is False
        finally:
            cursor.execute("SET TIME ZONE 'UTC'")
    assert timestamps.install(connection) is True
