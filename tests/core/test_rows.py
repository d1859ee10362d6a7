"""``core.rows.Joined`` builds the instances the ORM builds: the same field values, related objects cached,
a database state, nothing deferred; saving and refreshing them work as on ORM instances. A model with an
``__init__`` receiver still goes through ``Model.from_db``."""

import pickle

import pytest
from django.db.models.signals import post_init

from accounts.loading import user_by_pk
from cases.models import Patient, Pregnancy
from core.rows import Joined
from tests.factories import PregnancyFactory, UserFactory

pytestmark = pytest.mark.django_db


def fields_of(obj) -> dict:
    return {name: value for name, value in obj.__dict__.items() if name != "_state"}


def same_instance(built, orm) -> None:
    assert type(built) is type(orm)
    assert fields_of(built) == fields_of(orm)
    assert built._state.adding is False and built._state.db == orm._state.db == "default"
    assert built.get_deferred_fields() == set()
    assert built == orm and hash(built) == hash(orm)


def test_joined_rows_are_the_orm_instances_with_their_related_objects(home_facility, midwife):
    made = PregnancyFactory(managing_facility=home_facility, responsible_clinician=midwife, risk_color="red")
    joined = Joined(Pregnancy, "patient", "managing_facility", "responsible_clinician")
    (built,) = joined.fetch_all("t0.id = %s", [made.pk], order_by="t0.id")
    orm = Pregnancy.objects.select_related("patient", "managing_facility", "responsible_clinician").get(
        pk=made.pk
    )
    same_instance(built, orm)
    for name in ("patient", "managing_facility", "responsible_clinician"):
        assert Pregnancy._meta.get_field(name).is_cached(built), name
        same_instance(getattr(built, name), getattr(orm, name))

    # on its generic plan (``core.prepared.execute_generic``): the same instance, with its related objects
    for _ in range(3):
        (generic,) = joined.fetch_all("t0.id = %s", [made.pk], order_by="t0.id", generic=True)
        same_instance(generic, orm)
        for name in ("patient", "managing_facility", "responsible_clinician"):
            same_instance(getattr(generic, name), getattr(orm, name))

    # the session user, with facility and region
    user = user_by_pk(midwife.pk)
    same_instance(user, type(midwife).objects.select_related("facility", "region").get(pk=midwife.pk))
    same_instance(user.facility, home_facility)


def test_joined_instances_save_refresh_and_pickle_like_orm_instances(pregnancy):
    built, _ = Joined(Pregnancy, "patient").fetch("t0.id = %s", [pregnancy.pk])
    built.risk_color = "orange"
    built.save(update_fields=["risk_color"])
    assert Pregnancy.objects.get(pk=pregnancy.pk).risk_color == "orange"

    built.patient.name = "王芳"
    built.patient.save()
    assert Patient.objects.get(pk=pregnancy.patient_id).name == "王芳"

    Pregnancy.objects.filter(pk=pregnancy.pk).update(risk_color="red")
    built.refresh_from_db()
    assert built.risk_color == "red"

    # a changed foreign key drops the cached related object, as on an ORM instance
    other = UserFactory(facility=pregnancy.managing_facility)
    built.responsible_clinician_id = other.pk
    assert built.responsible_clinician == other

    orm = Pregnancy.objects.get(pk=pregnancy.pk)
    orm.refresh_from_db()  # as built was
    orm.responsible_clinician_id = other.pk
    same_instance(pickle.loads(pickle.dumps(built)), pickle.loads(pickle.dumps(orm)))


def test_a_model_with_an_init_receiver_is_built_through_from_db(pregnancy):
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance)

    post_init.connect(receiver, sender=Patient)
    try:
        built, _ = Joined(Pregnancy, "patient").fetch("t0.id = %s", [pregnancy.pk])
    finally:
        post_init.disconnect(receiver, sender=Patient)
    assert seen == [built.patient]
    same_instance(built.patient, Patient.objects.get(pk=pregnancy.patient_id))


def test_only_reads_the_fields_named_and_defers_the_rest_as_the_orm_does(
    pregnancy, django_assert_num_queries
):
    joined = Joined(Pregnancy, "patient", only={"": ("risk_color", "patient"), "patient": ("name",)})
    with django_assert_num_queries(1):
        (built,) = joined.fetch_all("t0.id = %s", [pregnancy.pk], order_by="t0.id")
        assert (built.pk, built.risk_color, built.patient.name) == (
            pregnancy.pk,
            pregnancy.risk_color,
            pregnancy.patient.name,
        )
    orm = Pregnancy.objects.select_related("patient").only("risk_color", "patient__name").get(pk=pregnancy.pk)
    assert built.get_deferred_fields() == orm.get_deferred_fields() and "edd" in built.get_deferred_fields()
    assert built.patient.get_deferred_fields() == orm.patient.get_deferred_fields()
    with django_assert_num_queries(1):  # a deferred field is read when touched
        assert built.edd == pregnancy.edd
    with pytest.raises(ValueError, match="no concrete field"):
        Joined(Pregnancy, only={"": ("nonsense",)}).fetch_all("true", [], order_by="t0.id")
    with pytest.raises(ValueError, match="not read"):
        Joined(Pregnancy, only={"patient": ("name",)})


# --- core.rows.insert -----------------------------------------------------------------------------------


def _visit(pregnancy, midwife, **values):
    from decimal import Decimal

    from django.utils import timezone

    from cases.models import Visit

    fields = {
        "pregnancy": pregnancy,
        "kind": "antenatal",
        "visited_at": timezone.now(),
        "facility": midwife.facility,
        "clinician": midwife,
        "ga_days": 200,
        "sbp_mmhg": 141,
        "temperature_c": Decimal("37.2"),
        "notes": "王 — <b>notes</b>\u2028",
        "unusual_confirmed": ["sbp_mmhg"],
    }
    return Visit(**(fields | values))


def _stored(obj) -> dict:
    row = type(obj).objects.get(pk=obj.pk)
    skip = {"_state", "id", "external_id", "created_at", "updated_at"}
    return {k: v for k, v in row.__dict__.items() if k not in skip}


def test_insert_writes_the_row_the_orm_writes_in_one_statement(pregnancy, midwife, django_assert_num_queries):
    from django.utils import timezone

    from core.rows import insert

    at = timezone.now()
    by_orm, fixed = _visit(pregnancy, midwife, visited_at=at), _visit(pregnancy, midwife, visited_at=at)
    by_orm.save(force_insert=True)
    with django_assert_num_queries(1) as captured:
        insert(fixed)
    assert captured.captured_queries[0]["sql"].startswith('INSERT INTO "cases_visit"')
    assert fixed.pk is not None and fixed.pk != by_orm.pk and not fixed._state.adding
    assert fixed._state.db == "default"
    assert _stored(fixed) == _stored(by_orm)
    stored = type(fixed).objects.get(pk=fixed.pk)
    assert (stored.external_id, stored.created_at, stored.updated_at) == (
        fixed.external_id,
        fixed.created_at,
        fixed.updated_at,
    )
    assert fixed.created_at is not None and fixed.created_at <= fixed.updated_at


def test_insert_leaves_to_the_orm_what_save_does_more(pregnancy, midwife):
    """A ``pre_save`` receiver, an explicit key and a value given for a column with a database default go
    through ``save()``; left to the database, the default is written and read back."""
    from django.db.models.signals import pre_save

    from audit.models import AuditEvent
    from cases.models import Visit
    from core.rows import insert

    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance)

    pre_save.connect(receiver, sender=Visit)
    try:
        visit = _visit(pregnancy, midwife)
        insert(visit)
    finally:
        pre_save.disconnect(receiver, sender=Visit)
    assert seen == [visit] and Visit.objects.filter(pk=visit.pk).exists()

    explicit = _visit(pregnancy, midwife, id=visit.pk + 1000)
    insert(explicit)
    assert Visit.objects.filter(pk=visit.pk + 1000).exists()

    event = AuditEvent(action="read", actor_username="x")  # occurred_at: a database default
    insert(event)
    assert event.pk is not None and event.occurred_at is not None
    assert AuditEvent.objects.get(pk=event.pk).occurred_at == event.occurred_at

    import datetime as dt

    long_ago = dt.datetime(2020, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    dated = AuditEvent(action="read", actor_username="x", occurred_at=long_ago)
    insert(dated)
    assert AuditEvent.objects.get(pk=dated.pk).occurred_at == long_ago


def test_update_fields_writes_what_save_with_update_fields_writes(pregnancy, django_assert_num_queries):
    import datetime as dt

    from django.db import DatabaseError

    from cases.models import Pregnancy
    from core.rows import update_fields

    before = Pregnancy.objects.get(pk=pregnancy.pk)
    pregnancy.next_visit_date = dt.date(2027, 1, 5)
    with django_assert_num_queries(1) as captured:
        update_fields(pregnancy, ["next_visit_date", "updated_at"])
    assert captured.captured_queries[0]["sql"].startswith('UPDATE "cases_pregnancy" SET "next_visit_date" = ')
    after = Pregnancy.objects.get(pk=pregnancy.pk)
    assert after.next_visit_date == dt.date(2027, 1, 5)
    assert after.updated_at == pregnancy.updated_at > before.updated_at  # auto_now, as save() sets it
    written = ("_state", "next_visit_date", "updated_at")
    unchanged = {k: v for k, v in before.__dict__.items() if k not in written}
    assert {k: after.__dict__[k] for k in unchanged} == unchanged

    pregnancy.next_visit_date = None
    update_fields(pregnancy, ["next_visit_date"])
    assert Pregnancy.objects.get(pk=pregnancy.pk).next_visit_date is None

    gone = Pregnancy.objects.get(pk=pregnancy.pk)
    gone.pk = 10**12
    with pytest.raises(DatabaseError, match="did not affect any rows"):
        update_fields(gone, ["next_visit_date"])


def test_update_returning_moves_the_row_once_and_reads_it_back_in_one_statement(
    pregnancy, home_facility, other_facility, midwife, django_assert_num_queries
):
    """``update_returning`` is the ORM's conditional ``update`` and ``refresh_from_db``: the row as it now
    stands on the instance (values converted as the ORM converts them), related instances kept only
    where their key did not change; a condition that no longer holds writes nothing and leaves the
    instance as it was."""
    import datetime as dt

    from django.utils import timezone

    from core.rows import update_returning

    obj = Pregnancy.objects.select_related("patient", "managing_facility").get(pk=pregnancy.pk)
    patient = obj.patient
    when = timezone.now() - dt.timedelta(hours=2)
    with django_assert_num_queries(1) as captured:
        moved = update_returning(
            obj,
            {"managing_facility": other_facility, "updated_at": when, "risk_color": "orange"},
            only_if={"status": ["active", "postpartum"]},
        )
    assert moved is True
    assert captured.captured_queries[0]["sql"].startswith('UPDATE "cases_pregnancy" SET ')
    assert "RETURNING" in captured.captured_queries[0]["sql"]
    fresh = Pregnancy.objects.get(pk=pregnancy.pk)
    assert (fresh.managing_facility_id, fresh.updated_at, fresh.risk_color) == (
        other_facility.pk,
        when,
        "orange",
    )
    assert fields_of(obj) == fields_of(fresh)
    with django_assert_num_queries(0):
        assert obj.patient is patient  # key unchanged: kept
    with django_assert_num_queries(0):
        assert obj.managing_facility is other_facility  # given as an instance: cached

    before = fields_of(obj)
    with django_assert_num_queries(1):
        moved = update_returning(obj, {"risk_color": "red"}, only_if={"status": ["ended", "cancelled"]})
    assert moved is False
    assert fields_of(obj) == before
    assert Pregnancy.objects.get(pk=pregnancy.pk).risk_color == "orange"

    by_key = Pregnancy.objects.select_related("managing_facility").get(pk=pregnancy.pk)
    assert update_returning(by_key, {"managing_facility": home_facility.pk}, only_if={"status": ["active"]})
    assert by_key.managing_facility_id == home_facility.pk
    assert not Pregnancy.managing_facility.field.is_cached(by_key)  # key changed: forgotten
    assert by_key.managing_facility == home_facility  # read again when asked for


@pytest.mark.parametrize("through_orm", [False, True], ids=["one statement", "orm in a savepoint"])
def test_insert_skip_if_leaves_an_existing_row_alone_and_the_transaction_usable(
    home_facility, through_orm, django_assert_num_queries
):
    """``insert(obj, skip_if=<unique field>)``: the first row of a cause is written (True); a second with
    the same value writes nothing and answers False, without an error that would break the caller's
    transaction; any other refusal is still an error. Through the ORM (a receiver) in a savepoint."""
    from django.db import IntegrityError, transaction
    from django.db.models.signals import pre_save
    from django.utils import timezone

    from core.rows import insert
    from notifications.models import Alert

    def alert(key, **extra):
        fields = {"kind": "referral_requested", "facility": home_facility, "due_at": timezone.now()}
        return Alert(dedup_key=key, **(fields | extra))

    def receiver(sender, instance, **kwargs):
        pass

    if through_orm:
        pre_save.connect(receiver, sender=Alert)
    try:
        with transaction.atomic():
            first = alert("cause-1")
            assert insert(first, skip_if="dedup_key") is True and first.pk is not None
            again = alert("cause-1", severity="critical")
            if through_orm:
                assert insert(again, skip_if="dedup_key") is False
            else:
                with django_assert_num_queries(1):
                    assert insert(again, skip_if="dedup_key") is False
            assert again.pk is None
            assert Alert.objects.get(dedup_key="cause-1").severity == first.severity  # untouched
            with pytest.raises(IntegrityError), transaction.atomic():
                insert(alert("cause-2", due_at=None), skip_if="dedup_key")
            assert Alert.objects.filter(dedup_key="cause-1").count() == 1  # still usable
    finally:
        pre_save.disconnect(receiver, sender=Alert)
