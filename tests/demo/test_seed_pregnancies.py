"""``seed_demo --pregnancies N``: the synthetic cohort's counts, mix, identities, dating, visits, deliveries,
tasks, idempotence, determinism, and the access rules applied to seeded rows.

As in ``test_seed_demo``, the region and 300 pregnancies are seeded once per module inside a transaction
that is rolled back at the end; each test runs in its own savepoint within it.
"""

import datetime as dt
import io
import json
import re
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from accounts.choices import Role
from accounts.models import User
from audit.models import AuditEvent
from cases.access import pregnancies_visible_to
from cases.choices import CareTaskKind, CareTaskStatus, PregnancyStatus, VisitKind
from cases.dating import gestational_age
from cases.identity import parse_resident_id
from cases.models import (
    CareTask,
    Delivery,
    MaternalDeath,
    Newborn,
    Patient,
    Pregnancy,
    PregnancyDating,
    Visit,
)
from demo.geography import PROVINCE
from facilities.models import Facility
from reminders.models import FollowUp, ReminderMessage
from tests.reference import ensure_national_catalogue

N = 300
SEED = 7
NOW = timezone.now().replace(microsecond=0)
S = PregnancyStatus
COUNTY_CODES = {county.code for city in PROVINCE.cities for county in city.counties}
CASE_TABLES = (
    "reminders_remindermessage",
    "reminders_followup",
    "cases_newborn",
    "cases_delivery",
    "cases_visit",
    "cases_pregnancydating",
    "cases_caretask",
    "cases_nearmissevent",
    "cases_maternaldeath",
    "cases_pregnancy",
    "cases_patient",
)


def seed(tmp_path, pregnancies=N, name="summary.json") -> tuple[dict, str]:
    path = tmp_path / name
    out = io.StringIO()
    call_command(
        "seed_demo",
        "--no-progress",
        "--no-stories",  # the cohort alone (no audit rows, exact counts); stories: test_seed_stories
        "--no-care",  # ungraded: the grades, referrals, consults and alerts are tested in test_seed_care
        seed=SEED,
        now=NOW.isoformat(),
        pregnancies=pregnancies,
        summary_json=str(path),
        stdout=out,
        stderr=io.StringIO(),
    )
    return json.loads(path.read_text(encoding="utf-8")), out.getvalue()


def row_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            Patient,
            Pregnancy,
            PregnancyDating,
            Visit,
            Delivery,
            Newborn,
            CareTask,
            MaternalDeath,
            FollowUp,
            ReminderMessage,
        )
    }


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, tmp_path_factory):
    """(summary, output, counts after the first run, tmp dir), rolled back after the module."""
    tmp_path = tmp_path_factory.mktemp("seed_pregnancies")
    with django_db_blocker.unblock():
        ensure_national_catalogue()  # set up before the per-test fixture that reloads it after a flush
    with django_db_blocker.unblock(), transaction.atomic():
        audit_rows = AuditEvent.objects.count()
        summary, output = seed(tmp_path)
        assert AuditEvent.objects.count() == audit_rows  # a synthetic seed is not a clinical action
        yield summary, output, row_counts(), tmp_path
        transaction.set_rollback(True)


@pytest.fixture
def summary(seeded, db):
    return seeded[0]


@pytest.fixture
def pregnancies(seeded, db):
    return list(
        Pregnancy.objects.select_related(
            "patient__residence_region", "managing_facility", "follow_up_facility", "booking_facility"
        )
    )


def local_date(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


def test_summary_counts_the_pregnancies_without_listing_them(summary):
    assert set(summary) == {"facilities", "users", "pregnancies"}
    assert set(summary["pregnancies"]) == {"total", "by_status"}
    assert summary["pregnancies"]["total"] == N == sum(summary["pregnancies"]["by_status"].values())
    assert summary["pregnancies"]["by_status"] == dict(
        Counter(Pregnancy.objects.values_list("status", flat=True))
    )


def test_counts_and_rows_per_table_are_reported(seeded):
    _, output, counts, _ = seeded
    assert counts["Pregnancy"] == N
    # one woman in 21 pregnancies has an earlier pregnancy as well
    assert counts["Patient"] == N - round(N / 21)
    assert counts["PregnancyDating"] == N
    assert f"pregnancies: {N} created" in output and f"visits: {counts['Visit']} created" in output
    assert re.search(r"Added 300 pregnancies of \d+ women in [\d.]+ s", output)


def test_status_mix_is_roughly_as_specified(pregnancies):
    share = {status: n / N for status, n in Counter(p.status for p in pregnancies).items()}
    assert 0.65 <= share[S.ACTIVE] <= 0.85
    assert 0.09 <= share[S.POSTPARTUM] <= 0.21
    assert 0.03 <= share[S.CLOSED] <= 0.14
    assert share.get(S.LOST_TO_FOLLOW_UP, 0) <= 0.04
    assert share.get(S.TRANSFERRED_OUT, 0) <= 0.03
    assert share.get(S.MATERNAL_DEATH, 0) <= 0.01
    assert all(p.risk_color is None and not p.purple for p in pregnancies)  # --no-care: see test_seed_care


def test_every_resident_id_validates_matches_her_birth_date_and_is_unique(seeded, db):
    women = list(Patient.objects.select_related("residence_region"))
    with_id = [w for w in women if w.id_number]
    assert 0.75 <= len(with_id) / len(women) <= 0.95
    assert len({w.id_number for w in with_id}) == len(with_id)
    for woman in with_id:
        parsed = parse_resident_id(woman.id_number)
        assert parsed.number == woman.id_number
        assert parsed.birth_date == woman.birth_date
        assert parsed.is_female
        assert parsed.region_code in COUNTY_CODES
        assert parsed.region_code == woman.residence_region.code


def test_women_are_of_childbearing_age_with_mainland_mobiles(seeded, db):
    today = local_date(NOW)
    for woman in Patient.objects.all():
        age = (today - woman.birth_date).days // 365.25
        assert 16 <= age <= 45, woman.birth_date
        assert woman.phone == "" or re.fullmatch(r"\+861[3-9]\d{9}", woman.phone)
        assert woman.is_unidentified == (woman.phone == "" and woman.birth_date_estimated)
        assert not (woman.is_unidentified and (woman.id_number or woman.document_number))


def test_record_numbers_are_permanent_or_temporary_for_emergency_arrivals(pregnancies):
    for p in pregnancies:
        prefix = "TMP" if p.is_emergency_registration else "MS"
        assert re.fullmatch(rf"{prefix}20\d\d\d{{7,}}", p.patient.record_number), p.patient.record_number
        if p.is_emergency_registration:
            assert p.arrived_at is not None and p.chief_complaint and p.dating_method == "estimate"
            assert p.lmp is None


def test_para_is_below_gravida_and_twins_are_rare(pregnancies):
    assert all(0 <= p.para < p.gravida for p in pregnancies)
    assert sum(p.fetuses == 2 for p in pregnancies) <= 0.05 * N
    assert {p.fetuses for p in pregnancies} <= {1, 2}


def test_each_woman_has_at_most_one_open_pregnancy_and_earlier_ones_are_closed(pregnancies):
    by_woman = Counter(p.patient_id for p in pregnancies if p.is_open)
    assert max(by_woman.values()) == 1
    by_woman_all = Counter(p.patient_id for p in pregnancies)
    for p in pregnancies:
        if (
            by_woman_all[p.patient_id] == 2
            and p.ended_on
            and p.ended_on < local_date(NOW) - dt.timedelta(days=365)
        ):
            assert p.status == S.CLOSED and p.outcome == "delivery"


def test_dates_follow_from_the_edd(pregnancies):
    today = local_date(NOW)
    for p in pregnancies:
        assert p.booked_on <= today
        assert p.lmp is None or p.lmp == p.edd - dt.timedelta(days=280)
        if p.status == S.ACTIVE:
            assert 6 * 7 <= gestational_age(p.edd, today).total_days <= 41 * 7 + 6
            assert p.next_visit_date is not None and p.outcome == "" and p.ended_on is None
        if p.status == S.POSTPARTUM:
            assert p.outcome == "delivery" and 0 <= (today - p.ended_on).days <= 41
        if p.status == S.CLOSED:
            assert p.closed_on is not None and p.ended_on < p.closed_on <= today
    active = [p for p in pregnancies if p.status == S.ACTIVE]
    booked_early = sum(gestational_age(p.edd, p.booked_on).total_days < 13 * 7 for p in pregnancies)
    assert booked_early / N >= 0.6  # most women book before 13 weeks
    assert any(p.next_visit_date < today for p in active)  # some are overdue
    assert any(p.next_visit_date >= today for p in active)


def test_one_adopted_dating_per_pregnancy_gives_its_edd(pregnancies):
    datings = {d.pregnancy_id: d for d in PregnancyDating.objects.all()}
    assert len(datings) == len(pregnancies)
    methods = Counter()
    for p in pregnancies:
        dating = datings[p.pk]
        assert dating.adopted and dating.computed_edd == p.edd and dating.method == p.dating_method
        methods[dating.method] += 1
    assert methods["lmp"] > methods["ultrasound"] > 0


def test_visit_gestational_age_matches_its_date_and_the_edd(pregnancies):
    by_id = {p.pk: p for p in pregnancies}
    counts = Counter()
    for visit in Visit.objects.all():
        p = by_id[visit.pregnancy_id]
        counts[visit.pregnancy_id] += 1
        assert visit.visited_at <= NOW
        if visit.kind in (VisitKind.ANTENATAL, VisitKind.EMERGENCY):
            assert visit.ga_days == gestational_age(p.edd, local_date(visit.visited_at)).total_days
            assert visit.facility_id in (p.managing_facility_id, p.booking_facility_id)
            assert p.ended_on is None or local_date(visit.visited_at) <= p.ended_on
            assert 90 <= visit.sbp_mmhg <= 180 and visit.dbp_mmhg < visit.sbp_mmhg
        else:
            assert visit.ga_days is None and local_date(visit.visited_at) > p.ended_on
        assert visit.clinician is None or visit.clinician.facility_id == visit.facility_id
    assert all(1 <= counts[p.pk] <= 20 for p in pregnancies)
    delivered = [
        counts[p.pk] for p in pregnancies if p.outcome == "delivery" and not p.is_emergency_registration
    ]
    assert 8 <= sum(delivered) / len(delivered) <= 14


def test_deliveries_exist_exactly_for_delivered_pregnancies(pregnancies):
    deliveries = {d.pregnancy_id: d for d in Delivery.objects.prefetch_related("newborns")}
    delivered = {p.pk for p in pregnancies if p.outcome == "delivery"}
    assert set(deliveries) == delivered
    by_id = {p.pk: p for p in pregnancies}
    for pk, delivery in deliveries.items():
        p = by_id[pk]
        assert local_date(delivery.delivered_at) == p.ended_on
        assert delivery.ga_days == gestational_age(p.edd, p.ended_on).total_days
        assert len(delivery.newborns.all()) == p.fetuses
        assert delivery.discharged_at is None or delivery.delivered_at < delivery.discharged_at <= NOW
        assert bool(delivery.complications) == (delivery.blood_loss_ml >= 1000)
    modes = Counter(d.mode for d in deliveries.values())
    caesareans = modes["caesarean_elective"] + modes["caesarean_emergency"]
    assert 0.25 <= caesareans / len(deliveries) <= 0.55


def test_maternal_deaths_exist_exactly_for_maternal_death_pregnancies(pregnancies):
    died = {p.pk for p in pregnancies if p.status == S.MATERNAL_DEATH}
    assert set(MaternalDeath.objects.values_list("pregnancy_id", flat=True)) == died


def test_open_pregnancies_with_unknown_infection_status_have_one_pmtct_task(pregnancies):
    tasks = Counter(
        CareTask.objects.filter(
            kind=CareTaskKind.PMTCT_TESTS_PENDING, status=CareTaskStatus.OPEN
        ).values_list("pregnancy_id", flat=True)
    )
    for p in pregnancies:
        unknown = "unknown" in (p.hiv_status, p.syphilis_status, p.hbv_status)
        assert tasks[p.pk] == (1 if unknown and p.is_open else 0), p.pk
    assert sum(p.hbv_status == "positive" for p in pregnancies) <= 0.15 * N


def test_women_live_in_the_county_of_their_facilities(pregnancies):
    first_booking = {}
    for p in sorted(pregnancies, key=lambda p: p.booked_on):
        first_booking.setdefault(p.patient_id, p.booking_facility_id)
    for p in pregnancies:
        county = p.follow_up_facility.region_code
        assert p.follow_up_facility.tier == "primary" and p.patient.residence_region.code == county
        assert p.managing_facility.region_code in {county, county[:4] + "00", county[:2] + "0000"}
        assert p.patient.registered_facility_id == first_booking[p.patient_id]
    tiers = Counter(p.managing_facility.tier for p in pregnancies)
    assert tiers["secondary"] + tiers["tertiary"] >= 0.7 * N
    assert sum(p.booking_facility.tier == "primary" for p in pregnancies) >= 0.25 * N


def test_responsible_clinician_is_an_obstetrician_of_the_managing_facility(pregnancies):
    clinicians = {
        u.pk: u for u in User.objects.filter(pk__in=[p.responsible_clinician_id for p in pregnancies])
    }
    for p in pregnancies:
        clinician = clinicians[p.responsible_clinician_id]
        assert Role.OBSTETRICIAN in clinician.roles and clinician.facility_id == p.managing_facility_id


@pytest.mark.parametrize(
    "code", ["DEMO-450126-PH", "DEMO-450126-BINZHOU", "DEMO-450100-MCH", "DEMO-450305-DONGJIANG"]
)
def test_an_obstetrician_sees_exactly_the_pregnancies_managed_or_followed_up_at_her_facility(
    code, pregnancies
):
    facility = Facility.objects.get(code=code)
    obstetrician = User.objects.filter(facility=facility, roles__contains=[Role.OBSTETRICIAN]).first()
    expected = {p.pk for p in pregnancies if facility.pk in (p.managing_facility_id, p.follow_up_facility_id)}
    assert expected
    assert set(pregnancies_visible_to(obstetrician).values_list("pk", flat=True)) == expected


def test_every_open_pregnancy_has_the_window_a_recomputation_would_open(seeded, db):
    from reminders.services import followup_recompute

    _, output, counts, _ = seeded
    open_ = Pregnancy.objects.filter(status__in=[S.ACTIVE, S.POSTPARTUM])
    windows = FollowUp.objects.exclude(status="closed")
    assert counts["FollowUp"] == windows.count() == open_.count() > 0
    assert not FollowUp.objects.filter(pregnancy__status__in=[S.CLOSED, S.LOST_TO_FOLLOW_UP]).exists()
    assert f"follow-up windows: {counts['FollowUp']} created" in output
    assert {"antenatal", "postpartum"} <= set(windows.values_list("kind", flat=True))
    assert len(set(windows.values_list("status", flat=True))) > 1  # missed visits are already overdue
    assert not windows.filter(status="lost_proposed").exists()  # the backfill never proposes
    for window in windows.select_related("pregnancy__managing_facility").order_by("pk")[:25]:
        assert followup_recompute(pregnancy=window.pregnancy, now=NOW).pk == window.pk


def test_rerunning_with_the_same_number_adds_nothing(seeded, db):
    _, _, counts, tmp_path = seeded
    again, output = seed(tmp_path, name="again.json")
    assert row_counts() == counts
    assert again["pregnancies"]["total"] == N
    assert "none added" in output and "pregnancies: 300 unchanged" in output


def test_a_larger_number_adds_only_the_missing_pregnancies(seeded, db):
    _, _, counts, tmp_path = seeded
    audit_rows = AuditEvent.objects.count()
    more, _ = seed(tmp_path, pregnancies=N + 42, name="more.json")
    assert more["pregnancies"]["total"] == Pregnancy.objects.count() == N + 42
    assert AuditEvent.objects.count() == audit_rows
    ids = [n for n in Patient.objects.values_list("id_number", flat=True) if n]
    assert len(ids) == len(set(ids))  # new numbers go above those already stored


def test_the_same_seed_gives_the_same_cohort(seeded, db):
    def fingerprint():
        rows = Pregnancy.objects.order_by("pk").values_list(
            "patient__name",
            "patient__birth_date",
            "patient__id_number",
            "status",
            "edd",
            "booked_on",
            "managing_facility__code",
            "gravida",
            "para",
        )
        return list(rows), Visit.objects.count(), Delivery.objects.count()

    first = fingerprint()
    with connection.cursor() as cursor:
        for table in CASE_TABLES:
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
    seed(seeded[3], name="again.json")
    assert fingerprint() == first
