from django.db import models
from django.utils.translation import gettext_lazy as _


class Stage(models.TextChoices):
    SCREENING = "screening", _("Screening")
    ASSESSMENT = "assessment", _("Five-colour assessment")


class CriterionColor(models.TextChoices):
    GREEN = "green", _("Green")
    YELLOW = "yellow", _("Yellow")
    ORANGE = "orange", _("Orange")
    RED = "red", _("Red")
    PURPLE = "purple", _("Purple")


class AssessmentStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed")
    PENDING_COSIGN = "pending_cosign", _("Awaiting senior co-signature")
    REJECTED = "rejected", _("Co-signature refused")
    SUPERSEDED = "superseded", _("Superseded")


class ReportStatus(models.TextChoices):
    DUE = "due", _("Due")
    SUBMITTED = "submitted", _("Submitted")
    CANCELLED = "cancelled", _("Cancelled")


class CaseManagementStatus(models.TextChoices):
    OPEN = "open", _("Under case management")
    CLOSED = "closed", _("Closed")


class MeowsLevel(models.TextChoices):
    NORMAL = "normal", _("Normal")
    YELLOW = "yellow", _("Moderately abnormal")
    RED = "red", _("Markedly abnormal")
