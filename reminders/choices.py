"""Codes for follow-up windows. Codes are part of the API contract: never rename one."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class FollowUpKind(models.TextChoices):
    ANTENATAL = "antenatal", _("Antenatal visit")
    POSTPARTUM = "postpartum", _("Postpartum visit")
    CHECK_42D = "check_42d", _("42-day postpartum check")


class FollowUpStatus(models.TextChoices):
    """upcoming → due (reminders sent) → overdue → tracing → lost_proposed; closed from any of them.

    The system only *proposes* lost to follow-up; a person confirms it (``followup_confirm_lost``)."""

    UPCOMING = "upcoming", _("Upcoming")
    DUE = "due", pgettext_lazy("follow-up window", "Due")
    OVERDUE = "overdue", _("Overdue")
    TRACING = "tracing", _("Tracing")
    LOST_PROPOSED = "lost_proposed", _("Lost to follow-up proposed")
    CLOSED = "closed", pgettext_lazy("follow-up window", "Closed")


# The states the sweep advances, in order; each one's ``next_step_on`` says when it moves on.
ADVANCING = (
    FollowUpStatus.UPCOMING,
    FollowUpStatus.DUE,
    FollowUpStatus.OVERDUE,
    FollowUpStatus.TRACING,
)
OPEN_STATUSES = (*ADVANCING, FollowUpStatus.LOST_PROPOSED)
# The windows that need someone now: on the follow-up worklist and the home page's block.
WORKLIST_STATUSES = (
    FollowUpStatus.DUE,
    FollowUpStatus.OVERDUE,
    FollowUpStatus.TRACING,
    FollowUpStatus.LOST_PROPOSED,
)


class CloseReason(models.TextChoices):
    VISIT_DONE = "visit_done", _("Visit done")
    RESCHEDULED = "rescheduled", _("Rescheduled")
    DELIVERED = "delivered", _("Pregnancy ended: postpartum windows follow")
    PREGNANCY_CLOSED = "pregnancy_closed", _("Pregnancy no longer followed")
    CONFIRMED_LOST = "confirmed_lost", _("Lost to follow-up confirmed")


class MessageStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")
