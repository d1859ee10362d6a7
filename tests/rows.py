"""Rows about a woman, made directly for tests that need one of each kind: a referral, a consult, a care
task, a case management and her follow-up window. Each takes ``(pregnancy, facility, clinician)``: the
facility the row points to (referred to, coordinating, the task's) and the clinician who owns it."""

import datetime as dt

from django.utils import timezone

from cases.models import CareTask
from consults.models import Consult
from referrals.models import Referral
from reminders.models import FollowUp
from reminders.services import followup_recompute
from risk.models import CaseManagement


def referral(pregnancy, to_facility, clinician, *, from_facility=None, hours_ago: float = 1) -> Referral:
    """An urgent up-referral, requested ``hours_ago``, from her managing facility unless ``from_facility``."""
    when = timezone.now() - dt.timedelta(hours=hours_ago)
    return Referral.objects.create(
        pregnancy=pregnancy,
        from_facility=from_facility or pregnancy.managing_facility,
        to_facility=to_facility,
        direction="up",
        urgency="urgent",
        reason="Severe pre-eclampsia",
        sending_clinician=clinician,
        requested_at=when,
        clock_started_at=when,
    )


def consult(pregnancy, coordinating_facility, clinician) -> Consult:
    return Consult.objects.create(
        pregnancy=pregnancy,
        requested_by=clinician,
        requesting_facility=pregnancy.managing_facility,
        coordinating_facility=coordinating_facility,
        urgency="routine",
        status="requested",
        question="Continue or terminate?",
        specialties=["cardiology"],
        requested_at=timezone.now(),
    )


def care_task(pregnancy, facility, clinician=None) -> CareTask:
    return CareTask.objects.create(
        pregnancy=pregnancy, kind="visit", facility=facility, due_at=timezone.now()
    )


def case_management(pregnancy, facility, clinician) -> CaseManagement:
    return CaseManagement.objects.create(pregnancy=pregnancy, manager=clinician, opened_at=timezone.now())


def follow_up(pregnancy, facility=None, clinician=None) -> FollowUp:
    """Her window as the application opens it (``followup_recompute``: the facilities as it sees them)."""
    pregnancy.edd = timezone.localdate() + dt.timedelta(days=140)
    pregnancy.booked_on = timezone.localdate()
    pregnancy.save(update_fields=["edd", "booked_on"])
    followup_recompute(pregnancy=pregnancy)
    return FollowUp.objects.exclude(status="closed").get(pregnancy=pregnancy)
