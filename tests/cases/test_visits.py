"""Visit entry: physiological ranges, unusual values confirmed, GA at the visit, next visit date."""

import datetime as dt

import pytest
from django.utils import timezone

from cases.models import Visit

pytestmark = pytest.mark.django_db


def post(api, user, pregnancy, **body):
    return api.as_user(user).post(f"/api/v1/pregnancies/{pregnancy.external_id}/visits/", body, format="json")


def test_visit_records_vitals_and_ga(api, midwife, pregnancy):
    pregnancy.edd = timezone.localdate() + dt.timedelta(days=280 - (30 * 7 + 2))
    pregnancy.save()
    next_visit = timezone.localdate() + dt.timedelta(days=14)
    response = post(
        api,
        midwife,
        pregnancy,
        sbp_mmhg=118,
        dbp_mmhg=72,
        pulse_bpm=88,
        temperature_c="36.8",
        weight_kg="63.5",
        hb_g_l=112,
        proteinuria="negative",
        fetal_heart_rate=140,
        next_visit_date=str(next_visit),
    )
    assert response.status_code == 201, response.json()
    assert response.json()["gestational_age"] == {"weeks": 30, "days": 2}
    pregnancy.refresh_from_db()
    assert pregnancy.next_visit_date == next_visit


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("sbp_mmhg", 400),
        ("dbp_mmhg", -5),
        ("pulse_bpm", 0),
        ("temperature_c", "50"),
        ("spo2_pct", 101),
        ("hb_g_l", 3),
        ("weight_kg", "900"),
        ("platelets_10e9_l", 0),
    ],
)
def test_impossible_values_are_refused(api, midwife, pregnancy, field, value):
    response = post(api, midwife, pregnancy, **{field: value})
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Visit.objects.exists()


def test_unusual_values_need_confirmation(api, midwife, pregnancy):
    response = post(api, midwife, pregnancy, sbp_mmhg=200, dbp_mmhg=120)
    assert response.status_code == 400
    assert response.json()["errors"]["confirm_unusual"] == ["sbp_mmhg"]
    assert not Visit.objects.exists()
    response = post(api, midwife, pregnancy, sbp_mmhg=200, dbp_mmhg=120, confirm_unusual=["sbp_mmhg"])
    assert response.status_code == 201
    assert response.json()["unusual_confirmed"] == ["sbp_mmhg"]


def test_diastolic_must_be_below_systolic(api, midwife, pregnancy):
    response = post(api, midwife, pregnancy, sbp_mmhg=100, dbp_mmhg=110)
    assert response.status_code == 400 and "dbp_mmhg" in response.json()["errors"]


def test_future_visit_and_next_visit_in_the_past_are_refused(api, midwife, pregnancy):
    future = (timezone.now() + dt.timedelta(days=1)).isoformat()
    assert "visited_at" in post(api, midwife, pregnancy, visited_at=future).json()["errors"]
    past = str(timezone.localdate() - dt.timedelta(days=1))
    assert "next_visit_date" in post(api, midwife, pregnancy, next_visit_date=past).json()["errors"]


def test_html_is_stored_as_text_and_control_characters_are_dropped(api, midwife, pregnancy):
    response = post(api, midwife, pregnancy, notes="<script>alert(1)</script>\x07 ok")
    assert response.status_code == 201
    assert Visit.objects.get().notes == "<script>alert(1)</script> ok"


def test_null_character_is_refused(api, midwife, pregnancy):
    response = post(api, midwife, pregnancy, notes="a\x00b")
    assert response.status_code == 400 and "notes" in response.json()["errors"]


def test_outsider_cannot_record(api, outsider, pregnancy):
    assert post(api, outsider, pregnancy, sbp_mmhg=110).status_code == 404


@pytest.mark.parametrize("earlier_visits", [0, 6])
def test_visit_entry_query_count_does_not_grow_with_the_record(
    api, midwife, pregnancy, earlier_visits, django_assert_num_queries
):
    """Visit entry (write, grading, audit, follow-up window) in a fixed number of statements, whatever
    the number of visits already recorded."""
    for i in range(earlier_visits):
        assert post(api, midwife, pregnancy, sbp_mmhg=110 + i, dbp_mmhg=70).status_code == 201
    client = api.as_user(midwife)
    # Warm up: the first request after force_login stamps the session's refresh time (savepoint, UPDATE,
    # release); the requests after it, within SESSION_REFRESH_SECONDS, write nothing.
    client.post(f"/api/v1/pregnancies/{pregnancy.external_id}/visits/", {"sbp_mmhg": 112}, format="json")
    # 1 the user (session; her facility, the recording facility, joined), 2 savepoint (the request's
    # transaction), 3 the pregnancy through access, locked (woman and facilities joined; may she change it,
    # in the same statement), 4 INSERT visit, 5 UPDATE next visit, 6 INSERT audit row; grading: 7 the
    # reference data generation (catalogue version kept per process), 8 measurements from the record
    # (latest values and first weight, one statement), 9 the current assessment; follow-up window (no
    # savepoint of its own inside the visit's transaction): 10 the open window, 11 the last contact, 12 the
    # reference data generation (the region's policy kept); 13 release. The access check and the lock
    # were two reads of her row before.
    with django_assert_num_queries(13) as captured:
        response = client.post(
            f"/api/v1/pregnancies/{pregnancy.external_id}/visits/",
            {"sbp_mmhg": 121, "dbp_mmhg": 78, "pulse_bpm": 84},
            format="json",
        )
    assert response.status_code == 201, response.json()
    statements = [q["sql"].split()[0] for q in captured.captured_queries]
    assert statements.count("INSERT") == 2  # the visit and its audit row
    assert statements.count("SAVEPOINT") == 1  # the request's own (the test client's transaction)
    # her row is read once: the pregnancy and her woman are locked by the access check's read (an inner
    # join: PostgreSQL cannot lock the nullable side of an outer join); the facilities come along unlocked
    sqls = [q["sql"] for q in captured.captured_queries]
    (locking,) = [sql for sql in sqls if 'FROM "cases_pregnancy" t0' in sql]
    assert locking.endswith("FOR UPDATE OF t0, t1")
    assert ' JOIN "cases_patient" t1 ' in locking and 'LEFT JOIN "cases_patient"' not in locking
    assert '"facilities_facility" t2' in locking
    # her open follow-up window is locked too, before it is moved
    (window,) = [sql for sql in sqls if 'FROM "reminders_followup" t0' in sql]
    assert window.endswith("ORDER BY t0.due_by, t0.id LIMIT 1 FOR UPDATE OF t0")


def test_the_lean_visit_output_equals_the_serializer(api, midwife, pregnancy, home_facility):
    """``visit_output`` (the POST answer and the visit list) is ``VisitSerializer``'s output, value for
    value: every measurement set, none set, no clinician, no gestational age, confirmed unusual values."""
    from decimal import Decimal

    from cases.api.serializers import VisitSerializer, visit_output

    full = post(
        api,
        midwife,
        pregnancy,
        sbp_mmhg=150,
        dbp_mmhg=96,
        pulse_bpm=88,
        temperature_c="37.25",
        respiratory_rate=18,
        spo2_pct=97,
        consciousness="alert",
        weight_kg="61.55",
        height_cm="160.2",
        hb_g_l=105,
        platelets_10e9_l=180,
        proteinuria="2+",
        glucose_mmol_l="5.4",
        fundal_height_cm=28,
        fetal_heart_rate=142,
        presentation="cephalic",
        notes="<b>headache</b> 头痛",
        next_visit_date=(timezone.localdate() + dt.timedelta(days=7)).isoformat(),
    )
    assert full.status_code == 201, full.json()
    bare = Visit.objects.create(
        pregnancy=pregnancy,
        facility=home_facility,
        kind="postpartum",
        visited_at=timezone.now(),
        weight_kg=Decimal("70"),
        unusual_confirmed=["sbp_mmhg"],
    )
    visits = list(Visit.objects.filter(pregnancy=pregnancy).select_related("facility", "clinician"))
    assert {v.clinician_id is None for v in visits} == {True, False}
    assert {v.ga_days is None for v in visits} == {True, False}
    for visit in visits:
        assert visit_output(visit) == dict(VisitSerializer(visit).data), visit.pk
    assert full.json() == dict(VisitSerializer(Visit.objects.get(external_id=full.json()["id"])).data)
    listed = api.as_user(midwife).get(f"/api/v1/pregnancies/{pregnancy.external_id}/visits/").json()
    assert listed == [
        dict(VisitSerializer(v).data)
        for v in Visit.objects.filter(pregnancy=pregnancy).order_by("-visited_at")
    ]
    assert listed[0]["id"] == str(bare.external_id) and listed[0]["weight_kg"] == "70.0"


def test_visit_summary_names_only_the_findings_recorded_in_the_readers_language():
    from decimal import Decimal

    from django.utils import translation

    from cases.models import Visit
    from cases.views import _visit_summary

    visit = Visit(sbp_mmhg=150, dbp_mmhg=None, pulse_bpm=88, consciousness="voice", weight_kg=Decimal("61.5"))
    with translation.override("en"):
        assert _visit_summary(visit) == ["BP 150/–", "P 88", "AVPU: Responds to voice", "Weight 61.5 kg"]
    with translation.override("zh-hans"):
        summary = _visit_summary(visit)
    assert summary[:3] == ["血压 150/–", "脉搏 88", "意识：对声音有反应"]
    assert len(summary) == 4
    assert _visit_summary(Visit()) == []


def test_refused_and_bad_visits_leave_her_record_unlocked_and_unchanged(api, midwife, supervisor, pregnancy):
    """Access is checked by the read that locks her row, inside the visit's transaction: a refused caller
    (the region's supervisor sees her but may not record) and a bad body each end that transaction with
    nothing written, and the next visit is recorded."""
    before = pregnancy.updated_at
    assert post(api, supervisor, pregnancy, sbp_mmhg=110).status_code == 403
    assert post(api, midwife, pregnancy, sbp_mmhg="high").status_code == 400
    assert post(api, midwife, pregnancy, sbp_mmhg=110, dbp_mmhg=120).status_code == 400  # service's check
    assert not Visit.objects.filter(pregnancy=pregnancy).exists()
    pregnancy.refresh_from_db()
    assert pregnancy.updated_at == before
    assert post(api, midwife, pregnancy, sbp_mmhg=110, dbp_mmhg=70).status_code == 201
    assert Visit.objects.filter(pregnancy=pregnancy).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_locked_read_and_a_locked_visit_need_the_callers_transaction(midwife, pregnancy):
    """``lock=True`` outside a transaction would lock nothing (autocommit ends the statement's
    transaction at once): refused, not silently unlocked."""
    from django.db import transaction
    from django.db.transaction import TransactionManagementError

    from cases.access import access_pregnancy_by_id
    from cases.services import visit_record

    with pytest.raises(TransactionManagementError):
        access_pregnancy_by_id(midwife, pregnancy.external_id, perm="change", audit=False, lock=True)
    with pytest.raises(TransactionManagementError):
        visit_record(actor=midwife, pregnancy=pregnancy, measurements={"sbp_mmhg": 110}, locked=True)
    assert not Visit.objects.exists()
    with transaction.atomic():
        locked = access_pregnancy_by_id(midwife, pregnancy.external_id, perm="change", audit=False, lock=True)
        visit_record(actor=midwife, pregnancy=locked, measurements={"sbp_mmhg": 110}, locked=True)
    assert Visit.objects.filter(pregnancy=pregnancy).count() == 1
