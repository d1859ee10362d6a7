from django.db import models
from django.utils.translation import gettext_lazy as _


class ConsultUrgency(models.TextChoices):
    EMERGENCY = "emergency", _("Emergency (specialist on site within 10 minutes)")
    ROUTINE = "routine", _("Routine (completed within 24 hours)")
    SCHEDULED = "scheduled", _("Scheduled MDT clinic")


class ConsultStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    SCHEDULED = "scheduled", _("Scheduled")
    IN_PROGRESS = "in_progress", _("In progress")
    CONCLUDED = "concluded", _("Concluded")
    CANCELLED = "cancelled", _("Cancelled")


class InvitationStatus(models.TextChoices):
    INVITED = "invited", _("Invited")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Attendance(models.TextChoices):
    ON_SITE = "on_site", _("On site")
    REMOTE = "remote", _("Remote")
    ABSENT = "absent", _("Absent")


class DecisionKind(models.TextChoices):
    CONTINUE = "continue", _("Continue the pregnancy")
    TERMINATE = "terminate", _("Terminate the pregnancy")
    DELIVERY_PLAN = "delivery_plan", _("Delivery plan (timing, mode, place)")
    TREATMENT = "treatment", _("Treatment plan")
    OTHER = "other", _("Other")


class ActionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")
