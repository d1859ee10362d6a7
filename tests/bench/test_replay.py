"""The minimal view's SQL: which captured statements are replayed, and the replay on a tiny database."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench.load import replay
from cases.models import Pregnancy
from tests.factories import PregnancyFactory
from tests.notifications.processes import database_url


def test_only_plain_reads_are_replayed():
    captured = [
        {"sql": 'SELECT "accounts_apitoken"."digest" FROM "accounts_apitoken" WHERE digest = \'x\''},
        {"sql": "  WITH f AS (SELECT 1) SELECT * FROM f"},
        {"sql": "(SELECT 1) UNION (SELECT 2)"},
        {"sql": 'INSERT INTO "audit_auditevent" ("action") VALUES (\'list\')'},
        {"sql": 'SAVEPOINT "s1"'},
        {"sql": 'UPDATE "django_session" SET "session_data" = \'…\''},
        {"sql": 'SELECT "cases_pregnancy"."id" FROM "cases_pregnancy" WHERE id = 1 FOR NO KEY UPDATE'},
        {"sql": "SELECT 1 INTO TEMP t"},
        {"sql": 'RELEASE SAVEPOINT "s1"'},
    ]

    kept, left_out = replay.read_statements(captured)

    assert kept == [captured[0]["sql"], captured[1]["sql"], captured[2]["sql"]]
    assert left_out == 6


def captured_reads():
    """The read SQL of a real ORM query (values inlined by Django's query log), as the harness captures it."""
    with CaptureQueriesContext(connection) as ctx:
        list(
            Pregnancy.objects.select_related("patient")
            .filter(edd__isnull=False)
            .order_by("id")
            .values_list("external_id", "patient__name")
        )
    return replay.read_statements(ctx.captured_queries)[0]


def test_captured_statements_replay_to_the_same_rows(db):
    pregnancies = PregnancyFactory.create_batch(3)
    statements = captured_reads()

    with CaptureQueriesContext(connection) as ctx:
        rows = replay.replay(statements)

    assert len(ctx.captured_queries) == 1
    assert [(str(uuid), name) for uuid, name in rows[0]] == [
        (str(p.external_id), p.patient.name) for p in sorted(pregnancies, key=lambda p: p.id)
    ]


def test_replayed_statements_are_prepared_once_per_connection_as_the_applications_are(db):
    # planned on every request, the minimal view's statements had cost PostgreSQL twice the real view's
    statements = [*captured_reads(), "SELECT '100%' AS share"]  # a literal % is not a placeholder

    def prepared() -> set[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements WHERE NOT from_sql")
            return {row[0] for row in cursor.fetchall()}

    first = replay.replay(statements)
    assert not set(statements) & prepared()  # run once: not prepared yet
    second, third = replay.replay(statements), replay.replay(statements)  # prepared for the third

    assert set(statements) <= prepared()
    assert third == second == first
    assert first[-1] == [("100%",)]


@pytest.mark.urls("bench.urls")
def test_the_minimal_view_runs_exactly_the_captured_statements(
    db, client, tmp_path, monkeypatch, django_assert_num_queries
):
    pregnancy = PregnancyFactory()
    variants = {"worklist_api": [captured_reads(), ["SELECT 1", "SELECT 2"]]}
    path = tmp_path / "replay.json"
    replay.write_replay_file(path, variants)
    monkeypatch.setenv(replay.REPLAY_FILE_ENV, str(path))
    replay._replay_set.cache_clear()
    try:
        # one query: the captured SELECT (no session, no audit: the minimal view has neither)
        with django_assert_num_queries(1):
            first = client.get("/bench-minimal/worklist_api/0/")
        # two queries: the second variant's statements
        with django_assert_num_queries(2):
            second = client.get("/bench-minimal/worklist_api/1/")
        missing = client.get("/bench-minimal/case_page/0/")
    finally:
        replay._replay_set.cache_clear()

    assert first.status_code == 200
    assert json.loads(first.content) == [[[str(pregnancy.external_id), pregnancy.patient.name]]]
    assert json.loads(second.content) == [[[1]], [[2]]]
    assert missing.status_code == 404


@pytest.mark.django_db(transaction=True)
def test_plain_sql_is_timed_per_request_through_psycopg():
    dsn = database_url(connection.settings_dict)

    timing = replay.time_plain_sql(
        dsn, [["SELECT 1", "SELECT count(*) FROM cases_pregnancy"], ["SELECT 2"]], repeat=20
    )

    assert timing["n"] == 20
    assert 0 < timing["p50_ms"] <= timing["p95_ms"] <= timing["p99_ms"]
    assert timing["statements"] == 1.5


def test_percentiles_of_samples():
    summary = replay.summarise([float(n) for n in range(1, 101)])
    assert summary == {"n": 100, "p50_ms": 50.5, "p95_ms": 95.05, "p99_ms": 99.01}
