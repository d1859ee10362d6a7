from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Direction(models.TextChoices):
    UP = "up", _("Up-referral (to a higher tier)")
    DOWN = "down", _("Down-referral (back to a lower tier)")
    LATERAL = "lateral", _("Lateral (same tier)")


class Urgency(models.TextChoices):
    EMERGENCY = "emergency", _("Emergency")
    URGENT = "urgent", _("Urgent")
    ROUTINE = "routine", _("Routine")


class Purpose(models.TextChoices):
    CARE = "care", pgettext_lazy("referral purpose", "Care")
    GRADING = "grading", _("Five-colour grading")
    DELIVERY = "delivery", pgettext_lazy("referral purpose", "Delivery")
    POSTPARTUM_FOLLOW_UP = "postpartum_follow_up", pgettext_lazy("referral purpose", "Postpartum follow-up")


class ReferralStatus(models.TextChoices):
    REQUESTED = "requested", pgettext_lazy("referral status", "Requested")
    ACCEPTED = "accepted", pgettext_lazy("referral status", "Accepted")
    DECLINED = "declined", pgettext_lazy("referral status", "Declined")
    CANCELLED = "cancelled", pgettext_lazy("referral status", "Cancelled")
    REDIRECTED = "redirected", pgettext_lazy("referral status", "Redirected")
    DEPARTED = "departed", pgettext_lazy("referral status", "Departed")
    ARRIVED = "arrived", pgettext_lazy("referral status", "Arrived")
    COMPLETED = "completed", pgettext_lazy("referral status", "Completed")


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
