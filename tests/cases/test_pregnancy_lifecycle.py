"""Pregnancies: registration contract, dating, filters, lifecycle, outcomes, emergency arrivals."""

import datetime as dt

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from cases.models import CareTask, Pregnancy, Visit
from tests.factories import PatientFactory, PregnancyFactory

pytestmark = pytest.mark.django_db


def today():
    return timezone.localdate()


@pytest.fixture
def woman(home_facility):
    return PatientFactory(registered_facility=home_facility, phone="+8613800001111")


def create(api, user, **body):
    return api.as_user(user).post("/api/v1/pregnancies/", body, format="json")


def test_create_contract(api, midwife, woman):
    lmp = today() - dt.timedelta(days=12 * 7 + 3)
    response = create(api, midwife, patient=str(woman.external_id), lmp=str(lmp), gravida=2, para=1)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert {"id", "edd", "gestational_age", "status", "managing_facility", "risk_color", "purple"} <= set(
        body
    )
    assert body["edd"] == str(lmp + dt.timedelta(days=280))
    assert body["gestational_age"] == {"weeks": 12, "days": 3}
    assert (body["status"], body["risk_color"], body["purple"]) == ("active", None, False)
    assert body["managing_facility"] == str(midwife.facility.external_id)
    pregnancy = Pregnancy.objects.get(external_id=body["id"])
    assert pregnancy.datings.get().adopted
    assert CareTask.objects.filter(pregnancy=pregnancy, kind="pmtct_tests_pending", status="open").exists()


def test_known_infection_status_opens_no_tests_task(api, midwife, woman):
    body = create(
        api,
        midwife,
        patient=str(woman.external_id),
        hiv_status="negative",
        syphilis_status="negative",
        hbv_status="negative",
    ).json()
    assert not CareTask.objects.filter(pregnancy__external_id=body["id"]).exists()


def test_infection_status_is_restricted_to_roles_with_view_sensitive(api, midwife, obstetrician, woman):
    body = create(api, obstetrician, patient=str(woman.external_id), hiv_status="positive").json()
    seen_by_midwife = api.as_user(midwife).get(f"/api/v1/pregnancies/{body['id']}/").json()
    assert seen_by_midwife["hiv_status"] == "restricted"
    assert (
        api.as_user(obstetrician).get(f"/api/v1/pregnancies/{body['id']}/").json()["hiv_status"] == "positive"
    )


def test_edd_must_agree_with_lmp(api, midwife, woman):
    response = create(
        api,
        midwife,
        patient=str(woman.external_id),
        lmp=str(today() - dt.timedelta(days=70)),
        edd=str(today() + dt.timedelta(days=100)),
    )
    assert response.status_code == 400
    assert "edd" in response.json()["errors"]
    assert not Pregnancy.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"lmp": "2099-01-01"}, "lmp"),
        ({"gravida": 1, "para": 1}, "para"),
        ({"fetuses": 0}, "fetuses"),
        ({"lmp": "not-a-date"}, "lmp"),
        ({"cycle_length": 5}, "cycle_length"),
    ],
)
def test_bad_values_are_refused_and_nothing_is_created(api, midwife, woman, body, field):
    response = create(api, midwife, patient=str(woman.external_id), **body)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Pregnancy.objects.exists()


def test_one_open_pregnancy_per_woman(api, midwife, woman):
    assert create(api, midwife, patient=str(woman.external_id)).status_code == 201
    assert create(api, midwife, patient=str(woman.external_id)).status_code == 409


def test_cannot_open_a_pregnancy_for_a_woman_one_cannot_see(api, outsider, woman):
    assert create(api, outsider, patient=str(woman.external_id)).status_code == 404


def test_list_filters_and_count(api, midwife, home_facility):
    near_term = PregnancyFactory(managing_facility=home_facility, edd=today() + dt.timedelta(days=14))  # 38+0
    early = PregnancyFactory(managing_facility=home_facility, edd=today() + dt.timedelta(days=200))  # 11+3
    closed = PregnancyFactory(
        managing_facility=home_facility,
        status="closed",
        outcome="delivery",
        edd=today() - dt.timedelta(days=60),
    )
    purple = PregnancyFactory(
        managing_facility=home_facility,
        purple=True,
        risk_color="orange",
        edd=today() + dt.timedelta(days=100),
    )
    client = api.as_user(midwife)

    def ids(**params):
        body = client.get("/api/v1/pregnancies/", params).json()
        assert body["count"] == len(body["results"])
        return {row["id"] for row in body["results"]}

    key = {p: str(p.external_id) for p in (near_term, early, closed, purple)}
    assert ids(status="closed") == {key[closed]}
    assert ids(purple="true") == {key[purple]}
    assert ids(risk_color="orange") == {key[purple]}
    assert ids(ga_min=37) == {key[near_term]}
    assert ids(ga_max=12) == {key[early]}
    assert ids(ga_min=11, ga_max=11) == {key[early]}
    assert ids(edd_after=str(today()), edd_before=str(today() + dt.timedelta(days=30))) == {key[near_term]}
    assert ids(managing_facility=str(home_facility.external_id)) == set(key.values())
    assert ids(q=near_term.patient.name) == {key[near_term]}
    assert ids(q=near_term.patient.record_number.lower()) == {key[near_term]}


def test_search_by_phone(api, midwife, home_facility, woman):
    pregnancy = PregnancyFactory(managing_facility=home_facility, patient=woman)
    body = api.as_user(midwife).get("/api/v1/pregnancies/", {"q": "138 0000 1111"}).json()
    assert [row["id"] for row in body["results"]] == [str(pregnancy.external_id)]


def test_bad_filter_is_400(api, midwife):
    response = api.as_user(midwife).get("/api/v1/pregnancies/", {"ga_min": "many", "status": "dancing"})
    assert response.status_code == 400
    assert {"ga_min", "status"} <= set(response.json()["errors"])


def test_ultrasound_redates_only_beyond_the_threshold(api, obstetrician, pregnancy):
    pregnancy.lmp = today() - dt.timedelta(days=70)
    pregnancy.edd = pregnancy.lmp + dt.timedelta(days=280)
    pregnancy.dating_method = "lmp"
    pregnancy.save()
    client = api.as_user(obstetrician)
    url = f"/api/v1/pregnancies/{pregnancy.external_id}/datings/"
    # scan today shows 10+0 + 5 days: within the 7-day threshold at 10 weeks → recorded, not adopted
    small = client.post(
        url, {"method": "ultrasound", "scan_date": str(today()), "ga_days_at_scan": 75}, format="json"
    )
    assert small.status_code == 201 and small.json()["adopted"] is False
    pregnancy.refresh_from_db()
    assert pregnancy.edd == pregnancy.lmp + dt.timedelta(days=280)
    # 8 days more than LMP: beyond the threshold → adopted, but a reason is required for the change
    big = client.post(
        url, {"method": "ultrasound", "scan_date": str(today()), "ga_days_at_scan": 78}, format="json"
    )
    assert big.status_code == 400 and "reason" in big.json()["errors"]
    big = client.post(
        url,
        {"method": "ultrasound", "scan_date": str(today()), "ga_days_at_scan": 78, "reason": "CRL 38 mm"},
        format="json",
    )
    assert big.json()["adopted"] is True
    pregnancy.refresh_from_db()
    assert pregnancy.edd == today() + dt.timedelta(days=280 - 78)
    assert pregnancy.dating_method == "ultrasound"


def test_delivery_ends_the_pregnancy_and_42_day_check_closes_it(api, obstetrician, pregnancy):
    client = api.as_user(obstetrician)
    base = f"/api/v1/pregnancies/{pregnancy.external_id}"
    delivered_at = timezone.now() - dt.timedelta(days=43)
    pregnancy.edd = timezone.localdate(delivered_at) + dt.timedelta(days=3)
    pregnancy.save()
    response = client.post(
        f"{base}/delivery/",
        {
            "delivered_at": delivered_at.isoformat(),
            "mode": "caesarean_emergency",
            "blood_loss_ml": 1200,
            "complications": ["severe_pph"],
            "near_miss_criteria": ["transfusion_5u"],
            "newborns": [
                {"outcome": "live_birth", "sex": "female", "weight_g": 3100, "apgar_1": 8, "apgar_5": 9}
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["gestational_age"] == {"weeks": 39, "days": 4}
    detail = client.get(f"{base}/").json()
    assert (detail["status"], detail["gestational_age"], detail["postpartum_days"]) == (
        "postpartum",
        None,
        43,
    )
    assert pregnancy.near_misses.count() == 1
    assert client.post(f"{base}/delivery/", response.json(), format="json").status_code == 409
    antenatal = client.post(f"{base}/visits/", {"kind": "antenatal"}, format="json")
    assert antenatal.status_code == 409
    check = client.post(
        f"{base}/visits/", {"kind": "check_42d", "sbp_mmhg": 118, "dbp_mmhg": 76}, format="json"
    )
    assert check.status_code == 201
    assert client.get(f"{base}/").json()["status"] == "closed"


def test_illegal_transitions_are_409(api, obstetrician, pregnancy):
    client = api.as_user(obstetrician)
    url = f"/api/v1/pregnancies/{pregnancy.external_id}/transition/"
    assert client.post(url, {"status": "closed", "reason": "done"}, format="json").status_code == 409
    assert client.post(url, {"status": "postpartum", "reason": "x"}, format="json").status_code == 409
    assert client.post(url, {"status": "lost_to_follow_up"}, format="json").status_code == 400
    lost = client.post(
        url, {"status": "lost_to_follow_up", "reason": "Three missed visits, phone off"}, format="json"
    )
    assert lost.json()["status"] == "lost_to_follow_up"
    assert client.post(url, {"status": "postpartum", "reason": "found"}, format="json").status_code == 409
    back = client.post(url, {"status": "active", "reason": "She came back to clinic"}, format="json")
    assert back.json()["status"] == "active"
    transitions = AuditEvent.objects.filter(action="transition", object_id=str(pregnancy.external_id))
    assert [e.changes["status"] for e in transitions.order_by("id")] == [
        ["active", "lost_to_follow_up"],
        ["lost_to_follow_up", "active"],
    ]


def test_supervisor_may_read_but_not_record(api, supervisor, pregnancy):
    client = api.as_user(supervisor)
    assert client.get(f"/api/v1/pregnancies/{pregnancy.external_id}/visits/").status_code == 200
    assert (
        client.post(f"/api/v1/pregnancies/{pregnancy.external_id}/visits/", {}, format="json").status_code
        == 403
    )


def test_miscarriage_and_late_maternal_death(api, obstetrician, pregnancy):
    client = api.as_user(obstetrician)
    base = f"/api/v1/pregnancies/{pregnancy.external_id}"
    ended_on = today() - dt.timedelta(days=100)
    assert (
        client.post(
            f"{base}/end/", {"outcome": "miscarriage", "ended_on": str(ended_on)}, format="json"
        ).json()["status"]
        == "postpartum"
    )
    pregnancy.refresh_from_db()
    pregnancy.status = "closed"
    pregnancy.save()
    death = client.post(
        f"{base}/maternal-death/",
        {"died_at": timezone.now().isoformat(), "cause": "PE, day 100"},
        format="json",
    )
    assert death.status_code == 201
    pregnancy.refresh_from_db()
    assert pregnancy.status == "maternal_death" and pregnancy.maternal_death.is_late


def test_death_more_than_a_year_after_is_refused(api, obstetrician, pregnancy):
    pregnancy.status, pregnancy.outcome, pregnancy.ended_on = (
        "closed",
        "delivery",
        today() - dt.timedelta(days=400),
    )
    pregnancy.save()
    response = api.as_user(obstetrician).post(
        f"/api/v1/pregnancies/{pregnancy.external_id}/maternal-death/",
        {"died_at": timezone.now().isoformat(), "cause": "x"},
        format="json",
    )
    assert response.status_code == 400
    pregnancy.refresh_from_db()
    assert pregnancy.status == "closed"


def test_emergency_registration_minimum(api, midwife):
    response = api.as_user(midwife).post(
        "/api/v1/emergency-registrations/",
        {
            "estimated_age_years": 24,
            "estimated_ga_weeks": 34,
            "vitals": {"sbp_mmhg": 192, "dbp_mmhg": 118, "pulse_bpm": 124},
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["record_number"].startswith("TMP") and body["possible_duplicate"] is False
    pregnancy = Pregnancy.objects.select_related("patient").get(external_id=body["pregnancy"])
    arrived = timezone.localtime(pregnancy.arrived_at).strftime("%Y-%m-%d %H:%M")
    assert pregnancy.patient.is_unidentified
    assert pregnancy.patient.name == f"身份不明孕产妇 / Unknown woman · {arrived}"
    assert pregnancy.is_emergency_registration and pregnancy.dating_method == "estimate"
    detail = api.get(f"/api/v1/pregnancies/{body['pregnancy']}/").json()
    assert detail["gestational_age"] == {"weeks": 34, "days": 0}
    visit = Visit.objects.get(pregnancy=pregnancy)
    assert (visit.kind, visit.sbp_mmhg, visit.unusual_confirmed) == ("emergency", 192, ["sbp_mmhg"])
    kinds = set(CareTask.objects.filter(pregnancy=pregnancy).values_list("kind", flat=True))
    assert kinds == {"pmtct_tests_pending", "backfill_record"}


def test_emergency_registration_with_a_known_id_never_blocks(api, midwife, outsider):
    from cases.identity import check_character

    body17 = "45010219950312002"
    number = body17 + check_character(body17)
    api.as_user(outsider).post("/api/v1/patients/", {"name": "张三", "id_number": number}, format="json")
    response = api.as_user(midwife).post(
        "/api/v1/emergency-registrations/",
        {"name": "张三", "estimated_age_years": 31, "estimated_ga_weeks": 39, "id_number": number},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["possible_duplicate"] is True
    pregnancy = Pregnancy.objects.get(external_id=response.json()["pregnancy"])
    assert pregnancy.patient.id_number is None
    assert CareTask.objects.filter(pregnancy=pregnancy, kind="merge_review").exists()


@pytest.mark.parametrize(
    "body",
    [
        {"estimated_age_years": 4, "estimated_ga_weeks": 30},
        {"estimated_age_years": 30, "estimated_ga_weeks": 60},
        {"estimated_age_years": 30, "estimated_ga_weeks": 30, "vitals": {"sbp_mmhg": 900}},
        {"estimated_age_years": 30, "estimated_ga_weeks": 30, "companion_phone": "call me"},
    ],
)
def test_emergency_registration_bad_input_changes_nothing(api, midwife, body):
    from cases.models import Patient

    response = api.as_user(midwife).post("/api/v1/emergency-registrations/", body, format="json")
    assert response.status_code == 400
    assert not Patient.objects.exists() and not Pregnancy.objects.exists()
