from django.db import models
from django.utils.translation import gettext_lazy as _


class AlertStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    RESOLVED = "resolved", _("Resolved")
    EXPIRED = "expired", _("Expired")


class Severity(models.TextChoices):
    INFO = "info", _("Information")
    WARNING = "warning", _("Warning")
    URGENT = "urgent", _("Urgent")
    CRITICAL = "critical", _("Critical")


class AlertKind(models.TextChoices):
    HIGH_RISK_GRADE = "high_risk_grade", _("New orange, red or purple grade")
    REPORT_DUE = "report_due", _("Grading report to the supervisor due")
    NEEDS_REFERRAL = "needs_referral", _("Managed below the tier her grade needs")
    GRADE_PROPOSED = "grade_proposed", _("Higher colour proposed, not confirmed")
    GRADING_DUE = "grading_due", _("Screening positive: grading due")
    COSIGN_NEEDED = "cosign_needed", _("Grade awaits a senior co-signature")
    MEOWS_TRIGGER = "meows_trigger", _("Early-warning trigger")
    ASSIGN_CASE_MANAGER = "assign_case_manager", _("Assign a case manager")
    REFERRAL_REQUESTED = "referral_requested", _("Referral to accept")
    REFERRAL_ACCEPT_MISSED = "referral_accept_missed", _("Referral not accepted in time")
    REFERRAL_ARRIVAL_MISSED = "referral_arrival_missed", _("Referred woman has not arrived in time")
    CONSULT_REQUESTED = "consult_requested", _("MDT consultation to schedule")
    CONSULT_NOT_SCHEDULED = "consult_not_scheduled", _("Emergency consultation not scheduled in time")
    CONSULT_INVITATION = "consult_invitation", _("Invitation to an MDT consultation")
    CONSULT_REMINDER = "consult_reminder", _("MDT consultation starts soon")
    CONSULT_ACTION_DUE = "consult_action_due", _("MDT action item")
    CONSULT_ACTION_OVERDUE = "consult_action_overdue", _("MDT action item overdue")
    FOLLOW_UP_DUE = "follow_up_due", _("Follow-up visit due")
    FOLLOW_UP_OVERDUE = "follow_up_overdue", _("Follow-up visit overdue")
    FOLLOW_UP_TRACING = "follow_up_tracing", _("Missed visit: trace the woman")
    LOST_TO_FOLLOW_UP_PROPOSED = (
        "lost_to_follow_up_proposed",
        _("Lost to follow-up proposed: confirm or keep tracing"),
    )
    MATERNAL_DEATH_REPORT = "maternal_death_report", _("Maternal death: report to the county supervisors")
