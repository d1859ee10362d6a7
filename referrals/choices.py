from django.db import models
from django.utils.translation import gettext_lazy as _


class Direction(models.TextChoices):
    UP = "up", _("Up-referral (to a higher tier)")
    DOWN = "down", _("Down-referral (back to a lower tier)")
    LATERAL = "lateral", _("Lateral (same tier)")


class Urgency(models.TextChoices):
    EMERGENCY = "emergency", _("Emergency")
    URGENT = "urgent", _("Urgent")
    ROUTINE = "routine", _("Routine")


class Purpose(models.TextChoices):
    CARE = "care", _("Care")
    GRADING = "grading", _("Five-colour grading")
    DELIVERY = "delivery", _("Delivery")
    POSTPARTUM_FOLLOW_UP = "postpartum_follow_up", _("Postpartum follow-up")


class ReferralStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    CANCELLED = "cancelled", _("Cancelled")
    REDIRECTED = "redirected", _("Redirected")
    DEPARTED = "departed", _("Departed")
    ARRIVED = "arrived", _("Arrived")
    COMPLETED = "completed", _("Completed")


OPEN_STATUSES = (
    ReferralStatus.REQUESTED,
    ReferralStatus.ACCEPTED,
    ReferralStatus.DEPARTED,
    ReferralStatus.ARRIVED,
)


class Transport(models.TextChoices):
    AMBULANCE_120 = "ambulance_120", _("120 ambulance")
    HOSPITAL_AMBULANCE = "hospital_ambulance", _("Hospital ambulance")
    OWN = "own", _("Own transport")
    RECEIVING_TEAM = "receiving_team", _("Receiving centre sends a team")
