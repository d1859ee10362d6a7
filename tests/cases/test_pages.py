"""The case registry's HTML pages: worklist, registration, emergency arrival, case page, entry forms, print.

State is set up through the services, as a clinician would create it; the pages are exercised with the
Django test client, signed in as the personas of ``tests/conftest.py``.
"""

import datetime as dt
import importlib
import re

import pytest
from django.db import connection
from django.utils import timezone

from audit.models import AuditEvent
from cases import services
from cases.choices import CareTaskKind, CareTaskStatus, PregnancyStatus
from cases.identity import check_character
from cases.models import CareTask, Delivery, Patient, Pregnancy, Visit
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def resident_id(birth: str = "19920517", seq: str = "002", region: str = "450102") -> str:
    first17 = f"{region}{birth}{seq}"
    return first17 + check_character(first17)


def register(actor, *, name="李秀英", id_number="", phone="", lmp=None, **pregnancy_fields):
    """A woman and her pregnancy, registered through the services (as the registration page does)."""
    patient = services.patient_register(
        actor=actor,
        name=name,
        id_number=id_number,
        phone=phone,
        birth_date=None if id_number else dt.date(1994, 3, 2),
    )
    lmp = lmp or timezone.localdate() - dt.timedelta(days=20 * 7 + 3)
    return services.pregnancy_register(
        actor=actor, patient=patient, lmp=lmp, gravida=2, para=1, **pregnancy_fields
    )


def case_url(pregnancy, suffix=""):
    return f"/cases/pregnancies/{pregnancy.external_id}/{suffix}"


def registration_form(**overrides):
    data = {
        "name": "王芳",
        "id_number": resident_id(),
        "phone": "13912345678",
        "residence_region": "",
        "address": "甲县幸福路 1 号",
        "emergency_contact_name": "张伟",
        "emergency_contact_phone": "13800001111",
        "lmp": (timezone.localdate() - dt.timedelta(days=70)).isoformat(),
        "edd": "",
        "cycle_length": "28",
        "gravida": "1",
        "para": "0",
        "fetuses": "1",
        "follow_up_facility": "",
        "hiv_status": "unknown",
        "syphilis_status": "negative",
        "hbv_status": "unknown",
        "document_type": "",
        "document_number": "",
        "birth_date": "",
    }
    return {**data, **overrides}


# --- pages render ---------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["", "visits/new/", "delivery/new/", "datings/new/", "status/", "print/"])
def test_case_pages_render_for_the_care_team(client, midwife, suffix):
    pregnancy = register(midwife)
    client.force_login(midwife)
    response = client.get(case_url(pregnancy, suffix))
    assert response.status_code == 200
    assert "李秀英" in response.content.decode()


@pytest.mark.parametrize("url", ["/", "/cases/register/", "/cases/emergency/"])
def test_registry_pages_render_for_a_clinician(client, midwife, url):
    client.force_login(midwife)
    response = client.get(url)
    assert response.status_code == 200
    assert b"<form" in response.content


def test_pages_carry_no_inline_script_or_style(client, midwife):
    pregnancy = register(midwife)
    client.force_login(midwife)
    for url in (
        "/",
        "/cases/register/",
        "/cases/emergency/",
        case_url(pregnancy),
        case_url(pregnancy, "visits/new/"),
        case_url(pregnancy, "delivery/new/"),
        case_url(pregnancy, "print/"),
    ):
        html = client.get(url).content.decode()
        assert "<style" not in html and " style=" not in html, url
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), url
        assert not re.search(r"\son[a-z]+=", html), url


# --- registration ---------------------------------------------------------------------------------


def test_registration_creates_woman_and_pregnancy_and_opens_her_record(client, midwife):
    client.force_login(midwife)
    response = client.post("/cases/register/", registration_form())
    patient = Patient.objects.get()
    pregnancy = Pregnancy.objects.get(patient=patient)
    assert response.status_code == 302
    assert response["Location"] == case_url(pregnancy)
    assert patient.birth_date == dt.date(1992, 5, 17)  # taken from the ID number
    assert patient.phone == "+8613912345678"
    assert pregnancy.syphilis_status == "negative"
    assert pregnancy.edd == timezone.localdate() - dt.timedelta(days=70) + dt.timedelta(days=280)
    page = client.get(response["Location"]).content.decode()
    assert patient.record_number in page


def test_bad_id_checksum_reenters_the_form_with_the_error_and_creates_nothing(client, midwife):
    client.force_login(midwife)
    good = resident_id()
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    response = client.post("/cases/register/", registration_form(id_number=bad))
    assert response.status_code == 200
    assert "check character does not match" in response.content.decode()
    assert response.context["form"].errors["id_number"]
    assert not Patient.objects.exists() and not Pregnancy.objects.exists()


def test_a_refused_pregnancy_leaves_no_patient_behind(client, midwife):
    client.force_login(midwife)
    response = client.post("/cases/register/", registration_form(gravida="1", para="3"))
    assert response.status_code == 200
    assert response.context["form"].errors["para"]
    assert not Patient.objects.exists()


def test_duplicate_id_links_to_the_record_she_may_see(client, midwife):
    existing = register(midwife, id_number=resident_id())
    client.force_login(midwife)
    response = client.post("/cases/register/", registration_form(name="王芳"))
    html = response.content.decode()
    assert response.status_code == 200
    assert case_url(existing) in html
    assert existing.patient.record_number in html
    assert Patient.objects.count() == 1


def test_duplicate_id_registered_elsewhere_gives_a_neutral_message(client, midwife, outsider):
    elsewhere = register(outsider, id_number=resident_id())
    client.force_login(midwife)
    response = client.post("/cases/register/", registration_form())
    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["duplicate_elsewhere"] is True
    assert str(elsewhere.external_id) not in html
    assert elsewhere.patient.record_number not in html
    assert Patient.objects.count() == 1


def test_near_duplicates_block_registration_until_confirmed(client, midwife):
    earlier = register(midwife, name="王芳", phone="13912345678")
    client.force_login(midwife)
    data = registration_form(id_number="", birth_date="1990-01-01")
    response = client.post("/cases/register/", data)
    assert response.status_code == 200
    assert [d["patient"] for d in response.context["duplicates"]] == [earlier.patient]
    assert case_url(earlier) in response.content.decode()
    assert Patient.objects.count() == 1
    assert AuditEvent.objects.filter(
        action="list", patient_ids__contains=[earlier.patient.external_id]
    ).exists()

    response = client.post("/cases/register/", {**data, "confirm_different": "on"})
    assert response.status_code == 302
    assert Patient.objects.count() == 2


# --- emergency arrival ----------------------------------------------------------------------------


def test_emergency_arrival_registers_and_shows_the_temporary_record_number(client, midwife):
    client.force_login(midwife)
    response = client.post(
        "/cases/emergency/",
        {
            "estimated_age_years": "28",
            "estimated_ga_weeks": "36",
            "sbp_mmhg": "165",
            "dbp_mmhg": "112",
            "pulse_bpm": "118",
            "spo2_pct": "95",
            "consciousness": "voice",
            "chief_complaint": "头痛、抽搐一次",
        },
        follow=True,
    )
    patient = Patient.objects.get()
    html = response.content.decode()
    assert patient.record_number.startswith("TMP")
    assert patient.record_number in html
    assert response.redirect_chain[-1][0] == case_url(patient.pregnancies.get())
    visit = Visit.objects.get()
    assert (visit.sbp_mmhg, visit.dbp_mmhg, visit.consciousness) == (165, 112, "voice")
    assert "Provisional" in html or "临时" in html


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_an_unidentified_arrival_is_named_in_both_languages_whoever_registers_her(client, midwife, language):
    """The placeholder is data other hospitals and languages read: not the registering clinician's
    language (a Chinese page showed "Unknown woman, arrived …" when an English-speaking colleague had
    registered her)."""
    client.force_login(midwife)
    client.post(
        "/cases/emergency/",
        {"estimated_age_years": "28", "estimated_ga_weeks": "36"},
        HTTP_ACCEPT_LANGUAGE=language,
    )
    patient = Patient.objects.get()
    arrived = timezone.localtime(patient.pregnancies.get().arrived_at).strftime("%Y-%m-%d %H:%M")
    assert patient.is_unidentified
    assert patient.name == f"身份不明孕产妇 / Unknown woman · {arrived}"


def test_the_placeholders_written_before_become_bilingual_and_typed_names_stay():
    """Migration ``cases/0012``: only an unidentified record still carrying a one-language placeholder."""
    migration = importlib.import_module("cases.migrations.0012_unidentified_name_bilingual")
    zh = PatientFactory(is_unidentified=True, name="身份不明孕产妇，2026-11-20 03:07 到院")
    en = PatientFactory(is_unidentified=True, name="Unknown woman, arrived 2026-11-21 22:45")
    typed = PatientFactory(is_unidentified=True, name="王女士（家属口述）")
    identified = PatientFactory(is_unidentified=False, name="Unknown woman, arrived 2026-11-21 22:45")
    with connection.schema_editor() as editor:
        migration.forward(None, editor)
    names = {p.pk: p.name for p in Patient.objects.all()}
    assert names[zh.pk] == "身份不明孕产妇 / Unknown woman · 2026-11-20 03:07"
    assert names[en.pk] == "身份不明孕产妇 / Unknown woman · 2026-11-21 22:45"
    assert names[typed.pk] == "王女士（家属口述）"
    assert names[identified.pk] == "Unknown woman, arrived 2026-11-21 22:45"


def test_emergency_arrival_with_a_registered_id_notes_the_merge_review(client, midwife):
    register(midwife, id_number=resident_id())
    client.force_login(midwife)
    response = client.post(
        "/cases/emergency/",
        {"estimated_age_years": "30", "estimated_ga_weeks": "38", "id_number": resident_id()},
        follow=True,
    )
    assert response.status_code == 200
    new = Pregnancy.objects.get(is_emergency_registration=True)
    assert CareTask.objects.filter(pregnancy=new, kind=CareTaskKind.MERGE_REVIEW).exists()
    assert any("merge review" in str(m) for m in response.context["messages"])


def test_emergency_arrival_refuses_a_missing_estimate(client, midwife):
    client.force_login(midwife)
    response = client.post("/cases/emergency/", {"estimated_age_years": "28", "estimated_ga_weeks": "60"})
    assert response.status_code == 200
    assert response.context["form"].errors["estimated_ga_weeks"]
    assert not Patient.objects.exists()


# --- visits -----------------------------------------------------------------------------------------


def visit_form(**overrides):
    return {
        "kind": "antenatal",
        "visited_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "sbp_mmhg": "118",
        "dbp_mmhg": "72",
        "pulse_bpm": "84",
        "notes": "",
        "next_visit_date": "",
        **overrides,
    }


def test_visit_entry_refuses_impossible_values(client, midwife):
    pregnancy = register(midwife)
    client.force_login(midwife)
    response = client.post(case_url(pregnancy, "visits/new/"), visit_form(sbp_mmhg="400"))
    assert response.status_code == 200
    assert "impossible" in " ".join(response.context["form"].errors["sbp_mmhg"])
    assert not Visit.objects.exists()


def test_visit_entry_saves_unusual_values_only_once_confirmed(client, midwife):
    pregnancy = register(midwife)
    client.force_login(midwife)
    url = case_url(pregnancy, "visits/new/")
    response = client.post(url, visit_form(sbp_mmhg="185", dbp_mmhg="95", hb_g_l="55"))
    html = response.content.decode()
    assert response.status_code == 200
    assert not Visit.objects.exists()
    assert 'name="confirm_unusual" value="sbp_mmhg"' in html
    assert 'name="confirm_unusual" value="hb_g_l"' in html
    assert 'name="confirm_unusual" value="dbp_mmhg"' not in html

    # Confirming one of two is not enough.
    response = client.post(
        url, {**visit_form(sbp_mmhg="185", dbp_mmhg="95", hb_g_l="55"), "confirm_unusual": ["sbp_mmhg"]}
    )
    assert response.status_code == 200
    assert not Visit.objects.exists()
    assert 'value="sbp_mmhg" checked' in response.content.decode()

    response = client.post(
        url,
        {**visit_form(sbp_mmhg="185", dbp_mmhg="95", hb_g_l="55"), "confirm_unusual": ["sbp_mmhg", "hb_g_l"]},
    )
    assert response.status_code == 302
    visit = Visit.objects.get()
    assert visit.sbp_mmhg == 185 and sorted(visit.unusual_confirmed) == ["hb_g_l", "sbp_mmhg"]


def test_supervisor_sees_the_case_but_may_not_record_a_visit(client, midwife, supervisor):
    pregnancy = register(midwife)
    client.force_login(supervisor)
    page = client.get(case_url(pregnancy)).content.decode()
    assert case_url(pregnancy, "visits/new/") not in page
    assert client.get(case_url(pregnancy, "visits/new/")).status_code == 403
    assert client.post(case_url(pregnancy, "visits/new/"), visit_form()).status_code == 403
    assert not Visit.objects.exists()


# --- delivery ---------------------------------------------------------------------------------------


def test_delivery_entry_moves_the_pregnancy_to_postpartum(client, midwife):
    pregnancy = register(midwife, fetuses=2)
    client.force_login(midwife)
    url = case_url(pregnancy, "delivery/new/")
    form = client.get(url).context["formset"]
    assert len(form.forms) == 2
    data = {
        "delivered_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "mode": "caesarean_emergency",
        "facility": str(midwife.facility.external_id),
        "blood_loss_ml": "1200",
        "complications": ["pph", "blood_transfusion"],
        "near_miss_criteria": ["transfusion_5u"],
        "newborns-TOTAL_FORMS": "2",
        "newborns-INITIAL_FORMS": "2",
        "newborns-MIN_NUM_FORMS": "0",
        "newborns-MAX_NUM_FORMS": "8",
        "newborns-0-outcome": "live_birth",
        "newborns-0-sex": "female",
        "newborns-0-weight_g": "2450",
        "newborns-0-apgar_1": "8",
        "newborns-0-apgar_5": "9",
        "newborns-1-outcome": "live_birth",
        "newborns-1-sex": "male",
        "newborns-1-weight_g": "2300",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    pregnancy.refresh_from_db()
    assert pregnancy.status == PregnancyStatus.POSTPARTUM
    delivery = Delivery.objects.get(pregnancy=pregnancy)
    assert delivery.newborns.count() == 2 and delivery.blood_loss_ml == 1200
    assert pregnancy.near_misses.count() == 1
    page = client.get(case_url(pregnancy)).content.decode()
    assert case_url(pregnancy, "delivery/new/") not in page


def test_delivery_entry_shows_newborn_errors_on_the_baby(client, midwife):
    pregnancy = register(midwife)
    client.force_login(midwife)
    data = {
        "delivered_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "mode": "spontaneous_vaginal",
        "born_outside_facility": "on",
        "newborns-TOTAL_FORMS": "1",
        "newborns-INITIAL_FORMS": "1",
        "newborns-MIN_NUM_FORMS": "0",
        "newborns-MAX_NUM_FORMS": "8",
        "newborns-0-outcome": "live_birth",
        "newborns-0-weight_g": "90",
    }
    response = client.post(case_url(pregnancy, "delivery/new/"), data)
    assert response.status_code == 200
    assert response.context["formset"].forms[0].errors["weight_g"]
    pregnancy.refresh_from_db()
    assert pregnancy.status == PregnancyStatus.ACTIVE


# --- case page: reveal, print, tasks, emergency access, sensitive values -------------------------------


def test_reveal_shows_the_full_number_once_and_is_audited(client, midwife):
    number = resident_id()
    pregnancy = register(midwife, id_number=number)
    client.force_login(midwife)
    page = client.get(case_url(pregnancy)).content.decode()
    assert number not in page and pregnancy.patient.masked_id_number in page
    response = client.post(case_url(pregnancy, "reveal-id/"))
    assert response.status_code == 200
    assert number in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert (
        AuditEvent.objects.filter(
            action="reveal", actor=midwife, patient_ids__contains=[pregnancy.patient.external_id]
        ).count()
        == 1
    )
    assert number not in client.get(case_url(pregnancy)).content.decode()


def test_reveal_is_refused_to_a_supervisor(client, midwife, supervisor):
    pregnancy = register(midwife, id_number=resident_id())
    client.force_login(supervisor)
    assert client.post(case_url(pregnancy, "reveal-id/")).status_code == 403
    assert not AuditEvent.objects.filter(action="reveal").exists()


def test_print_writes_a_print_audit_row(client, midwife):
    pregnancy = register(midwife, id_number=resident_id())
    client.force_login(midwife)
    response = client.get(case_url(pregnancy, "print/"))
    assert response.status_code == 200
    assert pregnancy.patient.masked_id_number in response.content.decode()
    assert pregnancy.patient.id_number not in response.content.decode()
    assert AuditEvent.objects.filter(action="print", object_id=str(pregnancy.external_id)).count() == 1
    assert AuditEvent.objects.filter(action="read", object_id=str(pregnancy.external_id)).count() == 1


def test_infection_status_is_restricted_for_a_midwife_and_shown_to_an_obstetrician(
    client, midwife, obstetrician
):
    pregnancy = register(midwife, hiv_status="positive")
    client.force_login(midwife)
    html = client.get(case_url(pregnancy)).content.decode()
    assert "Restricted" in html or "受限信息" in html
    assert "Positive" not in html and "阳性" not in html
    client.force_login(obstetrician)
    html = client.get(case_url(pregnancy)).content.decode()
    assert "Positive" in html or "阳性" in html


def test_open_task_is_marked_done_by_its_facility(client, midwife, outsider):
    pregnancy = register(midwife)  # HIV / hepatitis B unknown: a tests-pending task is open
    task = CareTask.objects.get(pregnancy=pregnancy, kind=CareTaskKind.PMTCT_TESTS_PENDING)
    services.break_glass_open(
        actor=outsider, pregnancy_id=pregnancy.external_id, reason="Arrived bleeding at night"
    )
    client.force_login(outsider)
    page = client.get(case_url(pregnancy)).content.decode()
    assert f"tasks/{task.external_id}/done/" not in page
    assert client.post(case_url(pregnancy, f"tasks/{task.external_id}/done/")).status_code == 403
    client.force_login(midwife)
    assert f"tasks/{task.external_id}/done/" in client.get(case_url(pregnancy)).content.decode()
    response = client.post(case_url(pregnancy, f"tasks/{task.external_id}/done/"))
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.status == CareTaskStatus.DONE


def test_emergency_access_shows_a_banner_and_no_action_buttons(client, midwife, outsider):
    pregnancy = register(midwife)
    services.break_glass_open(
        actor=outsider, pregnancy_id=pregnancy.external_id, reason="Arrived bleeding at night"
    )
    client.force_login(outsider)
    response = client.get(case_url(pregnancy))
    assert response.context["emergency_access"] is not None
    html = response.content.decode()
    assert case_url(pregnancy, "visits/new/") not in html
    assert case_url(pregnancy, "status/") not in html
    client.force_login(midwife)
    assert client.get(case_url(pregnancy)).context["emergency_access"] is None


def test_merged_pregnancy_links_to_the_record_it_was_merged_into(client, midwife, obstetrician):
    survivor = register(midwife, id_number=resident_id())
    _patient, emergency_pregnancy, _dup = services.emergency_register(
        actor=midwife, estimated_age_years=30, estimated_ga_weeks=30, id_number=resident_id()
    )
    services.patient_merge(
        actor=obstetrician,
        duplicate=emergency_pregnancy.patient,
        survivor=survivor.patient,
        continuing_pregnancy=survivor,
        reason="Same woman: ID checked on the ward",
    )
    client.force_login(midwife)
    html = client.get(case_url(emergency_pregnancy)).content.decode()
    assert case_url(survivor) in html


def test_status_change_marks_her_lost_to_follow_up(client, midwife):
    pregnancy = register(midwife)
    client.force_login(midwife)
    response = client.post(case_url(pregnancy, "status/"), {"to_status": "lost_to_follow_up", "reason": ""})
    assert response.status_code == 200 and response.context["form"].errors["reason"]
    response = client.post(
        case_url(pregnancy, "status/"), {"to_status": "lost_to_follow_up", "reason": "三次电话未接通"}
    )
    assert response.status_code == 302
    pregnancy.refresh_from_db()
    assert pregnancy.status == PregnancyStatus.LOST_TO_FOLLOW_UP


def test_ultrasound_dating_redates_when_the_difference_is_large(client, midwife):
    pregnancy = register(midwife, lmp=timezone.localdate() - dt.timedelta(days=10 * 7))
    client.force_login(midwife)
    scan = timezone.localdate()
    response = client.post(
        case_url(pregnancy, "datings/new/"),
        {"scan_date": scan.isoformat(), "ga_weeks": "8", "ga_days": "0", "reason": "早孕超声 CRL"},
    )
    assert response.status_code == 302
    pregnancy.refresh_from_db()
    assert pregnancy.edd == scan + dt.timedelta(days=280 - 56)
    assert pregnancy.dating_method == "ultrasound"


# --- worklist ---------------------------------------------------------------------------------------


def test_worklist_orders_overdue_first_and_finds_a_woman_by_record_number(client, midwife):
    today = timezone.localdate()
    on_time = register(midwife, name="准时")
    overdue = register(midwife, name="逾期")
    Pregnancy.objects.filter(pk=on_time.pk).update(next_visit_date=today + dt.timedelta(days=3))
    Pregnancy.objects.filter(pk=overdue.pk).update(next_visit_date=today - dt.timedelta(days=5))
    client.force_login(midwife)
    response = client.get("/")
    rows = [row["pregnancy"].pk for row in response.context["rows"]]
    assert rows == [overdue.pk, on_time.pk]
    assert response.context["rows"][0]["overdue"] is True

    response = client.get("/", {"q": overdue.patient.record_number})
    assert [row["pregnancy"].pk for row in response.context["rows"]] == [overdue.pk]
    assert case_url(overdue) in response.content.decode()

    response = client.get("/", {"overdue": "true"})
    assert [row["pregnancy"].pk for row in response.context["rows"]] == [overdue.pk]
    event = AuditEvent.objects.filter(action="list").latest("id")
    assert event.patient_ids == [overdue.patient.external_id]


def test_worklist_is_the_old_home_page_for_non_clinical_roles(client, auditor, supervisor):
    for user in (auditor, supervisor):
        client.force_login(user)
        response = client.get("/")
        assert [t.name for t in response.templates][0] == "core/home.html"


def _seed_worklist(actor, n):
    for i in range(n):
        pregnancy = register(actor, name=f"患者{i}")
        Pregnancy.objects.filter(pk=pregnancy.pk).update(
            risk_color="orange", next_visit_date=timezone.localdate()
        )


@pytest.mark.parametrize("rows", [1, 12])
def test_worklist_query_count_is_constant_in_rows(client, midwife, django_assert_num_queries, rows):
    _seed_worklist(midwife, rows)
    client.force_login(midwife)
    # Warm up: the first request after force_login stamps the session's refresh time (savepoint, session
    # save, release); the requests after it, within SESSION_REFRESH_SECONDS, write nothing.
    client.get("/")
    # 1 the signed-in user (her facility and region joined: the header needs no query of its own), 2 count
    # of the filtered worklist, 3 the page's ids, 4 its rows (woman and managing facility joined, the
    # columns shown only; open tasks sub-selected), 5 her open MDT action items (consult and woman
    # joined), 6 the follow-up windows that need someone (woman and facilities joined; none here: the
    # block is hidden), 7 the list audit row.
    with django_assert_num_queries(7) as captured:
        response = client.get("/")
    assert len(response.context["rows"]) == rows
    assert response.context["followups"] == []  # registered today: the next visits are not due yet
    assert captured


def test_every_kind_of_worklist_row_shows_with_no_query_of_its_own(
    client, midwife, home_facility, other_facility, django_assert_num_queries
):
    """The rows read only the columns they show (``cases.selectors._WORKLIST_ROW``): a row of every kind
    (graded and proposed higher, purple, overdue, undated, postpartum, managed elsewhere, open tasks,
    no EDD) renders without touching a column that was not read."""
    from django.utils.html import escape

    from tests.factories import PatientFactory, PregnancyFactory

    today = timezone.localdate()
    kinds = [
        {
            "risk_color": "yellow",
            "risk_proposed_color": "orange",
            "next_visit_date": today - dt.timedelta(days=3),
        },
        {"risk_color": "red", "purple": True, "next_visit_date": None},
        {"status": PregnancyStatus.POSTPARTUM, "ended_on": today - dt.timedelta(days=5)},
        {"managing_facility": other_facility, "follow_up_facility": home_facility, "risk_color": "green"},
        {"edd": None},
    ]
    made = []
    for fields in kinds:
        made.append(
            PregnancyFactory(
                patient=PatientFactory(birth_date=dt.date(1994, 5, 1)),
                **{"managing_facility": home_facility, **fields},
            )
        )
    CareTask.objects.create(pregnancy=made[0], kind=CareTaskKind.MERGE_REVIEW, facility=home_facility)
    client.force_login(midwife)
    client.get("/")  # warm-up: the first request after sign-in refreshes the session
    with django_assert_num_queries(7):
        response = client.get("/")
    html = response.content.decode()
    assert len(response.context["rows"]) == len(kinds)
    for pregnancy in made:
        assert pregnancy.patient.name in html and pregnancy.patient.record_number in html
    assert escape(other_facility.name) in html  # managed elsewhere
    assert "row-overdue" in html and "badge-purple" in html and "tag-proposed" in html
    assert 'class="tag tag-flag">1<' in html  # the open task


@pytest.mark.parametrize("visits", [1, 15])
def test_case_page_query_count_is_constant_in_visits(client, midwife, django_assert_num_queries, visits):
    pregnancy = register(midwife)
    for i in range(visits):
        services.visit_record(
            actor=midwife,
            pregnancy=pregnancy,
            visited_at=timezone.now() - dt.timedelta(days=i + 1),
            measurements={"sbp_mmhg": 110 + i, "dbp_mmhg": 70},
        )
    client.force_login(midwife)
    # Warm up: the first request after force_login stamps the session's refresh time (savepoint, session
    # save, release); the requests after it, within SESSION_REFRESH_SECONDS, write nothing.
    client.get(case_url(pregnancy))
    # 1 user (her facility and region joined: the header needs no query of its own), 2 the pregnancy through
    # access (woman, facilities and responsible clinician joined, whether she holds a break-the-glass
    # access; the rules are applied to that row), 3 read audit row, 4 open tasks, 5-7 timeline: visits
    # (facility and clinician joined), datings, one probe for deliveries, near misses and deaths (none
    # here, so none of them is read).
    with django_assert_num_queries(7) as captured:
        response = client.get(case_url(pregnancy))
    assert len([i for i in response.context["timeline"] if i["kind"] == "visit"]) == visits
    assert captured


def test_the_timeline_reads_delivery_near_miss_and_death_when_the_probe_finds_them(
    client, midwife, obstetrician, django_assert_num_queries
):
    """The case page probes for the rarer kinds in one statement and reads each one it finds."""
    from cases.services import delivery_record, maternal_death_record, near_miss_record

    pregnancy = register(midwife)
    now = timezone.now()
    delivery_record(
        actor=obstetrician,
        pregnancy=pregnancy,
        delivered_at=now - dt.timedelta(days=3),
        mode="spontaneous_vaginal",
        newborns=[{"outcome": "live_birth", "weight_g": 3200, "sex": "female"}],
    )
    near_miss_record(
        actor=obstetrician, pregnancy=pregnancy, occurred_at=now - dt.timedelta(days=2), criteria=["gasping"]
    )
    maternal_death_record(
        actor=obstetrician, pregnancy=pregnancy, died_at=now - dt.timedelta(days=1), cause="Amniotic embolism"
    )
    client.force_login(midwife)
    client.get(case_url(pregnancy))  # warm-up: the first request after sign-in refreshes the session
    # The 7 of an ordinary record, plus the delivery (facility joined), its newborns, the near miss and
    # the death.
    with django_assert_num_queries(11):
        response = client.get(case_url(pregnancy))
    kinds = [item["kind"] for item in response.context["timeline"] if item["kind"] not in ("visit", "dating")]
    assert kinds == ["death", "near_miss", "delivery"]  # newest first
    html = response.content.decode()
    assert "Amniotic embolism" in html and "Gasping" in html


def test_worklist_links_are_the_case_pages(client, midwife):
    """Each row links to its woman's case page (``_case_url_maker``: reversed once per page)."""
    from django.urls import reverse

    _seed_worklist(midwife, 3)
    client.force_login(midwife)
    response = client.get("/")
    rows = response.context["rows"]
    assert len(rows) == 3
    body = response.content.decode()
    for row in rows:
        url = reverse("cases:pregnancy_detail", args=[row["pregnancy"].external_id])
        assert row["url"] == url
        assert f'href="{url}"' in body
