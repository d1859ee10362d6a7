"""Writing the audit trail. Every service that reads or writes patient data calls ``audit_record``.

``audit_record`` runs inside the caller's transaction, so a rolled-back change leaves no audit row
and a committed one always has its row. Reads are audited by the access layer when an object is
fetched, and by list endpoints once per page (the ids shown), not once per row.
"""

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from django.conf import settings
from django.utils import translation

from core import request_context
from core.rows import insert

from .choices import AuditAction
from .models import AuditEvent

# Rows whose commit need not wait for the WAL flush when they are their own transaction (audit_record).
ROUTINE_READS = frozenset({AuditAction.READ, AuditAction.LIST})


def _object_fields(obj: Any) -> tuple[str, str, str]:
    if obj is None:
        return "", "", ""
    if isinstance(obj, tuple):
        object_type, object_id = obj
        return str(object_type), str(object_id), ""
    meta = obj._meta
    object_id = getattr(obj, "external_id", None) or obj.pk
    # One language for every row, whatever the actor's language was at the time.
    with translation.override(settings.LANGUAGE_CODE):
        text = str(obj)[:200]
    return f"{meta.app_label}.{meta.model_name}", str(object_id), text


def _storable(value: Any) -> Any:
    """``value`` with every NUL character replaced: PostgreSQL's text and jsonb cannot hold U+0000, and
    what a request carried (a list's query string, say) must be recorded, not make the request fail."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {_storable(key): _storable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_storable(item) for item in value]
    return value


def audit_event_build(
    *,
    actor: Any,
    action: str,
    obj: Any = None,
    patient_ids: Iterable[UUID] = (),
    reason: str = "",
    changes: dict | None = None,
    needs_review: bool = False,
    username: str = "",
) -> AuditEvent:
    """An unsaved event with the actor snapshot and request context filled in."""
    ctx = request_context.current()
    object_type, object_id, object_repr = _object_fields(obj)
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEvent(
        actor=actor if authenticated else None,
        actor_username=actor.username if authenticated else username[:150],
        actor_roles=list(actor.roles) if authenticated else [],
        actor_facility_id=actor.facility_id if authenticated else None,
        action=AuditAction(action),
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr,
        patient_ids=list(patient_ids),
        reason=_storable(reason),
        changes=_storable(changes or {}),
        ip_address=ctx.ip_address,
        user_agent=ctx.user_agent,
        request_id=ctx.request_id,
        channel=ctx.channel,
        needs_review=needs_review,
    )


def audit_record(**kwargs: Any) -> AuditEvent:
    """Write one audit row (see ``audit_event_build`` for the arguments).

    Written by ``core.rows.insert`` (one fixed statement prepared on the connection, the women's ids as
    one array literal): every audited request writes a row, and the ORM's ``save()`` cost 0.72–0.9 ms
    of this process's CPU for a list page's row (50 women), this 0.33–0.35 ms (issue #9). The returned
    event is saved (``pk`` and ``occurred_at`` set). Nothing listens to audit events' model signals;
    if something did, ``insert`` would leave the row to ``save()``.

    The row of a routine read (``ROUTINE_READS``: a record or a list shown) written as its own
    transaction (a GET: no atomic block) is committed without waiting for the WAL flush
    (``core.rows._insert_without_flush_wait``): committed and visible at once, but a crash of the
    database server in the following fraction of a second could lose it. The read itself changed
    nothing. Every other row (changes, transitions, reveals, exports, prints, emergency access,
    sign-ins) and every row inside a transaction waits for the flush as before, and
    ``AUDIT_READ_SYNCHRONOUS_COMMIT = True`` makes routine reads wait too.
    """
    event = audit_event_build(**kwargs)
    insert(
        event, synchronous_commit=settings.AUDIT_READ_SYNCHRONOUS_COMMIT or event.action not in ROUTINE_READS
    )
    return event


def audit_record_many(events: list[AuditEvent]) -> None:
    AuditEvent.objects.bulk_create(events)
