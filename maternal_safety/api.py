"""The API router: every endpoint under ``/api/v1/``."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from accounts.api.views import MeView, TokenView
from audit.api.views import AuditEventViewSet
from cases.api.views import (
    BreakGlassAccessViewSet,
    CareTaskViewSet,
    EmergencyRegistrationView,
    PatientViewSet,
    PregnancyViewSet,
)
from consults.api.views import ActionItemViewSet, ConsultCalendarView, ConsultViewSet, InvitationViewSet
from core.api.views import HealthView
from dashboards.api.views import DashboardSeriesView, DashboardSummaryView, DashboardTimelinessView
from facilities.api.views import FacilityViewSet
from notifications.api.views import NotificationViewSet
from referrals.api.views import ReferralViewSet
from reminders.api.views import FollowUpViewSet
from risk.api.views import (
    AssessmentCosignView,
    CaseManagementViewSet,
    CriteriaView,
    GradeView,
    ObservationsView,
    PregnancyAssessmentsView,
    RiskReportViewSet,
)

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("facilities", FacilityViewSet, basename="facility")
router.register("patients", PatientViewSet, basename="patient")
router.register("pregnancies", PregnancyViewSet, basename="pregnancy")
router.register("care-tasks", CareTaskViewSet, basename="care-task")
router.register("break-glass", BreakGlassAccessViewSet, basename="break-glass")
router.register("audit-events", AuditEventViewSet, basename="audit-event")
router.register("case-management", CaseManagementViewSet, basename="case-management")
router.register("referrals", ReferralViewSet, basename="referral")
router.register("consults", ConsultViewSet, basename="consult")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("invitations", InvitationViewSet, basename="invitation")
router.register("consult-actions", ActionItemViewSet, basename="consult-action")
router.register("risk/reports", RiskReportViewSet, basename="risk-report")
router.register("follow-ups", FollowUpViewSet, basename="follow-up")

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="auth-token"),
    path("me/", MeView.as_view(), name="me"),
    path("health/", HealthView.as_view(), name="health"),
    path("dashboard/summary/", DashboardSummaryView.as_view(), name="dashboard-summary"),
    path("dashboard/timeliness/", DashboardTimelinessView.as_view(), name="dashboard-timeliness"),
    path("dashboard/series/", DashboardSeriesView.as_view(), name="dashboard-series"),
    path("emergency-registrations/", EmergencyRegistrationView.as_view(), name="emergency-registration"),
    path("consults/<str:id>.ics", ConsultCalendarView.as_view(), name="consult-ics"),
    path("risk/grade/", GradeView.as_view(), name="risk-grade"),
    path("risk/criteria/", CriteriaView.as_view(), name="risk-criteria"),
    path(
        "pregnancies/<str:id>/risk-assessments/", PregnancyAssessmentsView.as_view(), name="risk-assessments"
    ),
    path("pregnancies/<str:id>/observations/", ObservationsView.as_view(), name="observations"),
    path("risk-assessments/<str:id>/cosign/", AssessmentCosignView.as_view(), name="risk-assessment-cosign"),
    *router.urls,
]
