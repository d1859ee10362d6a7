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
from core.api.views import HealthView
from facilities.api.views import FacilityViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("facilities", FacilityViewSet, basename="facility")
router.register("patients", PatientViewSet, basename="patient")
router.register("pregnancies", PregnancyViewSet, basename="pregnancy")
router.register("care-tasks", CareTaskViewSet, basename="care-task")
router.register("break-glass", BreakGlassAccessViewSet, basename="break-glass")
router.register("audit-events", AuditEventViewSet, basename="audit-event")

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="auth-token"),
    path("me/", MeView.as_view(), name="me"),
    path("health/", HealthView.as_view(), name="health"),
    path("emergency-registrations/", EmergencyRegistrationView.as_view(), name="emergency-registration"),
    *router.urls,
]
