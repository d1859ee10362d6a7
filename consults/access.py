"""The only way to fetch a consult by id: whoever may see the pregnancy (care team, grants, supervisors),
the invited participants while their access lasts, and the coordinating facility's staff."""

from django.db.models import Q, QuerySet

from accounts.permissions import Action, has_action
from cases.access import pregnancy_scope
from cases.models import Pregnancy
from core.errors import NotFound
from core.ids import parse_uuid

from .models import Consult


def consults_visible_to(actor) -> QuerySet[Consult]:
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return Consult.objects.none()
    scope = Q(participants__user=actor, participants__grant_revoked_at__isnull=True) & ~Q(
        participants__status="declined"
    )
    if has_action(actor, Action.VIEW_CASE):
        scope |= Q(pregnancy__in=Pregnancy.objects.filter(pregnancy_scope(actor, "view")))
    if actor.facility_id is not None and has_action(actor, Action.SCHEDULE_CONSULT):
        scope |= Q(coordinating_facility_id=actor.facility_id)
    return Consult.objects.filter(pk__in=Consult.objects.filter(scope).values("pk"))


def access_consult_by_id(actor, consult_id) -> Consult:
    uuid = parse_uuid(consult_id)
    consult = (
        consults_visible_to(actor)
        .filter(external_id=uuid)
        .select_related("pregnancy__patient", "requesting_facility", "coordinating_facility", "requested_by")
        .first()
        if uuid
        else None
    )
    if consult is None:
        raise NotFound()
    return consult
