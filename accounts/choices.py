"""Role, title and action codes. Role codes are part of the API contract."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OBSTETRICIAN = "obstetrician", _("Obstetrician")
    MIDWIFE = "midwife", _("Midwife / nurse")
    MDT_COORDINATOR = "mdt_coordinator", _("MDT coordinator")
    SPECIALIST = "specialist", _("Specialist")
    FACILITY_ADMIN = "facility_admin", _("Facility administrator")
    REGIONAL_SUPERVISOR = "regional_supervisor", _("Regional maternal-health supervisor")
    AUDITOR = "auditor", _("Auditor")
    SYSTEM_ADMIN = "system_admin", _("System administrator")


# Roles whose scope is a region rather than one facility.
REGIONAL_ROLES = frozenset({Role.REGIONAL_SUPERVISOR})
# Roles that work on women's records at their facility (the care team).
CLINICAL_ROLES = frozenset({Role.OBSTETRICIAN, Role.MIDWIFE, Role.MDT_COORDINATOR, Role.SPECIALIST})


class Title(models.TextChoices):
    RESIDENT = "resident", _("Resident")
    ATTENDING = "attending", _("Attending physician")
    ASSOCIATE_CHIEF = "associate_chief", _("Associate chief physician")
    CHIEF = "chief", _("Chief physician")


SENIOR_TITLES = frozenset({Title.ASSOCIATE_CHIEF, Title.CHIEF})
