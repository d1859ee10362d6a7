"""A cursor for the few fixed statements every request runs, prepared once per database connection.

PostgreSQL plans a statement each time it receives one. For the reads made on every request (the
signed-in user, a pregnancy by id, the dashboard's counter generation) planning costs more than
answering: 1.0 ms to plan a pregnancy with her woman, facilities and clinician, 0.3 ms to run it
(issue #9). A prepared statement is planned once per connection and then executed with new
parameters; with persistent connections (``CONN_MAX_AGE``) that is once per worker.

Django's own cursors bind parameters on the client and never prepare (so that connection poolers in
transaction mode keep working). ``prepared_cursor`` opens a server-binding psycopg cursor on the same
connection, wrapped like Django's (query logging for tests and ``CaptureQueriesContext``, database
errors translated), and lets psycopg prepare a statement after its ``PREPARED_AFTER``-th execution on
the connection. Only the statements of this cursor are ever prepared. ``DATABASE_PREPARED_STATEMENTS =
False`` turns it off, for a pooler that cannot follow prepared statements (PgBouncer before 1.21 in
transaction mode).
"""

import re
from collections import OrderedDict
from contextlib import contextmanager
from weakref import WeakKeyDictionary

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from django.db.models import BooleanField, F, Func

# psycopg's prepare_threshold: a statement runs twice as it is, then is prepared for its third run
PREPARED_AFTER = 2
GENERIC_KEPT = 32  # statements ``execute_generic`` keeps prepared per connection (least recently used go)
_PLACEHOLDER = re.compile(r"%%|%s")


class _LoggedWithValues(CursorDebugWrapper):
    """Query logging (tests, ``DEBUG``) of a server-binding cursor: Django reads the logged SQL back from
    the cursor, which holds no SQL text for an execution of a prepared statement. Log the statement
    with its values composed on the client instead, as Django's own cursors show it."""

    def execute(self, sql, params=None):
        with self.debug_sql(self.db.ops.compose_sql(sql, params) if params else sql):
            return CursorWrapper.execute(self, sql, params)


class _GenericCursor:
    """A Django cursor whose ``execute`` is ``execute_generic``; everything else is the cursor's."""

    def __init__(self, cursor) -> None:
        self._cursor = cursor

    def execute(self, sql: str, params=None) -> None:
        execute_generic(self._cursor, sql, params)

    def __getattr__(self, name: str):
        return getattr(self._cursor, name)


@contextmanager
def prepared_cursor(*, generic: bool = False):
    """A Django cursor whose statements are prepared on the server after their first execution.
    ``generic``: prepared at once and always run on their generic plan (``execute_generic``: only for
    statements measured to run as fast on it for every value)."""
    if generic:
        with connection.cursor() as cursor:
            yield _GenericCursor(cursor)
        return
    if not getattr(settings, "DATABASE_PREPARED_STATEMENTS", True):
        with connection.cursor() as cursor:
            yield cursor
        return
    from django.db.backends.postgresql.base import ServerBindingCursor

    # the wrapper itself, once: each attribute read through the ``connection`` proxy finds it in a
    # context-local (about 2 µs), and this cursor is opened several times a request
    conn = connections[DEFAULT_DB_ALIAS]
    conn.close_if_health_check_failed()
    conn.ensure_connection()
    with conn.wrap_database_errors:
        raw_connection = conn.connection
        if raw_connection.prepare_threshold != PREPARED_AFTER:
            # Django's cursors bind on the client and are never prepared: this affects only this cursor.
            raw_connection.prepare_threshold = PREPARED_AFTER
        raw = ServerBindingCursor(raw_connection)
    conn.validate_thread_sharing()
    wrapper = _LoggedWithValues if conn.queries_logged else CursorWrapper  # as Django wraps its own
    with wrapper(raw, conn) as cursor:
        yield cursor


class _GenericStatements:
    """The statements ``execute_generic`` prepared on one database connection: SQL -> name."""

    def __init__(self):
        self.names: OrderedDict[str, str] = OrderedDict()
        self.made = 0


_generic: WeakKeyDictionary = WeakKeyDictionary()  # psycopg connection -> _GenericStatements


def _kept_on(raw_connection) -> _GenericStatements:
    """The registry of a psycopg connection. psycopg sends ``DEALLOCATE ALL`` after a rollback (or a DROP,
    an ALTER…) when it holds prepared statements of its own (``prepared_cursor``), which removes ours
    too: its statement manager's ``clear()``, which decides that, empties this registry as well."""
    kept = _generic[raw_connection] = _GenericStatements()
    manager = raw_connection._prepared  # psycopg's PrepareManager (tests/core/test_prepared.py holds this)
    clear = manager.clear

    def clear_both() -> bool:
        deallocating = clear()  # True: ``DEALLOCATE ALL`` goes before the connection's next statement
        if deallocating:
            kept.names.clear()
        return deallocating

    manager.clear = clear_both
    return kept


def _numbered(sql: str, count: int) -> str:
    """``sql`` with Django's ``%s`` placeholders as ``$1``, ``$2``… (and ``%%`` as ``%``), as the ORM and
    this project's raw SQL write them (values are parameters, never ``%s`` inside a quoted constant)."""
    found = sum(1 for m in _PLACEHOLDER.finditer(sql) if m.group() == "%s")
    if found != count:
        raise ValueError(f"the statement has {found} placeholders for {count} parameters")
    numbers = iter(range(1, count + 1))
    return _PLACEHOLDER.sub(lambda m: "%" if m.group() == "%%" else f"${next(numbers)}", sql)


def execute_generic(cursor, sql: str, params) -> None:
    """Run the row-returning ``sql`` with ``params`` on its generic plan; ``cursor`` (a Django cursor of the
    default connection) is left on its rows.

    A statement prepared on the server is planned anew for each execution as long as PostgreSQL
    estimates its generic plan (made once, without the values) dearer than the plans made for the
    values (``plan_cache_mode = auto``). For the statements of a clinician's pregnancy list the estimate
    is wrong: the generic plan has the same shape, but planning the custom one costs more than running
    it (1.2 of 3 ms of server CPU a list, issue #9). Only a statement measured to run as fast on its
    generic plan for every kind of value may come here; others keep the ``auto`` choice. A condition a
    partial index needs must be written into the statement (``InConstants``): with the statuses as
    parameters the worklist's generic plan ran 152–402 ms instead of 0.5.

    The statement is prepared by name once per connection (``PREPARE``; at most ``GENERIC_KEPT`` per
    connection, the least recently used deallocated) and executed in one round trip as
    ``SET plan_cache_mode = force_generic_plan; EXECUTE …(values); RESET plan_cache_mode``: the values are
    composed on the client as for Django's own cursors, and the setting holds only for this statement
    (a failure rolls the ``SET`` back with the statement's transaction). Switched off with the prepared
    statements (``DATABASE_PREPARED_STATEMENTS = False``).
    """
    params = list(params or ())
    if not getattr(settings, "DATABASE_PREPARED_STATEMENTS", True):
        cursor.execute(sql, params)
        return
    db = cursor.db
    kept = _generic.get(db.connection) or _kept_on(db.connection)
    name = kept.names.get(sql)
    head = []
    if name is None:
        if len(kept.names) >= GENERIC_KEPT:
            head.append(f"DEALLOCATE {kept.names.popitem(last=False)[1]}")
        name = f"ms_generic_{kept.made}"
        kept.made += 1
        head.append(f"PREPARE {name} AS {_numbered(sql, len(params))}")
        kept.names[sql] = name
    else:
        kept.names.move_to_end(sql)
    execute = f"EXECUTE {name}"
    if params:
        execute = db.ops.compose_sql(f"{execute}({', '.join(['%s'] * len(params))})", params)
    try:
        cursor.execute(
            "; ".join([*head, "SET plan_cache_mode = force_generic_plan", execute, "RESET plan_cache_mode"])
        )
    except Exception:
        # Prepared or not (a PREPARE outlives a rolled-back transaction), this name is not used again.
        kept.names.pop(sql, None)
        raise
    if db.queries_logged and db.queries_log:  # tests, DEBUG: log the statement with its values
        db.queries_log[-1]["sql"] = f"{db.ops.compose_sql(sql, params)} /* EXECUTE {name}: generic plan */"
    for _ in range(len(head) + 1):  # past the PREPARE (and DEALLOCATE) and the SET, to the rows
        cursor.nextset()


# --- conditions a generic plan can match to a partial index ------------------------------------------

_CONSTANT = re.compile(r"[a-z0-9_]{1,40}")


class InConstants(Func):
    """``field IN ('a', 'b')`` with the values written into the statement, for ``filter()``.

    A partial index (``WHERE status IN ('active', 'postpartum')``) serves a statement only when
    PostgreSQL can prove its condition from the statement's. The ORM sends every value as a parameter,
    and a generic plan (``execute_generic``) knows no parameter's value: ``status IN ($1, $2)`` proves
    nothing, and the worklist's generic plan read the facility's whole index instead of its open
    pregnancies' (152–402 ms against 0.5, issue #9). Written as constants, the generic plan uses the
    partial index and the statement is never planned again on the connection.

    Only for constants of the code (choice values: lower-case letters, digits, underscores), never for
    input: anything else is refused here.
    """

    conditional = True
    output_field = BooleanField()

    def __init__(self, field: str, values) -> None:
        self.values = tuple(str(value) for value in values)
        if not self.values or not all(_CONSTANT.fullmatch(value) for value in self.values):
            raise ValueError(f"InConstants takes code constants only, not {self.values!r}")
        super().__init__(F(field))

    def as_sql(self, compiler, connection, **extra_context):
        column, params = compiler.compile(self.source_expressions[0])
        listed = ", ".join(f"'{value}'" for value in self.values)
        return f"{column} IN ({listed})", params
