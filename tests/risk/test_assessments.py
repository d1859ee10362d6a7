"""Assessments: confirm, override and co-signature, supersession, case management, reports, the tier
check, proposals at every contact, screening, sensitive criteria."""

import datetime as dt

import pytest
from django.utils import timezone

from accounts.choices import Role, Title
from cases.models import CareTask
from facilities.choices import Capability, CriticalCareLevel, Tier
from notifications.models import Alert
from risk.models import CaseManagement, RiskAssessment, RiskReport
from tests.factories import FacilityFactory, PregnancyFactory, UserFactory

pytestmark = pytest.mark.django_db


def assess(api, user, pregnancy, **body):
    return api.as_user(user).post(
        f"/api/v1/pregnancies/{pregnancy.external_id}/risk-assessments/", body, format="json"
    )


@pytest.fixture
def graded_pregnancy(pregnancy, obstetrician):
    pregnancy.responsible_clinician = obstetrician
    pregnancy.save(update_fields=["responsible_clinician"])
    return pregnancy


@pytest.fixture
def senior(home_facility):
    return UserFactory(username="chief", facility=home_facility, roles=[Role.OBSTETRICIAN], title=Title.CHIEF)


def test_red_grade_sets_everything_in_motion(api, obstetrician, graded_pregnancy):
    response = assess(api, obstetrician, graded_pregnancy, measurements={"pasp_mmhg": 55})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["color"], body["triggered"]) == ("confirmed", "red", ["R-CARDIO-PAH"])
    assert body["measurement_sources"]["pasp_mmhg"] == "request"
    assert body["measurement_sources"]["age_years"] == "patient"
    graded_pregnancy.refresh_from_db()
    assert (graded_pregnancy.risk_color, graded_pregnancy.under_case_management) == ("red", True)
    assert graded_pregnancy.needs_referral  # a county hospital is not a tertiary city/province centre
    case = CaseManagement.objects.get(pregnancy=graded_pregnancy)
    assert (case.status, case.manager, case.reasons) == ("open", obstetrician, ["red"])
    report = RiskReport.objects.get(pregnancy=graded_pregnancy)
    assert report.color == "red"
    assert abs((report.due_at - report.confirmed_at) - dt.timedelta(hours=24)) < dt.timedelta(seconds=1)
    assert set(Alert.objects.filter(pregnancy=graded_pregnancy).values_list("kind", flat=True)) == {
        "high_risk_grade",
        "report_due",
        "needs_referral",
    }


def test_detail_shows_the_grade(api, obstetrician, midwife, graded_pregnancy):
    assess(api, obstetrician, graded_pregnancy, measurements={"pasp_mmhg": 55})
    body = api.as_user(midwife).get(f"/api/v1/pregnancies/{graded_pregnancy.external_id}/").json()
    assert (body["risk_color"], body["purple"]) == ("red", False)


def test_orange_report_is_due_at_the_end_of_the_third_calendar_day(api, obstetrician, graded_pregnancy):
    assess(api, obstetrician, graded_pregnancy, measurements={"hb_g_l": 50})
    report = RiskReport.objects.get(pregnancy=graded_pregnancy)
    local_due = timezone.localtime(report.due_at)
    assert local_due.date() == timezone.localdate(report.confirmed_at) + dt.timedelta(days=3)
    assert (local_due.hour, local_due.minute) == (23, 59)


def test_rising_colour_re_reports_and_a_lower_one_does_not(api, obstetrician, senior, graded_pregnancy):
    assess(api, obstetrician, graded_pregnancy, measurements={"hb_g_l": 50})  # orange
    assess(api, obstetrician, graded_pregnancy, measurements={"hb_g_l": 50, "pasp_mmhg": 55})  # red
    assert list(
        RiskReport.objects.filter(pregnancy=graded_pregnancy).order_by("id").values_list("color", flat=True)
    ) == ["orange", "red"]
    first = RiskAssessment.objects.filter(pregnancy=graded_pregnancy).order_by("id").first()
    assert first.status == "superseded"


def test_only_obstetricians_at_secondary_or_tertiary_confirm(api, midwife, graded_pregnancy, county):
    assert assess(api, midwife, graded_pregnancy, measurements={"hb_g_l": 50}).status_code == 403
    township = FacilityFactory(township=True, region=county)
    rural = UserFactory(facility=township, roles=[Role.OBSTETRICIAN])
    graded_pregnancy.follow_up_facility = township
    graded_pregnancy.save(update_fields=["follow_up_facility"])
    response = assess(api, rural, graded_pregnancy, measurements={"hb_g_l": 50})
    assert response.status_code == 403
    assert "primary care screens" in response.json()["message"]
    assert not RiskAssessment.objects.exists()


def test_green_needs_completeness(api, obstetrician, graded_pregnancy):
    response = assess(api, obstetrician, graded_pregnancy)
    assert response.status_code == 400
    assert "complete" in response.json()["errors"]
    graded_pregnancy.refresh_from_db()
    assert graded_pregnancy.risk_color is None


def test_downgrade_waits_for_a_senior_cosignature(api, obstetrician, senior, graded_pregnancy):
    assess(api, obstetrician, graded_pregnancy, measurements={"hb_g_l": 50})  # orange: O-HEME-SEVERE-ANEMIA
    response = assess(api, obstetrician, graded_pregnancy, measurements={"hb_g_l": 100})
    assert response.status_code == 400
    assert response.json()["errors"]["unticked"] == ["O-HEME-SEVERE-ANEMIA"]
    response = assess(
        api,
        obstetrician,
        graded_pregnancy,
        measurements={"hb_g_l": 100},
        unticked_reasons={"O-HEME-SEVERE-ANEMIA": "Hb 100 after iron infusion"},
    )
    assert response.status_code == 201
    pending = response.json()
    assert (pending["status"], pending["color"]) == ("pending_cosign", "yellow")
    graded_pregnancy.refresh_from_db()
    assert graded_pregnancy.risk_color == "orange", "the current colour stays until the co-signature"
    cosign_url = f"/api/v1/risk-assessments/{pending['id']}/cosign/"
    assert api.as_user(obstetrician).post(cosign_url, {"approve": True}, format="json").status_code == 403
    response = api.as_user(senior).post(cosign_url, {"approve": True}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "confirmed"
    graded_pregnancy.refresh_from_db()
    assert graded_pregnancy.risk_color == "yellow"
    assert api.as_user(senior).post(cosign_url, {"approve": True}, format="json").status_code == 409


def test_override_below_the_criteria_needs_a_reason_and_a_cosignature(
    api, obstetrician, senior, graded_pregnancy
):
    response = assess(
        api, obstetrician, graded_pregnancy, measurements={"pasp_mmhg": 55}, override_color="orange"
    )
    assert response.status_code == 400 and "reason" in response.json()["errors"]
    response = assess(
        api,
        obstetrician,
        graded_pregnancy,
        measurements={"pasp_mmhg": 55},
        override_color="orange",
        reason="Echo repeated, PASP 45 on right heart catheter",
    )
    assert response.json()["status"] == "pending_cosign"
    graded_pregnancy.refresh_from_db()
    assert graded_pregnancy.risk_color is None
    refused = api.as_user(senior).post(
        f"/api/v1/risk-assessments/{response.json()['id']}/cosign/", {"approve": False}, format="json"
    )
    assert refused.status_code == 400 and "note" in refused.json()["errors"]


def test_override_upwards_needs_a_reason_but_no_cosignature(api, obstetrician, graded_pregnancy):
    response = assess(
        api,
        obstetrician,
        graded_pregnancy,
        measurements={"hb_g_l": 100},
        override_color="orange",
        reason="Twin pregnancy with rapidly falling Hb",
    )
    assert (response.json()["status"], response.json()["color"]) == ("confirmed", "orange")


def test_report_submission_and_timeliness(api, obstetrician, outsider, graded_pregnancy):
    assess(api, obstetrician, graded_pregnancy, measurements={"pasp_mmhg": 55})
    report = RiskReport.objects.get()
    url = f"/api/v1/risk/reports/{report.external_id}/submit/"
    assert api.as_user(outsider).post(url, {"summary": "x"}, format="json").status_code == 404
    assert api.as_user(obstetrician).post(url, {"summary": ""}, format="json").status_code == 400
    response = api.as_user(obstetrician).post(url, {"summary": "PAH 55 mmHg, MDT booked"}, format="json")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["on_time"]) == ("submitted", True)
    assert Alert.objects.get(kind="report_due").status == "resolved"
    assert api.as_user(obstetrician).post(url, {"summary": "again"}, format="json").status_code == 409


def test_supervisor_inbox_shows_her_region_only(
    api, obstetrician, supervisor, other_supervisor, graded_pregnancy
):
    assess(api, obstetrician, graded_pregnancy, measurements={"pasp_mmhg": 55})
    assert api.as_user(supervisor).get("/api/v1/risk/reports/").json()["count"] == 1
    assert api.as_user(other_supervisor).get("/api/v1/risk/reports/").json()["count"] == 0


@pytest.mark.parametrize(
    ("tier", "level", "capabilities", "color", "purple", "ok"),
    [
        (Tier.TERTIARY, CriticalCareLevel.CITY, [], "red", False, True),
        (Tier.TERTIARY, None, [], "red", False, False),
        (Tier.SECONDARY, CriticalCareLevel.COUNTY, [], "red", False, False),
        (Tier.SECONDARY, CriticalCareLevel.COUNTY, [], "orange", False, True),
        (Tier.SECONDARY, None, [], "orange", False, False),
        (Tier.SECONDARY, None, [], "yellow", False, True),
        (Tier.PRIMARY, None, [], "yellow", False, False),
        (Tier.PRIMARY, None, [], "green", False, True),
        (Tier.SECONDARY, None, [], "green", True, False),
        (Tier.SECONDARY, None, [Capability.ISOLATION_PMTCT], "green", True, True),
    ],
)
def test_tier_check(tier, level, capabilities, color, purple, ok, county):
    from risk.services import tier_satisfies

    facility = FacilityFactory.build(
        tier=tier, critical_care_level=level, capabilities=capabilities, region=county
    )
    assert tier_satisfies(facility, color, purple) is ok


def test_red_at_a_city_centre_needs_no_referral(api, city):
    centre = FacilityFactory(city_centre=True, region=city)
    doctor = UserFactory(facility=centre, roles=[Role.OBSTETRICIAN])
    pregnancy = PregnancyFactory(managing_facility=centre, responsible_clinician=doctor)
    assess(api, doctor, pregnancy, measurements={"pasp_mmhg": 55})
    pregnancy.refresh_from_db()
    assert (pregnancy.risk_color, pregnancy.needs_referral) == ("red", False)
    assert not Alert.objects.filter(kind="needs_referral").exists()


def test_a_visit_proposes_a_higher_colour_without_changing_the_grade(api, midwife, graded_pregnancy):
    response = api.as_user(midwife).post(
        f"/api/v1/pregnancies/{graded_pregnancy.external_id}/visits/",
        {"hb_g_l": 50, "confirm_unusual": ["hb_g_l"]},
        format="json",
    )
    assert response.status_code == 201
    graded_pregnancy.refresh_from_db()
    assert (graded_pregnancy.risk_color, graded_pregnancy.risk_proposed_color) == (None, "orange")
    alert = Alert.objects.get(kind="grade_proposed")
    assert alert.due_at > timezone.now() + dt.timedelta(hours=23)


def test_confirming_clears_the_proposal(api, midwife, obstetrician, graded_pregnancy):
    api.as_user(midwife).post(
        f"/api/v1/pregnancies/{graded_pregnancy.external_id}/visits/",
        {"hb_g_l": 50, "confirm_unusual": ["hb_g_l"]},
        format="json",
    )
    response = assess(api, obstetrician, graded_pregnancy)
    assert response.json()["color"] == "orange", "the latest Hb comes from the record"
    assert response.json()["measurement_sources"]["hb_g_l"].startswith("visit:")
    graded_pregnancy.refresh_from_db()
    assert graded_pregnancy.risk_proposed_color == ""
    assert Alert.objects.get(kind="grade_proposed").status == "resolved"


def test_screening_at_primary_care(api, county):
    township = FacilityFactory(township=True, region=county)
    midwife = UserFactory(facility=township, roles=[Role.MIDWIFE])
    positive = PregnancyFactory(managing_facility=township)
    response = assess(api, midwife, positive, stage="screening", criteria=["S-OBHX-CS"])
    assert response.status_code == 201, response.json()
    assert response.json()["screening_positive"] is True
    positive.refresh_from_db()
    assert positive.risk_color is None
    task = CareTask.objects.get(pregnancy=positive, kind="grading_due")
    assert task.due_at.date() == (timezone.now() + dt.timedelta(days=14)).date()
    assert Alert.objects.filter(kind="grading_due", pregnancy=positive).exists()
    negative = PregnancyFactory(managing_facility=township)
    patient = negative.patient
    patient.birth_date = dt.date(1996, 1, 1)
    patient.save()
    assess(api, midwife, negative, stage="screening", measurements={"height_cm": 160, "bmi_kg_m2": 21})
    negative.refresh_from_db()
    assert negative.risk_color == "green"


def test_sensitive_criteria_are_restricted_but_purple_is_visible(
    api, obstetrician, midwife, graded_pregnancy
):
    response = assess(
        api, obstetrician, graded_pregnancy, criteria=["P-INF-HIV"], measurements={"hb_g_l": 100}
    )
    assert response.status_code == 201, response.json()
    assert response.json()["triggered"] == ["Y-HEME-ANEMIA", "P-INF-HIV"]
    seen = (
        api.as_user(midwife)
        .get(f"/api/v1/pregnancies/{graded_pregnancy.external_id}/risk-assessments/")
        .json()
    )
    assert seen[0]["purple"] is True
    assert "P-INF-HIV" not in str(seen)
    assert seen[0]["triggered"] == ["Y-HEME-ANEMIA", "restricted"]


def test_outsiders_and_supervisors(api, outsider, supervisor, graded_pregnancy):
    url = f"/api/v1/pregnancies/{graded_pregnancy.external_id}/risk-assessments/"
    assert api.as_user(outsider).get(url).status_code == 404
    assert api.as_user(supervisor).get(url).status_code == 200
    assert api.as_user(supervisor).post(url, {}, format="json").status_code == 403


def test_stateless_grade_contract(api, midwife):
    response = api.as_user(midwife).post(
        "/api/v1/risk/grade/",
        {"criteria": [], "measurements": {"age_years": 41, "sbp_mmhg": 165}},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["color"] == "orange" and body["purple"] is False
    age40 = next(t for t in body["triggered"] if t["code"] == "O-BASIC-AGE40")
    assert age40["color"] == "orange" and age40["name"]
    assert "G-LOW-RISK" not in [t["code"] for t in body["triggered"]]
    assert body["catalogue_version"] == "cn-nhc-2017@1"
    assert isinstance(body["unknown"], list) and body["unknown"]
    chinese = api.post(
        "/api/v1/risk/grade/",
        {"measurements": {"age_years": 41}},
        format="json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    ).json()
    assert any("40" in t["name"] and "岁" in t["name"] for t in chinese["triggered"])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"criteria": ["NOPE"]}, "criteria"),
        ({"measurements": {"shoe_size": 38}}, "shoe_size"),
        ({"measurements": {"age_years": "forty"}}, "age_years"),
        ({"measurements": {"nyha_class": 7}}, "nyha_class"),
        ({"measurements": {"rh_negative": "yes"}}, "rh_negative"),
    ],
)
def test_stateless_grade_bad_input_names_the_problem(api, midwife, body, field):
    response = api.as_user(midwife).post("/api/v1/risk/grade/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_stateless_grade_stores_nothing_and_needs_authentication(api, midwife):
    from audit.models import AuditEvent

    client = api.as_user(midwife)  # signing in writes its own audit row
    before = (RiskAssessment.objects.count(), AuditEvent.objects.count())
    client.post("/api/v1/risk/grade/", {"measurements": {"age_years": 41}}, format="json")
    assert (RiskAssessment.objects.count(), AuditEvent.objects.count()) == before
    assert api.as_user(None).post("/api/v1/risk/grade/", {}, format="json").status_code == 401


def test_criteria_endpoint(api, midwife):
    rows = api.as_user(midwife).get("/api/v1/risk/criteria/").json()
    assert len(rows) == 199
    pah = next(r for r in rows if r["code"] == "R-CARDIO-PAH")
    assert {"code", "color", "category", "name_en", "name_zh", "rule"} <= set(pah)
    flagged = next(r for r in rows if r["code"] == "R-CARDIO-NYHA34-EF40")
    assert flagged["needs_clinical_review"] is True


def test_assessment_list_query_count_is_constant(
    api, obstetrician, midwife, graded_pregnancy, django_assert_num_queries
):
    """Queries: user (session), the pregnancy in scope (with the break-the-glass check in the same
    statement), the read audit row, the assessments joined to version and users, the sensitive codes,
    and the session refresh (3)."""
    assess(api, obstetrician, graded_pregnancy, measurements={"hb_g_l": 100})
    client = api.as_user(midwife)
    url = f"/api/v1/pregnancies/{graded_pregnancy.external_id}/risk-assessments/"
    with django_assert_num_queries(8):
        assert len(client.get(url).json()) == 1
    assess(api, obstetrician, graded_pregnancy, measurements={"hb_g_l": 100, "pasp_mmhg": 55})
    assess(
        api, obstetrician, graded_pregnancy, measurements={"hb_g_l": 100, "pasp_mmhg": 55, "plt_10e9_l": 40}
    )
    client = api.as_user(midwife)
    with django_assert_num_queries(8):
        assert len(client.get(url).json()) == 3


def test_report_and_case_management_lists_query_counts(
    api, obstetrician, supervisor, home_facility, django_assert_num_queries
):
    """Supervisor: user (her region, for the prefix, joined), COUNT(*), the page joined to pregnancy,
    patient, facility and region, the audit row naming the women shown, session refresh (3). Clinician:
    user, COUNT(*), the page (case managements joined to pregnancy, patient, facility, manager), the audit
    row, session refresh (3).

    The one client switches between the clinician and the supervisor: signing a different user in starts a
    new session, so every measured request is the first of its session and stamps its refresh time
    (savepoint, UPDATE, release)."""

    def grade_one():
        pregnancy = PregnancyFactory(managing_facility=home_facility, responsible_clinician=obstetrician)
        assess(api, obstetrician, pregnancy, measurements={"pasp_mmhg": 55})

    grade_one()
    sup = api.as_user(supervisor)
    with django_assert_num_queries(7):
        assert sup.get("/api/v1/risk/reports/").json()["count"] == 1
    for _ in range(4):
        grade_one()
    sup = api.as_user(supervisor)
    with django_assert_num_queries(7):
        assert sup.get("/api/v1/risk/reports/").json()["count"] == 5
    doc = api.as_user(obstetrician)
    with django_assert_num_queries(7):
        assert doc.get("/api/v1/case-management/").json()["count"] == 5


def test_a_later_screening_does_not_replace_the_five_colour_grade(
    api, obstetrician, graded_pregnancy, county
):
    assess(api, obstetrician, graded_pregnancy, measurements={"hb_g_l": 50})  # orange
    township = FacilityFactory(township=True, region=county)
    screener = UserFactory(facility=township, roles=[Role.MIDWIFE])
    graded_pregnancy.follow_up_facility = township
    graded_pregnancy.save(update_fields=["follow_up_facility"])
    assert (
        assess(api, screener, graded_pregnancy, stage="screening", criteria=["S-OBHX-CS"]).status_code == 201
    )
    grade = RiskAssessment.objects.get(pregnancy=graded_pregnancy, stage="assessment")
    assert grade.status == "confirmed"
    graded_pregnancy.refresh_from_db()
    assert graded_pregnancy.risk_color == "orange"
    # dropping the orange criterion still needs a reason
    response = assess(api, obstetrician, graded_pregnancy, measurements={"hb_g_l": 100})
    assert response.status_code == 400 and response.json()["errors"]["unticked"] == ["O-HEME-SEVERE-ANEMIA"]
