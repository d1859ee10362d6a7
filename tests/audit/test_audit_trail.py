"""The audit trail: written for reads, writes and security events; the database refuses changes to it."""

import pytest
from django.db import DatabaseError, connection, transaction

from audit.models import AuditEvent
from audit.services import audit_record
from cases.services import break_glass_open
from tests.plans import plan

pytestmark = pytest.mark.django_db


def test_database_refuses_update_of_an_audit_row(midwife):
    event = audit_record(actor=midwife, action="read", obj=("cases.pregnancy", "x"))
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(reason="rewritten")
    sql = "UPDATE audit_auditevent SET actor_username = 'someone else' WHERE id = %s"
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [event.pk])
    event.refresh_from_db()
    assert (event.reason, event.actor_username) == ("", "midwife")


def test_database_refuses_delete_of_an_audit_row(midwife):
    event = audit_record(actor=midwife, action="read", obj=("cases.pregnancy", "x"))
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM audit_auditevent")
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_a_user_or_facility_named_by_the_trail_cannot_be_deleted_without_a_database_constraint(midwife):
    """No foreign-key constraint locks the user's and the facility's rows at each insert (the model's
    docstring); Django's PROTECT still refuses to delete either while an event names them."""
    from django.db.models import ProtectedError

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_constraint"
            " WHERE conrelid = 'audit_auditevent'::regclass AND contype = 'f'"
        )
        assert cursor.fetchone()[0] == 0
    event = audit_record(actor=midwife, action="read", obj=("cases.pregnancy", "x"))
    facility = midwife.facility
    with pytest.raises(ProtectedError) as refused, transaction.atomic():
        midwife.delete()
    assert event in refused.value.protected_objects
    midwife.facility = None
    midwife.save(update_fields=["facility"])
    with pytest.raises(ProtectedError) as refused, transaction.atomic():
        facility.delete()
    assert event in refused.value.protected_objects
    assert AuditEvent.objects.filter(actor=midwife, actor_facility=facility).count() == 1


def test_event_records_who_what_when_where(api, pregnancy, midwife):
    api.as_user(midwife).get(
        f"/api/v1/pregnancies/{pregnancy.external_id}/", REMOTE_ADDR="10.1.2.3", HTTP_USER_AGENT="ward-tablet"
    )
    event = AuditEvent.objects.get(action="read")
    assert event.actor == midwife
    assert event.actor_username == "midwife"
    assert event.actor_roles == ["midwife"]
    assert event.actor_facility == midwife.facility
    assert (event.object_type, event.object_id) == ("cases.pregnancy", str(pregnancy.external_id))
    assert event.patient_ids == [pregnancy.patient.external_id]
    assert (event.ip_address, event.user_agent, event.channel) == ("10.1.2.3", "ward-tablet", "api")
    assert event.occurred_at is not None and len(event.request_id) == 32


def test_a_list_page_writes_one_row_naming_the_women_shown(api, pregnancy, midwife):
    from tests.factories import PregnancyFactory

    second = PregnancyFactory(managing_facility=midwife.facility)
    api.as_user(midwife).get("/api/v1/pregnancies/")
    event = AuditEvent.objects.get(action="list")
    assert sorted(event.patient_ids) == sorted([pregnancy.patient.external_id, second.patient.external_id])


@pytest.mark.parametrize("path", ["/api/v1/referrals/", "/api/v1/patients/"])
def test_a_list_read_with_nul_characters_in_its_query_is_recorded_not_a_500(api, midwife, path):
    """PostgreSQL's jsonb cannot hold U+0000: the list's audit row records the query with the NUL
    replaced, rather than the request failing (found by the schemathesis full budget)."""
    response = api.as_user(midwife).get(path, {"\x00key": "a\x00b"})
    assert response.status_code in (200, 400), response.content
    if response.status_code == 200:
        event = AuditEvent.objects.get(action="list")
        assert event.changes["query"] == {"\ufffdkey": "a\ufffdb"}


def test_a_denied_read_leaves_no_read_row(api, pregnancy, outsider):
    assert api.as_user(outsider).get(f"/api/v1/pregnancies/{pregnancy.external_id}/").status_code == 404
    assert not AuditEvent.objects.filter(action="read").exists()


def test_rolled_back_write_leaves_no_audit_row(pregnancy, outsider):
    with pytest.raises(RuntimeError), transaction.atomic():
        break_glass_open(actor=outsider, pregnancy_id=pregnancy.external_id, reason="Emergency, unconscious")
        raise RuntimeError("the surrounding work failed")
    assert not AuditEvent.objects.filter(action="break_glass").exists()


def test_sign_in_sign_out_and_failures_are_audited(client, midwife):
    client.post("/accounts/login/", {"username": "midwife", "password": "wrong-password"})
    client.post("/accounts/login/", {"username": "midwife", "password": "correct-horse-battery"})
    client.post("/accounts/logout/")
    actions = list(AuditEvent.objects.order_by("id").values_list("action", "actor_username"))
    assert actions == [("login_failed", "midwife"), ("login", "midwife"), ("logout", "midwife")]


def test_auditor_searches_by_woman_and_by_action(api, pregnancy, midwife, auditor):
    api.as_user(midwife).get(f"/api/v1/pregnancies/{pregnancy.external_id}/")
    audit_record(actor=midwife, action="read", obj=("cases.pregnancy", "someone-else"))
    body = (
        api.as_user(auditor)
        .get("/api/v1/audit-events/", {"patient": str(pregnancy.patient.external_id)})
        .json()
    )
    assert body["count"] == 1
    assert body["results"][0]["object_id"] == str(pregnancy.external_id)
    body = api.as_user(auditor).get("/api/v1/audit-events/", {"action": "login_failed"}).json()
    assert body["count"] == 0


def test_the_search_by_woman_reads_her_entries_of_the_patients_index(pregnancy, midwife):
    """ "Who looked at her" must not read the whole audit trail, which gains a row on every read of
    patient data: the search by woman can be answered from the GIN index on ``patient_ids`` (with
    sequential scans and plain index scans off, only that index can serve ``@>``)."""
    from audit.filtersets import AuditEventFilterSet

    audit_record(actor=midwife, action="read", obj=pregnancy, patient_ids=[pregnancy.patient.external_id])
    rows = AuditEventFilterSet({"patient": str(pregnancy.patient.external_id)}).qs
    assert list(rows.values_list("object_id", flat=True)) == [str(pregnancy.external_id)]
    sql, params = rows.values("pk")[:50].query.sql_with_params()
    shown = plan(sql, params, off=("seqscan", "indexscan"))
    assert "Bitmap Index Scan on audit_patients" in shown, shown
    assert "Seq Scan" not in shown, shown


def test_audit_search_page_filters(client, pregnancy, midwife, auditor):
    audit_record(actor=midwife, action="read", obj=pregnancy, patient_ids=[pregnancy.patient.external_id])
    client.force_login(auditor)
    response = client.get("/audit/", {"user": "midwife"})
    assert response.status_code == 200
    assert [e.actor_username for e in response.context["page"]] == ["midwife"]
    response = client.get("/audit/", {"user": "nobody"})
    assert list(response.context["page"]) == []


def _fields(event: AuditEvent) -> dict:
    return {f.attname: getattr(event, f.attname) for f in AuditEvent._meta.concrete_fields}


def test_the_fixed_insert_stores_what_the_orm_would(midwife, settings):
    """``audit_record`` writes with one fixed statement: each column read back equals the row the ORM
    writes for the same event (``audit_event_build`` + ``save``), and the returned event is that row."""
    import uuid

    from audit.services import audit_event_build

    ids = [uuid.uuid4(), uuid.uuid4()]
    listed = {"count": 2, "query": {"q": "王\x00", "n": [1, None]}}
    cases = [
        {"actor": midwife, "action": "list", "obj": ("cases.pregnancy", ""), "patient_ids": ids},
        {"actor": midwife, "action": "list", "changes": listed, "reason": "nul\x00 here"},
        {
            "actor": midwife,
            "action": "read",
            "obj": midwife,
            "patient_ids": [str(ids[0])],
            "needs_review": True,
        },
        {"actor": None, "action": "login_failed", "username": "intruder", "patient_ids": []},
    ]
    for kwargs in cases:
        with_orm = audit_event_build(**kwargs)
        with_orm.save(force_insert=True)
        fixed = audit_record(**kwargs)
        assert fixed.pk is not None and not fixed._state.adding
        stored = AuditEvent.objects.get(pk=fixed.pk)
        expected = _fields(AuditEvent.objects.get(pk=with_orm.pk))
        for name in ("id", "occurred_at", "request_id"):
            expected.pop(name)
        got = _fields(stored)
        assert {k: got[k] for k in expected} == expected
        assert fixed.occurred_at == stored.occurred_at
    assert AuditEvent.objects.get(pk=fixed.pk).patient_ids == []


def test_an_over_long_value_is_refused_not_cut_and_nothing_is_written(midwife):
    before = AuditEvent.objects.count()
    with pytest.raises(DatabaseError), transaction.atomic():
        audit_record(actor=midwife, action="read", obj=("x" * 61, "1"))
    with pytest.raises(ValueError), transaction.atomic():
        audit_record(actor=midwife, action="read", obj=("cases.pregnancy", "1"), patient_ids=["not-a-uuid"])
    assert AuditEvent.objects.count() == before
