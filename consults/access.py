"""The only way to fetch a consult by id: whoever may see the pregnancy (care team, grants, supervisors),
the invited participants while their access lasts, and the coordinating facility's coordinators; and the
rules of who may do what in a consult (``takes_part``, ``may_*``)."""

from django.db.models import Q, QuerySet

from accounts.permissions import Action, has_action
from cases.access import pregnancy_scope
from cases.models import Pregnancy
from core.errors import NotFound
from core.ids import parse_uuid

from .choices import InvitationStatus
from .models import Consult, Participant


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


# --- who does what in a consult ----------------------------------------------------------------------
#
# Seeing a consult (above) is not taking part in it. The rules, checked by the services and mirrored by the
# pages (one place, so the buttons shown and the services never disagree):
#
# - schedule / reschedule: an MDT coordinator (``schedule_consult``) of the coordinating facility;
# - cancel: the requesting clinician or such a coordinator;
# - record an opinion, add an addendum: a person with ``record_opinion`` who takes part;
# - sign the decision, conclude as lead physician: a person with ``conclude_consult`` who takes part.
#
# Taking part means being the requesting clinician, or an invitee whose invitation is open or accepted
# (not declined, not withdrawn). An invitee who has not answered yet may act: recording an opinion, signing
# or concluding accepts the invitation implicitly (a specialist who gives her opinion is obviously taking
# part; making her click "accept" first only loses opinions). Other staff of the woman's or the
# coordinating facility read the record but take part only when the coordinator invites them.

TAKING_PART = (InvitationStatus.INVITED, InvitationStatus.ACCEPTED)


def is_consult_coordinator(user, consult: Consult) -> bool:
    return (
        has_action(user, Action.SCHEDULE_CONSULT)
        and user.facility_id is not None
        and user.facility_id == consult.coordinating_facility_id
    )


def takes_part(user, consult: Consult, participants: list[Participant] | None = None) -> bool:
    """The requesting clinician, or an invitee whose invitation is open or accepted. ``participants``, when
    given (already loaded), saves the query."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.pk == consult.requested_by_id:
        return True
    if participants is None:
        return consult.participants.filter(user=user, status__in=TAKING_PART).exists()
    return any(p.user_id == user.pk and p.status in TAKING_PART for p in participants)


def may_record_opinion(user, consult: Consult, participants: list[Participant] | None = None) -> bool:
    return has_action(user, Action.RECORD_OPINION) and takes_part(user, consult, participants)


def may_conclude(user, consult: Consult, participants: list[Participant] | None = None) -> bool:
    """Sign the decision and conclude as lead physician."""
    return has_action(user, Action.CONCLUDE_CONSULT) and takes_part(user, consult, participants)


def may_cancel(user, consult: Consult) -> bool:
    return user.pk == consult.requested_by_id or is_consult_coordinator(user, consult)
