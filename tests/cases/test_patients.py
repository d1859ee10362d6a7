"""Registering women: ID checksum, normalisation, duplicates (409), masking and audited reveal, merge."""

import datetime as dt

import pytest

from audit.models import AuditEvent
from cases.models import Patient, Pregnancy
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

VALID_ID = "11010519491231002X"  # born 1949: too old to register; used where age is not checked
YOUNG_ID_BODY = "45010219950312002"  # born 1995-03-12, even sequence (female)


def young_id():
    from cases.identity import check_character

    return YOUNG_ID_BODY + check_character(YOUNG_ID_BODY)


def register(api, user, **body):
    return api.as_user(user).post("/api/v1/patients/", {"name": "李梅", **body}, format="json")


def test_register_derives_birth_date_and_masks_the_id(api, midwife):
    response = register(api, midwife, id_number=young_id(), phone="139 1234 5678")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["birth_date"] == "1995-03-12"
    assert body["id_number"] == young_id()[:6] + "********" + young_id()[-4:]
    assert body["phone"] == "139****5678"
    assert body["record_number"].startswith("MS")
    patient = Patient.objects.get(external_id=body["id"])
    assert (patient.id_number, patient.phone) == (young_id(), "+8613912345678")
    assert AuditEvent.objects.filter(action="create", object_id=body["id"]).exists()


def test_bad_checksum_is_400_on_id_number_and_creates_nothing(api, midwife):
    bad = young_id()[:17] + ("0" if young_id()[17] != "0" else "1")
    response = register(api, midwife, id_number=bad)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["id_number"]
    assert not Patient.objects.exists()


def test_birth_date_must_agree_with_the_id(api, midwife):
    response = register(api, midwife, id_number=young_id(), birth_date="1995-03-13")
    assert response.status_code == 400
    assert "birth_date" in response.json()["errors"]


def test_every_bad_field_is_named_at_once(api, midwife):
    response = register(api, midwife, name="", phone="12345", birth_date="2030-01-01")
    assert response.status_code == 400
    assert {"name", "phone", "birth_date"} <= set(response.json()["errors"])


def test_same_id_twice_is_409_with_the_existing_record_for_someone_who_may_see_it(api, midwife):
    first = register(api, midwife, id_number=young_id()).json()
    response = register(api, midwife, id_number=young_id().lower())
    assert response.status_code == 409
    assert response.json()["existing"] == first["id"]
    assert list(response.json()["errors"]) == ["id_number"]


def test_duplicate_at_another_facility_gives_a_neutral_409(api, midwife, outsider):
    register(api, midwife, id_number=young_id())
    response = register(api, outsider, id_number=young_id())
    assert response.status_code == 409
    assert response.json()["existing"] is None


def test_fifteen_digit_form_collides_with_the_eighteen_digit_form(api, midwife):
    from cases.identity import check_character

    body = "110105" + "91" + "0312" + "002"  # legacy: 1991-03-12
    full17 = "110105" + "19910312" + "002"
    assert register(api, midwife, id_number=full17 + check_character(full17)).status_code == 201
    response = register(api, midwife, id_number=body)
    assert response.status_code == 409


def test_odd_sequence_digit_warns_but_registers(api, midwife):
    from cases.identity import check_character

    male = "45010219950312001"
    response = register(api, midwife, id_number=male + check_character(male))
    assert response.status_code == 201
    assert response.json()["warnings"]


def test_near_duplicates_only_show_records_the_user_may_see(
    api, midwife, outsider, home_facility, other_facility
):
    PatientFactory(name="王芳", birth_date=dt.date(1993, 1, 2), registered_facility=home_facility)
    PatientFactory(name="王芳", birth_date=dt.date(1993, 1, 2), registered_facility=other_facility)
    mine = (
        api.as_user(midwife)
        .get("/api/v1/patients/duplicates/", {"name": "王芳", "birth_date": "1993-01-02"})
        .json()
    )
    assert len(mine) == 1
    theirs = (
        api.as_user(outsider)
        .get("/api/v1/patients/duplicates/", {"name": "王芳", "birth_date": "1993-01-02"})
        .json()
    )
    assert len(theirs) == 1 and theirs[0]["id"] != mine[0]["id"]


def test_reveal_is_audited_and_needs_the_role(api, midwife, supervisor, pregnancy):
    patient = pregnancy.patient
    patient.id_number = young_id()
    patient.save(update_fields=["id_number"])
    response = api.as_user(midwife).post(
        f"/api/v1/patients/{patient.external_id}/reveal-id/", {"reason": "handbook check"}, format="json"
    )
    assert response.json()["id_number"] == young_id()
    event = AuditEvent.objects.get(action="reveal")
    assert (event.actor, event.reason) == (midwife, "handbook check")
    denied = api.as_user(supervisor).post(
        f"/api/v1/patients/{patient.external_id}/reveal-id/", {}, format="json"
    )
    assert denied.status_code == 403
    assert AuditEvent.objects.filter(action="reveal").count() == 1


def test_identifiers_are_masked_in_the_list(api, midwife, pregnancy):
    patient = pregnancy.patient
    patient.id_number = young_id()
    patient.save(update_fields=["id_number"])
    rows = api.as_user(midwife).get("/api/v1/patients/").json()["results"]
    assert young_id() not in str(rows)


def test_search_patients_by_id_number_and_record_number(api, midwife, pregnancy):
    patient = pregnancy.patient
    patient.id_number = young_id()
    patient.save(update_fields=["id_number"])
    client = api.as_user(midwife)
    assert client.get("/api/v1/patients/", {"q": young_id().lower()}).json()["count"] == 1
    assert client.get("/api/v1/patients/", {"q": patient.record_number}).json()["count"] == 1
    assert client.get("/api/v1/patients/", {"q": "nobody"}).json()["count"] == 0


def emergency(api, user, **extra):
    body = {"estimated_age_years": 28, "estimated_ga_weeks": 36, **extra}
    response = api.as_user(user).post("/api/v1/emergency-registrations/", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_merge_emergency_record_into_her_real_record(api, midwife, obstetrician, home_facility):
    real = register(api, midwife, id_number=young_id()).json()
    real_pregnancy = (
        api.as_user(midwife)
        .post(
            "/api/v1/pregnancies/",
            {"patient": real["id"], "lmp": str(dt.date.today() - dt.timedelta(days=250))},
            format="json",
        )
        .json()
    )
    arrival = emergency(api, midwife)
    client = api.as_user(obstetrician)
    response = client.post(
        f"/api/v1/patients/{real['id']}/merge/",
        {"duplicate": arrival["patient"], "reason": "Same woman, ID card brought by husband"},
        format="json",
    )
    assert response.status_code == 400
    assert "continuing_pregnancy" in response.json()["errors"]
    response = client.post(
        f"/api/v1/patients/{real['id']}/merge/",
        {
            "duplicate": arrival["patient"],
            "continuing_pregnancy": real_pregnancy["id"],
            "reason": "Same woman, ID card brought by husband",
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    old = client.get(f"/api/v1/patients/{arrival['patient']}/").json()
    assert (old["status"], old["merged_into"]) == ("merged", real["id"])
    ended = Pregnancy.objects.get(external_id=arrival["pregnancy"])
    assert ended.status == "merged"
    continuing = Pregnancy.objects.get(external_id=real_pregnancy["id"])
    assert continuing.visits.filter(kind="emergency").count() == 1
    event = AuditEvent.objects.filter(action="update", object_id=real["id"]).latest("id")
    assert event.changes["merged"] == arrival["patient"]


def test_merge_needs_the_role_and_a_reason(api, midwife, supervisor, facility_admin):
    first = register(api, midwife, name="甲").json()
    second = register(api, midwife, name="甲").json()
    response = api.as_user(midwife).post(
        f"/api/v1/patients/{first['id']}/merge/", {"duplicate": second["id"], "reason": "same"}, format="json"
    )
    assert response.status_code == 403  # midwives may not merge (docs/permissions.md)
    assert Patient.objects.filter(status="merged").count() == 0


def test_consent_is_recorded_and_a_girl_under_14_needs_a_guardian(api, midwife, home_facility):
    adult = PatientFactory(registered_facility=home_facility, birth_date=dt.date(1995, 1, 1))
    client = api.as_user(midwife)
    response = client.post(
        f"/api/v1/patients/{adult.external_id}/consents/",
        {"purpose": "sensitive", "version": "2026.1"},
        format="json",
    )
    assert response.status_code == 201
    assert adult.consents.get().version == "2026.1"
    girl = PatientFactory(
        registered_facility=home_facility, birth_date=dt.date.today() - dt.timedelta(days=13 * 365)
    )
    url = f"/api/v1/patients/{girl.external_id}/consents/"
    refused = client.post(url, {"purpose": "care", "version": "2026.1"}, format="json")
    assert refused.status_code == 400 and "given_by" in refused.json()["errors"]
    unnamed = client.post(
        url, {"purpose": "care", "version": "2026.1", "given_by": "guardian"}, format="json"
    )
    assert "guardian_name" in unnamed.json()["errors"]
    ok = client.post(
        url,
        {
            "purpose": "care",
            "version": "2026.1",
            "given_by": "guardian",
            "guardian_name": "母亲",
            "guardian_relation": "mother",
        },
        format="json",
    )
    assert ok.status_code == 201
    assert girl.consents.count() == 1
