"""A cursor for the few fixed statements every request runs, prepared once per database connection.

PostgreSQL plans a statement each time it receives one. For the reads made on every request (the
signed-in user, a pregnancy by id, the dashboard's counter generation) planning costs more than
answering: 1.0 ms to plan a pregnancy with her woman, facilities and clinician, 0.3 ms to run it
(issue #9). A prepared statement is planned once per connection and then executed with new
parameters; with persistent connections (``CONN_MAX_AGE``) that is once per worker.

Django's own cursors bind parameters on the client and never prepare (so that connection poolers in
transaction mode keep working). ``prepared_cursor`` opens a server-binding psycopg cursor on the same
connection, wrapped like Django's (query logging for tests and ``CaptureQueriesContext``, database
errors translated), and lets psycopg prepare a statement from its ``PREPARED_AFTER``-th execution on
the connection. Only the statements of this cursor are ever prepared. ``DATABASE_PREPARED_STATEMENTS =
False`` turns it off, for a pooler that cannot follow prepared statements (PgBouncer before 1.21 in
transaction mode).
"""

from contextlib import contextmanager

from django.conf import settings
from django.db import connection
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper

PREPARED_AFTER = 2  # psycopg's prepare_threshold: prepared at the second execution on a connection


class _LoggedWithValues(CursorDebugWrapper):
    """Query logging (tests, ``DEBUG``) of a server-binding cursor: Django reads the logged SQL back from
    the cursor, which holds no SQL text for an execution of a prepared statement. Log the statement
    with its values composed on the client instead, as Django's own cursors show it."""

    def execute(self, sql, params=None):
        with self.debug_sql(self.db.ops.compose_sql(sql, params) if params else sql):
            return CursorWrapper.execute(self, sql, params)


@contextmanager
def prepared_cursor():
    """A Django cursor whose statements are prepared on the server after their first execution."""
    if not getattr(settings, "DATABASE_PREPARED_STATEMENTS", True):
        with connection.cursor() as cursor:
            yield cursor
        return
    from django.db.backends.postgresql.base import ServerBindingCursor

    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        raw_connection = connection.connection
        if raw_connection.prepare_threshold != PREPARED_AFTER:
            # Django's cursors bind on the client and are never prepared: this affects only this cursor.
            raw_connection.prepare_threshold = PREPARED_AFTER
        raw = ServerBindingCursor(raw_connection)
    connection.validate_thread_sharing()
    wrapper = _LoggedWithValues if connection.queries_logged else CursorWrapper  # as Django wraps its own
    with wrapper(raw, connection) as cursor:
        yield cursor
