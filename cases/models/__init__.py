from .access import (
    BreakGlassAccess,
    PregnancyGrant,
    PregnancyGroupObjectPermission,
    PregnancyUserObjectPermission,
)
from .encounters import Delivery, MaternalDeath, NearMissEvent, Newborn, Visit
from .patient import Consent, Patient
from .pregnancy import CareTask, Pregnancy, PregnancyDating

__all__ = [
    "BreakGlassAccess",
    "CareTask",
    "Consent",
    "Delivery",
    "MaternalDeath",
    "NearMissEvent",
    "Newborn",
    "Patient",
    "Pregnancy",
    "PregnancyDating",
    "PregnancyGrant",
    "PregnancyGroupObjectPermission",
    "PregnancyUserObjectPermission",
    "Visit",
]
