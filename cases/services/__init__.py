"""Every write on cases goes through these services (see docs/architecture.md)."""

from .access import (
    break_glass_open,
    break_glass_review,
    pregnancy_access_grant,
    pregnancy_access_grant_user,
    pregnancy_access_revoke,
    pregnancy_access_revoke_user,
)
from .emergency import emergency_register
from .encounters import (
    delivery_discharge,
    delivery_record,
    maternal_death_record,
    near_miss_record,
    visit_record,
)
from .patients import (
    DuplicatePatient,
    consent_record,
    patient_find_duplicates,
    patient_merge,
    patient_register,
    patient_reveal_id_number,
    patient_update,
)
from .pregnancies import (
    care_task_complete,
    care_task_open,
    pregnancy_end,
    pregnancy_redate,
    pregnancy_register,
    pregnancy_set_infection_status,
    pregnancy_set_risk,
    pregnancy_transfer,
    pregnancy_transition,
    pregnancy_update,
)

__all__ = [
    "DuplicatePatient",
    "break_glass_open",
    "break_glass_review",
    "care_task_complete",
    "consent_record",
    "delivery_discharge",
    "delivery_record",
    "emergency_register",
    "maternal_death_record",
    "near_miss_record",
    "patient_find_duplicates",
    "patient_merge",
    "patient_register",
    "patient_reveal_id_number",
    "patient_update",
    "pregnancy_access_grant",
    "pregnancy_access_grant_user",
    "pregnancy_access_revoke_user",
    "pregnancy_access_revoke",
    "pregnancy_end",
    "pregnancy_redate",
    "pregnancy_register",
    "pregnancy_set_infection_status",
    "pregnancy_set_risk",
    "pregnancy_transfer",
    "care_task_open",
    "pregnancy_transition",
    "pregnancy_update",
    "visit_record",
]
