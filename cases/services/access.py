"""Writes on cases. This issue's part: grants to other facilities and break-the-glass access.

Only these services grant and revoke object permissions; only ``access.py`` checks them.
"""

from datetime import timedelta
from functools import cache

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.permissions import Action, has_action
from audit.choices import AuditAction
from audit.services import audit_record
from core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from core.ids import parse_uuid
from core.prepared import prepared_cursor
from core.rows import insert
from facilities.models import Facility
from facilities.services import facility_access_group_id

from ..choices import GrantLevel
from ..models import (
    BreakGlassAccess,
    Pregnancy,
    PregnancyGrant,
    PregnancyGroupObjectPermission,
    PregnancyUserObjectPermission,
)

MIN_REASON_LENGTH = 10


MANUAL_SOURCE = ("manual", "")


def _codenames(level: str) -> list[str]:
    return ["view_pregnancy", "change_pregnancy"] if level == GrantLevel.WRITE else ["view_pregnancy"]


def _record(*, pregnancy: Pregnancy, grantee: dict, level: str | None, reason: str, source) -> None:
    """Write the ledger row for ``source`` (``level`` None revokes it), then derive the guardian
    permissions of this grantee from every source still active, so one source's revoke never takes
    away what another source granted.

    Statements written here, not compiled by the ORM (four of them cost 2-3 ms of Python on every
    referral and consult step that grants or revokes, issue #9): the source's active row revoked and
    the levels of the grantee's other active sources read in one (``_revoke_and_others``), the new row
    (``core.rows.insert``), the facility's group, the permissions (``_set_permissions``)."""
    kind, ident = (str(source[0]), str(source[1])) if source else MANUAL_SOURCE
    now = timezone.now()
    column, holder = (
        ("user_id", grantee["user"].pk) if "user" in grantee else ("facility_id", grantee["facility"].pk)
    )
    with prepared_cursor() as cursor:
        cursor.execute(
            _revoke_and_others(column),
            [now, now, pregnancy.pk, holder, kind, ident, pregnancy.pk, holder, kind, ident],
        )
        levels = {row[0] for row in cursor.fetchall()}
    if level is not None:
        insert(
            PregnancyGrant(
                pregnancy=pregnancy, level=level, source_kind=kind, source_id=ident, reason=reason, **grantee
            )
        )
        levels.add(level)
    wanted: set[str] = set()
    if levels:
        wanted.update(_codenames(GrantLevel.WRITE if GrantLevel.WRITE in levels else GrantLevel.READ))
    if "user" in grantee:
        _set_permissions(PregnancyUserObjectPermission, "user_id", holder, pregnancy.pk, wanted)
    else:
        group_id = facility_access_group_id(facility=grantee["facility"])
        _set_permissions(PregnancyGroupObjectPermission, "group_id", group_id, pregnancy.pk, wanted)


@cache
def _revoke_and_others(column: str) -> str:
    """Revoke the grantee's active row of one source and return the levels of its other active rows,
    in one statement: the ``SELECT`` sees the table as it was before the ``UPDATE`` (one snapshot), so
    the revoked source is left out by its own condition. ``column``: ``user_id`` or ``facility_id``."""
    quote = connection.ops.quote_name
    table, holder = quote(PregnancyGrant._meta.db_table), quote(column)
    active = f"pregnancy_id = %s AND {holder} = %s AND revoked_at IS NULL"
    # table and column names from the model; every value a parameter
    return (
        f"WITH revoked AS (UPDATE {table} SET revoked_at = %s, updated_at = %s "  # noqa: S608
        f"WHERE {active} AND source_kind = %s AND source_id = %s RETURNING id) "
        f"SELECT level FROM {table} WHERE {active} "
        "AND NOT (source_kind = %s AND source_id = %s)"
    )


def _set_permissions(model, holder_column: str, holder_id: int, pregnancy_id: int, wanted: set[str]) -> None:
    """Make the holder's guardian permissions on the pregnancy exactly ``wanted`` (of ``_codenames``), in
    one statement: ``assign_perm`` and ``remove_perm`` per codename took seven for a read grant
    (permission look-ups, select-then-insert in a savepoint, select-then-delete), on every referral and
    consult step that grants or revokes (issue #9). The rows are guardian's own (its direct foreign-key
    models, the same columns and unique key), so its checks read them as before; the database copies the
    pregnancy's columns onto an inserted row (``cases/0007``)."""
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType

    quote = connection.ops.quote_name
    table, holder = quote(model._meta.db_table), quote(holder_column)
    permission, content_type = quote(Permission._meta.db_table), quote(ContentType._meta.db_table)
    all_codenames = _codenames(GrantLevel.WRITE)
    # table and column names from the models; every value a parameter
    sql = (
        f"WITH perms AS (SELECT p.id, p.codename = ANY(%s) AS wanted FROM {permission} p "  # noqa: S608
        f"JOIN {content_type} ct ON ct.id = p.content_type_id "
        "WHERE ct.app_label = %s AND ct.model = %s AND p.codename = ANY(%s)), "
        f"gone AS (DELETE FROM {table} WHERE {holder} = %s AND content_object_id = %s "
        "AND permission_id IN (SELECT id FROM perms WHERE NOT wanted)) "
        f"INSERT INTO {table} ({holder}, permission_id, content_object_id) "
        "SELECT %s, id, %s FROM perms WHERE wanted "
        f"ON CONFLICT ({holder}, permission_id, content_object_id) DO NOTHING"
    )
    meta = Pregnancy._meta
    params = [
        sorted(wanted),
        meta.app_label,
        meta.model_name,
        all_codenames,
        holder_id,
        pregnancy_id,
        holder_id,
        pregnancy_id,
    ]
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)


# Inside a caller's transaction (every referral and consult step), no savepoint: a failure here fails
# the whole step, which nothing catches to carry on; the SAVEPOINT / RELEASE pair cost each step two
# round trips (issue #9). Called on its own, it is its own transaction.
@transaction.atomic(savepoint=False)
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


@transaction.atomic(savepoint=False)
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


@transaction.atomic(savepoint=False)
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


@transaction.atomic(savepoint=False)
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
