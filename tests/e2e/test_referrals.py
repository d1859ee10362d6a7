"""A referral in a real browser, both sides at once: a township clinician refers a red woman, the city
critical care centre accepts her, the township records her departure, the centre records her arrival and
completes with a return summary, and the township sees the outcome. Screenshots of the referral pages in
both languages at desktop and tablet sizes."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.choices import Role
from cases.services import visit_record
from facilities.choices import Capability, CriticalCareLevel, FacilityKind, Specialty, Tier
from referrals.models import Referral
from referrals.services import referral_request
from risk.services import risk_assessment_create
from tests.factories import DepartmentFactory, FacilityFactory, PatientFactory, PregnancyFactory, UserFactory

from .conftest import DESKTOP, TABLET
from .test_shell import assert_no_horizontal_overflow, sign_in

pytestmark = pytest.mark.e2e

SIZES = (("desktop", DESKTOP), ("tablet", TABLET))


@pytest.fixture
def network(home_facility, city, obstetrician):
    """A township health centre in the county, the city critical care centre, a red woman at the township."""
    centre = FacilityFactory(
        name_zh="甲市妇幼保健院",
        name_en="City A MCH Hospital",
        tier=Tier.TERTIARY,
        region=city,
        critical_care_level=CriticalCareLevel.CITY,
        kind=FacilityKind.MCH_HOSPITAL,
        capabilities=[
            Capability.OBSTETRIC_ICU,
            Capability.NICU,
            Capability.BLOOD_BANK,
            Capability.CARDIAC_SURGERY,
            Capability.OBSTETRIC_EMERGENCY_24H,
            Capability.DELIVERY,
            Capability.ISOLATION_PMTCT,
        ],
        referral_hotline="0771-5551200",
    )
    FacilityFactory(
        name_zh="测试省人民医院",
        name_en="Provincial People's Hospital",
        tier=Tier.TERTIARY,
        region=city.parent,
        critical_care_level=CriticalCareLevel.PROVINCE,
        capabilities=[
            Capability.OBSTETRIC_ICU,
            Capability.CARDIAC_SURGERY,
            Capability.BLOOD_BANK,
            Capability.ISOLATION_PMTCT,
        ],
        referral_hotline="0771-2186000",
    )
    township = FacilityFactory(
        name_zh="甲县城关镇卫生院",
        name_en="Chengguan Township Health Centre",
        township=True,
        region=home_facility.region,
        referral_hotline="0771-5553300",
    )
    obstetrics = DepartmentFactory(facility=centre, specialty=Specialty.OBSTETRICS)
    township_doctor = UserFactory(
        username="township",
        display_name="李春梅",
        facility=township,
        roles=[Role.OBSTETRICIAN],
        phone="13907711234",
    )
    UserFactory(
        username="oncall",
        display_name="王丽华",
        facility=centre,
        department=obstetrics,
        roles=[Role.OBSTETRICIAN],
        phone="13800001234",
    )
    woman = PregnancyFactory(
        managing_facility=township,
        patient=PatientFactory(name="黄小燕", registered_facility=township),
        edd=timezone.localdate() + dt.timedelta(days=35),
    )
    visit_record(
        actor=township_doctor,
        pregnancy=woman,
        visited_at=timezone.now() - dt.timedelta(minutes=30),
        measurements={"sbp_mmhg": 168, "dbp_mmhg": 112, "pulse_bpm": 108, "proteinuria": "3+"},
    )
    # Graded red by a county obstetrician (pulmonary hypertension) with a purple criterion (sensitive).
    risk_assessment_create(
        actor=obstetrician, pregnancy=woman, criteria=["P-INF-SYPHILIS"], measurements={"pasp_mmhg": 55}
    )
    # Two other women already waiting at the centre: one urgent near its target, one emergency overdue.
    for name, urgency, minutes in (("韦丽", "urgent", 100), ("陆芳", "emergency", 22)):
        other = PregnancyFactory(
            managing_facility=township, patient=PatientFactory(name=name, registered_facility=township)
        )
        referral = referral_request(
            actor=township_doctor, pregnancy=other, to_facility=centre, urgency=urgency, reason="先兆子痫"
        )
        Referral.objects.filter(pk=referral.pk).update(
            clock_started_at=timezone.now() - dt.timedelta(minutes=minutes)
        )
    return {"centre": centre, "township": township, "woman": woman}


def _language(page: Page, code: str) -> None:
    """What the language switch stores (Django's language cookie): also works on the print pages, which
    have no header and so no switch."""
    origin = re.match(r"^https?://[^/]+", page.url).group(0)
    page.context.add_cookies([{"name": "django_language", "value": code, "url": origin + "/"}])


def shoot(page: Page, screenshot_dir, name: str) -> None:
    """Full-page screenshots of the current page in both languages at both sizes; back to Chinese."""
    url = page.url
    for lang, code in (("zh", "zh-hans"), ("en", "en")):
        _language(page, code)
        for size_name, size in SIZES:
            page.set_viewport_size(size)
            page.goto(url)
            assert_no_horizontal_overflow(page)
            page.screenshot(path=screenshot_dir / f"referrals-{name}-{lang}-{size_name}.png", full_page=True)
    _language(page, "zh-hans")
    page.set_viewport_size(DESKTOP)
    page.goto(url)


def test_township_refers_a_red_woman_and_sees_the_centre_complete_the_loop(
    page: Page, browser, browser_context_args, live_server, network, screenshot_dir
):
    woman = network["woman"]
    sign_in(page, live_server.url, "township")

    # --- township: the referral form, the city centre suggested first -----------------------------------
    page.goto(f"{live_server.url}/referrals/new/?pregnancy={woman.external_id}")
    expect(page.locator("h1")).to_have_text("发起转诊")
    first = page.locator(".ref-suggestion").first
    expect(first).to_contain_text("甲市妇幼保健院")
    expect(first).to_contain_text("0771-5551200")
    expect(first).to_contain_text("同市")
    shoot(page, screenshot_dir, "form")
    first.click()
    page.locator(".ref-urgency__option--emergency").click()
    page.locator("#id_reason").fill("重度子痫前期，肺动脉高压，需要重症监护")
    page.locator("#id_treatments_given").fill("硫酸镁 4 g 静推 10:05，拉贝洛尔 20 mg 静推 10:10")
    page.locator("#id_transport").select_option("ambulance_120")
    page.locator("#id_escort").fill("李春梅医师、张护士")
    page.locator(".ref-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/referrals/[0-9a-f-]+/$"))
    referral_url = page.url
    expect(page.locator(".ref-head .ref-status")).to_have_text("待接收")
    expect(page.locator(".ref-head .clock")).to_be_visible()
    page.locator("#id_text").fill("已电话联系贵院转诊热线，预计 40 分钟到达。")
    page.locator("[data-action=comment]").click()

    # --- the centre: incoming inbox with live clocks, accept -------------------------------------------
    centre_context = browser.new_context(**browser_context_args)
    centre = centre_context.new_page()
    sign_in(centre, live_server.url, "oncall")
    centre.goto(f"{live_server.url}/referrals/")
    rows = centre.locator("table.table--referrals tbody tr")
    expect(rows).to_have_count(3)
    row = rows.filter(has_text="黄小燕")
    expect(row.locator(".urgency")).to_have_text("急诊")
    expect(row.locator(".clock")).to_have_class(re.compile(r"clock--ok"))
    expect(rows.filter(has_text="陆芳").locator(".clock")).to_contain_text("已超时 7 分钟")
    expect(rows.filter(has_text="韦丽").locator(".clock")).to_have_class(re.compile(r"clock--near"))
    shoot(centre, screenshot_dir, "inbox")
    rows.filter(has_text="黄小燕").locator(".cell-woman a").click()
    expect(centre.locator("[data-action=decline]")).to_have_count(0)  # a centre may not refuse an emergency
    expect(centre.locator(".ref-note--centre")).to_be_visible()
    centre.locator("[data-action=accept]").click()
    expect(centre.locator(".messages")).to_contain_text("已接收")

    # --- township: departure ---------------------------------------------------------------------------
    page.goto(referral_url)
    expect(page.locator(".ref-head .ref-status")).to_have_text("已接收")
    page.locator("[data-action=depart]").click()
    expect(page.locator(".ref-head .ref-status")).to_have_text("已出发")

    # --- the centre: arrival, return summary -------------------------------------------------------------
    centre.goto(referral_url)
    expect(centre.locator(".ref-head .clock")).to_contain_text("转运途中")
    centre.locator("[data-action=arrive]").click()
    expect(centre.locator(".ref-head .ref-status")).to_have_text("已到达")
    centre.locator("#id_text").fill("患者已到达，正在评估，准备转入产科 ICU。")
    centre.locator("[data-action=comment]").click()
    expect(centre.locator(".ref-message")).to_have_count(2)
    centre.locator("#id_findings").fill("重度子痫前期合并 HELLP 综合征，肺动脉压 55 mmHg")
    centre.locator("#id_treatment").fill("急诊剖宫产，输红细胞 2 U，术后转产科 ICU")
    centre.locator("#id_disposition").fill("产科 ICU 监护，病情稳定")
    centre.locator("#id_recommendations").fill("出院后请贵院做产后访视，每日监测血压")
    centre.locator("[data-action=complete]").click()
    expect(centre.locator(".ref-head .ref-status")).to_have_text("已完成")
    # The referral is closed: the thread is kept, no new messages.
    expect(centre.locator("[data-action=comment]")).to_have_count(0)
    expect(centre.locator(".ref-thread__closed")).to_be_visible()
    centre_context.close()

    # --- township: the outcome ---------------------------------------------------------------------------
    page.goto(referral_url)
    expect(page.locator(".ref-head .ref-status")).to_have_text("已完成")
    expect(page.locator(".ref-return")).to_contain_text("HELLP")
    expect(page.locator(".ref-return")).to_contain_text("产科 ICU 监护")
    expect(page.locator(".ref-timeline__item")).to_have_count(6)  # decided, requested … completed
    expect(page.locator(".ref-message")).to_have_count(2)
    expect(page.locator(".ref-message").last).to_contain_text("准备转入产科 ICU")
    expect(page.locator("[data-action]")).to_have_count(0)  # closed: no step, no new message
    expect(page.locator(".ref-thread__closed")).to_contain_text("该转诊已结束")
    shoot(page, screenshot_dir, "referral")
    page.goto(referral_url + "letter/")
    expect(page.locator("h1")).to_have_text("转诊单")
    shoot(page, screenshot_dir, "letter")
    page.goto(referral_url + "return-slip/")
    expect(page.locator(".ref-print")).to_contain_text("产科 ICU 监护")
    page.screenshot(path=screenshot_dir / "referrals-return-slip-zh-desktop.png", full_page=True)
