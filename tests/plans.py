"""The plan PostgreSQL would choose for a statement, with some of its ways priced out: tests that hold a
statement to an index show that the index can serve it (fits its conditions and order), whatever a small
test table would make the planner prefer."""

from django.db import connection, transaction


def plan(sql: str, params, *, off: tuple[str, ...] = ()) -> str:
    """``EXPLAIN`` of ``sql`` with ``enable_<name> = off`` for each name in ``off`` (``seqscan``,
    ``bitmapscan``, ``indexscan``, ``sort``…), as text. Run in a savepoint rolled back after it, so the
    settings end with it."""
    with transaction.atomic(), connection.cursor() as cursor:
        for name in off:
            cursor.execute(f"SET LOCAL enable_{name} = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        text = "\n".join(row[0] for row in cursor.fetchall())
        transaction.set_rollback(True)
    return text
