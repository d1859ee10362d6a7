"""``core.prepared.prepared_cursor``: its statements are prepared on the server once per connection,
Django's own cursors never are, the logged SQL carries the values, and a failed transaction leaves
the prepared statement usable; ``execute_generic`` runs a statement on its generic plan only."""

import datetime as dt
import uuid

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from core import prepared
from core.prepared import PREPARED_AFTER, execute_generic, prepared_cursor

pytestmark = pytest.mark.django_db

STATEMENT = "SELECT %s::int + 1"


def prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def run(value: int, statement: str = STATEMENT) -> int:
    with prepared_cursor() as cursor:
        cursor.execute(statement, [value])
        return cursor.fetchone()[0]


def test_a_statement_is_prepared_from_its_threshold_and_answers_with_new_values():
    assert not any("$1::int + 1" in s for s in prepared_statements())
    results = [run(n) for n in range(PREPARED_AFTER + 3)]
    assert results == [n + 1 for n in range(PREPARED_AFTER + 3)]
    assert [s for s in prepared_statements() if "$1::int + 1" in s] == ["SELECT $1::int + 1"]
    # Django's own cursors (client-side binding) are not prepared, however often they run
    for _ in range(PREPARED_AFTER + 3):
        with connection.cursor() as cursor:
            cursor.execute("SELECT %s::int + 2", [1])
    assert not any("+ 2" in s for s in prepared_statements())


def test_the_logged_query_has_its_values_like_djangos_own():
    for n in range(PREPARED_AFTER + 1):
        with CaptureQueriesContext(connection) as queries:
            assert run(40 + n) == 41 + n
        assert [q["sql"] for q in queries] == [f"SELECT {40 + n}::int + 1"]


def test_after_a_failed_transaction_the_prepared_statement_still_answers():
    for n in range(PREPARED_AFTER + 1):
        run(n)
    with pytest.raises(DatabaseError), transaction.atomic():
        run(1)
        with prepared_cursor() as cursor:
            cursor.execute("SELECT 1 / %s::int", [0])
    assert run(7) == 8


def test_switched_off_nothing_is_prepared(settings):
    settings.DATABASE_PREPARED_STATEMENTS = False
    for n in range(PREPARED_AFTER + 3):
        assert run(n, "SELECT %s::int + 3") == n + 3
    assert not any("+ 3" in s for s in prepared_statements())
    settings.DATABASE_PREPARED_STATEMENTS = True
    for n in range(PREPARED_AFTER + 1):
        assert run(n, "SELECT %s::int + 3") == n + 3
    assert any("$1::int + 3" in s for s in prepared_statements())


# ``execute_generic``: prepared by name once per connection, always run on the generic plan.


def generic_plans(fragment: str) -> list[tuple[int, int]]:
    """(generic plans, custom plans) of the prepared statements whose text contains ``fragment``."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE %s",
            [f"%{fragment}%"],
        )
        return cursor.fetchall()


def plan_cache_mode() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        return cursor.fetchone()[0]


def generic(sql: str, params) -> list[tuple]:
    with connection.cursor() as cursor:
        execute_generic(cursor, sql, params)
        return cursor.fetchall()


def test_generic_statements_answer_as_a_plain_cursor_with_every_kind_of_value():
    sql = "SELECT %s::int + 1, %s::text, %s::text[], %s::uuid, %s::timestamptz, %s::text IS NULL, '100%%'"
    when = dt.datetime(2026, 3, 1, 16, 30, tzinfo=dt.UTC)
    values = [
        41,
        "王 'quoted' \\ back; DROP TABLE x; -- %s $1",
        ["a", "b,c", '"d"'],
        uuid.uuid4(),
        when,
        None,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        plain = cursor.fetchall()
    for _ in range(PREPARED_AFTER + 6):  # past the five custom plans after which ``auto`` may go generic
        assert generic(sql, values) == plain
    assert plain[0][0] == 42 and plain[0][1] == values[1] and plain[0][6] == "100%"
    # all executions on the generic plan, none planned for the values; the setting is back to ``auto``
    assert generic_plans("$1::int + 1, $2::text") == [(PREPARED_AFTER + 6, 0)]
    assert plan_cache_mode() == "auto"


@pytest.mark.django_db(transaction=True)  # autocommit: the statement is its own transaction
def test_a_failed_generic_statement_changes_no_setting_and_the_next_runs_prepared_anew():
    sql = "SELECT 10 / %s::int"
    assert generic(sql, [2]) == [(5,)]
    with pytest.raises(DatabaseError), transaction.atomic():
        generic(sql, [0])
    assert plan_cache_mode() == "auto"
    with pytest.raises(DatabaseError):  # outside a transaction too
        generic(sql, [0])
    assert plan_cache_mode() == "auto"
    assert generic(sql, [5]) == [(2,)]
    assert generic_plans("10 / $1::int") and all(custom == 0 for _, custom in generic_plans("10 / $1::int"))


def test_at_most_generic_kept_statements_stay_prepared_on_a_connection(monkeypatch):
    monkeypatch.setattr(prepared, "GENERIC_KEPT", 2)
    for n in range(3):
        assert generic(f"SELECT %s::int + {100 + n}", [1]) == [(101 + n,)]
    assert generic_plans("+ 100") == []  # the least recently used one was deallocated
    assert len(generic_plans("+ 101")) == len(generic_plans("+ 102")) == 1
    assert generic("SELECT %s::int + 100", [2]) == [(102,)]  # and is prepared again when it comes back
    assert generic_plans("+ 101") == []


def test_generic_statements_switched_off_are_not_prepared(settings):
    settings.DATABASE_PREPARED_STATEMENTS = False
    with CaptureQueriesContext(connection) as queries:
        assert generic("SELECT %s::int + 7", [1]) == [(8,)]
    assert [q["sql"] for q in queries] == ["SELECT 1::int + 7"]
    assert generic_plans("+ 7") == []


def test_a_generic_statement_needs_a_value_for_each_placeholder():
    with pytest.raises(ValueError, match="1 placeholders for 2 parameters"):
        generic("SELECT %s::int", [1, 2])
    with pytest.raises(ValueError, match="2 placeholders for 1 parameters"):
        generic("SELECT %s::int + %s::int", [1])
    assert generic("SELECT %s::int, '5%%'", [1]) == [(1, "5%")]


@pytest.mark.django_db(transaction=True)
def test_generic_statements_are_prepared_again_after_psycopg_deallocates_all():
    """A rollback makes psycopg deallocate every prepared statement of the connection (when it holds some
    of its own): the generic statements are prepared anew, not executed by a name that is gone."""
    for n in range(PREPARED_AFTER + 1):
        run(n)  # psycopg now holds a prepared statement of its own
    sql = "SELECT %s::int * 3"
    assert generic(sql, [2]) == [(6,)]
    with pytest.raises(DatabaseError), transaction.atomic():
        run(1)
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 / 0")
    assert generic(sql, [3]) == [(9,)]
    with transaction.atomic():  # and a rollback to a savepoint
        for n in range(PREPARED_AFTER + 1):
            run(n)
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT 1 / 0")
        assert generic(sql, [4]) == [(12,)]
    assert generic(sql, [5]) == [(15,)]


def test_a_logged_generic_statement_shows_its_text_and_values():
    with CaptureQueriesContext(connection) as queries:
        assert generic("SELECT %s::int - 1, %s::text", [5, "甲"]) == [(4, "甲")]
        assert generic("SELECT %s::int - 1, %s::text", [6, "乙"]) == [(5, "乙")]
    logged = [q["sql"] for q in queries]
    assert len(logged) == 2
    assert logged[0].startswith("SELECT 5::int - 1, '甲'::text /* EXECUTE ms_generic_")
    assert logged[1].startswith("SELECT 6::int - 1, '乙'::text /* EXECUTE ms_generic_")
    assert all(sql.endswith(": generic plan */") for sql in logged)


def test_in_constants_filters_as_in_does_with_the_values_in_the_statement(home_facility):
    """``InConstants`` selects what ``__in`` selects, writes the values into the SQL (nothing about them
    in the parameters) and takes nothing but code constants."""
    from cases.models import Pregnancy
    from core.prepared import InConstants
    from tests.factories import PregnancyFactory

    for status in ("active", "postpartum", "closed"):
        PregnancyFactory(managing_facility=home_facility, status=status)
    open_ones = Pregnancy.objects.filter(InConstants("status", ("active", "postpartum")))
    assert set(open_ones) == set(Pregnancy.objects.filter(status__in=("active", "postpartum")))
    assert open_ones.count() == 2
    sql, params = open_ones.values("pk").query.sql_with_params()
    assert "\"status\" IN ('active', 'postpartum')" in sql and params == ()
    for bad in (["active'); DROP TABLE x; --"], ["Active"], [], [""], ["a" * 41]):
        with pytest.raises(ValueError):
            InConstants("status", bad)
