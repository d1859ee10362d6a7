"""Emergency registration of a woman who arrives with no antenatal care (DOMAIN.md §9).

One step, minimal data, never refused: "unknown woman + arrival time" with an estimated age and
gestational age is enough. She gets a temporary record number (TMP…), a provisional EDD from the
estimated GA, an emergency visit with her first vital signs, tests-pending (PMTCT) and complete-the-record
tasks. If the ID number given belongs to a registered woman, the registration still goes through
without it and a merge-review task is opened instead of a 409: an emergency is not the time.
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.permissions import Action
from core.errors import ValidationFailed

from ..choices import CareTaskKind, DatingMethod, PatientStatus, VisitKind
from ..identity import InvalidIdNumber, InvalidPhone, normalise_phone, parse_resident_id
from ..models import Patient, Pregnancy
from ._common import Errors, clean_text, require_action, require_facility
from .encounters import check_measurements, visit_record
from .patients import patient_register
from .pregnancies import care_task_open, pregnancy_register

# The name an unidentified arrival is registered under, in both languages at once. It is data, not
# interface text: it is stored, printed on wristbands and referral letters, sent in alerts and read by
# other hospitals' staff in their own language, so it cannot follow the language of the clinician who
# happened to register her (it did, and a Chinese page then showed an English placeholder). 无名氏-style
# placeholders with the arrival time are what hospital systems here use; the time is written the same
# way in both languages.
UNIDENTIFIED_NAME = "身份不明孕产妇 / Unknown woman · {time}"


def unidentified_name(arrived_at: dt.datetime) -> str:
    """The placeholder name of a woman who arrived at ``arrived_at`` with no identity known."""
    return UNIDENTIFIED_NAME.format(time=timezone.localtime(arrived_at).strftime("%Y-%m-%d %H:%M"))


def _clean(
    errors: Errors,
    *,
    name,
    arrived_at,
    estimated_age_years,
    estimated_ga_weeks,
    chief_complaint,
    companion_phone,
    id_number,
    vitals,
):
    now = timezone.now()
    out = {}
    try:
        out["name"] = clean_text(name, max_length=100)
    except ValueError:
        errors.add("name", _("Keep the name under 100 characters."))
    arrived_at = arrived_at or now
    if arrived_at > now + dt.timedelta(minutes=10) or arrived_at < now - dt.timedelta(days=7):
        errors.add("arrived_at", _("The arrival time must be within the last 7 days."))
    out["arrived_at"] = arrived_at
    if estimated_age_years is None or not 9 <= estimated_age_years <= 60:
        errors.add("estimated_age_years", _("Estimate her age (9 to 60 years)."))
    if estimated_ga_weeks is None or not 4 <= estimated_ga_weeks <= 44:
        errors.add("estimated_ga_weeks", _("Estimate the gestational age (4 to 44 weeks)."))
    try:
        out["chief_complaint"] = clean_text(chief_complaint, max_length=300)
    except ValueError:
        errors.add("chief_complaint", _("Keep the chief complaint under 300 characters."))
    try:
        out["companion_phone"] = normalise_phone(companion_phone or "")
    except InvalidPhone as exc:
        errors.add("companion_phone", str(exc))
    out["id_number"] = None
    if id_number:
        try:
            out["id_number"] = parse_resident_id(id_number).number
        except InvalidIdNumber as exc:
            errors.add("id_number", str(exc))
    check_measurements(vitals or {}, confirmed=True, errors=errors)
    return out


@transaction.atomic
def emergency_register(
    *,
    actor,
    name: str = "",
    arrived_at=None,
    estimated_age_years=None,
    estimated_ga_weeks=None,
    vitals: dict | None = None,
    chief_complaint: str = "",
    companion_phone: str = "",
    id_number: str = "",
) -> tuple[Patient, Pregnancy, bool]:
    """Register patient + pregnancy + emergency visit in one transaction.

    Returns ``(patient, pregnancy, possible_duplicate)``. Vital signs are recorded as measured: in an
    emergency an unusual value is real, so unusual values are accepted (impossible ones are not).
    """
    require_action(actor, Action.REGISTER_PATIENT)
    facility = require_facility(actor)
    errors = Errors()
    data = _clean(
        errors,
        name=name,
        arrived_at=arrived_at,
        estimated_age_years=estimated_age_years,
        estimated_ga_weeks=estimated_ga_weeks,
        chief_complaint=chief_complaint,
        companion_phone=companion_phone,
        id_number=id_number,
        vitals=vitals,
    )
    errors.raise_if_any()
    arrived_at = data["arrived_at"]
    unidentified = not data["name"]
    display_name = data["name"] or unidentified_name(arrived_at)
    possible_duplicate = None
    id_number_to_store = data["id_number"]
    if id_number_to_store:
        possible_duplicate = Patient.objects.filter(
            id_number=id_number_to_store, status=PatientStatus.ACTIVE
        ).first()
        if possible_duplicate is not None:
            id_number_to_store = None
    today = timezone.localdate(arrived_at)
    patient_fields = {
        "name": display_name[:100],
        "emergency_contact_phone": data["companion_phone"],
        "birth_date": today.replace(year=today.year - estimated_age_years, month=1, day=1)
        if not id_number_to_store
        else None,
        "birth_date_estimated": not id_number_to_store,
    }
    if id_number_to_store:
        patient_fields["id_number"] = id_number_to_store
    patient = patient_register(
        actor=actor, record_prefix="TMP", is_unidentified=unidentified, **patient_fields
    )
    edd = today + dt.timedelta(days=280 - estimated_ga_weeks * 7)
    try:
        pregnancy = pregnancy_register(
            actor=actor,
            patient=patient,
            edd=edd,
            cycle_length=28,
            is_emergency_registration=True,
            arrived_at=arrived_at,
            chief_complaint=data["chief_complaint"],
            dating_method=DatingMethod.ESTIMATE,
        )
    except ValidationFailed as exc:  # pragma: no cover - inputs were checked above
        raise ValidationFailed(
            errors={"estimated_ga_weeks": [str(m) for ms in exc.errors.values() for m in ms]}
        ) from exc
    visit_record(
        actor=actor,
        pregnancy=pregnancy,
        kind=VisitKind.EMERGENCY,
        visited_at=arrived_at,
        measurements=vitals or {},
        confirm_unusual=True,
        notes=data["chief_complaint"],
    )
    care_task_open(
        pregnancy=pregnancy,
        kind=CareTaskKind.BACKFILL_RECORD,
        facility=facility,
        due_at=arrived_at + dt.timedelta(hours=24),
    )
    if possible_duplicate is not None:
        care_task_open(
            pregnancy=pregnancy,
            kind=CareTaskKind.MERGE_REVIEW,
            facility=facility,
            due_at=arrived_at + dt.timedelta(hours=24),
            details={"reason": "id_number_registered"},
        )
    return patient, pregnancy, possible_duplicate is not None
