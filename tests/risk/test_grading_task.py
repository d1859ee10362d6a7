"""A positive screening opens a "grading due" task and alert; the five-colour grade that answers it closes
both, in the grade's own transaction (a grade that rolls back leaves the task open)."""

import pytest
from django.db import transaction

from accounts.choices import Role, Title
from audit.models import AuditEvent
from cases.models import CareTask
from facilities.choices import Tier
from notifications.models import Alert
from risk.services import risk_assessment_create
from tests.factories import FacilityFactory, PregnancyFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def screened(county):
    township = FacilityFactory(township=True, region=county)
    screener = UserFactory(facility=township, roles=[Role.MIDWIFE])
    pregnancy = PregnancyFactory(managing_facility=township)
    risk_assessment_create(actor=screener, pregnancy=pregnancy, criteria=["S-OBHX-CS"], stage="screening")
    assert CareTask.objects.get(pregnancy=pregnancy, kind="grading_due").status == "open"
    return pregnancy


@pytest.fixture
def grader(county):
    hospital = FacilityFactory(tier=Tier.SECONDARY, region=county)
    return UserFactory(facility=hospital, roles=[Role.OBSTETRICIAN], title=Title.ATTENDING)


def test_confirmed_grade_closes_the_grading_task_and_its_alert(screened, grader):
    risk_assessment_create(actor=grader, pregnancy=screened, criteria=[], measurements={"hb_g_l": 50})
    task = CareTask.objects.get(pregnancy=screened, kind="grading_due")
    assert (task.status, task.done_by) == ("done", grader)
    assert Alert.objects.get(kind="grading_due", pregnancy=screened).status == "resolved"
    audited = AuditEvent.objects.get(object_id=str(task.external_id), action="transition")
    assert audited.actor == grader


def test_a_rolled_back_grade_leaves_the_grading_task_open(screened, grader):
    with pytest.raises(RuntimeError), transaction.atomic():
        risk_assessment_create(actor=grader, pregnancy=screened, criteria=[], measurements={"hb_g_l": 50})
        raise RuntimeError("the grade failed after confirming")
    assert CareTask.objects.get(pregnancy=screened, kind="grading_due").status == "open"
    assert Alert.objects.get(kind="grading_due", pregnancy=screened).status == "pending"


def test_a_second_screening_does_not_close_the_task(screened, county):
    other = UserFactory(facility=screened.managing_facility, roles=[Role.MIDWIFE])
    risk_assessment_create(actor=other, pregnancy=screened, criteria=["S-OBHX-CS"], stage="screening")
    assert CareTask.objects.filter(pregnancy=screened, kind="grading_due", status="open").count() == 1
