"""The hot tables carry their autovacuum settings (cases/0004, audit/0003), the audit trail's women's index
its pending-list limit (audit/0006), and the reverses reset them."""

import importlib

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db

hot_tables = importlib.import_module("cases.migrations.0004_autovacuum_hot_tables")
audit_events = importlib.import_module("audit.migrations.0003_autovacuum_audit_events")
pending_list = importlib.import_module("audit.migrations.0006_patients_index_pending_list")


def _options(table: str) -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE oid = %s::regclass", [table])
        (options,) = cursor.fetchone()
    return dict(option.split("=", 1) for option in options or [])


def test_hot_tables_vacuum_and_analyse_sooner_than_the_defaults():
    for table, params in hot_tables.SETTINGS.items():
        assert _options(table) == params
    assert _options("audit_auditevent") == {
        "autovacuum_vacuum_insert_scale_factor": "0.02",
        "autovacuum_analyze_scale_factor": "0.02",
    }


def test_the_reverse_restores_the_server_defaults():
    """Run inside the test's transaction (ALTER TABLE is transactional), so nothing stays changed."""
    with connection.cursor() as cursor:
        for statement in hot_tables._backward():
            cursor.execute(statement)
        cursor.execute(audit_events.Migration.operations[0].reverse_sql)
    for table in [*hot_tables.SETTINGS, "audit_auditevent"]:
        assert _options(table) == {}


def test_the_audit_womens_index_merges_its_pending_list_in_small_steps():
    """256 kB, not the server's 4 MB: the insert that overflows the list merges it in the foreground."""
    assert _options("audit_patients") == {"gin_pending_list_limit": "256"}
    reverse = pending_list.Migration.operations[0].database_operations[0].reverse_sql
    with connection.cursor() as cursor:
        cursor.execute(reverse)
    assert _options("audit_patients") == {}
