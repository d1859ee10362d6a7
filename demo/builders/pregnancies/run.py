"""Running the batches: in the caller's transaction, or in parallel worker connections.

Serial (inside an open transaction, e.g. a test, or ``--jobs 1``): the work tables are TEMP tables and
every batch runs in the caller's connection, so the cohort commits or rolls back with the caller.

Parallel (the default for a command run): the work tables are UNLOGGED tables committed before the load,
and ``jobs`` threads, each with its own connection, load one batch per transaction. Row-by-row costs
(index entries, foreign-key checks) then use every core. A batch that fails stops the others; the batches
already committed stay, and re-running with the same ``--pregnancies`` adds only the rest.
"""

import queue
import threading
import time
from collections import Counter
from collections.abc import Iterator

from django.db import connection, transaction

from ..context import SeedContext
from .reference import create_functions

Statement = tuple[str, str, dict]  # (label, SQL, parameters)


def prepare_session(cursor, ctx: SeedContext, *, local: bool) -> None:
    """Planner settings for a few large statements (this session only) and the ``pg_temp`` helpers."""
    scope = "LOCAL " if local else ""
    cursor.execute(f"SET {scope}jit = off")  # compiling each batch's big expressions costs more than it saves
    cursor.execute(f"SET {scope}work_mem = '256MB'")
    create_functions(cursor, ctx)


def load_batch(cursor, statements: list[Statement], lo: int, hi: int) -> tuple[Counter, Counter]:
    rows, seconds = Counter(), Counter()
    for label, sql, params in statements:
        began = time.monotonic()
        cursor.execute(sql, {**params, "lo": lo, "hi": hi})
        rows[label] += cursor.rowcount
        seconds[label] += time.monotonic() - began
    return rows, seconds


def load_serial(
    statements: list[Statement], batches: list[tuple[int, int]]
) -> Iterator[tuple[Counter, Counter]]:
    """Every batch in the caller's transaction. Foreign keys are checked after each statement rather than
    queued to the commit (millions of queued checks cost memory), then set back to deferred, as Django's
    own constraint check does."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # after an error, the rollback undoes this too
        for lo, hi in batches:
            yield load_batch(cursor, statements, lo, hi)
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def load_parallel(
    ctx: SeedContext, statements: list[Statement], batches: list[tuple[int, int]], jobs: int
) -> Iterator[tuple[Counter, Counter]]:
    """Yield (rows, seconds) per committed batch; raise the first worker error after stopping the others."""
    todo: queue.Queue = queue.Queue()
    for batch in batches:
        todo.put(batch)
    done: queue.Queue = queue.Queue()
    stop = threading.Event()

    def work() -> None:  # one thread = one connection (Django connections are per thread)
        try:
            with connection.cursor() as cursor:
                prepare_session(cursor, ctx, local=False)
            while not stop.is_set():
                try:
                    lo, hi = todo.get_nowait()
                except queue.Empty:
                    return
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # checked per statement, timed with it
                    done.put(("ok", load_batch(cursor, statements, lo, hi)))
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread, which raises it
            stop.set()
            done.put(("error", exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=work, name=f"seed-pregnancies-{n}") for n in range(jobs)]
    for thread in threads:
        thread.start()
    committed = 0
    try:
        for _ in batches:
            outcome, value = done.get()
            if outcome == "error":
                raise value
            committed += 1
            yield value
    except BaseException:
        ctx.warn(
            f"Stopped after {committed} of {len(batches)} batches; those are committed. "
            "Re-run with the same --pregnancies to add the rest."
        )
        raise
    finally:
        stop.set()
        for thread in threads:
            thread.join()
