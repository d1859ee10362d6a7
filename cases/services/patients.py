"""Registering women, keeping their identity unique, revealing identifiers, merging duplicates."""

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.permissions import Action
from audit.choices import AuditAction
from audit.services import audit_record
from core.errors import Conflict, ValidationFailed

from ..choices import DocumentType, PatientStatus, PregnancyStatus
from ..identity import InvalidIdNumber, InvalidPhone, normalise_phone, parse_resident_id
from ..models import Consent, Patient, Pregnancy
from ._common import Errors, clean_text, next_record_number, require_action, require_facility

MIN_AGE_YEARS, MAX_AGE_YEARS = 9, 65
GUARDIAN_CONSENT_BELOW_AGE = 14  # PIPL Art. 31


class DuplicatePatient(Conflict):
    """The resident ID number (or document) is already registered. ``existing`` is the record's id when
    the actor may see it, else null (she can then ask for emergency access)."""

    default_message = _("A woman with this ID number is already registered.")


def _age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _clean_identity(data: dict, errors: Errors) -> dict:
    """Normalise and check the identity fields of ``data`` (in place semantics: returns cleaned values)."""
    out: dict = {}
    if "name" in data:
        try:
            out["name"] = clean_text(data["name"], max_length=100)
        except ValueError:
            errors.add("name", _("Keep the name under 100 characters."))
        else:
            if not out["name"]:
                errors.add("name", _("Enter her name."))
    if "id_number" in data:
        raw = (data.get("id_number") or "").strip()
        out["id_number"] = None
        if raw:
            try:
                parsed = parse_resident_id(raw)
            except InvalidIdNumber as exc:
                errors.add("id_number", str(exc))
            else:
                out["id_number"] = parsed.number
                birth = data.get("birth_date")
                if birth and birth != parsed.birth_date:
                    errors.add(
                        "birth_date",
                        _("The date of birth does not agree with the ID number (%(date)s).")
                        % {"date": parsed.birth_date.isoformat()},
                    )
                out["birth_date"] = parsed.birth_date
    if "birth_date" in data and "birth_date" not in out:
        out["birth_date"] = data.get("birth_date")
    birth = out.get("birth_date")
    if birth is not None:
        age = _age_on(birth, timezone.localdate())
        if birth > timezone.localdate():
            errors.add("birth_date", _("The date of birth is in the future."))
        elif not MIN_AGE_YEARS <= age <= MAX_AGE_YEARS:
            errors.add(
                "birth_date", _("Her age would be %(age)d years: check the date of birth.") % {"age": age}
            )
    for field in ("phone", "emergency_contact_phone"):
        if field in data:
            try:
                out[field] = normalise_phone(data.get(field) or "")
            except InvalidPhone as exc:
                errors.add(field, str(exc))
    if "document_number" in data or "document_type" in data:
        number = (data.get("document_number") or "").strip().upper()
        kind = data.get("document_type") or ""
        if len(number) > 40:
            errors.add("document_number", _("Keep the document number under 40 characters."))
        if number and kind not in DocumentType.values:
            errors.add("document_type", _("Choose the kind of document."))
        if kind and not number:
            errors.add("document_number", _("Enter the document number."))
        out["document_type"], out["document_number"] = (kind, number) if number else ("", "")
    for field, limit in (("address", 300), ("emergency_contact_name", 100)):
        if field in data:
            try:
                out[field] = clean_text(data.get(field), max_length=limit)
            except ValueError:
                errors.add(field, _("Keep this under %(n)d characters.") % {"n": limit})
    if "residence_region" in data:
        out["residence_region"] = data.get("residence_region")
    return out


def _existing_duplicate(*, id_number, document_type, document_number, exclude_pk=None):
    q = Q(pk__in=[])
    if id_number:
        q |= Q(id_number=id_number)
    if document_number:
        q |= Q(document_type=document_type, document_number=document_number)
    return Patient.objects.filter(q, status=PatientStatus.ACTIVE).exclude(pk=exclude_pk).first()


def _raise_duplicate(actor, existing: Patient) -> None:
    from ..access import patients_visible_to

    visible = patients_visible_to(actor).filter(pk=existing.pk).exists()
    field = "id_number" if existing.id_number else "document_number"
    raise DuplicatePatient(
        errors={field: [_("Already registered.")]},
        extra={"existing": str(existing.external_id) if visible else None},
    )


def patient_register(*, actor, record_prefix: str = "MS", is_unidentified: bool = False, **data) -> Patient:
    """Register a woman at the actor's facility. Fields: name, id_number, document_type, document_number,
    birth_date, birth_date_estimated, phone, residence_region, address, emergency_contact_name,
    emergency_contact_phone. Raises ``ValidationFailed`` naming every bad field, ``DuplicatePatient``
    (409)."""
    require_action(actor, Action.REGISTER_PATIENT)
    facility = require_facility(actor)
    errors = Errors()
    data.setdefault("name", "")
    cleaned = _clean_identity(data, errors)
    errors.raise_if_any()
    existing = _existing_duplicate(
        id_number=cleaned.get("id_number"),
        document_type=cleaned.get("document_type", ""),
        document_number=cleaned.get("document_number", ""),
    )
    if existing is not None:
        _raise_duplicate(actor, existing)
    patient = Patient(
        registered_facility=facility,
        is_unidentified=is_unidentified,
        birth_date_estimated=bool(data.get("birth_date_estimated")),
        **cleaned,
    )
    try:
        with transaction.atomic():
            patient.record_number = next_record_number(record_prefix)
            patient.save(force_insert=True)
            audit_record(
                actor=actor, action=AuditAction.CREATE, obj=patient, patient_ids=[patient.external_id]
            )
    except IntegrityError:
        # Two registrations of the same ID raced: the unique constraint settled it.
        existing = _existing_duplicate(
            id_number=cleaned.get("id_number"),
            document_type=cleaned.get("document_type", ""),
            document_number=cleaned.get("document_number", ""),
        )
        if existing is None:
            raise
        _raise_duplicate(actor, existing)
    return patient


@transaction.atomic
def patient_update(*, actor, patient: Patient, **data) -> Patient:
    """Change identity or contact fields. The audit row names the changed fields, not their values."""
    if patient.status != PatientStatus.ACTIVE:
        raise Conflict(_("This record was merged; change the record it was merged into."))
    errors = Errors()
    cleaned = _clean_identity(data, errors)
    id_birth = cleaned.get("birth_date") if cleaned.get("id_number") and "birth_date" not in data else None
    if (
        id_birth
        and patient.birth_date
        and id_birth != patient.birth_date
        and not patient.birth_date_estimated
    ):
        message = _("The date of birth does not agree with the ID number (%(date)s).")
        errors.add("birth_date", message % {"date": id_birth.isoformat()})
    errors.raise_if_any()
    existing = _existing_duplicate(
        id_number=cleaned.get("id_number"),
        document_type=cleaned.get("document_type", ""),
        document_number=cleaned.get("document_number", ""),
        exclude_pk=patient.pk,
    )
    if existing is not None:
        _raise_duplicate(actor, existing)
    changed = [field for field, value in cleaned.items() if getattr(patient, field) != value]
    if "birth_date" in changed:
        patient.birth_date_estimated = False
        changed.append("birth_date_estimated")
    if "id_number" in changed and cleaned.get("id_number"):
        patient.is_unidentified = False
        changed.append("is_unidentified")
    if "name" in changed and patient.is_unidentified and "is_unidentified" not in changed:
        patient.is_unidentified = False
        changed.append("is_unidentified")
    for field in changed:
        if field in cleaned:
            setattr(patient, field, cleaned[field])
    if changed:
        patient.save(update_fields=[*changed, "updated_at"])
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=patient,
            patient_ids=[patient.external_id],
            changes={"fields": sorted(changed)},
        )
    return patient


def patient_find_duplicates(
    *, actor, name: str, birth_date=None, phone: str = "", exclude=None
) -> list[Patient]:
    """Records the actor may see with the same name and the same birth date or phone (near-duplicates)."""
    from ..access import patients_visible_to

    name = (name or "").strip()
    if not name or (birth_date is None and not phone):
        return []
    try:
        phone = normalise_phone(phone) if phone else ""
    except InvalidPhone:
        phone = ""
    match = Q(pk__in=[])
    if birth_date is not None:
        match |= Q(birth_date=birth_date)
    if phone:
        match |= Q(phone=phone)
    qs = patients_visible_to(actor).filter(match, name=name, status=PatientStatus.ACTIVE)
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return list(qs.select_related("registered_facility")[:10])


@transaction.atomic
def patient_reveal_id_number(*, actor, patient: Patient, reason: str = "") -> dict:
    """The full identifiers, for a user whose role allows it. Every reveal is audited."""
    require_action(actor, Action.REVEAL_ID_NUMBER)
    audit_record(
        actor=actor,
        action=AuditAction.REVEAL,
        obj=patient,
        patient_ids=[patient.external_id],
        reason=(reason or "")[:500],
    )
    return {
        "id_number": patient.id_number,
        "document_type": patient.document_type,
        "document_number": patient.document_number,
    }


@transaction.atomic
def consent_record(
    *,
    actor,
    patient: Patient,
    purpose: str,
    version: str,
    given_on=None,
    given_by: str = "self",
    guardian_name: str = "",
    guardian_relation: str = "",
) -> Consent:
    errors = Errors()
    if (
        given_by == "self"
        and patient.birth_date is not None
        and _age_on(patient.birth_date, timezone.localdate()) < GUARDIAN_CONSENT_BELOW_AGE
    ):
        errors.add("given_by", _("She is under 14: consent must be given by a guardian (PIPL Art. 31)."))
    if given_by == "guardian" and not guardian_name.strip():
        errors.add("guardian_name", _("Name the guardian who gave consent."))
    if given_on and given_on > timezone.localdate():
        errors.add("given_on", _("The date is in the future."))
    errors.raise_if_any()
    consent = Consent.objects.create(
        patient=patient,
        purpose=purpose,
        version=version[:20],
        given_on=given_on or timezone.localdate(),
        given_by=given_by,
        guardian_name=guardian_name.strip()[:100],
        guardian_relation=guardian_relation.strip()[:40],
        recorded_by=actor,
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=consent,
        patient_ids=[patient.external_id],
        changes={"purpose": purpose, "version": consent.version},
    )
    return consent


@transaction.atomic
def patient_merge(
    *,
    actor,
    duplicate: Patient,
    survivor: Patient,
    continuing_pregnancy: Pregnancy | None = None,
    reason: str,
) -> Patient:
    """Merge ``duplicate`` into ``survivor`` (e.g. an emergency registration matched to her real record).

    The duplicate stays as a row with ``status = merged`` and ``merged_into`` so its id still resolves.
    Her pregnancies move to the survivor. When both have an open pregnancy the caller chooses which one
    continues (``continuing_pregnancy``); the other one's visits, tasks and datings move into it and it
    becomes ``merged``. Identifiers missing on the survivor are taken from the duplicate.
    """
    require_action(actor, Action.MERGE_RECORDS)
    if not (reason or "").strip():
        raise ValidationFailed(errors={"reason": [_("Say why these records are the same woman.")]})
    patients = {
        p.pk: p for p in Patient.objects.select_for_update().filter(pk__in=[duplicate.pk, survivor.pk])
    }
    duplicate, survivor = patients[duplicate.pk], patients[survivor.pk]
    if duplicate.pk == survivor.pk:
        raise ValidationFailed(errors={"duplicate": [_("A record cannot be merged into itself.")]})
    if PatientStatus.MERGED in (duplicate.status, survivor.status):
        raise Conflict(_("One of these records has already been merged."))
    if duplicate.id_number and survivor.id_number and duplicate.id_number != survivor.id_number:
        raise ValidationFailed(errors={"duplicate": [_("The two records have different ID numbers.")]})
    open_pregnancies = list(
        Pregnancy.objects.select_for_update().filter(
            patient__in=[duplicate, survivor], status__in=["active", "postpartum"]
        )
    )
    moved_into = None
    if len(open_pregnancies) == 2:
        if continuing_pregnancy is None or continuing_pregnancy.pk not in {p.pk for p in open_pregnancies}:
            raise ValidationFailed(
                errors={
                    "continuing_pregnancy": [
                        _("Both records have an open pregnancy: choose the one that continues.")
                    ]
                }
            )
        ending = next(p for p in open_pregnancies if p.pk != continuing_pregnancy.pk)
        moved_into = _merge_pregnancy(ending=ending, into=continuing_pregnancy)
    Pregnancy.objects.filter(patient=duplicate).update(patient=survivor, updated_at=timezone.now())
    taken = []
    for field in (
        "id_number",
        "document_type",
        "document_number",
        "birth_date",
        "phone",
        "address",
        "emergency_contact_name",
        "emergency_contact_phone",
        "residence_region",
    ):
        if not getattr(survivor, field) and getattr(duplicate, field):
            setattr(survivor, field, getattr(duplicate, field))
            taken.append(field)
    duplicate.status = PatientStatus.MERGED
    duplicate.merged_into = survivor
    duplicate.id_number = (
        None if "id_number" in taken or duplicate.id_number == survivor.id_number else duplicate.id_number
    )
    duplicate.save(update_fields=["status", "merged_into", "id_number", "updated_at"])
    if taken:
        survivor.is_unidentified = survivor.is_unidentified and duplicate.is_unidentified
        survivor.save(update_fields=[*taken, "is_unidentified", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=survivor,
        patient_ids=[survivor.external_id, duplicate.external_id],
        reason=reason.strip()[:1000],
        changes={
            "merged": str(duplicate.external_id),
            "fields_taken": taken,
            "pregnancy_merged": str(moved_into.external_id) if moved_into else None,
        },
    )
    return survivor


def _merge_pregnancy(*, ending: Pregnancy, into: Pregnancy) -> Pregnancy:
    from ..models import CareTask, PregnancyDating, Visit

    now = timezone.now()
    Visit.objects.filter(pregnancy=ending).update(pregnancy=into, updated_at=now)
    PregnancyDating.objects.filter(pregnancy=ending).update(pregnancy=into, adopted=False, updated_at=now)
    open_kinds = set(CareTask.objects.filter(pregnancy=into, status="open").values_list("kind", flat=True))
    CareTask.objects.filter(pregnancy=ending, status="open", kind__in=open_kinds).update(
        status="cancelled", updated_at=now
    )
    CareTask.objects.filter(pregnancy=ending).update(pregnancy=into, updated_at=now)
    ending.status = PregnancyStatus.MERGED
    ending.merged_into = into
    ending.save(update_fields=["status", "merged_into", "updated_at"])
    from ..signals import pregnancy_schedule_changed

    for changed in (ending, into):
        pregnancy_schedule_changed.send(sender=Pregnancy, pregnancy=changed, cause="merged")
    return ending
