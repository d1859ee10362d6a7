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
from ..models import BreakGlassAccess, Pregnancy, PregnancyGrant

MIN_REASON_LENGTH = 10


MANUAL_SOURCE = ("manual", "")


def _codenames(level: str) -> list[str]:
    return ["view_pregnancy", "change_pregnancy"] if level == GrantLevel.WRITE else ["view_pregnancy"]


def _record(*, pregnancy: Pregnancy, grantee: dict, level: str | None, reason: str, source) -> None:
    """Write the ledger row for ``source`` (``level`` None revokes it), then derive the guardian
    permissions of this grantee from every source still active, so one source's revoke never takes
    away what another source granted."""
    kind, ident = (str(source[0]), str(source[1])) if source else MANUAL_SOURCE
    now = timezone.now()
    active = PregnancyGrant.objects.filter(pregnancy=pregnancy, revoked_at__isnull=True, **grantee)
    active.filter(source_kind=kind, source_id=ident).update(revoked_at=now, updated_at=now)
    if level is not None:
        PregnancyGrant.objects.create(
            pregnancy=pregnancy, level=level, source_kind=kind, source_id=ident, reason=reason, **grantee
        )
    levels = set(active.values_list("level", flat=True))
    wanted: set[str] = set()
    if levels:
        wanted.update(_codenames(GrantLevel.WRITE if GrantLevel.WRITE in levels else GrantLevel.READ))
    holder = grantee.get("user") or facility_access_group(facility=grantee["facility"])
    for codename in _codenames(GrantLevel.WRITE):
        if codename in wanted:
            assign_perm(f"cases.{codename}", holder, pregnancy)
        else:
            remove_perm(f"cases.{codename}", holder, pregnancy)


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
    services with ``source`` naming the referral or consult that justifies it; granting again for the
    same source replaces its level."""
    _record(pregnancy=pregnancy, grantee={"facility": facility}, level=level, reason=reason, source=source)
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
    """End the grant ``source`` made; the facility keeps what other active sources still grant."""
    _record(pregnancy=pregnancy, grantee={"facility": facility}, level=None, reason=reason, source=source)
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
    _record(pregnancy=pregnancy, grantee={"user": user}, level=GrantLevel.READ, reason=reason, source=source)
    audit_record(
        actor=actor,
        action=AuditAction.GRANT,
        obj=pregnancy,
        patient_ids=[pregnancy.patient.external_id],
        reason=reason,
        changes={"user": str(user.external_id), "level": "read", "source": list(source) if source else None},
    )


@transaction.atomic
def pregnancy_access_revoke_user(
    *, actor, pregnancy: Pregnancy, user, reason: str, source: tuple[str, str] | None = None
) -> None:
    _record(pregnancy=pregnancy, grantee={"user": user}, level=None, reason=reason, source=source)
    audit_record(
        actor=actor,
        action=AuditAction.REVOKE,
        obj=pregnancy,
        patient_ids=[pregnancy.patient.external_id],
        reason=reason,
        changes={"user": str(user.external_id), "source": list(source) if source else None},
    )
