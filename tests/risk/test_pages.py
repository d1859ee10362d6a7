"""The grading pages: form and live preview, explanation and co-signature, colour history, case
management, the report inbox and the MEOWS chart.

State is set up through the services, as clinicians would create it; pages are exercised with the
Django test client signed in as the personas of ``tests/conftest.py`` (English unless a test says so).
"""

import re

import pytest

from accounts.choices import Role, Title
from audit.models import AuditEvent
from risk import services
from risk.models import CaseManagement, ObservationSet, RiskAssessment, RiskReport
from tests.factories import PregnancyFactory, UserFactory

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def graded_pregnancy(pregnancy, obstetrician):
    pregnancy.responsible_clinician = obstetrician
    pregnancy.save(update_fields=["responsible_clinician"])
    return pregnancy


@pytest.fixture
def senior(home_facility):
    return UserFactory(username="chief", facility=home_facility, roles=[Role.OBSTETRICIAN], title=Title.CHIEF)


def grade(actor, pregnancy, **kwargs):
    return services.risk_assessment_create(
        actor=actor, pregnancy=pregnancy, criteria=kwargs.pop("criteria", []), **kwargs
    )


def url(pregnancy, suffix):
    return f"/risk/pregnancies/{pregnancy.external_id}/{suffix}"


def page(client, user, path, **extra):
    client.force_login(user)
    return client.get(path, **EN, **extra)


# --- every page: the care team sees it, an unrelated clinician gets 404 ---------------------------


PREGNANCY_PAGES = ["grade/", "grade/?stage=screening", "history/", "observations/"]


@pytest.mark.parametrize("suffix", PREGNANCY_PAGES)
def test_pregnancy_pages_render_for_the_care_team(client, midwife, graded_pregnancy, suffix):
    response = page(client, midwife, url(graded_pregnancy, suffix))
    assert response.status_code == 200
    assert graded_pregnancy.patient.name in response.content.decode()


@pytest.mark.parametrize("suffix", PREGNANCY_PAGES)
def test_pregnancy_pages_are_404_for_an_unrelated_clinician(client, outsider, graded_pregnancy, suffix):
    assert page(client, outsider, url(graded_pregnancy, suffix)).status_code == 404


def test_preview_is_404_for_an_unrelated_clinician(client, outsider, graded_pregnancy):
    client.force_login(outsider)
    assert client.post(url(graded_pregnancy, "grade/preview/"), {"m_pasp_mmhg": "55"}).status_code == 404


def test_assessment_detail_renders_for_the_care_team_and_is_404_elsewhere(
    client, midwife, outsider, obstetrician, graded_pregnancy
):
    assessment = grade(obstetrician, graded_pregnancy, measurements={"pasp_mmhg": 55})
    path = f"/risk/assessments/{assessment.external_id}/"
    assert page(client, midwife, path).status_code == 200
    assert page(client, outsider, path).status_code == 404


def test_list_pages_show_the_woman_to_the_care_team_only(
    client, midwife, outsider, obstetrician, graded_pregnancy
):
    grade(obstetrician, graded_pregnancy, measurements={"pasp_mmhg": 55})
    name = graded_pregnancy.patient.name
    for path in ("/risk/case-management/", "/risk/reports/"):
        assert name in page(client, midwife, path).content.decode()
        response = page(client, outsider, path)
        assert response.status_code == 200 and name not in response.content.decode()


def test_pages_need_sign_in(client, graded_pregnancy):
    response = client.get(url(graded_pregnancy, "grade/"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_supervisor_may_look_but_not_grade(client, supervisor, graded_pregnancy):
    assert page(client, supervisor, url(graded_pregnancy, "history/")).status_code == 200
    assert page(client, supervisor, url(graded_pregnancy, "grade/")).status_code == 403


# --- the grading form -----------------------------------------------------------------------------


def test_grading_form_is_csp_safe_and_uses_the_local_htmx(client, obstetrician, graded_pregnancy):
    html = page(client, obstetrician, url(graded_pregnancy, "grade/")).content.decode()
    assert re.search(r'<script src="/static/django_htmx/htmx-2[^"]*\.js"', html)
    assert '<script src="/static/js/grading.js"' in html
    assert not re.search(r"<script(?![^>]*\ssrc=)", html), "no inline script"
    assert " style=" not in html and "<style" not in html
    assert " onclick=" not in html and " onchange=" not in html
    assert '"includeIndicatorStyles": false' in html
    assert 'hx-post="/risk/pregnancies/' in html and "keyup delay:400ms from:input[type=number]" in html


def test_grading_form_prefills_the_record_and_shows_where_values_come_from(
    client, obstetrician, graded_pregnancy
):
    from cases.services import visit_record

    visit_record(
        actor=obstetrician,
        pregnancy=graded_pregnancy,
        measurements={"hb_g_l": 105, "sbp_mmhg": 118, "dbp_mmhg": 72},
    )
    html = page(client, obstetrician, url(graded_pregnancy, "grade/")).content.decode()
    assert 'name="m_hb_g_l"' in html and 'value="105' in html
    assert "from visit " in html
    assert "PASP ≥ 50 mmHg" in html, "a rule is shown as a readable hint"
    assert "肺动脉高压" in html, "the other language is shown in small text"


def test_grading_confirms_a_grade_and_redirects_to_the_case(client, obstetrician, graded_pregnancy):
    client.force_login(obstetrician)
    response = client.post(
        url(graded_pregnancy, "grade/"), {"stage": "assessment", "m_pasp_mmhg": "55"}, **EN
    )
    assert response.status_code == 302
    assert response["Location"] == f"/cases/pregnancies/{graded_pregnancy.external_id}/"
    assessment = RiskAssessment.objects.get()
    assert (assessment.status, assessment.color, assessment.triggered) == (
        "confirmed",
        "red",
        ["R-CARDIO-PAH"],
    )
    assert assessment.measurement_sources["pasp_mmhg"] == "request"
    assert assessment.measurement_sources["age_years"] == "patient", (
        "unchanged record values keep their source"
    )
    graded_pregnancy.refresh_from_db()
    assert graded_pregnancy.risk_color == "red"
    case_page = client.get(response["Location"], **EN).content.decode()
    assert "Grade confirmed: Red." in case_page


def test_green_without_completeness_is_refused_and_nothing_is_stored(client, obstetrician, graded_pregnancy):
    client.force_login(obstetrician)
    response = client.post(url(graded_pregnancy, "grade/"), {"stage": "assessment"}, **EN)
    assert response.status_code == 400
    assert "Green needs every criterion evaluated and every category reviewed." in response.content.decode()
    assert not RiskAssessment.objects.exists()


def test_unticking_a_previous_criterion_needs_a_reason(client, obstetrician, graded_pregnancy):
    grade(obstetrician, graded_pregnancy, measurements={"hb_g_l": 50})  # orange: O-HEME-SEVERE-ANEMIA
    client.force_login(obstetrician)
    form = page(client, obstetrician, url(graded_pregnancy, "grade/")).content.decode()
    assert re.search(r'value="O-HEME-SEVERE-ANEMIA" checked', form), "what fired last time is pre-ticked"
    response = client.post(url(graded_pregnancy, "grade/"), {"stage": "assessment", "m_hb_g_l": "100"}, **EN)
    assert response.status_code == 400
    html = response.content.decode()
    assert "no longer ticked: give a reason for each" in html
    assert "Give a reason." in html
    assert RiskAssessment.objects.count() == 1
    response = client.post(
        url(graded_pregnancy, "grade/"),
        {
            "stage": "assessment",
            "m_hb_g_l": "100",
            "untick_O-HEME-SEVERE-ANEMIA": "Hb 100 after iron infusion",
        },
        **EN,
    )
    assert response.status_code == 302
    pending = RiskAssessment.objects.get(status="pending_cosign")
    assert pending.unticked == {"O-HEME-SEVERE-ANEMIA": "Hb 100 after iron infusion"}
    assert "awaiting senior co-signature" in client.get(response["Location"], **EN).content.decode()


def test_override_needs_a_reason_shown_on_the_field(client, obstetrician, graded_pregnancy):
    client.force_login(obstetrician)
    response = client.post(
        url(graded_pregnancy, "grade/"),
        {"stage": "assessment", "m_pasp_mmhg": "55", "override_color": "orange"},
        **EN,
    )
    assert response.status_code == 400
    assert "An override needs a reason." in response.content.decode()
    assert not RiskAssessment.objects.exists()


def test_a_midwife_cannot_confirm_a_grade_and_sees_why(client, midwife, graded_pregnancy):
    client.force_login(midwife)
    response = client.post(
        url(graded_pregnancy, "grade/"), {"stage": "assessment", "m_pasp_mmhg": "55"}, **EN
    )
    assert response.status_code == 403
    assert "Only obstetricians confirm five-colour grades." in response.content.decode()
    assert not RiskAssessment.objects.exists()


def test_screening_at_the_form(client, midwife, graded_pregnancy):
    client.force_login(midwife)
    html = client.get(url(graded_pregnancy, "grade/?stage=screening"), **EN).content.decode()
    assert 'value="S-OBHX-CS"' in html and 'value="R-CARDIO-PAH"' not in html
    response = client.post(
        url(graded_pregnancy, "grade/"), {"stage": "screening", "criteria": ["S-OBHX-CS"]}, **EN
    )
    assert response.status_code == 302
    assert RiskAssessment.objects.get().screening_positive is True


# --- the live preview -----------------------------------------------------------------------------


def test_preview_computes_the_colour_and_stores_nothing(client, obstetrician, graded_pregnancy):
    client.force_login(obstetrician)
    before = (RiskAssessment.objects.count(), AuditEvent.objects.count())
    response = client.post(
        url(graded_pregnancy, "grade/preview/"),
        {"stage": "assessment", "m_pasp_mmhg": "55"},
        **EN,
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-preview-color="red"' in html
    assert "PASP 55 ≥ 50 mmHg" in html
    assert "<html" not in html, "a partial, not a page"
    assert (RiskAssessment.objects.count(), AuditEvent.objects.count()) == before


def test_preview_shows_downgrade_and_proposed_criteria(client, obstetrician, graded_pregnancy):
    grade(obstetrician, graded_pregnancy, measurements={"hb_g_l": 50})  # orange
    client.force_login(obstetrician)
    html = client.post(
        url(graded_pregnancy, "grade/preview/"),
        {
            "stage": "assessment",
            "m_hb_g_l": "100",
            "m_total_bile_acid_umol_l": "12",
        },
        **EN,
    ).content.decode()
    assert 'data-preview-color="yellow"' in html
    assert "Downgrade: needs a senior co-signature." in html
    assert "Proposed: needs your confirmation" in html  # ICP: bile acids with a confirmation note
    assert "Fired last time, not now" in html


def test_preview_names_bad_values(client, obstetrician, graded_pregnancy):
    client.force_login(obstetrician)
    html = client.post(
        url(graded_pregnancy, "grade/preview/"), {"stage": "assessment", "m_nyha_class": "7"}, **EN
    ).content.decode()
    assert "Some values cannot be used" in html and "NYHA class" in html


# --- explanation, sensitive criteria, co-signature, history ---------------------------------------


def test_explanation_gives_the_value_based_reason(client, obstetrician, midwife, graded_pregnancy):
    assessment = grade(obstetrician, graded_pregnancy, measurements={"pasp_mmhg": 55})
    html = page(client, midwife, f"/risk/assessments/{assessment.external_id}/").content.decode()
    assert "PASP 55 ≥ 50 mmHg" in html
    assert assessment.catalogue_version.key in html
    assert obstetrician.name in html
    assert "entered at grading" in html


def test_sensitive_criteria_are_restricted_to_a_midwife_but_purple_shows(
    client, obstetrician, midwife, graded_pregnancy
):
    assessment = grade(obstetrician, graded_pregnancy, criteria=["P-INF-HIV"], measurements={"hb_g_l": 100})
    for path in (f"/risk/assessments/{assessment.external_id}/", url(graded_pregnancy, "history/")):
        html = page(client, midwife, path).content.decode()
        assert "HIV" not in html and "P-INF-HIV" not in html
        assert "Restricted" in html
        assert "badge-purple" in html
    assert (
        "HIV" in page(client, obstetrician, f"/risk/assessments/{assessment.external_id}/").content.decode()
    )


def test_a_senior_cosigns_a_downgrade_on_the_explanation_page(client, obstetrician, senior, graded_pregnancy):
    grade(obstetrician, graded_pregnancy, measurements={"hb_g_l": 50})
    pending = grade(
        obstetrician,
        graded_pregnancy,
        measurements={"hb_g_l": 100},
        unticked_reasons={"O-HEME-SEVERE-ANEMIA": "Hb 100 after iron infusion"},
    )
    path = f"/risk/assessments/{pending.external_id}/"
    html = page(client, senior, path).content.decode()
    assert "Senior co-signature" in html and "Hb 100 after iron infusion" in html
    refused = client.post(path + "cosign/", {"approve": "no", "note": ""}, **EN)
    assert refused.status_code == 400 and "Say why the grade is refused." in refused.content.decode()
    response = client.post(path + "cosign/", {"approve": "yes"}, **EN)
    assert response.status_code == 302
    pending.refresh_from_db()
    assert (pending.status, pending.cosigned_by) == ("confirmed", senior)
    graded_pregnancy.refresh_from_db()
    assert graded_pregnancy.risk_color == "yellow"


def test_the_assessor_cannot_cosign_her_own_grade(client, obstetrician, graded_pregnancy):
    grade(obstetrician, graded_pregnancy, measurements={"hb_g_l": 50})
    pending = grade(
        obstetrician,
        graded_pregnancy,
        measurements={"hb_g_l": 100},
        unticked_reasons={"O-HEME-SEVERE-ANEMIA": "iron"},
    )
    client.force_login(obstetrician)
    response = client.post(f"/risk/assessments/{pending.external_id}/cosign/", {"approve": "yes"}, **EN)
    assert response.status_code == 403
    assert "second clinician" in response.content.decode()


def test_colour_history_lists_grades_newest_first_with_changes(
    client, obstetrician, midwife, graded_pregnancy
):
    grade(obstetrician, graded_pregnancy, measurements={"hb_g_l": 50})  # orange
    grade(obstetrician, graded_pregnancy, measurements={"hb_g_l": 50, "pasp_mmhg": 55})  # red
    html = page(client, midwife, url(graded_pregnancy, "history/")).content.decode()
    assert html.index("badge-red") < html.index("badge-orange")
    assert "change--added" in html and "First grading" in html
    partial = page(
        client, midwife, url(graded_pregnancy, "history/"), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "<html" not in partial and "color-history" in partial


def test_history_partial_renders_plain_assessments(obstetrician, graded_pregnancy):
    from django.template.loader import render_to_string

    grade(obstetrician, graded_pregnancy, measurements={"pasp_mmhg": 55})
    html = render_to_string(
        "risk/partials/color_history.html",
        {"assessments": RiskAssessment.objects.filter(pregnancy=graded_pregnancy)},
    )
    assert "badge-red" in html


# --- case management ------------------------------------------------------------------------------


def test_case_manager_is_assigned_and_the_plan_edited(client, obstetrician, midwife, graded_pregnancy):
    grade(obstetrician, graded_pregnancy, measurements={"pasp_mmhg": 55})
    case = CaseManagement.objects.get()
    client.force_login(obstetrician)
    response = client.post(
        f"/risk/case-management/{case.external_id}/",
        {"manager": str(midwife.external_id), "plan": "MDT at the city centre"},
        **EN,
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.manager, case.plan) == (midwife, "MDT at the city centre")
    html = page(client, midwife, "/risk/case-management/?mine=1").content.decode()
    assert graded_pregnancy.patient.name in html


def test_unassigned_case_shows_in_red_and_mine_only_filters(client, obstetrician, midwife, pregnancy):
    grade(obstetrician, pregnancy, measurements={"pasp_mmhg": 55})  # no responsible clinician: unassigned
    html = page(client, midwife, "/risk/case-management/").content.decode()
    assert "tag-unassigned" in html
    assert (
        pregnancy.patient.name not in page(client, midwife, "/risk/case-management/?mine=1").content.decode()
    )


def test_case_manager_must_be_of_the_managing_facility(client, obstetrician, outsider, graded_pregnancy):
    grade(obstetrician, graded_pregnancy, measurements={"pasp_mmhg": 55})
    case = CaseManagement.objects.get()
    client.force_login(obstetrician)
    client.post(f"/risk/case-management/{case.external_id}/", {"manager": str(outsider.external_id)}, **EN)
    case.refresh_from_db()
    assert case.manager == obstetrician


def _graded(obstetrician, home_facility, n):
    for _i in range(n):
        grade(obstetrician, PregnancyFactory(managing_facility=home_facility), measurements={"pasp_mmhg": 55})


@pytest.mark.parametrize("rows", [1, 6])
def test_case_management_query_count_is_constant_in_rows(
    client, obstetrician, home_facility, django_assert_num_queries, rows
):
    _graded(obstetrician, home_facility, rows)
    client.force_login(obstetrician)
    # Warm up: the first request after force_login stamps the session's refresh time (savepoint, session
    # save, release); the requests after it, within SESSION_REFRESH_SECONDS, write nothing.
    client.get("/risk/case-management/")
    # 1 the signed-in user (her facility and region joined: the header needs no query of its own), 2 count,
    # 3 one page of rows (woman, managing facility and manager joined), 4 which of them she may change,
    # 5 the candidate managers of their facilities, 6 the list audit row.
    with django_assert_num_queries(6):
        response = client.get("/risk/case-management/")
    assert len(response.context["rows"]) == rows


# --- reports --------------------------------------------------------------------------------------


def test_report_inbox_shows_the_supervisors_region_only(
    client, obstetrician, supervisor, other_supervisor, graded_pregnancy
):
    grade(obstetrician, graded_pregnancy, measurements={"pasp_mmhg": 55})
    name = graded_pregnancy.patient.name
    html = page(client, supervisor, "/risk/reports/").content.decode()
    assert name in html and "Complete and submit" not in html
    assert name not in page(client, other_supervisor, "/risk/reports/").content.decode()


def test_facility_staff_complete_and_submit_a_report(client, obstetrician, supervisor, graded_pregnancy):
    grade(obstetrician, graded_pregnancy, measurements={"pasp_mmhg": 55})
    report = RiskReport.objects.get()
    assert "Complete and submit" in page(client, obstetrician, "/risk/reports/").content.decode()
    response = client.post(
        f"/risk/reports/{report.external_id}/submit/",
        {"summary": "PAH 55 mmHg, MDT booked", "management_plan": "Refer to the city centre"},
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert (report.status, report.on_time) == ("submitted", True)
    html = page(client, supervisor, "/risk/reports/").content.decode()
    assert "Submitted on time" in html


@pytest.mark.parametrize("rows", [1, 6])
def test_report_inbox_query_count_is_constant_in_rows(
    client, obstetrician, supervisor, home_facility, django_assert_num_queries, rows
):
    _graded(obstetrician, home_facility, rows)
    client.force_login(supervisor)
    # Warm up: the first request after force_login stamps the session's refresh time (savepoint, session
    # save, release); the requests after it, within SESSION_REFRESH_SECONDS, write nothing.
    client.get("/risk/reports/")
    # 1 the signed-in user (her region, the scope of the inbox, joined), 2 count, 3 one page of reports
    # (woman, facility, county and submitter joined), 4 the list audit row.
    with django_assert_num_queries(4):
        response = client.get("/risk/reports/")
    assert len(response.context["rows"]) == rows


# --- observations ---------------------------------------------------------------------------------


def test_observation_with_a_trigger_shows_the_urgent_review_banner(client, midwife, graded_pregnancy):
    client.force_login(midwife)
    response = client.post(
        url(graded_pregnancy, "observations/"),
        {"sbp_mmhg": "170", "dbp_mmhg": "105", "pulse_bpm": "88", "consciousness": "alert"},
        **EN,
    )
    assert response.status_code == 302
    obs = ObservationSet.objects.get()
    assert obs.triggered and obs.level == "red"
    html = client.get(response["Location"], **EN).content.decode()
    assert "Urgent medical review" in html
    assert "obs-cell--red" in html
    banner = html[html.index("meows-alarm") : html.index("Record observations")]
    assert "SBP" in banner and "DBP" in banner and "HR" not in banner


def test_normal_observations_show_no_banner(client, midwife, graded_pregnancy):
    client.force_login(midwife)
    client.post(url(graded_pregnancy, "observations/"), {"sbp_mmhg": "118", "pulse_bpm": "80"}, **EN)
    html = client.get(url(graded_pregnancy, "observations/"), **EN).content.decode()
    assert ObservationSet.objects.count() == 1 and "Urgent medical review" not in html


def test_empty_observation_is_refused_on_the_form(client, midwife, graded_pregnancy):
    client.force_login(midwife)
    response = client.post(url(graded_pregnancy, "observations/"), {}, **EN)
    assert response.status_code == 400 and "Record at least one observation." in response.content.decode()


def test_observations_need_change_access(client, supervisor, graded_pregnancy):
    client.force_login(supervisor)
    assert client.post(url(graded_pregnancy, "observations/"), {"sbp_mmhg": "120"}).status_code == 403
    assert not ObservationSet.objects.exists()


def test_reports_are_due_first_soonest_deadline_on_top_then_the_others_latest_first(
    client, obstetrician, supervisor, home_facility
):
    import datetime as dt

    from django.utils import timezone

    now = timezone.now()
    hours = {"due": (30, -5, 10), "submitted": (-50, -2, -20)}  # deadlines from now
    for status, offsets in hours.items():
        for offset in offsets:
            grade(
                obstetrician,
                PregnancyFactory(managing_facility=home_facility),
                measurements={"pasp_mmhg": 55},
            )
            report = RiskReport.objects.order_by("-id").first()
            RiskReport.objects.filter(pk=report.pk).update(
                status=status,
                due_at=now + dt.timedelta(hours=offset),
                submitted_at=now if status == "submitted" else None,
            )
    rows = page(client, supervisor, "/risk/reports/").context["rows"]
    shown = [
        (row["report"].status, round((row["report"].due_at - now).total_seconds() / 3600)) for row in rows
    ]
    assert shown == [
        ("due", -5),
        ("due", 10),
        ("due", 30),
        ("submitted", -2),
        ("submitted", -20),
        ("submitted", -50),
    ]
