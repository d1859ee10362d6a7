"""``core.prepared.prepared_cursor``: its statements are prepared on the server once per connection,
Django's own cursors never are, the logged SQL carries the values, and a failed transaction leaves
the prepared statement usable."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from core.prepared import PREPARED_AFTER, prepared_cursor

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
