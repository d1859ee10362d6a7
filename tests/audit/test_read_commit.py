"""The audit row of a routine read, written as its own transaction, commits without waiting for the WAL
flush (``SET LOCAL synchronous_commit TO off`` in the same query); every other row, and every row inside
a transaction, commits as before. What the application's connection sent is read from PostgreSQL
(``pg_stat_activity.query`` of its backend), and the row from a second connection.
"""

import pytest
from django.db import connection, transaction

from audit.choices import AuditAction
from audit.models import AuditEvent
from audit.services import audit_record

pytestmark = pytest.mark.django_db(transaction=True)

NO_FLUSH_WAIT = "SET LOCAL synchronous_commit TO off; INSERT INTO"


def _seen_by(observer, event: AuditEvent) -> tuple:
    return observer.execute(
        "SELECT action, object_type, patient_ids::text[] FROM audit_auditevent WHERE id = %s", [event.pk]
    ).fetchone()


def _synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


@pytest.mark.parametrize("action", [AuditAction.READ, AuditAction.LIST])
def test_a_routine_read_on_its_own_commits_without_the_flush_wait(pg_observer, midwife, pregnancy, action):
    woman = pregnancy.patient.external_id
    event = audit_record(actor=midwife, action=action, obj=("cases.pregnancy", ""), patient_ids=[woman])
    assert pg_observer.last_statement().startswith(NO_FLUSH_WAIT)
    assert event.pk is not None and event.occurred_at is not None
    assert _seen_by(pg_observer, event) == (action.value, "cases.pregnancy", [str(woman)])
    assert _synchronous_commit() == "on"  # the setting held for that row's transaction only


@pytest.mark.parametrize(
    "action", [a for a in AuditAction if a not in (AuditAction.READ, AuditAction.LIST)], ids=str
)
def test_every_other_row_waits_for_the_flush(pg_observer, midwife, action):
    event = audit_record(actor=midwife, action=action, obj=("cases.pregnancy", ""))
    assert pg_observer.last_statement().startswith('INSERT INTO "audit_auditevent"')
    assert _seen_by(pg_observer, event)[0] == action.value


def test_a_read_inside_a_transaction_leaves_the_transactions_commit_alone(pg_observer, midwife):
    with transaction.atomic():
        event = audit_record(actor=midwife, action=AuditAction.READ, obj=("cases.pregnancy", ""))
        assert pg_observer.last_statement().startswith('INSERT INTO "audit_auditevent"')
        assert _synchronous_commit() == "on"
    assert _seen_by(pg_observer, event)[0] == "read"


def test_the_setting_makes_routine_reads_wait_too(pg_observer, midwife, settings):
    settings.AUDIT_READ_SYNCHRONOUS_COMMIT = True
    event = audit_record(actor=midwife, action=AuditAction.LIST, obj=("cases.pregnancy", ""))
    assert pg_observer.last_statement().startswith('INSERT INTO "audit_auditevent"')
    assert _seen_by(pg_observer, event)[0] == "list"


def test_a_refused_row_writes_nothing_and_leaves_the_connection_usable(midwife):
    before = AuditEvent.objects.count()
    with pytest.raises(ValueError):
        audit_record(actor=midwife, action=AuditAction.LIST, obj=("cases.pregnancy", ""), patient_ids=["x"])
    assert AuditEvent.objects.count() == before
    assert _synchronous_commit() == "on"
