"""Writes on cases. This issue's part: grants to other facilities and break-the-glass access.

Only these services grant and revoke object permissions; only ``access.py`` checks them.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, remove_perm

from accounts.permissions import Action, has_action
from audit.choices import AuditAction
from audit.services import audit_record
from core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from core.ids import parse_uuid
from facilities.models import Facility
from facilities.services import facility_access_group

from ..choices import GrantLevel
from ..models import BreakGlassAccess, Pregnancy

MIN_REASON_LENGTH = 10


def _codenames(level: str) -> list[str]:
    return ["view_pregnancy", "change_pregnancy"] if level == GrantLevel.WRITE else ["view_pregnancy"]


@transaction.atomic
def pregnancy_access_grant(
    *,
    actor,
    pregnancy: Pregnancy,
    facility: Facility,
    level: str,
    reason: str,
    source: tuple[str, str] | None = None,
) -> None:
    """Let ``facility``'s staff read (or read and write) ``pregnancy``. Called by referral and consult
    services with ``source`` naming the referral or consult that justifies it."""
    group = facility_access_group(facility=facility)
    for codename in _codenames(level):
        assign_perm(f"cases.{codename}", group, pregnancy)
    if level == GrantLevel.READ:
        remove_perm("cases.change_pregnancy", group, pregnancy)
    audit_record(
        actor=actor,
        action=AuditAction.GRANT,
        obj=pregnancy,
        patient_ids=[pregnancy.patient.external_id],
        reason=reason,
        changes={
            "facility": str(facility.external_id),
            "level": level,
            "source": list(source) if source else None,
        },
    )


@transaction.atomic
def pregnancy_access_revoke(
    *, actor, pregnancy: Pregnancy, facility: Facility, reason: str, source: tuple[str, str] | None = None
) -> None:
    group = facility_access_group(facility=facility)
    for codename in _codenames(GrantLevel.WRITE):
        remove_perm(f"cases.{codename}", group, pregnancy)
    audit_record(
        actor=actor,
        action=AuditAction.REVOKE,
        obj=pregnancy,
        patient_ids=[pregnancy.patient.external_id],
        reason=reason,
        changes={"facility": str(facility.external_id), "source": list(source) if source else None},
    )


@transaction.atomic
def break_glass_open(*, actor, pregnancy_id, reason: str) -> BreakGlassAccess:
    """Emergency read access to a pregnancy outside the actor's scope, for ``BREAK_GLASS_MINUTES``.

    The reason is mandatory; the access and every read under it are flagged for review.
    """
    if not has_action(actor, Action.BREAK_GLASS):
        raise PermissionDenied(_("Your role does not allow emergency access."))
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON_LENGTH:
        raise ValidationFailed(
            errors={
                "reason": [
                    _("Give the clinical reason (at least %(n)d characters).") % {"n": MIN_REASON_LENGTH}
                ]
            }
        )
    pregnancy_uuid = parse_uuid(pregnancy_id)
    pregnancy = Pregnancy.objects.select_related("patient").filter(external_id=pregnancy_uuid).first()
    if pregnancy_uuid is None or pregnancy is None:
        raise NotFound()
    access = BreakGlassAccess.objects.create(
        user=actor,
        pregnancy=pregnancy,
        reason=reason,
        expires_at=timezone.now() + timedelta(minutes=settings.BREAK_GLASS_MINUTES),
    )
    audit_record(
        actor=actor,
        action=AuditAction.BREAK_GLASS,
        obj=pregnancy,
        patient_ids=[pregnancy.patient.external_id],
        reason=reason,
        changes={"expires_at": access.expires_at.isoformat(), "break_glass": str(access.external_id)},
        needs_review=True,
    )
    return access


def _may_review(actor, access: BreakGlassAccess) -> bool:
    if not has_action(actor, Action.REVIEW_BREAK_GLASS) or actor.pk == access.user_id:
        return False
    if actor.has_role("auditor"):
        return True
    return actor.facility_id is not None and actor.facility_id == access.user.facility_id


@transaction.atomic
def break_glass_review(*, actor, access_id, note: str) -> BreakGlassAccess:
    """A facility administrator of the user's facility, or an auditor, records the review."""
    access_uuid = parse_uuid(access_id)
    if access_uuid is None:
        raise NotFound()
    access = (
        BreakGlassAccess.objects.select_for_update(of=("self",))
        .select_related("user", "pregnancy__patient")
        .filter(external_id=access_uuid)
        .first()
    )
    if access is None or not has_action(actor, Action.REVIEW_BREAK_GLASS):
        raise NotFound()
    if not _may_review(actor, access):
        raise PermissionDenied(_("You may not review this emergency access."))
    if access.reviewed_at is not None:
        raise Conflict(_("This emergency access has already been reviewed."))
    access.reviewed_at = timezone.now()
    access.reviewed_by = actor
    access.review_note = (note or "").strip()
    access.save(update_fields=["reviewed_at", "reviewed_by", "review_note", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=access,
        patient_ids=[access.pregnancy.patient.external_id],
        reason=access.review_note,
        changes={"reviewed": True},
    )
    return access


@transaction.atomic
def pregnancy_access_grant_user(
    *, actor, pregnancy: Pregnancy, user, reason: str, source: tuple[str, str] | None = None
) -> None:
    """Let one person read ``pregnancy`` (an invited specialist from another facility)."""
    assign_perm("cases.view_pregnancy", user, pregnancy)
    audit_record(
        actor=actor, action=AuditAction.GRANT, obj=pregnancy, patient_ids=[pregnancy.patient.external_id],
        reason=reason, changes={"user": str(user.external_id), "level": "read",
                                "source": list(source) if source else None},
    )


@transaction.atomic
def pregnancy_access_revoke_user(
    *, actor, pregnancy: Pregnancy, user, reason: str, source: tuple[str, str] | None = None
) -> None:
    remove_perm("cases.view_pregnancy", user, pregnancy)
    remove_perm("cases.change_pregnancy", user, pregnancy)
    audit_record(
        actor=actor, action=AuditAction.REVOKE, obj=pregnancy, patient_ids=[pregnancy.patient.external_id],
        reason=reason, changes={"user": str(user.external_id), "source": list(source) if source else None},
    )
