"""Fixtures of the audit tests: two women of the obstetrician's facility with a row in every list, one
woman elsewhere, and a facility administrator who reviews emergency accesses."""

import datetime as dt

import pytest
from django.utils import timezone

from accounts.choices import Role
from cases.models import BreakGlassAccess
from consults.models import ActionItem
from notifications.models import Alert, InboxItem
from risk.models import CatalogueVersion, RiskAssessment, RiskReport
from tests.factories import FacilityFactory, PregnancyFactory, UserFactory
from tests.rows import care_task, case_management, consult, referral


@pytest.fixture
def reviewer(home_facility):
    return UserFactory(username="head", facility=home_facility, roles=[Role.FACILITY_ADMIN])


@pytest.fixture
def women(home_facility, obstetrician, midwife):
    """Two women of the obstetrician's facility, each with one row in every list (the first with two
    inbox items, so that she is named once), and one woman elsewhere with rows the obstetrician may not
    see."""
    now = timezone.now()
    elsewhere = FacilityFactory()
    first, second = (PregnancyFactory(managing_facility=home_facility) for _ in range(2))
    hidden = PregnancyFactory(managing_facility=elsewhere)
    for number, pregnancy in enumerate((first, second, hidden)):
        owner = obstetrician if pregnancy is not hidden else UserFactory(facility=elsewhere)
        facility = pregnancy.managing_facility
        referral(pregnancy, FacilityFactory(), owner, hours_ago=0)
        the_consult = consult(pregnancy, facility, owner)
        if pregnancy is not hidden:
            ActionItem.objects.create(consult=the_consult, owner=obstetrician, text="Echo", due=now.date())
        care_task(pregnancy, facility)
        case_management(pregnancy, facility, owner)
        alert = Alert.objects.create(
            kind="referral_requested",
            dedup_key=f"list-audit:{number}",
            severity="urgent",
            status="delivered",
            facility=facility,
            pregnancy=pregnancy,
            due_at=now,
        )
        if pregnancy is not hidden:
            InboxItem.objects.create(alert=alert, user=obstetrician)
            if pregnancy is first:
                again = Alert.objects.create(
                    kind="visit_overdue",
                    dedup_key="list-audit:again",
                    severity="warning",
                    status="delivered",
                    facility=facility,
                    pregnancy=pregnancy,
                    due_at=now,
                )
                InboxItem.objects.create(alert=again, user=obstetrician)
        assessment = RiskAssessment.objects.create(
            pregnancy=pregnancy,
            catalogue_version=CatalogueVersion.objects.order_by("id").first(),
            status="confirmed",
            proposed_color="red",
            color="red",
            facility=facility,
            assessed_by=owner,
            confirmed_at=now,
        )
        RiskReport.objects.create(
            pregnancy=pregnancy,
            assessment=assessment,
            color="red",
            region=facility.region,
            facility=facility,
            due_at=now + dt.timedelta(hours=24),
            confirmed_at=now,
        )
        BreakGlassAccess.objects.create(
            user=midwife if pregnancy is not hidden else owner,
            pregnancy=pregnancy,
            reason="Night emergency",
            expires_at=now + dt.timedelta(hours=4),
        )
    return first, second, hidden
