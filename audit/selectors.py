"""Reads of the audit trail, scoped to the auditor."""

from django.db.models import QuerySet

from accounts.choices import Role
from accounts.permissions import Action, has_action

from .models import AuditEvent


def audit_event_list(*, actor) -> QuerySet[AuditEvent]:
    """System administrators and unscoped auditors see everything; an auditor attached to a region
    or a facility sees the events of people working there."""
    qs = AuditEvent.objects.select_related("actor_facility")
    if not has_action(actor, Action.VIEW_AUDIT):
        return qs.none()
    if actor.has_role(Role.SYSTEM_ADMIN):
        return qs
    if actor.region_id is not None:
        return qs.filter(actor_facility__region_code__startswith=actor.region.code_prefix)
    if actor.facility_id is not None:
        return qs.filter(actor_facility_id=actor.facility_id)
    return qs
