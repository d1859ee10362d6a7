from django.db import models
from django.utils.translation import gettext_lazy as _


class PregnancyStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    POSTPARTUM = "postpartum", _("Postpartum")
    CLOSED = "closed", _("Closed")
    TRANSFERRED_OUT = "transferred_out", _("Transferred out")
    LOST_TO_FOLLOW_UP = "lost_to_follow_up", _("Lost to follow-up")
    MATERNAL_DEATH = "maternal_death", _("Maternal death")
    MERGED = "merged", _("Merged")


OPEN_STATUSES = (PregnancyStatus.ACTIVE, PregnancyStatus.POSTPARTUM)


class RiskColor(models.TextChoices):
    GREEN = "green", _("Green")
    YELLOW = "yellow", _("Yellow")
    ORANGE = "orange", _("Orange")
    RED = "red", _("Red")


class GrantLevel(models.TextChoices):
    READ = "read", _("Read")
    WRITE = "write", _("Read and write")
