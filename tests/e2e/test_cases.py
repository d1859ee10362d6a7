"""The case registry in a real browser: an emergency arrival registered on a tablet, found again on the
worklist; screenshots of the registry pages in both languages at desktop and tablet sizes."""

import datetime as dt
import importlib
import re

import pytest
from django.apps import apps
from django.utils import timezone
from playwright.sync_api import Page, expect

from cases import services
from cases.identity import check_character
from cases.models import Pregnancy

from .conftest import DESKTOP, TABLET
from .test_shell import assert_no_horizontal_overflow, sign_in, switch_language

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def reference_data(transactional_db):
    """Live-server tests flush the database after each test, and the rows of data migrations go with it:
    reload the national risk catalogue that recording a visit needs (risk proposes a grade at every visit)."""
    if not apps.is_installed("risk"):
        return
    from risk.models import CatalogueVersion

    if not CatalogueVersion.objects.exists():
        importlib.import_module("risk.migrations.0002_load_national_catalogue").forward(apps, None)


def test_midwife_registers_an_emergency_arrival_and_finds_her_on_the_worklist(
    page: Page, live_server, midwife
):
    page.set_viewport_size(TABLET)
    sign_in(page, live_server.url, "midwife")
    page.locator("a.btn-emergency").click()
    expect(page.locator("h1")).to_have_text("急诊接诊")

    page.locator("#id_estimated_age_years").fill("27")
    page.locator("#id_estimated_ga_weeks").fill("35")
    page.locator("#id_sbp_mmhg").fill("168")
    page.locator("#id_dbp_mmhg").fill("112")
    page.locator("#id_pulse_bpm").fill("116")
    page.locator("#id_spo2_pct").fill("94")
    page.locator("label.chip", has_text="对声音有反应").click()
    page.locator("#id_chief_complaint").fill("头痛、视物模糊，抽搐一次")
    page.locator("button.btn-emergency[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/cases/pregnancies/[0-9a-f-]+/$"))
    record_number = page.locator(".case-record__number").inner_text().strip()
    assert record_number.startswith("TMP")
    expect(page.locator(".messages")).to_contain_text(record_number)
    expect(page.locator(".page-head .tag-provisional")).to_be_visible()
    case_path = re.sub(r"^https?://[^/]+", "", page.url)

    page.locator(".brand").click()
    page.locator("#id_q").fill(record_number)
    page.locator("form.filter-form button[type=submit]").click()
    rows = page.locator("table.table--worklist tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(record_number)
    expect(rows.first).to_contain_text("孕 35 周 + 0 天")
    rows.first.locator(".cell-woman a").click()
    expect(page).to_have_url(live_server.url + case_path)
    expect(page.locator(".case-record__number")).to_have_text(record_number)


def _resident_id(birth: str, seq: str) -> str:
    first17 = f"450102{birth}{seq}"
    return first17 + check_character(first17)


@pytest.fixture
def caseload(midwife, obstetrician):
    """A small worklist: overdue, due, postpartum and emergency cases; one woman with a few visits."""
    today = timezone.localdate()
    people = [
        ("李秀英", "19930214", "024", 31, "red", True, -4),
        ("王芳", "19970809", "046", 24, "orange", False, 2),
        ("陈静", "19890330", "062", 12, "yellow", False, 10),
        ("张丽", "20010711", "088", 38, None, False, None),
    ]
    cases = []
    for name, birth, seq, ga_weeks, colour, purple, next_visit in people:
        patient = services.patient_register(
            actor=midwife, name=name, id_number=_resident_id(birth, seq), phone="13907710000"
        )
        pregnancy = services.pregnancy_register(
            actor=midwife,
            patient=patient,
            lmp=today - dt.timedelta(days=ga_weeks * 7 + 2),
            gravida=2,
            para=0,
            hiv_status="negative",
            syphilis_status="negative",
            hbv_status="unknown",
        )
        Pregnancy.objects.filter(pk=pregnancy.pk).update(
            risk_color=colour,
            purple=purple,
            next_visit_date=today + dt.timedelta(days=next_visit) if next_visit is not None else None,
        )
        cases.append(pregnancy)
    main = cases[0]
    for i, (sbp, dbp, hb) in enumerate(((128, 82, 118), (136, 88, 112), (148, 96, 105), (158, 104, 101))):
        services.visit_record(
            actor=obstetrician if i % 2 else midwife,
            pregnancy=main,
            visited_at=timezone.now() - dt.timedelta(days=(4 - i) * 14),
            measurements={
                "sbp_mmhg": sbp,
                "dbp_mmhg": dbp,
                "pulse_bpm": 84 + i * 3,
                "hb_g_l": hb,
                "proteinuria": ["negative", "trace", "1+", "2+"][i],
                "fetal_heart_rate": 140,
                "weight_kg": 62 + i,
                "fundal_height_cm": 22 + i * 2,
            },
            notes="血压升高，嘱低盐饮食，复查尿蛋白" if i == 3 else "",
            next_visit_date=today - dt.timedelta(days=4) if i == 3 else None,
        )
    services.pregnancy_redate(
        actor=midwife,
        pregnancy=main,
        method="ultrasound",
        scan_date=today - dt.timedelta(days=140),
        ga_days_at_scan=13 * 7,
        reason="早孕期超声核对孕周",
    )
    services.emergency_register(
        actor=midwife,
        estimated_age_years=30,
        estimated_ga_weeks=37,
        vitals={"sbp_mmhg": 92, "dbp_mmhg": 56, "pulse_bpm": 124},
        chief_complaint="阴道大量出血 1 小时",
    )
    return main


PAGES = [
    # (file name, path, heading zh, heading en)
    ("worklist", "/", "工作清单", "Worklist"),
    ("register", "/cases/register/", "孕产妇建档", "Register a woman"),
    ("emergency", "/cases/emergency/", "急诊接诊", "Emergency arrival"),
    ("case", "/cases/pregnancies/{id}/", None, None),
    ("visit-entry", "/cases/pregnancies/{id}/visits/new/", "记录随访", "Record a visit"),
]


@pytest.mark.parametrize("viewport_name,viewport", [("desktop", DESKTOP), ("tablet", TABLET)])
def test_registry_pages_render_in_both_languages_without_overflow(
    page: Page, live_server, midwife, caseload, screenshot_dir, viewport_name, viewport
):
    page.set_viewport_size(viewport)
    sign_in(page, live_server.url, "midwife")
    for lang, label in (("zh", "中文"), ("en", "English")):
        switch_language(page, label)
        for name, path, heading_zh, heading_en in PAGES:
            page.goto(live_server.url + path.format(id=caseload.external_id))
            if heading_zh:
                expect(page.locator("h1")).to_have_text(heading_zh if lang == "zh" else heading_en)
            assert_no_horizontal_overflow(page)
            page.screenshot(path=screenshot_dir / f"cases-{name}-{lang}-{viewport_name}.png", full_page=True)
        # The unusual-value confirmation, as a clinician sees it after saving.
        page.goto(f"{live_server.url}/cases/pregnancies/{caseload.external_id}/visits/new/")
        page.locator("#id_sbp_mmhg").fill("186")
        page.locator("#id_dbp_mmhg").fill("118")
        page.locator("#id_hb_g_l").fill("420")
        page.locator(".entry-form button[type=submit]").click()
        expect(page.locator(".confirm-box")).to_have_count(1)
        assert_no_horizontal_overflow(page)
        page.screenshot(
            path=screenshot_dir / f"cases-visit-unusual-{lang}-{viewport_name}.png", full_page=True
        )
