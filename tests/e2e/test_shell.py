"""The application shell in a real browser: sign-in, language switch, directories, CSS, layout."""

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.choices import Role
from cases.services import break_glass_open
from facilities.choices import Capability, CriticalCareLevel, FacilityKind, Specialty, Tier
from tests.factories import DepartmentFactory, FacilityFactory, OnCallShiftFactory, UserFactory

from .conftest import DESKTOP, TABLET

pytestmark = pytest.mark.e2e

PASSWORD = "correct-horse-battery"


@pytest.fixture
def network(home_facility, city, other_facility):
    """A tertiary city centre and a township centre next to the personas' county hospital."""
    centre = FacilityFactory(
        name_zh="甲市妇幼保健院", name_en="City A MCH Hospital", tier=Tier.TERTIARY, region=city,
        critical_care_level=CriticalCareLevel.CITY, kind=FacilityKind.MCH_HOSPITAL,
        capabilities=[Capability.OBSTETRIC_ICU, Capability.NICU, Capability.BLOOD_BANK,
                      Capability.OBSTETRIC_EMERGENCY_24H, Capability.DELIVERY, Capability.CAESAREAN],
        referral_hotline="0771-5551200", phone="0771-5551000", address="甲市青秀区民族大道 100 号",
        obstetric_beds=120,
    )
    township = FacilityFactory(
        name_zh="甲县城关镇卫生院", name_en="Chengguan Township Health Centre", township=True,
        region=home_facility.region, referral_hotline="0771-5553300",
    )
    obstetrics = DepartmentFactory(facility=centre, specialty=Specialty.OBSTETRICS, name_zh="产科",
                                   name_en="Obstetrics", phone="0771-5551201")
    DepartmentFactory(facility=centre, specialty=Specialty.ICU, name_zh="重症医学科",
                      name_en="Intensive care", phone="0771-5551301")
    on_call = UserFactory(username="oncall", display_name="王丽华", facility=centre, department=obstetrics,
                          roles=[Role.OBSTETRICIAN, Role.MDT_COORDINATOR], phone="138-0000-1234")
    OnCallShiftFactory(user=on_call, department=obstetrics)
    return {"centre": centre, "township": township, "county": home_facility, "other": other_facility}


def sign_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form.form-stack button[type=submit]").click()
    expect(page.locator(".app-nav")).to_be_visible()


def switch_language(page: Page, label: str) -> None:
    page.locator(".lang-switch button", has_text=label).click()
    page.wait_for_load_state("load")


def assert_no_horizontal_overflow(page: Page) -> None:
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"page is {overflow}px wider than the viewport"


def test_clinician_signs_in_switches_language_and_filters_the_facility_directory(
    page: Page, live_server, midwife, network
):
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.locator("h1")).to_have_text("登录")
    # The stylesheet is served and applied (the sign-in card has its rounded corners and white surface).
    card = page.locator(".auth-card")
    assert card.evaluate("e => getComputedStyle(e).borderTopLeftRadius") == "12px"
    assert card.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(255, 255, 255)"

    # A wrong password is reported in the page's language, next to the form.
    page.locator("#id_username").fill("midwife")
    page.locator("#id_password").fill("wrong-password-123")
    page.locator("form.form-stack button[type=submit]").click()
    expect(page.locator(".auth-card .alert-error")).to_contain_text("用户名")

    sign_in(page, live_server.url, "midwife")
    nav = page.locator(".app-nav")
    expect(nav).to_contain_text("机构")
    expect(page.locator(".user-card")).to_contain_text("助产士")

    switch_language(page, "English")
    expect(nav).to_contain_text("Facilities")
    expect(nav).not_to_contain_text("机构")
    expect(page.locator(".user-card")).to_contain_text("Midwife / nurse")

    switch_language(page, "中文")
    expect(nav).to_contain_text("机构")
    expect(nav).not_to_contain_text("Facilities")

    nav.get_by_role("link", name="机构").click()
    rows = page.locator("table.table tbody tr")
    for name in ("甲市妇幼保健院", "甲县城关镇卫生院", "甲县人民医院", "乙县人民医院"):
        expect(rows.filter(has_text=name)).to_have_count(1)

    page.locator("#id_tier").select_option("tertiary")
    page.locator("form.filter-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"tier=tertiary"))
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("甲市妇幼保健院")
    expect(rows.first).to_contain_text("市级危重孕产妇救治中心")
    expect(page.locator("#id_tier")).to_have_value("tertiary")


def test_a_field_in_error_has_the_red_border(page: Page, live_server, midwife, network):
    """The error rule comes after the base input rule of the same specificity: written before it, no field
    in error had its red border (the staff directory's search with a NUL character here; every form's
    fields in error use the same class)."""
    sign_in(page, live_server.url, "midwife")
    page.goto(f"{live_server.url}/facilities/staff/?q=a%00b")
    expect(page.locator(".field__error")).to_have_text("不允许包含空字符（NUL）。")
    search = page.locator("#id_q")
    assert search.evaluate("e => getComputedStyle(e).borderTopColor") == "rgb(179, 38, 30)"
    assert search.evaluate("e => getComputedStyle(e).borderTopWidth") == "2px"
    expect(page.locator("table.table tbody")).to_contain_text("没有符合搜索条件的人员")
    page.goto(f"{live_server.url}/facilities/staff/?q=midwife")
    assert search.evaluate("e => getComputedStyle(e).borderTopWidth") == "1px"


PAGES = [
    # (file name, path or None for the facility detail, heading in Chinese, heading in English)
    ("home", "/", None, None),
    ("facilities", "/facilities/", "机构名录", "Facility directory"),
    ("facility-detail", None, "甲市妇幼保健院", "City A MCH Hospital"),
    ("staff", "/facilities/staff/", "人员通讯录", "Staff directory"),
]


@pytest.mark.parametrize("viewport_name,viewport", [("desktop", DESKTOP), ("tablet", TABLET)])
def test_pages_render_in_both_languages_without_overflow(
    page: Page, live_server, midwife, auditor, outsider, pregnancy, network, screenshot_dir, viewport_name,
    viewport,
):
    break_glass_open(actor=outsider, pregnancy_id=pregnancy.external_id,
                     reason="夜间急诊转入，产后出血，需查看既往病史")
    # No risk-grading service exists yet; set the current grade directly so the badges show.
    type(pregnancy).objects.filter(pk=pregnancy.pk).update(risk_color="orange", purple=True)
    page.set_viewport_size(viewport)
    detail_path = f"/facilities/{network['centre'].external_id}/"

    page.goto(f"{live_server.url}/accounts/login/")
    for lang, label in (("zh", "中文"), ("en", "English")):
        switch_language(page, label)
        assert_no_horizontal_overflow(page)
        page.screenshot(path=screenshot_dir / f"login-{lang}-{viewport_name}.png", full_page=True)

    sign_in(page, live_server.url, "midwife")
    for lang, label in (("zh", "中文"), ("en", "English")):
        switch_language(page, label)
        for name, path, heading_zh, heading_en in PAGES:
            page.goto(live_server.url + (path or detail_path))
            if heading_zh:
                expect(page.locator("h1")).to_have_text(heading_zh if lang == "zh" else heading_en)
            assert_no_horizontal_overflow(page)
            page.screenshot(path=screenshot_dir / f"{name}-{lang}-{viewport_name}.png", full_page=True)
        page.goto(f"{live_server.url}/cases/pregnancies/{pregnancy.external_id}/")
        expect(page.locator(".page-head .badge-orange")).to_have_text("橙色" if lang == "zh" else "Orange")
        expect(page.locator(".page-head .badge-purple")).to_be_visible()
        page.screenshot(path=screenshot_dir / f"pregnancy-{lang}-{viewport_name}.png", full_page=True)

    page.locator(".signout button").click()
    sign_in(page, live_server.url, "auditor")
    for lang, label in (("zh", "中文"), ("en", "English")):
        switch_language(page, label)
        page.goto(f"{live_server.url}/audit/")
        expect(page.locator("h1")).to_have_text("审计日志" if lang == "zh" else "Audit trail")
        expect(page.locator("tr.row-flagged")).not_to_have_count(0)
        assert_no_horizontal_overflow(page)
        page.screenshot(path=screenshot_dir / f"audit-{lang}-{viewport_name}.png", full_page=True)
        page.goto(f"{live_server.url}/cases/emergency-accesses/")
        expect(page.locator("table.table tbody tr")).to_have_count(1)
        assert_no_horizontal_overflow(page)
        page.screenshot(
            path=screenshot_dir / f"emergency-accesses-{lang}-{viewport_name}.png", full_page=True
        )
