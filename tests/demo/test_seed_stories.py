"""``seed_demo`` stories: curated women created through the services — present, consistent with the rules,
idempotent, visible on the demo obstetrician's worklist, and compatible with ``--pregnancies N``.

As in ``test_seed_demo``, the region is seeded once per module inside a transaction rolled back at the end;
each test runs in its own savepoint within it.
"""

import io

import pytest
from django.core.management import call_command
from django.db import transaction

from accounts.models import User
from audit.models import AuditEvent
from cases.access import pregnancies_visible_to
from cases.choices import CareTaskKind, CareTaskStatus
from cases.models import CareTask, Delivery, Newborn, Patient, Pregnancy, Visit
from consults.choices import ActionStatus, ConsultStatus, ConsultUrgency
from consults.models import ActionItem, Consult, Participant
from consults.services import consult_conclude, opinion_record
from core.errors import InvalidTransition
from demo.builders.stories import ALL_STORIES
from facilities.models import Facility
from notifications.choices import AlertKind
from notifications.models import Alert
from referrals.choices import ReferralStatus, Urgency
from referrals.models import Referral
from reminders.choices import FollowUpStatus
from reminders.models import FollowUp
from risk.choices import AssessmentStatus, CaseManagementStatus, Stage
from risk.models import CaseManagement, ObservationSet, RiskAssessment, RiskReport
from tests.reference import ensure_national_catalogue

COUNTY, CITY = "DEMO-450126-PH", "DEMO-450100-MCH"
MODELS = (
    Patient,
    Pregnancy,
    Visit,
    Delivery,
    Newborn,
    RiskAssessment,
    CaseManagement,
    RiskReport,
    Referral,
    Consult,
    Participant,
    ActionItem,
    ObservationSet,
    FollowUp,
    Alert,
    AuditEvent,
)


def seed(**options) -> str:
    out = io.StringIO()
    call_command("seed_demo", "--no-progress", stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """(output of the first run, row counts after it), rolled back after the module."""
    with django_db_blocker.unblock():
        ensure_national_catalogue()  # set up before the per-test fixture that reloads it after a flush
    with django_db_blocker.unblock(), transaction.atomic():
        output = seed()
        yield output, row_counts()
        transaction.set_rollback(True)


@pytest.fixture
def pregnancies(seeded, db):
    return list(Pregnancy.objects.select_related("patient", "managing_facility"))


def test_every_story_woman_is_created_and_the_summary_line_says_so(seeded, pregnancies):
    output, _ = seeded
    assert f"demo stories (women): {len(ALL_STORIES)} created" in output
    assert f"Demo stories: {len(ALL_STORIES)} women (" in output and "1 red" in output
    assert 25 <= len(ALL_STORIES) <= 40
    assert len(pregnancies) == Patient.objects.count() == len(ALL_STORIES)
    demo_facilities = set(Facility.objects.filter(code__startswith="DEMO-").values_list("pk", flat=True))
    assert {p.patient.registered_facility_id for p in pregnancies} <= demo_facilities
    assert all(p.patient.name and not p.patient.name.startswith("Unknown") for p in pregnancies)


def test_colours_have_realistic_proportions(pregnancies):
    graded = [p for p in pregnancies if p.risk_color]
    rank = {"green": 0, "yellow": 1, "orange": 2, "red": 3}
    yellow_up = sum(rank[p.risk_color] >= 1 for p in graded)
    orange_up = sum(rank[p.risk_color] >= 2 for p in graded)
    assert 0.4 <= yellow_up / len(pregnancies) <= 0.7
    assert 0.05 <= orange_up / len(pregnancies) <= 0.2
    assert {p.risk_color for p in graded} == set(rank)
    assert any(p.purple for p in pregnancies)
    ungraded = [p for p in pregnancies if not p.risk_color]
    assert len(ungraded) == 1
    assert CareTask.objects.filter(
        pregnancy=ungraded[0], kind=CareTaskKind.GRADING_DUE, status=CareTaskStatus.OPEN
    ).exists()
    assert RiskAssessment.objects.get(pregnancy=ungraded[0]).screening_positive


def test_every_grade_stands_on_a_confirmed_assessment_and_sets_its_consequences(pregnancies):
    for pregnancy in pregnancies:
        if not pregnancy.risk_color:
            continue
        current = RiskAssessment.objects.filter(
            pregnancy=pregnancy, status=AssessmentStatus.CONFIRMED, stage=Stage.ASSESSMENT
        ).get()
        assert (current.color, current.purple) == (pregnancy.risk_color, pregnancy.purple), pregnancy.pk
        high_risk = pregnancy.risk_color in ("orange", "red") or pregnancy.purple
        case = CaseManagement.objects.filter(pregnancy=pregnancy, status=CaseManagementStatus.OPEN).first()
        assert (case is not None) == high_risk == pregnancy.under_case_management, pregnancy.pk
        if pregnancy.risk_color in ("orange", "red"):
            assert RiskReport.objects.filter(pregnancy=pregnancy).exists()
            assert Alert.objects.filter(pregnancy=pregnancy, kind=AlertKind.HIGH_RISK_GRADE).exists()
    assert not RiskAssessment.objects.filter(status=AssessmentStatus.PENDING_COSIGN).exists()


def test_the_red_womans_emergency_referral_waits_and_the_centre_can_read_her_record(pregnancies):
    red = Pregnancy.objects.get(risk_color="red")
    referral = Referral.objects.get(pregnancy=red, status=ReferralStatus.REQUESTED)
    assert referral.urgency == Urgency.EMERGENCY
    assert (referral.from_facility.code, referral.to_facility.code) == (COUNTY, CITY)
    receiver = User.objects.get(username="ob3.nanning.mch")  # no part in any story: the facility grant
    assert pregnancies_visible_to(receiver).filter(pk=red.pk).exists()
    assert Alert.objects.filter(kind=AlertKind.REFERRAL_REQUESTED, pregnancy=red, resolved_at=None).exists()
    assert Consult.objects.get(pregnancy=red).status == ConsultStatus.REQUESTED


def test_referrals_cover_every_step_of_the_loop(seeded, db):
    statuses = set(Referral.objects.values_list("status", flat=True))
    assert {ReferralStatus.REQUESTED, ReferralStatus.ARRIVED, ReferralStatus.COMPLETED} <= statuses
    completed = Referral.objects.get(status=ReferralStatus.COMPLETED)
    assert completed.return_findings and completed.return_disposition
    pregnancy = completed.pregnancy
    assert pregnancy.managing_facility_id == completed.to_facility_id
    down = Referral.objects.get(pregnancy=pregnancy, direction="down")
    assert down.purpose == "postpartum_follow_up" and down.to_facility.code == COUNTY
    assert Newborn.objects.filter(delivery__pregnancy=pregnancy).exists()


def test_consultations_requested_scheduled_and_concluded(seeded, db):
    by_status = {c.status: c for c in Consult.objects.all()}
    assert set(by_status) == {ConsultStatus.REQUESTED, ConsultStatus.SCHEDULED, ConsultStatus.CONCLUDED}
    assert by_status[ConsultStatus.REQUESTED].urgency == ConsultUrgency.EMERGENCY
    scheduled = by_status[ConsultStatus.SCHEDULED]
    hospitals = {p.user.facility_id for p in scheduled.participants.select_related("user")}
    assert len(hospitals) >= 2
    concluded = by_status[ConsultStatus.CONCLUDED]
    assert concluded.opinions.count() >= 2 and concluded.decision
    owners = {a.owner.username for a in concluded.actions.filter(status=ActionStatus.OPEN)}
    assert owners == {"obstetrician", "midwife"}


def test_a_concluded_consultation_cannot_change(seeded, db):
    consult = Consult.objects.get(status=ConsultStatus.CONCLUDED)
    hem = User.objects.get(username="hem.nanning.mch")
    with pytest.raises(InvalidTransition):
        opinion_record(actor=hem, consult=consult, specialty="hematology", text="另一意见")
    with pytest.raises(InvalidTransition):
        consult_conclude(
            actor=consult.requested_by,
            consult=consult,
            recommendations="改变",
            decision_kind="other",
            decision="改变",
        )
    consult.refresh_from_db()
    assert consult.status == ConsultStatus.CONCLUDED and "改变" not in consult.decision


def test_follow_up_meows_and_emergency_stories(seeded, db):
    assert FollowUp.objects.filter(status=FollowUpStatus.OVERDUE).exists()
    triggered = ObservationSet.objects.get(triggered=True)
    assert Alert.objects.filter(kind=AlertKind.MEOWS_TRIGGER, pregnancy=triggered.pregnancy).exists()
    emergency = Pregnancy.objects.get(is_emergency_registration=True)
    assert emergency.pk == triggered.pregnancy_id and emergency.risk_provisional
    assert Delivery.objects.filter(facility__code=COUNTY).exists()


def test_dashboard_counters_equal_a_recount_after_seeding(seeded, db):
    out = io.StringIO()
    call_command("dashboard_counters", "--check", stdout=out, stderr=io.StringIO())
    assert "equal a recount" in out.getvalue()


def test_a_rerun_tells_no_story_twice(seeded, db):
    _, first_counts = seeded
    output = seed()
    assert row_counts() == first_counts
    assert f"demo stories (women): {len(ALL_STORIES)} unchanged" in output
    assert "created" not in output


def test_no_stories_skips_them(seeded, db):
    before = row_counts()
    output = seed(no_stories=True)
    assert "demo stories" not in output
    assert row_counts() == before


def test_the_demo_obstetricians_worklist_shows_her_women(client, seeded, db):
    obstetrician = User.objects.get(username="obstetrician")
    client.force_login(obstetrician)
    response = client.get("/")
    assert response.status_code == 200
    page = response.content.decode()
    county_women = Patient.objects.filter(pregnancies__managing_facility__code=COUNTY).distinct()
    assert county_women.count() >= 15
    shown = [w.name for w in county_women if w.name in page]
    assert len(shown) >= 10
    assert "复查血常规" in page  # her open MDT action item


def test_stories_count_towards_a_bulk_cohort(seeded, db):
    stories = Pregnancy.objects.count()
    output = seed(pregnancies=stories + 40, jobs=1)
    assert Pregnancy.objects.count() == stories + 40
    assert f"demo stories (women): {len(ALL_STORIES)} unchanged" in output
    again = seed(pregnancies=stories + 40, jobs=1)
    assert Pregnancy.objects.count() == stories + 40 and "none added" in again
    numbers = [n for n in Patient.objects.values_list("id_number", flat=True) if n]
    assert len(numbers) == len(set(numbers))
