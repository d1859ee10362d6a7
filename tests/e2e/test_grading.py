"""Five-colour grading in a real browser: an obstetrician grades a woman red through the live preview and
finds the red badge on the case page and her worklist; screenshots of the risk pages in both languages at
desktop and tablet sizes."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from cases.services import visit_record
from risk import services
from risk.models import RiskAssessment, RiskReport

from .conftest import DESKTOP, TABLET
from .test_shell import assert_no_horizontal_overflow, sign_in, switch_language

# Transactional (live server): restore the data migrations' rows (the catalogue) a flush removed.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def woman(pregnancy, obstetrician):
    pregnancy.responsible_clinician = obstetrician
    pregnancy.save(update_fields=["responsible_clinician"])
    visit_record(
        actor=obstetrician,
        pregnancy=pregnancy,
        visited_at=timezone.now() - dt.timedelta(days=3),
        measurements={"sbp_mmhg": 128, "dbp_mmhg": 82, "hb_g_l": 112, "weight_kg": 61, "height_cm": 160},
    )
    return pregnancy


def test_obstetrician_grades_red_with_the_live_preview(page: Page, live_server, obstetrician, woman):
    sign_in(page, live_server.url, "obstetrician")
    page.goto(f"{live_server.url}/risk/pregnancies/{woman.external_id}/grade/")
    expect(page.locator("h1")).to_have_text("五色分级评估")
    preview = page.locator("#grade-preview")
    expect(preview.locator(".preview__grade .badge-red")).to_have_count(0)

    page.locator("#id_m_pasp_mmhg").press_sequentially("55")  # typing: the preview follows after a pause
    expect(preview.locator(".preview__grade .badge-red")).to_be_visible()
    expect(preview).to_contain_text("肺动脉收缩压 55 ≥ 50 mmHg")
    expect(preview).to_contain_text("肺动脉高压")
    assert not RiskAssessment.objects.exists(), "the preview stores nothing"

    page.locator("#grading-form button[type=submit]").click()
    expect(page).to_have_url(f"{live_server.url}/cases/pregnancies/{woman.external_id}/")
    expect(page.locator(".messages")).to_contain_text("分级已确认：红色")
    expect(page.locator(".page-head .badge-red")).to_be_visible()

    page.locator(".brand").click()  # her worklist
    row = page.locator("table.table--worklist tbody tr", has_text=woman.patient.name)
    expect(row.locator(".badge-red")).to_be_visible()


def test_searching_and_unticking_in_the_form(page: Page, live_server, obstetrician, woman):
    services.risk_assessment_create(
        actor=obstetrician, pregnancy=woman, criteria=[], measurements={"hb_g_l": 50}
    )
    sign_in(page, live_server.url, "obstetrician")
    switch_language(page, "English")
    page.goto(f"{live_server.url}/risk/pregnancies/{woman.external_id}/grade/")
    page.locator("#criteria-search").fill("anaemia")
    expect(page.locator("li.criterion:visible")).not_to_have_count(0)
    expect(page.locator("li.criterion:visible", has_text="Pulmonary hypertension")).to_have_count(0)
    page.locator("#criteria-search").fill("")
    reason = page.locator('[data-reason-for="O-HEME-SEVERE-ANEMIA"]')
    expect(reason).to_be_hidden()
    page.locator('input[value="O-HEME-SEVERE-ANEMIA"]').uncheck()
    expect(reason).to_be_visible()
    expect(page.locator("#grade-preview")).to_contain_text("Fired last time, not now")


@pytest.fixture
def risk_pages(obstetrician, midwife, woman, home_facility):
    """A red woman with a report due, a second woman whose report was submitted, a pending downgrade,
    and a MEOWS trigger."""
    from tests.factories import PregnancyFactory

    red = services.risk_assessment_create(
        actor=obstetrician,
        pregnancy=woman,
        criteria=["P-INF-SYPHILIS"],
        measurements={"pasp_mmhg": 55, "lvef_pct": 48, "nyha_class": 2},
    )
    other = PregnancyFactory(managing_facility=home_facility)
    services.risk_assessment_create(
        actor=obstetrician, pregnancy=other, criteria=[], measurements={"hb_g_l": 50}
    )
    report = RiskReport.objects.get(pregnancy=other)
    services.risk_report_submit(
        actor=obstetrician,
        report=report,
        summary="重度贫血，已静脉补铁，转上级医院 MDT",
        management_plan="每2周复查血常规",
    )
    RiskReport.objects.filter(pregnancy=woman).update(due_at=timezone.now() - dt.timedelta(hours=2))
    services.observation_record(
        actor=midwife,
        pregnancy=woman,
        taken_at=timezone.now() - dt.timedelta(hours=1),
        values={
            "temperature_c": 36.8,
            "sbp_mmhg": 132,
            "dbp_mmhg": 84,
            "pulse_bpm": 92,
            "respiratory_rate": 18,
            "spo2_pct": 98,
            "pain_score": 1,
            "consciousness": "alert",
        },
    )
    services.observation_record(
        actor=midwife,
        pregnancy=woman,
        values={
            "temperature_c": 38.4,
            "sbp_mmhg": 164,
            "dbp_mmhg": 104,
            "pulse_bpm": 118,
            "respiratory_rate": 24,
            "spo2_pct": 96,
            "pain_score": 3,
            "consciousness": "voice",
        },
    )
    return {"woman": woman, "assessment": red}


@pytest.mark.parametrize("viewport_name,viewport", [("desktop", DESKTOP), ("tablet", TABLET)])
def test_risk_pages_render_in_both_languages_without_overflow(
    page: Page, live_server, obstetrician, risk_pages, screenshot_dir, viewport_name, viewport
):
    woman, assessment = risk_pages["woman"], risk_pages["assessment"]
    pages = [
        ("explanation", f"/risk/assessments/{assessment.external_id}/"),
        ("case-management", "/risk/case-management/"),
        ("reports", "/risk/reports/"),
        ("observations", f"/risk/pregnancies/{woman.external_id}/observations/"),
        ("history", f"/risk/pregnancies/{woman.external_id}/history/"),
    ]
    page.set_viewport_size(viewport)
    sign_in(page, live_server.url, "obstetrician")
    for lang, label in (("zh", "中文"), ("en", "English")):
        switch_language(page, label)
        page.goto(f"{live_server.url}/risk/pregnancies/{woman.external_id}/grade/")
        page.locator("#id_m_hb_g_l").fill("")
        page.locator("#id_m_hb_g_l").press_sequentially("58")
        expect(page.locator("#grade-preview .preview__grade .badge-red")).to_be_visible()
        expect(page.locator("#grade-preview")).to_contain_text("58")
        assert_no_horizontal_overflow(page)
        page.screenshot(path=screenshot_dir / f"risk-grading-{lang}-{viewport_name}.png", full_page=True)
        for name, path in pages:
            page.goto(live_server.url + path)
            expect(page.locator("h1")).to_be_visible()
            assert_no_horizontal_overflow(page)
            page.screenshot(path=screenshot_dir / f"risk-{name}-{lang}-{viewport_name}.png", full_page=True)
        page.goto(f"{live_server.url}/risk/pregnancies/{woman.external_id}/observations/")
        expect(page.locator(".meows-alarm")).to_be_visible()
        assert re.search(r"Urgent medical review|需紧急医疗评估", page.locator(".meows-alarm").inner_text())
