"""The minimal comparison view: the same SELECTs the real view ran, replayed with a cursor, rows as JSON.

The harness captures, in process, the SQL that a real request runs (``CaptureQueriesContext`` through
the Django test client), keeps its read statements and writes them to a JSON file; the gunicorn that
serves the application under ``maternal_safety.settings.bench`` mounts ``replay_view`` at
``/bench-minimal/<name>/<variant>/`` (production never loads that URL conf). The difference between the
two is what Django, DRF, templates, serialisation and the writes (audit row, session) cost on top of
the database work. ``time_plain_sql`` times the same statements straight through psycopg.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import time
from functools import cache
from pathlib import Path

from django.http import HttpRequest, HttpResponse, JsonResponse

REPLAY_FILE_ENV = "BENCH_REPLAY_FILE"
_READ = re.compile(r"^\s*(\(\s*)*(SELECT|WITH)\b", re.IGNORECASE)
_LOCKING = re.compile(r"\bFOR\s+(NO\s+KEY\s+)?UPDATE\b|\bFOR\s+(KEY\s+)?SHARE\b", re.IGNORECASE)


def read_statements(captured: list[dict]) -> tuple[list[str], int]:
    """(the read statements of ``captured``, in order; how many other statements were left out).

    Writes (INSERT / UPDATE / DELETE: the audit row, the session), transaction control (SAVEPOINT,
    RELEASE) and locking reads (``SELECT … FOR UPDATE``, which only matter inside a write) are not
    replayed: the minimal view reads what the page shows, it does not redo the side effects.
    """
    kept = []
    for query in captured:
        sql = query["sql"]
        if _READ.match(sql) and not _LOCKING.search(sql) and " INTO " not in sql.upper().split(" FROM ")[0]:
            kept.append(sql)
    return kept, len(captured) - len(kept)


def write_replay_file(path: Path, statements: dict[str, list[list[str]]]) -> None:
    """``statements`` maps an endpoint name to its variants (one list of statements per request)."""
    path.write_text(json.dumps(statements, ensure_ascii=False), encoding="utf-8")


@cache
def _replay_set() -> dict[str, list[list[str]]]:
    path = os.environ.get(REPLAY_FILE_ENV)
    if not path:
        return {}
    return json.loads(Path(path).read_text(encoding="utf-8"))


def replay(statements: list[str]) -> list[list[list]]:
    """Run ``statements`` on the default connection, each prepared on the server from its third run
    (``core.prepared.prepared_cursor``, as the application runs its own); every row of every statement.

    The captured SQL has its values written in, so a statement has no parameter and PostgreSQL plans it
    once per connection, as it plans the application's prepared statements once. Sent through Django's
    own cursor, which never prepares, each was planned on every request: planning took more of the
    database's time than answering (3.0 against 1.5 ms of PostgreSQL CPU a list, against the real
    view's 1.5 with its audit insert; 2026-11-29), and the minimal view was slower than the stack's
    limit it stands for."""
    from core.prepared import prepared_cursor

    out = []
    with prepared_cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)  # no params: psycopg sends the text as it is, no placeholder parsed
            out.append(cursor.fetchall())
    return out


def replay_view(request: HttpRequest, name: str, variant: int) -> HttpResponse:
    """Bench only: the captured read SQL of request ``variant`` of endpoint ``name``, rows as JSON."""
    variants = _replay_set().get(name)
    if not variants:
        return JsonResponse({"message": f"no captured statements for {name}"}, status=404)
    rows = replay(variants[variant % len(variants)])
    return HttpResponse(json.dumps(rows, default=str, ensure_ascii=False), content_type="application/json")


def time_plain_sql(dsn: str, variants: list[list[str]], *, repeat: int = 200) -> dict:
    """Each request's statements run back to back through psycopg (one client, no Django), ``repeat``
    times in turn over the variants, prepared as the minimal view prepares them (``replay``): p50 / p95
    per request in milliseconds and the statement count."""
    import psycopg

    samples = []
    with psycopg.connect(dsn, autocommit=True) as conn, conn.cursor() as cursor:

        def run(statements: list[str]) -> None:
            for sql in statements:
                # bytes: psycopg must not look for placeholders; prepared from the first run
                cursor.execute(sql.encode(), prepare=True)
                if cursor.description is not None:
                    cursor.fetchall()

        for statements in variants:  # warm-up
            run(statements)
        for n in range(repeat):
            statements = variants[n % len(variants)]
            started = time.perf_counter()
            run(statements)
            samples.append((time.perf_counter() - started) * 1000)
    return summarise(samples) | {"statements": round(statistics.mean(len(v) for v in variants), 1)}


def summarise(samples_ms: list[float]) -> dict:
    """p50 / p95 / p99 of ``samples_ms`` (at least two samples)."""
    q = statistics.quantiles(samples_ms, n=100, method="inclusive")
    return {
        "n": len(samples_ms),
        "p50_ms": round(statistics.median(samples_ms), 3),
        "p95_ms": round(q[94], 3),
        "p99_ms": round(q[98], 3),
    }
