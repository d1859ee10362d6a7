"""Model instances from one hand-written statement, for the few reads made on every request.

The ORM's query compiler costs one to several milliseconds of Python per ``select_related`` statement
(measured on the token and session-user lookups and on the case-page fetch, issue #9): more than
PostgreSQL spends answering it. For a statement that runs on every request, ``Joined`` writes the SQL
once per process from the models' metadata (a new column is picked up without editing anything) and
turns each row into the instances the ORM would build: ``Model.from_db`` with the fields' converters,
the related rows cached on the instance as ``select_related`` does. Use it only where a profile shows
the compiler; everywhere else, use the ORM.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Hashable, Sequence
from functools import cache, cached_property
from threading import Lock
from typing import TypeVar

from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, transaction
from django.db.models import Model
from django.db.models.base import ModelState
from django.db.models.expressions import DatabaseDefault
from django.db.models.signals import post_init, post_save, pre_init, pre_save

from .prepared import prepared_cursor

T = TypeVar("T")

# Compiled SQL kept per process (``kept_sql``).
_KEPT_SQL: dict[tuple, object] = {}
_KEPT_SQL_LOCK = Lock()
KEPT_SQL_MAX_ENTRIES = 1024


def kept_sql(key: tuple[Hashable, ...], compile_sql: Callable[[], T]) -> T:
    """What ``compile_sql`` returns (the SQL and parameters of an ORM query), compiled once per process
    and database for ``key``. ``key`` must hold everything the SQL text and parameters depend on: the
    caller's use of it decides whether that is true. At most ``KEPT_SQL_MAX_ENTRIES``: beyond that
    everything is compiled afresh."""
    full_key = (connection.alias, connection.settings_dict["NAME"], *key)
    if full_key in _KEPT_SQL:
        return _KEPT_SQL[full_key]
    found = compile_sql()
    with _KEPT_SQL_LOCK:
        if len(_KEPT_SQL) >= KEPT_SQL_MAX_ENTRIES:
            _KEPT_SQL.clear()
        _KEPT_SQL[full_key] = found
    return found


def kept_sql_clear() -> None:
    with _KEPT_SQL_LOCK:
        _KEPT_SQL.clear()


def _fields(model: type[Model], only: tuple[str, ...] | None) -> list:
    """The concrete fields of ``model`` read, in ``from_db`` order: all of them, or those named in
    ``only`` (field names; the primary key always)."""
    fields = model._meta.concrete_fields
    if only is None:
        return list(fields)
    wanted = {*only, model._meta.pk.name}
    unknown = wanted - {field.name for field in fields}
    if unknown:
        raise ValueError(f"{model.__name__} has no concrete field {sorted(unknown)}")
    return [field for field in fields if field.name in wanted]


def _column_list(model: type[Model], alias: str, only: tuple[str, ...] | None = None) -> str:
    """``alias."col1", alias."col2", …`` for the fields of ``model`` read (``_fields``)."""
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(field.column)}" for field in _fields(model, only))


@cache
def _layout(model: type[Model], only: tuple[str, ...] | None = None) -> tuple[list[str], int, list]:
    """(attribute names, position of the primary key, (position, converter) of the fields that have
    one) of the fields of ``model`` read: worked out once per process, used for every row."""
    fields = _fields(model, only)
    names = [field.attname for field in fields]
    converters = [
        (n, field.from_db_value) for n, field in enumerate(fields) if hasattr(field, "from_db_value")
    ]
    return names, names.index(model._meta.pk.attname), converters


@cache
def _plain_construction(model: type[Model]) -> bool:
    """``model`` is built by Django's own ``from_db`` and ``__init__`` (neither is overridden)."""
    return model.from_db.__func__ is Model.from_db.__func__ and model.__init__ is Model.__init__


def _constructs_plainly(model: type[Model]) -> bool:
    """``model`` may be built without ``__init__`` (``_instance``): Django's own ``from_db`` and
    ``__init__``, and no ``pre_init``/``post_init`` receiver now. Asked once per statement, not per row:
    the two signal checks cost a few microseconds each, on some 200 instances a home page."""
    return (
        _plain_construction(model)
        and not pre_init.has_listeners(model)
        and not post_init.has_listeners(model)
    )


def _instance(
    model: type[Model],
    values: Sequence,
    only: tuple[str, ...] | None = None,
    conn=None,
    plain: bool | None = None,
) -> Model | None:
    """The instance for one model's slice of a row (``None`` when its primary key is NULL: an outer
    join that found nothing), with the fields' ``from_db_value`` applied as the ORM does.

    ``Model.__init__`` sets every field through its descriptor, about 10 microseconds for a pregnancy:
    the home page builds some 250 instances a request (issue #9). For a model that overrides neither
    ``from_db`` nor ``__init__`` and has no ``pre_init``/``post_init`` receiver, the instance is made as
    ``__init__`` leaves it when every column is loaded: the values in ``__dict__`` under the fields'
    attribute names and a ``ModelState`` of the database, not adding (``tests/core/test_rows.py``).

    ``conn``: the default database's wrapper, looked up once by the caller. ``django.db.connection`` is
    a proxy that finds the wrapper in a context-local on every attribute read (2-4 µs): reading
    ``connection.alias`` per instance was 9 % of the home page's Python time. ``plain``:
    ``_constructs_plainly(model)``, worked out by the caller once for all its rows."""
    names, pk_position, converters = _layout(model, only)
    if values[pk_position] is None:
        return None
    if conn is None:
        conn = connections[DEFAULT_DB_ALIAS]
    values = list(values)
    for position, convert in converters:
        values[position] = convert(values[position], None, conn)
    if plain is None:
        plain = _constructs_plainly(model)
    if not plain:
        return model.from_db(conn.alias, names, values)
    obj = model.__new__(model)
    state = obj._state = ModelState()
    state.adding, state.db = False, conn.alias
    obj.__dict__.update(zip(names, values, strict=True))
    return obj


def _attach(obj: Model, name: str, related: Model | None) -> None:
    """Cache ``related`` as ``obj.<name>`` (the forward foreign key), as ``select_related`` does."""
    obj._meta.get_field(name).set_cached_value(obj, related)


class Joined:
    """``model.objects.select_related(*related)`` (forward foreign keys; ``a__b`` follows ``a``'s own,
    listed after ``a``) as one fixed statement: ``base`` is aliased ``t0``, the related tables ``t1``,
    ``t2``, … in the order given.

    ``fetch(where, params, extra=…)`` adds ``extra`` SQL expressions after the columns (their values are
    returned beside the instance) and a ``WHERE`` clause; only SQL written in the code is interpolated,
    every value is a parameter.

    ``only`` reads some fields of a model (``""`` for ``model``, a relation's path for its model), as
    ``QuerySet.only``: the others are deferred, read by a query of their own if ever touched. For a list
    that shows a few columns of wide rows; a test of the page's query count keeps it honest.
    """

    def __init__(
        self, model: type[Model], *related: str, only: dict[str, tuple[str, ...]] | None = None
    ) -> None:
        self.model = model
        self.related = related
        self.only = {path: tuple(names) for path, names in (only or {}).items()}
        unknown = set(self.only) - {"", *related}
        if unknown:
            raise ValueError(f"only names relations that are not read: {sorted(unknown)}")
        self._onlys = [self.only.get(""), *(self.only.get(name) for name in related)]

    @cached_property
    def _parts(self) -> tuple[str, str, list[type[Model]]]:
        quote = connection.ops.quote_name
        models = [self.model]
        columns = [_column_list(self.model, "t0", self._onlys[0])]
        joins = []
        required = {"": True}  # path → the row is always there (every foreign key on the way not null)
        for n, name in enumerate(self.related, start=1):
            parent_alias, parent_model, attribute = self._parent(name, models)
            field = parent_model._meta.get_field(attribute)
            target = field.related_model
            models.append(target)
            columns.append(_column_list(target, f"t{n}", self._onlys[n]))
            # An inner join where the row must exist (what select_related does, and what FOR UPDATE OF
            # needs: PostgreSQL cannot lock the nullable side of an outer join).
            required[name] = required[name.rpartition("__")[0]] and not field.null
            join = "JOIN" if required[name] else "LEFT JOIN"
            joins.append(
                f"{join} {quote(target._meta.db_table)} t{n} "
                f"ON t{n}.{quote(field.target_field.column)} = {parent_alias}.{quote(field.column)}"
            )
        source = f"FROM {quote(self.model._meta.db_table)} t0 " + " ".join(joins)
        return ", ".join(columns), source, models

    def _parent(self, name: str, models: list[type[Model]]) -> tuple[str, type[Model], str]:
        """(alias, model, field name) of the table a relation ``name`` starts from: ``t0`` for a field of
        the model, the alias of ``a`` for ``a__b`` (``a`` must be listed before ``a__b``)."""
        path, _, attribute = name.rpartition("__")
        if not path:
            return "t0", self.model, attribute
        position = self.related.index(path) + 1
        return f"t{position}", models[position], attribute

    def _sql(self, where: str, extra: Sequence[str], order_by: str, limit: int | None) -> str:
        columns, source, _models = self._parts
        select = ", ".join([columns, *extra])
        sql = f"SELECT {select} {source} WHERE {where}"  # noqa: S608 - code-written SQL, values as parameters
        if order_by:
            sql += f" ORDER BY {order_by}"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return sql

    @cached_property
    def _slots(self) -> list[tuple[type[Model], tuple[str, ...] | None, int, int]]:
        """(model, fields read, first column, end column) of each model's slice of a row."""
        _columns, _source, models = self._parts
        slots, start = [], 0
        for model, only in zip(models, self._onlys, strict=True):
            width = len(_layout(model, only)[0])
            slots.append((model, only, start, start + width))
            start += width
        return slots

    def _builder(self):
        """A function of a row to (the instance with its related ones attached, [the extra values]), with
        the database wrapper and each model's way of construction worked out once for a statement."""
        slots = self._slots
        conn = connections[DEFAULT_DB_ALIAS]
        plain = [_constructs_plainly(model) for model, _only, _start, _end in slots]
        end = slots[-1][3]
        links = []
        for name in self.related:
            path, _, attribute = name.rpartition("__")
            links.append((self.related.index(path) + 1 if path else 0, attribute))

        def build(row: Sequence) -> tuple[Model, list]:
            built = [
                _instance(model, row[start:stop], only, conn, flag)
                for (model, only, start, stop), flag in zip(slots, plain, strict=True)
            ]
            for (parent_position, attribute), related in zip(links, built[1:], strict=True):
                parent = built[parent_position]
                if parent is not None:
                    _attach(parent, attribute, related)
            return built[0], list(row[end:])

        return build

    def _build(self, row: Sequence) -> tuple[Model, list]:
        return self._builder()(row)

    def fetch(
        self,
        where: str,
        params: Sequence,
        *,
        extra: Sequence[str] = (),
        extra_params: Sequence = (),
        order_by: str = "",
        lock: Sequence[str] = (),
    ):
        """(the instance with its related instances attached, [the extra values]) of the first row, or
        ``None``. ``where`` selects at most one row (a unique key), or ``order_by`` says which comes
        first. ``lock``: the aliases to lock (``FOR UPDATE OF t0, t1``), as ``select_for_update(of=…)``."""
        sql = self._sql(where, extra, order_by, 1 if order_by else None)
        if lock:
            sql += " FOR UPDATE OF " + ", ".join(lock)
        with prepared_cursor() as cursor:
            cursor.execute(sql, [*extra_params, *params])
            row = cursor.fetchone()
        return None if row is None else self._build(row)

    def fetch_all(
        self,
        where: str,
        params: Sequence,
        *,
        order_by: str,
        limit: int | None = None,
        annotations: dict[str, str] | None = None,
        generic: bool = False,
    ) -> list[Model]:
        """The instances (related instances attached) of every row, in ``order_by`` order (the model's
        ``Meta.ordering`` is not applied: say the order), at most ``limit``. ``annotations``: attribute
        name → SQL expression (``t0`` is the model's table), set on each instance as ``annotate`` does.
        ``generic``: the statement runs on its generic plan (``core.prepared.execute_generic``; only for a
        statement measured to run as fast on it for every value)."""
        annotations = annotations or {}
        with prepared_cursor(generic=generic) as cursor:
            cursor.execute(self._sql(where, list(annotations.values()), order_by, limit), list(params))
            rows = cursor.fetchall()
        built = []
        build = self._builder()
        for row in rows:
            obj, values = build(row)
            for name, value in zip(annotations, values, strict=True):
                setattr(obj, name, value)
            built.append(obj)
        return built


# --- writing one row ----------------------------------------------------------------------------------


@cache
def _plain_save(model: type[Model]) -> bool:
    """``model`` is saved by Django's own ``save``/``save_base``/``_save_table`` on one table of its own
    (no parent table, not a proxy)."""
    return (
        model.save is Model.save
        and model.save_base is Model.save_base
        and model._save_table is Model._save_table
        and not model._meta.parents
        and not model._meta.proxy
    )


@cache
def _uuid_array(field) -> bool:
    from django.contrib.postgres.fields import ArrayField
    from django.db.models import UUIDField

    return isinstance(field, ArrayField) and isinstance(field.base_field, UUIDField)


def _uuid_array_literal(ids) -> str:
    """A list of UUIDs as one PostgreSQL array literal: bound as a list, psycopg dumps it element by
    element in Python (0.2 ms for the 50 women of an audited list page). A value that is not a UUID
    raises ``ValueError``, as the field's own preparation does."""
    return "{" + ",".join(str(i if isinstance(i, uuid.UUID) else uuid.UUID(str(i))) for i in ids) + "}"


@cache
def _insert_plan(model: type[Model], skip_if: str | None = None) -> tuple[str, tuple, tuple]:
    """(the INSERT, the fields it binds in order, the fields it returns). Bound: every concrete column
    but the automatic key and those the database fills (``db_default``); returned: what the ORM reads
    back (``db_returning_fields``: the key and the database defaults). No value is cast (a cast to
    ``varchar(n)`` would cut an over-long value where the assignment refuses it), but arrays of UUIDs,
    bound as one text literal. ``skip_if``: a unique field; a row with the same value is left alone
    (``ON CONFLICT (…) DO NOTHING``: nothing returned)."""
    meta = model._meta
    returned = tuple(meta.db_returning_fields)
    bound = tuple(f for f in meta.concrete_fields if f not in returned and not f.generated)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in bound)
    values = ", ".join("%s::uuid[]" if _uuid_array(f) else "%s" for f in bound)
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({values})"  # noqa: S608 - names from the model
    if skip_if is not None:
        sql += f" ON CONFLICT ({quote(meta.get_field(skip_if).column)}) DO NOTHING"
    if returned:
        sql += " RETURNING " + ", ".join(quote(f.column) for f in returned)
    return sql, bound, returned


def _saved_by_orm(model: type[Model]) -> bool:
    """Whether ``save()`` does more for ``model`` than one statement: see ``_plain_save``, or receivers."""
    return not _plain_save(model) or pre_save.has_listeners(model) or post_save.has_listeners(model)


def _db_value(field, value, conn):
    """``value`` as the ORM writes it into ``field`` (``get_db_prep_save``; arrays of UUIDs as one
    literal)."""
    return _uuid_array_literal(value) if _uuid_array(field) else field.get_db_prep_save(value, conn)


def _assignments(fields: Sequence) -> str:
    """``"col" = %s, …`` for ``fields`` (arrays of UUIDs cast from their literal)."""
    quote = connection.ops.quote_name
    return ", ".join(f"{quote(f.column)} = " + ("%s::uuid[]" if _uuid_array(f) else "%s") for f in fields)


def _prepared(obj: Model, fields: Sequence, add: bool, conn) -> list | None:
    """Each field's value as the ORM writes it (``pre_save``, then ``_db_value``), or None when one is
    an expression (left to the ORM)."""
    params = []
    for field in fields:
        value = field.pre_save(obj, add)
        if hasattr(value, "resolve_expression"):
            return None
        params.append(_db_value(field, value, conn))
    return params


def insert(obj: Model, *, skip_if: str | None = None, synchronous_commit: bool = True) -> bool:
    """``obj.save(force_insert=True)`` as one statement written once per model and prepared on the
    connection. Each value comes from the field's ``pre_save`` (``auto_now_add`` and the like) and
    ``get_db_prep_save``, as the ORM's; the automatic key and the database defaults are read back.

    The ORM's insert compiler costs some 0.5 ms of Python for a visit's 30 columns, 0.4 ms for an audit
    row (issue #9). Where Django's ``save()`` does more than that (an overridden ``save``,
    ``pre_save``/``post_save`` receivers, multi-table inheritance, an explicit key, a value given for a
    column with a database default, an expression), the instance is saved by the ORM instead
    (``tests/core/test_rows.py``).

    ``skip_if``: a unique field (a cause, a key from outside); when a row with the same value exists,
    nothing is written and False is returned (``ON CONFLICT DO NOTHING``: no error, so no savepoint
    is needed around it; saved by the ORM, in a savepoint). True: the row was written.

    ``synchronous_commit=False``: when the row is its own transaction (autocommit, no atomic block),
    its commit does not wait for the WAL to reach the disk (``SET LOCAL synchronous_commit TO off`` in
    the same round trip; see ``_insert_without_flush_wait``). Inside a transaction it changes nothing:
    the setting would hold for the caller's whole transaction."""
    model = type(obj)
    sql, bound, returned = _insert_plan(model, skip_if)
    conn = connections[DEFAULT_DB_ALIAS]
    key = model._meta.auto_field
    # a column the database fills but given a value here: the ORM writes the value
    given = any(not isinstance(getattr(obj, f.attname), DatabaseDefault) for f in returned if f is not key)
    params = None
    if not _saved_by_orm(model) and key is not None and obj.pk is None and not given:
        obj._prepare_related_fields_for_save(operation_name="save")
        params = _prepared(obj, bound, True, conn)
    if params is None:
        if skip_if is None:
            obj.save(force_insert=True)
            return True
        return _orm_insert_unless_present(obj, skip_if)
    if not synchronous_commit and conn.get_autocommit() and not conn.in_atomic_block:
        row = _insert_without_flush_wait(conn, sql, params, bool(returned))
    else:
        with prepared_cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone() if returned else ()
    if row is None:
        return False
    for field, value in zip(returned, row, strict=True):
        if hasattr(field, "from_db_value"):
            value = field.from_db_value(value, None, conn)
        setattr(obj, field.attname, value)
    obj._state.adding, obj._state.db = False, conn.alias
    return True


def _insert_without_flush_wait(conn, sql: str, params: list, returns: bool):
    """Run the INSERT ``sql`` as its own transaction whose commit does not wait for the WAL flush; the
    row it returns (``()`` when it returns nothing, None when nothing was written).

    Sent as one simple query, ``SET LOCAL synchronous_commit TO off; INSERT …``, values composed on the
    client (Django's cursor): PostgreSQL runs the statements of one query as one implicit transaction,
    so the setting holds for this row's commit only. The row is committed and seen by every other
    session at once; what is given up is durability for a short while: if the database server itself
    crashes, rows committed this way in the last moments before (at most three ``wal_writer_delay``s,
    0.6 s by default) can be lost. Waiting for the flush cost each audited read 0.3-0.8 ms during
    which the request's worker could do nothing else (issue #9).
    """
    with conn.cursor() as cursor:
        cursor.execute(f"SET LOCAL synchronous_commit TO off; {sql}", params)
        if conn.queries_logged and conn.queries_log:  # tests, DEBUG: the INSERT as the log shows others
            conn.queries_log[-1]["sql"] = f"{conn.ops.compose_sql(sql, params)} /* synchronous_commit off */"
        cursor.nextset()
        return cursor.fetchone() if returns else ()


def _orm_insert_unless_present(obj: Model, unique: str) -> bool:
    """``insert(obj, skip_if=unique)`` for a model the ORM saves: in a savepoint, False when the row
    was refused because one with the same ``unique`` value exists (any other error is raised)."""
    model = type(obj)
    try:
        with transaction.atomic():
            obj.save(force_insert=True)
    except IntegrityError:
        value = getattr(obj, model._meta.get_field(unique).attname)
        if model._default_manager.filter(**{unique: value}).exists():
            return False
        raise
    return True


@cache
def _update_plan(model: type[Model], names: tuple[str, ...]) -> tuple[str, tuple]:
    """(the UPDATE of ``names`` by primary key, the fields it sets in order)."""
    meta = model._meta
    fields = tuple(meta.get_field(name) for name in names)
    quote = connection.ops.quote_name
    sql = f"UPDATE {quote(meta.db_table)} SET {_assignments(fields)} WHERE {quote(meta.pk.column)} = %s"  # noqa: S608
    return sql, fields


def update_fields(obj: Model, names: Sequence[str]) -> None:
    """``obj.save(update_fields=names)`` as one statement written once per model and field list and
    prepared on the connection: each value from the field's ``pre_save`` (``auto_now``) and
    ``get_db_prep_save``, as the ORM's. Like ``save``, it raises ``DatabaseError`` when no row was
    updated. Where ``save()`` does more (see ``insert``), the ORM saves it."""
    from django.db import DatabaseError

    model = type(obj)
    sql, fields = _update_plan(model, tuple(names))
    conn = connections[DEFAULT_DB_ALIAS]
    params = None if _saved_by_orm(model) else _prepared(obj, fields, False, conn)
    if params is None:
        obj.save(update_fields=names)
        return
    params.append(model._meta.pk.get_db_prep_save(obj.pk, conn))
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        updated = cursor.rowcount
    if updated != 1:
        raise DatabaseError("Save with update_fields did not affect any rows.")


@cache
def _conditional_update_plan(
    model: type[Model], names: tuple[str, ...], conditions: tuple[str, ...]
) -> tuple:
    """(the UPDATE of ``names`` by primary key when each of ``conditions`` is one of a list of values,
    returning every concrete column; the fields it sets, in order; the fields of the conditions)."""
    meta = model._meta
    fields = tuple(meta.get_field(name) for name in names)
    tested = tuple(meta.get_field(name) for name in conditions)
    quote = connection.ops.quote_name
    where = " AND ".join([f"{quote(meta.pk.column)} = %s", *(f"{quote(f.column)} = ANY(%s)" for f in tested)])
    returning = ", ".join(quote(f.column) for f in meta.concrete_fields)
    sql = f"UPDATE {quote(meta.db_table)} SET {_assignments(fields)} WHERE {where} RETURNING {returning}"  # noqa: S608
    return sql, fields, tested


def update_returning(
    obj: Model, values: dict[str, object], *, only_if: dict[str, Sequence] | None = None
) -> bool:
    """``type(obj).objects.filter(pk=obj.pk, <field>__in=<values>, …).update(**values)`` followed by
    ``obj.refresh_from_db()``, as one statement written once per model and field list and prepared on
    the connection (``UPDATE … RETURNING`` every column). ``values``: field name → value (a related
    instance or its key for a foreign key), each prepared by its field as the ORM does; ``only_if``:
    field name → the values it must have now (the conditional move of a status; none: the row by key).

    True: the row was updated and ``obj`` holds it as it now stands; a related instance cached on
    ``obj`` stays when its key did not change (``refresh_from_db`` forgets them all, and reading them
    again cost a query each), and one given in ``values`` is cached. False: no row matched, nothing
    written, ``obj`` unchanged. As ``QuerySet.update``, no ``save`` method or signal runs and
    ``auto_now`` fields are not touched: give them a value. The ORM compiled the update and the
    reload for 1-2 ms of Python a referral step (issue #9)."""
    model = type(obj)
    only_if = only_if or {}
    names, conditions = tuple(values), tuple(only_if)
    sql, fields, tested = _conditional_update_plan(model, names, conditions)
    conn = connections[DEFAULT_DB_ALIAS]
    params = []
    for field in fields:
        value = values[field.name]
        if field.is_relation and isinstance(value, Model):
            value = value.pk
        params.append(_db_value(field, value, conn))
    params.append(model._meta.pk.get_db_prep_save(obj.pk, conn))
    for field in tested:
        params.append([field.get_db_prep_value(v, conn, prepared=False) for v in only_if[field.name]])
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return False
    for field, value in zip(model._meta.concrete_fields, row, strict=True):
        if hasattr(field, "from_db_value"):
            value = field.from_db_value(value, None, conn)
        if field.is_relation and field.is_cached(obj):
            cached = field.get_cached_value(obj)
            if cached is None or cached.pk != value:
                field.delete_cached_value(obj)
        obj.__dict__[field.attname] = value
    for related in model._meta.related_objects:
        if related.is_cached(obj):
            related.delete_cached_value(obj)
    for field in fields:
        value = values[field.name]
        if field.is_relation and isinstance(value, Model) and getattr(obj, field.attname) == value.pk:
            field.set_cached_value(obj, value)  # given: no query to read it again
    if hasattr(obj, "_prefetched_objects_cache"):
        obj._prefetched_objects_cache = {}
    obj._state.adding, obj._state.db = False, conn.alias
    return True


class PagedByIds:
    """``queryset`` for a paginator, a page ranked on the list's own rows first: the ids of the page in
    the queryset's order (its filters and ordering, none of its joins), then those rows read with
    everything the queryset joins and prefetches. Sorting the joined rows made PostgreSQL carry every
    row of the list, some 1,700 bytes wide, through the sort to keep fifty (a province supervisor's
    31,000 referrals: 85 ms, issue #9). Same rows, same order."""

    def __init__(self, queryset) -> None:
        self.queryset = queryset

    def count(self) -> int:
        return self.queryset.count()

    def __getitem__(self, window: slice) -> list:
        ids = list(self.queryset.values_list("pk", flat=True)[window])
        if not ids:
            return []
        rows = self.queryset.order_by().in_bulk(ids)
        return [rows[pk] for pk in ids if pk in rows]
