"""MDT consultations in a real browser: a county hospital's coordinator schedules a consult requested by
an obstetrician with two specialists of the city centre; each records an opinion (one accepts first, the
other accepts by giving it); the lead concludes with an action item for a midwife, who finds it on her
worklist (home page) and marks it done. Screenshots of the board, the scheduling form with a conflict, the
concluded consult and the print view in both languages at desktop and tablet sizes."""

import datetime as dt
import importlib
import re

import pytest
from django.apps import apps
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from accounts.choices import Role, Title
from cases.models import Pregnancy
from consults import services
from consults.models import Consult
from facilities.choices import Capability, CriticalCareLevel, FacilityKind, Specialty, Tier
from tests.factories import FacilityFactory, PatientFactory, PregnancyFactory, UserFactory

from .conftest import DESKTOP, TABLET
from .test_shell import assert_no_horizontal_overflow, sign_in, switch_language

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def reference_data(transactional_db):
    """Live-server tests flush the database: reload the national risk catalogue (criteria names)."""
    from risk.models import CatalogueVersion

    if not CatalogueVersion.objects.exists():
        importlib.import_module("risk.migrations.0002_load_national_catalogue").forward(apps, None)


@pytest.fixture
def team(home_facility, city, midwife, obstetrician):
    """The county hospital's coordinator and two specialists of the city centre it works with."""
    centre = FacilityFactory(
        name_zh="甲市妇幼保健院",
        name_en="City A MCH Hospital",
        tier=Tier.TERTIARY,
        region=city,
        critical_care_level=CriticalCareLevel.CITY,
        kind=FacilityKind.MCH_HOSPITAL,
        capabilities=[Capability.OBSTETRIC_ICU, Capability.NICU, Capability.DELIVERY],
    )
    from accounts.models import User

    User.objects.filter(pk=obstetrician.pk).update(display_name="赵雅琴")
    User.objects.filter(pk=midwife.pk).update(display_name="周晓红")
    obstetrician.refresh_from_db()
    midwife.refresh_from_db()
    return {
        "centre": centre,
        "coordinator": UserFactory(
            username="coordinator",
            display_name="陈敏",
            facility=home_facility,
            roles=[Role.MDT_COORDINATOR],
            specialty="",
        ),
        "cardiologist": UserFactory(
            username="cardio",
            display_name="刘建国",
            facility=centre,
            roles=[Role.SPECIALIST],
            specialty=Specialty.CARDIOLOGY,
            title=Title.CHIEF,
        ),
        "anaesthetist": UserFactory(
            username="anaes",
            display_name="孙丽",
            facility=centre,
            roles=[Role.SPECIALIST],
            specialty=Specialty.ANESTHESIOLOGY,
            title=Title.ASSOCIATE_CHIEF,
        ),
        "obstetrician": obstetrician,
        "midwife": midwife,
    }


def _woman(home_facility, name="王芳", colour="red"):
    pregnancy = PregnancyFactory(
        managing_facility=home_facility,
        patient=PatientFactory(name=name, registered_facility=home_facility),
    )
    Pregnancy.objects.filter(pk=pregnancy.pk).update(risk_color=colour)
    pregnancy.refresh_from_db()
    return pregnancy


def _slot(days: int, hour: int, minutes: int = 60) -> tuple[dt.datetime, dt.datetime]:
    day = timezone.localdate() + dt.timedelta(days=days)
    start = timezone.make_aware(dt.datetime.combine(day, dt.time(hour)), timezone.get_current_timezone())
    return start, start + dt.timedelta(minutes=minutes)


def _iso_week(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _other_commitment(team, home_facility, *, days=1, hour=14):
    """The cardiologist is already booked for another woman's consult at that time."""
    other = services.consult_request(
        actor=team["obstetrician"],
        pregnancy=_woman(home_facility, "陈静", "orange"),
        urgency="scheduled",
        question="妊娠合并系统性红斑狼疮，评估继续妊娠风险",
        specialties=["rheumatology", "cardiology"],
    )
    start, end = _slot(days, hour)
    return services.consult_schedule(
        actor=team["coordinator"],
        consult=other,
        start=start,
        end=end,
        participants=[(team["cardiologist"], "")],
        location="门诊楼 5 楼 MDT 会议室",
    )


def _signed_in(browser: Browser, base_url: str, username: str) -> Page:
    context = browser.new_context(locale="zh-CN", viewport=DESKTOP)
    page = context.new_page()
    sign_in(page, base_url, username)
    return page


def test_coordinator_schedules_specialists_give_opinions_lead_concludes_owner_sees_the_action(
    page: Page, browser: Browser, live_server, team, home_facility
):
    base = live_server.url
    pregnancy = _woman(home_facility)
    _other_commitment(team, home_facility, days=1, hour=14)

    # The obstetrician requests a routine (within 24 h) consultation from the case.
    obstetrician = _signed_in(browser, base, "obstetrician")
    obstetrician.goto(f"{base}/consults/new/?pregnancy={pregnancy.external_id}")
    expect(obstetrician.locator("h1")).to_have_text("申请 MDT 会诊")
    obstetrician.locator(".mdt-urgency-option--routine").click()
    obstetrician.locator("#id_question").fill(
        "孕 26 周，肺动脉高压（估测 PASP 55 mmHg）：是否继续妊娠？分娩时机与地点？"
    )
    obstetrician.locator("label.chip", has_text="心内科").click()
    obstetrician.locator("label.chip", has_text="麻醉科").click()
    obstetrician.locator("form.mdt-form button[type=submit]").click()
    expect(obstetrician).to_have_url(re.compile(r"/consults/[0-9a-f-]+/$"))
    consult = Consult.objects.get(pregnancy=pregnancy)
    assert consult.urgency == "routine" and consult.status == "requested"

    # The coordinator finds it on her board and schedules it with the two city-centre specialists.
    sign_in(page, base, "coordinator")
    page.goto(f"{base}/consults/board/")
    row = page.locator(".mdt-group--routine tbody tr", has_text=consult.reference)
    expect(row).to_contain_text("王芳")
    row.locator("a.btn", has_text="安排").click()
    expect(page).to_have_url(f"{base}/consults/{consult.external_id}/schedule/")
    start, _end = _slot(1, 14)
    page.locator("#id_date").fill(start.date().isoformat())
    page.locator("#id_start_time").fill("14:00")
    page.locator("#id_end_time").fill("15:00")
    page.locator("#id_location").fill("甲县人民医院 行政楼 3 楼会议室")
    page.locator("#id_meeting_url").fill("https://meeting.example.org/mdt/326")
    page.locator(f"#p-{team['cardiologist'].pk}").check()
    page.locator(f"#p-{team['anaesthetist'].pk}").check()
    page.locator("button[name=save]").click()
    # The cardiologist is already booked at 14:00: nothing saved, the conflict is shown.
    expect(page.locator(".mdt-conflict")).to_contain_text("刘建国")
    assert Consult.objects.get(pk=consult.pk).status == "requested"
    page.locator("#id_start_time").fill("16:00")
    page.locator("#id_end_time").fill("17:00")
    page.locator("button[name=save]").click()
    expect(page).to_have_url(f"{base}/consults/{consult.external_id}/")
    expect(page.locator(".mdt-status--scheduled")).to_be_visible()

    # Each specialist, in her own browser, accepts and records an opinion.
    opinions = {
        "cardio": ("cardiology", "肺动脉高压中度，妊娠晚期及产后 72 小时心衰风险高；建议 32–34 周计划分娩。"),
        "anaes": ("anesthesiology", "建议椎管内麻醉下剖宫产，有创动脉监测，术后转 ICU。"),
    }
    for username, (specialty, text) in opinions.items():
        specialist = _signed_in(browser, base, username)
        specialist.goto(f"{base}/consults/{consult.external_id}/")
        if username == "cardio":
            specialist.locator(".mdt-accept").click()
            expect(specialist.locator(".messages")).to_contain_text("接受")
        # the anaesthetist gives her opinion without answering first: that accepts the invitation
        expect(specialist.locator("#id_specialty")).to_have_value(specialty)
        specialist.locator("#id_attendance").select_option("remote")
        specialist.locator("#id_text").fill(text)
        specialist.locator("#opinion-form button[type=submit]").click()
        expect(specialist.locator(".mdt-opinions")).to_contain_text(text)
        expect(specialist.locator(".mdt-invitation")).to_have_count(0)
        if username == "cardio":
            lead = specialist
        else:
            specialist.context.close()

    # The cardiologist (a participant with the conclude permission) concludes as lead physician.
    lead.locator("#id_recommendations").fill(
        "转甲市妇幼保健院，孕 32–34 周计划剖宫产；每周复查 BNP 与心脏超声。"
    )
    lead.locator("#id_decision_kind").select_option("delivery_plan")
    lead.locator("#id_decision").fill("孕 34 周在甲市妇幼保健院计划剖宫产，预留 ICU 床位。")
    lead.locator("#id_womans_choice").fill("孕妇及家属知情同意。")
    lead.locator("#id_actions-0-owner").select_option(str(team["midwife"].pk))
    lead.locator("#id_actions-0-due").fill((timezone.localdate() + dt.timedelta(days=7)).isoformat())
    lead.locator("#id_actions-0-text").fill("每周随访 BNP 并预约心脏超声")
    lead.locator("#conclude-form button[type=submit]").click()
    expect(lead.locator(".mdt-status--concluded")).to_be_visible()
    expect(lead.locator(".mdt-decision")).to_contain_text("34 周")
    lead.context.close()
    obstetrician.context.close()

    # Both specialists accepted (one by clicking, one by giving her opinion).
    assert set(consult.participants.values_list("status", flat=True)) == {"accepted"}

    # The midwife signs in and finds the action item on her worklist (her home page), and marks it done.
    midwife = _signed_in(browser, base, "midwife")
    expect(midwife).to_have_url(f"{base}/")
    item = midwife.locator(".mdt-actions .mdt-action-list__item")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("每周随访 BNP")
    expect(item).to_contain_text(consult.reference)
    expect(midwife.locator("table.table--worklist")).to_contain_text("王芳")
    item.locator("button[type=submit]").click()
    expect(midwife).to_have_url(f"{base}/")
    expect(midwife.locator(".mdt-actions")).to_have_count(0)
    assert consult.actions.get().status == "done"
    midwife.context.close()


@pytest.fixture
def mdt_week(team, home_facility):
    """A coordinator's week: an overdue emergency request, a routine one, scheduled consults, a concluded
    record with opinions, signatures and an action item, and a request that clashes with a booking."""
    from risk.models import CatalogueCriterion

    ob, coordinator = team["obstetrician"], team["coordinator"]
    cardio, anaes = team["cardiologist"], team["anaesthetist"]
    emergency = services.consult_request(
        actor=ob,
        pregnancy=_woman(home_facility, "李秀英"),
        urgency="emergency",
        question="产后出血 1500 ml，血压下降，需麻醉科与 ICU 紧急会诊",
        specialties=["anesthesiology", "icu", "transfusion"],
    )
    Consult.objects.filter(pk=emergency.pk).update(requested_at=timezone.now() - dt.timedelta(minutes=23))
    services.consult_request(
        actor=ob,
        pregnancy=_woman(home_facility, "张丽", "orange"),
        urgency="routine",
        question="妊娠期糖尿病合并慢性高血压，调整用药方案",
        specialties=["endocrinology", "cardiology"],
    )
    clash = services.consult_request(
        actor=ob,
        pregnancy=_woman(home_facility, "黄婷", "orange"),
        urgency="scheduled",
        question="瘢痕子宫合并前置胎盘，评估胎盘植入及分娩方式",
        specialties=["cardiology", "anesthesiology", "imaging"],
    )
    _other_commitment(team, home_facility, days=1, hour=14)
    for days, hour, name in ((2, 9, "吴小燕"), (3, 15, "郑敏")):
        other = services.consult_request(
            actor=ob,
            pregnancy=_woman(home_facility, name, "yellow"),
            urgency="scheduled",
            question="定期 MDT 门诊复评",
            specialties=["neonatology"],
        )
        start, end = _slot(days, hour)
        services.consult_schedule(
            actor=coordinator,
            consult=other,
            start=start,
            end=end,
            participants=[(anaes, "")],
            location="MDT 会议室",
        )
    concluded = services.consult_request(
        actor=ob,
        pregnancy=_woman(home_facility),
        urgency="routine",
        question="孕 26 周，肺动脉高压（估测 PASP 55 mmHg）：是否继续妊娠？分娩时机与地点？",
        specialties=["cardiology", "anesthesiology"],
    )
    red = CatalogueCriterion.objects.filter(color="red", sensitive=False).first()
    sensitive = CatalogueCriterion.objects.filter(sensitive=True).first()
    Consult.objects.filter(pk=concluded.pk).update(
        case_summary={
            **concluded.case_summary,
            "criteria": [red.code, sensitive.code],
            "vitals": {"sbp_mmhg": 132, "dbp_mmhg": 84, "pulse_bpm": 104, "spo2_pct": 93, "hb_g_l": 108},
            "vitals_at": (timezone.now() - dt.timedelta(days=1)).isoformat(),
        }
    )
    concluded.refresh_from_db()
    start = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(minutes=50)
    services.consult_schedule(
        actor=coordinator,
        consult=concluded,
        start=start,
        end=start + dt.timedelta(hours=1),
        participants=[(cardio, ""), (anaes, "")],
        location="行政楼 3 楼会议室",
        meeting_url="https://meeting.example.org/mdt/326",
        allow_double_booking=True,
    )
    for user, specialty, text in (
        (cardio, "cardiology", "肺动脉高压中度，妊娠晚期及产后 72 小时心衰风险高；建议 32–34 周计划分娩。"),
        (anaes, "anesthesiology", "建议椎管内麻醉下剖宫产，有创动脉监测，术后转 ICU。"),
    ):
        services.invitation_respond(
            actor=user, participant=concluded.participants.get(user=user), accept=True
        )
        services.opinion_record(
            actor=user, consult=concluded, specialty=specialty, text=text, attendance="remote"
        )
    services.opinion_record(
        actor=ob, consult=concluded, specialty="obstetrics", text="胎儿生长符合孕周，继续每两周产检。"
    )
    services.consult_conclude(
        actor=cardio,
        consult=concluded,
        recommendations="转甲市妇幼保健院，孕 32–34 周计划剖宫产；每周复查 BNP 与心脏超声。",
        decision_kind="delivery_plan",
        decision="孕 34 周在甲市妇幼保健院计划剖宫产，预留 ICU 床位。",
        womans_choice="孕妇及家属知情同意。",
        follow_up_on=timezone.localdate() + dt.timedelta(days=14),
        actions=[
            {
                "owner": team["midwife"],
                "due": timezone.localdate() + dt.timedelta(days=7),
                "text": "每周随访 BNP 并预约心脏超声",
            },
            {
                "owner": ob,
                "due": timezone.localdate() + dt.timedelta(days=3),
                "text": "联系甲市妇幼保健院产科预约床位",
            },
        ],
    )
    return {"clash": clash, "concluded": concluded}


@pytest.mark.parametrize("viewport_name,viewport", [("desktop", DESKTOP), ("tablet", TABLET)])
def test_consult_pages_render_in_both_languages_without_overflow(
    page: Page, browser: Browser, live_server, team, mdt_week, screenshot_dir, viewport_name, viewport
):
    base = live_server.url
    clash, concluded = mdt_week["clash"], mdt_week["concluded"]
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    page.set_viewport_size(viewport)
    sign_in(page, base, "coordinator")
    cardio = _signed_in(browser, base, "cardio")
    cardio.set_viewport_size(viewport)
    for lang, label in (("zh", "中文"), ("en", "English")):
        for browser_page in (page, cardio):
            browser_page.goto(f"{base}/consults/my-actions/")
            switch_language(browser_page, label)

        page.goto(f"{base}/consults/board/?week={_iso_week(tomorrow)}")
        expect(page.locator(".mdt-event").first).to_be_visible()
        assert_no_horizontal_overflow(page)
        page.screenshot(path=screenshot_dir / f"consults-board-{lang}-{viewport_name}.png", full_page=True)

        page.goto(f"{base}/consults/{clash.external_id}/schedule/")
        page.locator("#id_date").fill(tomorrow.isoformat())
        page.locator("#id_start_time").fill("14:30")
        page.locator("#id_end_time").fill("15:30")
        page.locator("#id_location").fill("行政楼 3 楼会议室")
        page.locator(f"#p-{team['cardiologist'].pk}").check()
        page.locator(f"#p-{team['anaesthetist'].pk}").check()
        page.locator("button[name=save]").click()
        expect(page.locator(".mdt-conflict")).to_be_visible()
        assert_no_horizontal_overflow(page)
        page.screenshot(
            path=screenshot_dir / f"consults-schedule-conflict-{lang}-{viewport_name}.png", full_page=True
        )

        cardio.goto(f"{base}/consults/{concluded.external_id}/")
        expect(cardio.locator(".mdt-decision")).to_be_visible()
        assert_no_horizontal_overflow(cardio)
        cardio.screenshot(path=screenshot_dir / f"consults-detail-{lang}-{viewport_name}.png", full_page=True)

        cardio.goto(f"{base}/consults/{concluded.external_id}/print/")
        assert_no_horizontal_overflow(cardio)
        cardio.screenshot(path=screenshot_dir / f"consults-print-{lang}-{viewport_name}.png", full_page=True)
    assert Consult.objects.get(pk=clash.pk).status == "requested"
    cardio.context.close()
