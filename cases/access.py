"""The only way to fetch a protected pregnancy or patient. Every rule is one line.

Who may see a pregnancy (``view``):
  - staff with a case-reading role at her managing facility or her follow-up facility;
  - a facility (its access group) or a user holding an explicit grant (referral, consult);
  - a regional supervisor whose region contains her managing facility (read-only);
  - a user with an unexpired break-the-glass access to her (read-only, flagged for review).
Who may change it (``change``): a clinical role plus the managing or follow-up facility, or a
write grant. No view → 404 (existence is not revealed); view but not change → 403.
"""

from typing import Literal

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.choices import Role
from accounts.permissions import Action, has_action
from audit.choices import AuditAction
from audit.services import audit_record
from core.errors import NotFound, PermissionDenied
from core.ids import parse_uuid

from .models import (
    BreakGlassAccess,
    Patient,
    Pregnancy,
    PregnancyGroupObjectPermission,
    PregnancyUserObjectPermission,
)

Perm = Literal["view", "change"]


def _granted(actor, codename: str) -> Q:
    """Explicit guardian grants, to the actor or to one of her groups (her facility's group)."""
    to_user = PregnancyUserObjectPermission.objects.filter(
        content_object=OuterRef("pk"), user=actor, permission__codename=codename
    )
    to_group = PregnancyGroupObjectPermission.objects.filter(
        content_object=OuterRef("pk"), group__user=actor, permission__codename=codename
    )
    return Q(Exists(to_user)) | Q(Exists(to_group))


def _break_glass(actor) -> Q:
    active = BreakGlassAccess.objects.filter(
        pregnancy=OuterRef("pk"), user=actor, expires_at__gt=timezone.now()
    )
    return Q(Exists(active))


def pregnancy_scope(actor, perm: Perm = "view") -> Q:
    """The filter selecting the pregnancies ``actor`` may ``perm``; ``Q(pk__in=[])`` for nobody."""
    nothing = Q(pk__in=[])
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return nothing
    action = Action.VIEW_CASE if perm == "view" else Action.RECORD_CLINICAL
    if not has_action(actor, action):
        return nothing
    scope = nothing
    if actor.facility_id is not None:
        scope |= Q(managing_facility_id=actor.facility_id)
        scope |= Q(follow_up_facility_id=actor.facility_id)
    scope |= _granted(actor, f"{perm}_pregnancy")
    if perm == "view":
        if actor.has_role(Role.REGIONAL_SUPERVISOR) and actor.region_id is not None:
            scope |= Q(managing_facility__region_code__startswith=actor.region.code_prefix)
        scope |= _break_glass(actor)
    return scope


def pregnancies_visible_to(actor) -> QuerySet[Pregnancy]:
    return Pregnancy.objects.filter(pregnancy_scope(actor, "view"))


def _emergency_access_used(actor, pregnancy: Pregnancy) -> BreakGlassAccess | None:
    """The break-the-glass access that alone makes ``pregnancy`` visible to ``actor``, if any."""
    ordinary = pregnancy_scope(actor, "view") & ~_break_glass(actor)
    if Pregnancy.objects.filter(ordinary, pk=pregnancy.pk).exists():
        return None
    return (
        BreakGlassAccess.objects.filter(pregnancy=pregnancy, user=actor, expires_at__gt=timezone.now())
        .order_by("-expires_at")
        .first()
    )


def can_change_pregnancy(actor, pregnancy: Pregnancy) -> bool:
    return Pregnancy.objects.filter(pregnancy_scope(actor, "change"), pk=pregnancy.pk).exists()


def access_pregnancy_by_id(actor, pregnancy_id, *, perm: Perm = "view", audit: bool = True) -> Pregnancy:
    """The pregnancy with external id ``pregnancy_id`` if ``actor`` may ``perm`` it.

    Raises ``NotFound`` when she may not see it (or it does not exist), ``PermissionDenied`` when she may
    see it but not change it. A successful ``view`` writes a read audit row; a read that only
    break-the-glass allows is flagged for review.
    """
    pregnancy_uuid = parse_uuid(pregnancy_id)
    if pregnancy_uuid is None:
        raise NotFound()
    pregnancy = (
        Pregnancy.objects.filter(pregnancy_scope(actor, "view"), external_id=pregnancy_uuid)
        .select_related("patient", "managing_facility", "follow_up_facility", "booking_facility")
        .first()
    )
    if pregnancy is None:
        raise NotFound()
    if perm == "change" and not can_change_pregnancy(actor, pregnancy):
        raise PermissionDenied()
    if audit and perm == "view":
        emergency = _emergency_access_used(actor, pregnancy)
        audit_record(
            actor=actor,
            action=AuditAction.READ,
            obj=pregnancy,
            patient_ids=[pregnancy.patient.external_id],
            reason=emergency.reason if emergency else "",
            changes={"break_glass": str(emergency.external_id)} if emergency else None,
            needs_review=emergency is not None,
        )
    return pregnancy


def patient_scope(actor) -> Q:
    """A woman is visible to the facility that registered her and wherever one of her pregnancies is."""
    if not has_action(actor, Action.VIEW_CASE):
        return Q(pk__in=[])
    visible_pregnancies = Pregnancy.objects.filter(pregnancy_scope(actor, "view"), patient=OuterRef("pk"))
    scope = Q(Exists(visible_pregnancies))
    if actor.facility_id is not None:
        scope |= Q(registered_facility_id=actor.facility_id)
    return scope


def patients_visible_to(actor) -> QuerySet[Patient]:
    return Patient.objects.filter(patient_scope(actor))


def patient_changeable_scope(actor) -> Q:
    """She may be changed by her registering facility's clinicians or wherever she has a changeable
    open pregnancy."""
    if not has_action(actor, Action.RECORD_CLINICAL) and not has_action(actor, Action.REGISTER_PATIENT):
        return Q(pk__in=[])
    changeable = Pregnancy.objects.filter(pregnancy_scope(actor, "change"), patient=OuterRef("pk"))
    scope = Q(Exists(changeable))
    if actor.facility_id is not None:
        scope |= Q(registered_facility_id=actor.facility_id)
    return scope


def access_patient_by_id(actor, patient_id, *, perm: Perm = "view", audit: bool = True) -> Patient:
    """The woman with external id ``patient_id`` if ``actor`` may ``perm`` her (404 / 403 as for
    pregnancies). A merged record still resolves: it shows ``status = merged`` and ``merged_into``."""
    patient_uuid = parse_uuid(patient_id)
    if patient_uuid is None:
        raise NotFound()
    patient = (
        Patient.objects.filter(patient_scope(actor), external_id=patient_uuid)
        .select_related("registered_facility", "merged_into", "residence_region")
        .first()
    )
    if patient is None:
        raise NotFound()
    if (
        perm == "change"
        and not Patient.objects.filter(patient_changeable_scope(actor), pk=patient.pk).exists()
    ):
        raise PermissionDenied()
    if audit and perm == "view":
        audit_record(actor=actor, action=AuditAction.READ, obj=patient, patient_ids=[patient.external_id])
    return patient
