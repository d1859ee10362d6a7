"""The connection health check (``core.db.postgresql``): no round trip for a quiet idle connection,
Django's ``SELECT 1`` otherwise, and a connection the server ended is closed and replaced.

What the application's connection last sent is read from PostgreSQL (``pg_stat_activity.query`` of its
backend, through a second connection), so the tests see the statements the server received.
"""

import select
import uuid

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction

from core.db.postgresql.base import DatabaseWrapper

pytestmark = pytest.mark.django_db(transaction=True)


def _marked() -> tuple[int, str]:
    """Run a statement only this test sends; (the backend's pid, that statement)."""
    marker = f"SELECT 'health-{uuid.uuid4()}'"
    with connection.cursor() as cursor:
        cursor.execute(marker)
        cursor.fetchone()
    return connection.connection.info.backend_pid, marker


def _next_request_check() -> None:
    """What Django does for a persistent connection before the next request's first statement."""
    connection.health_check_done = False
    connection.close_if_health_check_failed()


def test_the_project_runs_on_this_backend():
    assert isinstance(connections[DEFAULT_DB_ALIAS], DatabaseWrapper)
    assert connection.health_check_enabled


def test_a_quiet_idle_connection_is_checked_without_a_statement(pg_observer):
    pid, marker = _marked()
    raw = connection.connection
    _next_request_check()
    assert connection.health_check_done
    assert connection.connection is raw
    assert pg_observer.last_statement(pid) == marker


def test_a_connection_inside_a_transaction_is_checked_with_select_1(pg_observer):
    with transaction.atomic():
        pid, marker = _marked()  # psycopg begins the transaction with the first statement
        _next_request_check()
        assert pg_observer.last_statement(pid) == "SELECT 1"
    assert connection.connection.info.backend_pid == pid


def test_a_connection_with_something_to_read_is_checked_with_select_1(pg_observer):
    """A notification waiting on the socket: readable, so Django's check runs (and reads it)."""
    pid, _ = _marked()
    channel = f"health_{uuid.uuid4().hex}"
    with connection.cursor() as cursor:
        cursor.execute(f"LISTEN {channel}")
    pg_observer.execute(f"NOTIFY {channel}")
    assert select.select([connection.connection.pgconn.socket], [], [], 5)[0], "no notification came"
    _next_request_check()
    assert pg_observer.last_statement(pid) == "SELECT 1"
    assert connection.connection.info.backend_pid == pid
    with connection.cursor() as cursor:
        cursor.execute(f"UNLISTEN {channel}")


def test_a_connection_the_server_ended_is_replaced_before_the_next_statement(pg_observer):
    pid, _ = _marked()
    socket = connection.connection.pgconn.socket
    assert pg_observer.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0]
    assert select.select([socket], [], [], 5)[0], "the server did not close the connection"
    _next_request_check()
    assert connection.connection is None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid
