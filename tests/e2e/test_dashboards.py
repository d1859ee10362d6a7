"""The dashboard in a real browser: a regional supervisor opens it, clicks the red bar of the colour chart
and lands on the list of the red women of her region. Screenshots in both languages under /tmp/shots/."""

import datetime as dt
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from accounts.choices import Role
from dashboards.services import census_snapshot_take
from facilities.choices import CriticalCareLevel, Tier
from referrals.models import Referral
from tests.factories import FacilityFactory, PatientFactory, PregnancyFactory, UserFactory

from .test_shell import assert_no_horizontal_overflow, sign_in, switch_language

pytestmark = pytest.mark.e2e

SHOTS = Path("/tmp/shots")

# The red bar's centre in viewport coordinates, found through Chart.js (the bar's index from the table).
RED_BAR = """() => {
  const canvas = document.getElementById("color-chart");
  const rows = Array.from(document.querySelectorAll("#color-table tbody tr"));
  const index = rows.findIndex((tr) => tr.dataset.color === "red");
  const bar = Chart.getChart(canvas).getDatasetMeta(0).data[index];
  const box = canvas.getBoundingClientRect();
  return {x: box.left + bar.x, y: box.top + (bar.y + bar.base) / 2};
}"""


@pytest.fixture
def region_cohort(home_facility, other_facility, city):
    centre = FacilityFactory(
        name_zh="甲市妇幼保健院",
        name_en="City A MCH Hospital",
        tier=Tier.TERTIARY,
        region=city,
        critical_care_level=CriticalCareLevel.CITY,
    )
    reds = []
    for i, facility in enumerate((home_facility, home_facility, centre)):
        patient = PatientFactory(name=f"红色孕妇{i + 1}", registered_facility=facility)
        reds.append(PregnancyFactory(patient=patient, managing_facility=facility, risk_color="red"))
    for color, n in (("green", 9), ("yellow", 6), ("orange", 4)):
        for _ in range(n):
            PregnancyFactory(managing_facility=home_facility, risk_color=color)
    PregnancyFactory(managing_facility=home_facility)  # not graded yet
    elsewhere = PregnancyFactory(
        patient=PatientFactory(name="乙市红色孕妇", registered_facility=other_facility),
        managing_facility=other_facility,
        risk_color="red",
    )
    # six emergency referrals of the last days, accepted after 8 to 33 minutes, completed (timeliness)
    clinician = UserFactory(facility=home_facility, roles=[Role.OBSTETRICIAN])
    now = dt.datetime.now(dt.UTC)
    for i in range(6):
        requested = now - dt.timedelta(days=1 + i)
        Referral.objects.create(
            pregnancy=reds[0] if i % 2 else reds[1],
            from_facility=home_facility,
            to_facility=centre,
            direction="up",
            urgency="emergency",
            status="completed",
            reason="Severe pre-eclampsia",
            sending_clinician=clinician,
            requested_at=requested,
            clock_started_at=requested,
            accepted_at=requested + dt.timedelta(minutes=8 + 5 * i),
            departed_at=requested + dt.timedelta(minutes=50),
            arrived_at=requested + dt.timedelta(minutes=50 + 40 + 10 * i),
        )
    # last week's census snapshot (the daily task), so the red trend has a point before "now"
    census_snapshot_take(now=now - dt.timedelta(days=7))
    return reds, elsewhere


def test_supervisor_clicks_the_red_bar_and_sees_the_red_women_of_her_region(
    page: Page, live_server, supervisor, region_cohort
):
    reds, elsewhere = region_cohort
    SHOTS.mkdir(parents=True, exist_ok=True)
    sign_in(page, live_server.url, "supervisor")
    page.goto(f"{live_server.url}/dashboards/")
    expect(page.locator("h1")).to_have_text("统计看板")
    expect(page.locator("#color-chart[data-ready=true]")).to_be_attached()
    expect(page.locator('#color-table tr[data-color="red"] td')).to_have_text("3")
    acceptance = '#timeliness-referrals tbody[data-family="referral_acceptance"] tr[data-urgency="emergency"]'
    expect(page.locator(f'{acceptance} td[data-key$=".n"]')).to_have_text("6")
    expect(page.locator(f'{acceptance} td[data-key$=".median_minutes"]')).to_have_text("21 分钟")
    expect(page.locator(f'{acceptance} td[data-key$=".within_target_pct"]')).to_have_text("33.3%")
    assert_no_horizontal_overflow(page)
    # the weekly trends: every chart drawn from its table; the red census now is the last week's row
    expect(page.locator("canvas.dash-trend__canvas[data-ready=true]")).to_have_count(6)
    expect(page.locator("#trend-red tbody tr").last.locator("td.num")).to_have_text("3")
    expect(page.locator("#trend-red tbody tr").nth(-2).locator("td.num")).to_have_text("3")
    referrals = page.locator("#trend-referrals_requested tbody tr td.num").all_text_contents()
    assert sum(int(v.strip()) for v in referrals) == 6
    page.screenshot(path=str(SHOTS / "dashboard-zh.png"), full_page=True)
    page.locator("#timeliness").screenshot(path=str(SHOTS / "dashboard-timeliness-zh.png"))
    page.locator("#trends").screenshot(path=str(SHOTS / "dashboard-trends-zh.png"))
    page.locator("#rates-table").screenshot(path=str(SHOTS / "dashboard-rates-zh.png"))
    page.locator(".dash-cards").screenshot(path=str(SHOTS / "dashboard-cards-zh.png"))

    page.locator("#color-chart").scroll_into_view_if_needed()
    point = page.evaluate(RED_BAR)
    page.mouse.click(point["x"], point["y"])
    page.wait_for_url("**/dashboards/women/**")
    assert "color=red" in page.url and "region=450100" in page.url
    names = page.locator("#women-table tbody .cell-woman a").all_inner_texts()
    assert sorted(names) == sorted(p.patient.name for p in reds)
    assert elsewhere.patient.name not in page.content()
    page.screenshot(path=str(SHOTS / "dashboard-red-women-zh.png"), full_page=True)

    switch_language(page, "English")
    expect(page.locator("h1")).to_contain_text("Red")
    page.screenshot(path=str(SHOTS / "dashboard-red-women-en.png"), full_page=True)
    page.goto(f"{live_server.url}/dashboards/")
    expect(page.locator("h1")).to_have_text("Dashboard")
    expect(page.locator("#color-chart[data-ready=true]")).to_be_attached()
    expect(page.locator(f'{acceptance} td[data-key$=".p90_minutes"]')).to_have_text("31 min")
    expect(page.locator("canvas.dash-trend__canvas[data-ready=true]")).to_have_count(6)
    assert_no_horizontal_overflow(page)
    page.screenshot(path=str(SHOTS / "dashboard-en.png"), full_page=True)
    page.locator("#trends").screenshot(path=str(SHOTS / "dashboard-trends-en.png"))
    page.locator("#rates-table").screenshot(path=str(SHOTS / "dashboard-rates-en.png"))
    page.locator("#timeliness").screenshot(path=str(SHOTS / "dashboard-timeliness-en.png"))
