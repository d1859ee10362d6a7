"""Alerts in a real browser: an emergency referral to the city centre is left unaccepted; the clock is
moved on (the sweeps are called with a later ``now``), the alert climbs from the on-call lead to the
department head, whose bell updates without a reload; she acknowledges it on her inbox with a note, and
the on-call lead then sees who acknowledged. Screenshots of the inbox and the operations page in both
languages at desktop and tablet sizes."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.choices import Role, Title
from facilities.choices import CriticalCareLevel, Specialty, Tier
from notifications.models import Alert, InboxItem
from notifications.services import alerts_sweep
from notifications.tasks import alerts_sweep_task
from referrals.models import Referral
from referrals.services import referral_clocks_sweep, referral_request
from tests.factories import (
    DepartmentFactory,
    FacilityFactory,
    OnCallShiftFactory,
    PatientFactory,
    PregnancyFactory,
    UserFactory,
)

from .conftest import DESKTOP, TABLET
from .test_shell import assert_no_horizontal_overflow, sign_in

pytestmark = pytest.mark.e2e

SIZES = (("desktop", DESKTOP), ("tablet", TABLET))


@pytest.fixture
def network(home_facility, city, monkeypatch, settings):
    """A township doctor, the city centre with its on-call lead, department head and administrator."""
    # The bell polls every second here (20 s in production) so the test does not wait long.
    settings.ALERT_BELL_POLL_SECONDS = 1
    # No worker runs in this test: the after-commit nudge would only leave a message in the broker.
    monkeypatch.setattr("notifications.services._nudge", lambda alert_id: None)
    centre = FacilityFactory(
        name_zh="甲市妇幼保健院",
        name_en="City A MCH Hospital",
        tier=Tier.TERTIARY,
        region=city,
        critical_care_level=CriticalCareLevel.CITY,
    )
    township = FacilityFactory(
        name_zh="甲县城关镇卫生院",
        name_en="Chengguan Township Health Centre",
        township=True,
        region=home_facility.region,
    )
    obstetrics = DepartmentFactory(facility=centre, specialty=Specialty.OBSTETRICS)
    township_doctor = UserFactory(username="township", display_name="李春梅", facility=township)
    on_call = UserFactory(
        username="oncall",
        display_name="王丽华",
        facility=centre,
        department=obstetrics,
        roles=[Role.OBSTETRICIAN],
        email="wanglh@centre.example",
        phone="13800001234",
    )
    OnCallShiftFactory(user=on_call, department=obstetrics, is_lead=True)
    UserFactory(
        username="head",
        display_name="赵敏",
        facility=centre,
        department=obstetrics,
        roles=[Role.OBSTETRICIAN],
        title=Title.CHIEF,
        is_department_head=True,
        email="zhaomin@centre.example",
    )
    UserFactory(username="centre_admin", display_name="周建国", facility=centre, roles=[Role.FACILITY_ADMIN])
    woman = PregnancyFactory(
        managing_facility=township, patient=PatientFactory(name="黄小燕", registered_facility=township)
    )
    return {"centre": centre, "township_doctor": township_doctor, "woman": woman}


def emergency_referral(network, reason: str):
    """The township doctor refers her woman to the city centre as an emergency, and the sweep that beat runs
    every minute delivers the alert to the on-call lead (recording its time)."""
    referral = referral_request(
        actor=network["township_doctor"],
        pregnancy=network["woman"],
        to_facility=network["centre"],
        urgency="emergency",
        reason=reason,
    )
    alerts_sweep_task()
    return referral


def _language(page: Page, code: str) -> None:
    origin = re.match(r"^https?://[^/]+", page.url).group(0)
    page.context.add_cookies([{"name": "django_language", "value": code, "url": origin + "/"}])


def shoot(page: Page, name: str, shots) -> None:
    """Full-page screenshots of the current page in both languages at both sizes; back to Chinese."""
    url = page.url
    for lang, code in (("zh", "zh-hans"), ("en", "en")):
        _language(page, code)
        for size_name, size in SIZES:
            page.set_viewport_size(size)
            page.goto(url)
            expect(page.locator("#bell[data-unread]")).to_have_count(1)  # the bell has fetched its count
            assert_no_horizontal_overflow(page)
            page.screenshot(path=shots / f"alerts-{name}-{lang}-{size_name}.png", full_page=True)
    _language(page, "zh-hans")
    page.set_viewport_size(DESKTOP)
    page.goto(url)


def test_unaccepted_emergency_referral_climbs_to_the_department_head_who_acknowledges(
    page: Page, browser, browser_context_args, live_server, network, screenshot_dir
):
    referral = emergency_referral(network, "重度子痫前期，血压 170/115 mmHg")
    alert = Alert.objects.get(kind="referral_requested")
    assert set(alert.items.values_list("user__username", flat=True)) == {"oncall"}

    # --- the on-call lead: a red bell with one alert --------------------------------------------------------
    sign_in(page, live_server.url, "oncall")
    bell = page.locator("#bell")
    expect(bell.locator(".bell__count")).to_contain_text("1")
    expect(bell).to_have_class(re.compile(r"bell--loud"))

    # --- the department head, on another screen: nothing yet -------------------------------------------
    head_context = browser.new_context(**browser_context_args)
    head = head_context.new_page()
    sign_in(head, live_server.url, "head")
    head_bell = head.locator("#bell")
    expect(head_bell.locator(".bell__count")).to_contain_text("0")
    head.evaluate("() => { window.stillThisPage = true; }")

    # --- nobody accepts: 16 minutes later the referral clock has run out and the alert climbs ---------------
    # Moved in the database: the request and the alert's delivery are now 16 minutes old.
    past = timezone.now() - dt.timedelta(minutes=16)
    Referral.objects.filter(pk=referral.pk).update(requested_at=past, clock_started_at=past)
    Alert.objects.filter(pk=alert.pk).update(
        delivered_at=past, next_escalation_at=past + dt.timedelta(minutes=5)
    )
    assert referral_clocks_sweep() == 1  # the 15-minute acceptance clock has run out
    result = alerts_sweep()
    # The missed-clock alert goes to the on-call lead; the unanswered request climbs to the head.
    assert (result["delivered"], result["escalated"]) == (1, 1)
    assert InboxItem.objects.get(alert=alert, user__username="head").level == 1

    # Her bell turns red without a reload.
    expect(head_bell.locator(".bell__count")).to_contain_text("1", timeout=15_000)
    expect(head_bell).to_have_class(re.compile(r"bell--loud"))
    assert head.evaluate("() => window.stillThisPage === true"), "the page was not reloaded"

    # --- she opens the inbox from the bell and acknowledges with a note --------------------------------
    head_bell.click()
    expect(head.locator("h1")).to_have_text("警示")
    items = head.locator("li.inbox-item")
    expect(items).to_have_count(1)
    item = items.first
    expect(item).to_contain_text("待接收的转诊")
    expect(item).to_contain_text("黄小燕")  # the centre may read her record (the referral's grant)
    expect(item.locator(".esc")).to_have_text("第 1 级（共 3 级）")
    expect(item.locator(".reached")).to_contain_text("王丽华")
    expect(item.locator(f'a[href="/referrals/{referral.external_id}/"]')).to_be_visible()
    item.locator("input[name=note]").fill("我已到急诊，正在联系转出医院")
    head.evaluate("() => { window.stillThisPage = true; }")
    item.locator("[data-action=acknowledge]").click()
    expect(item.locator(".inbox-item__ack")).to_contain_text("由 赵敏 于")
    expect(item.locator(".inbox-item__notice")).to_contain_text("已确认：待接收的转诊")
    expect(item.locator("[data-action=acknowledge]")).to_have_count(0)
    expect(head_bell.locator(".bell__count")).to_contain_text("0")
    expect(head_bell).not_to_have_class(re.compile(r"bell--loud"))
    assert head.evaluate("() => window.stillThisPage === true"), "acknowledged in place (htmx), no reload"
    alert.refresh_from_db()
    assert alert.status == "acknowledged" and alert.acknowledged_by.username == "head"
    shoot(head, "inbox-head", screenshot_dir)
    head_context.close()

    # --- the on-call lead sees who acknowledged --------------------------------------------------------
    page.locator("#bell").click()
    items = page.locator("li.inbox-item")
    expect(items).to_have_count(2)  # the referral to accept, and the missed acceptance clock
    acknowledged = items.filter(has_text="待接收的转诊")
    expect(acknowledged.locator(".inbox-item__ack")).to_contain_text("由 赵敏 于")
    expect(acknowledged.locator(".inbox-item__note")).to_have_text("我已到急诊，正在联系转出医院")
    expect(acknowledged.locator(".alert-status")).to_have_text("已确认")
    expect(items.filter(has_text="转诊未按时接收").locator("[data-action=acknowledge]")).to_be_visible()
    shoot(page, "inbox-oncall", screenshot_dir)

    # --- the centre's administrator: the operations page ----------------------------------------------------
    admin_context = browser.new_context(**browser_context_args)
    admin = admin_context.new_page()
    sign_in(admin, live_server.url, "centre_admin")
    admin.locator(".app-nav").get_by_role("link", name="警示运行状况").click()
    expect(admin.locator("h1")).to_have_text("警示运行状况")
    expect(admin.locator(".ops-health")).to_contain_text("没有任务进程响应")
    expect(admin.locator('[data-stat="unacknowledged"]')).to_have_text("1")
    expect(admin.locator('tr[data-channel="email"] td').first).to_have_text("3")
    shoot(admin, "operations", screenshot_dir)
    admin_context.close()


def test_an_acknowledgement_the_database_refuses_says_so_and_goes_through_on_the_second_try(
    page: Page, live_server, network, monkeypatch, screenshot_dir
):
    """She acknowledges in place (htmx) at the moment a concurrent change holds the same rows: the
    database refuses her write (a real deadlock error inside the acknowledgement's transaction), the
    page says nothing was saved and to try again, the alert still waits for her; the second try goes
    through and the message goes away."""
    from django.db import connection, transaction

    from notifications import views

    emergency_referral(network, "产后出血，估计失血 1500 ml")
    alert = Alert.objects.get(kind="referral_requested")
    real = views.alert_acknowledge

    def refused(**kwargs):
        with transaction.atomic():
            real(**kwargs)
            with connection.cursor() as cursor:
                cursor.execute("DO $$ BEGIN RAISE EXCEPTION 'refused' USING ERRCODE = '40P01'; END $$")

    sign_in(page, live_server.url, "oncall")
    page.locator("#bell").click()
    item = page.locator("li.inbox-item").filter(has_text="待接收的转诊")
    banner = page.locator("#request-error")
    expect(banner).to_be_hidden()
    monkeypatch.setattr(views, "alert_acknowledge", refused)
    item.locator("[data-action=acknowledge]").click()
    expect(banner).to_be_visible()
    expect(banner).to_have_text("其他人正在同时修改同一条记录，本次操作未保存。请重试。")
    expect(item.locator("[data-action=acknowledge]")).to_be_visible()
    alert.refresh_from_db()
    assert alert.status != "acknowledged" and alert.acknowledged_by is None
    page.screenshot(path=screenshot_dir / "alerts-request-error-zh-desktop.png")

    monkeypatch.setattr(views, "alert_acknowledge", real)
    item.locator("[data-action=acknowledge]").click()
    expect(item.locator(".inbox-item__ack")).to_contain_text("由 王丽华 于")
    expect(banner).to_be_hidden()
    alert.refresh_from_db()
    assert alert.status == "acknowledged" and alert.acknowledged_by.username == "oncall"


_SEEN = """() => {
    // What the browser says when another tab is in front or the window is minimised.
    Object.defineProperty(document, "visibilityState", {
        configurable: true, get: () => (window.outOfSight ? "hidden" : "visible"),
    });
}"""


def _out_of_sight(page: Page, hidden: bool) -> None:
    page.evaluate(
        "(hidden) => { window.outOfSight = hidden; document.dispatchEvent(new Event('visibilitychange')); }",
        hidden,
    )


def test_a_tab_out_of_sight_does_not_poll_the_bell_and_asks_again_when_shown(
    page: Page, live_server, network
):
    sign_in(page, live_server.url, "oncall")
    expect(page.locator("#bell[data-unread]")).to_have_count(1)
    page.evaluate(_SEEN)
    asked = []
    page.on("request", lambda request: "/notifications/bell/" in request.url and asked.append(request.url))
    page.wait_for_timeout(2_500)
    assert len(asked) >= 2, "a tab in sight asks every second here"

    _out_of_sight(page, True)
    page.wait_for_timeout(1_500)  # a tick already due, or a request under way, may still go out
    asked.clear()
    page.wait_for_timeout(3_000)
    assert asked == [], "three ticks passed out of sight"

    # Shown again: it asks at once, the alert raised meanwhile shows, and polling goes on.
    emergency_referral(network, "产后出血，估计失血 1500 mL")
    with page.expect_request(re.compile(r"/notifications/bell/"), timeout=900):
        _out_of_sight(page, False)
    expect(page.locator("#bell .bell__count")).to_contain_text("1")
    asked.clear()
    page.wait_for_timeout(2_500)
    assert len(asked) >= 2
