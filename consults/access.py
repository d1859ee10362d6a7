"""The only way to fetch a consult by id: whoever may see the pregnancy (care team, grants, supervisors),
the invited participants while their access lasts, and the coordinating facility's coordinators; and the
rules of who may do what in a consult (``takes_part``, ``may_*``)."""

from django.db.models import Q, QuerySet

from accounts.permissions import Action, has_action
from cases.access import AnyOf, pregnancy_scope
from core.errors import NotFound
from core.ids import parse_uuid

from .choices import InvitationStatus
from .models import Consult, Participant


def consults_visible_to(actor) -> QuerySet[Consult]:
    """The consults ``actor`` may see (``consult_scope``), for lists and for one consult alike."""
    return Consult.objects.filter(consult_scope(actor))


def consult_scope(actor) -> Q:
    """Who may see a consult, as a filter on its row: an invitation of hers (not declined, access not
    revoked), her view of the woman's pregnancy, or her facility coordinating.

    Every arm is an index condition on the consult table, so PostgreSQL answers a list with a bitmap of
    index scans and one consult with a probe of each: her invitations' consult keys (a few), the woman's
    managing and follow-up facility copied onto the consult (``cases.copies``), her grants and
    break-the-glass accesses on the pregnancy key, the coordinating facility. Testing her scope on the
    pregnancy instead built the set of every pregnancy she may see first (83,000 rows for a city hospital
    at a million pregnancies, 340 ms; issue #9)."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return Q(pk__in=[])
    invited = (
        Participant.objects.filter(user=actor, grant_revoked_at__isnull=True)
        .exclude(status=InvitationStatus.DECLINED)
        .order_by()
        .values("consult_id")
    )
    scope = Q(AnyOf("pk", invited))
    if has_action(actor, Action.VIEW_CASE):
        scope |= pregnancy_scope(actor, "view", on="pregnancy_")
    if coordinates_consults(actor):
        scope |= Q(coordinating_facility_id=actor.facility_id)
    return scope


def may_see_consult(actor, consult: Consult) -> bool:
    return Consult.objects.filter(consult_scope(actor), pk=consult.pk).exists()


def consults_coordinated_by(actor) -> QuerySet[Consult]:
    """The consults run by ``actor``'s facility when she is an MDT coordinator there (``schedule_consult``),
    none otherwise: exactly the coordinator arm of ``consults_visible_to``, so every row is one she may see.

    For the board and other coordinator lists: filtering ``consults_visible_to`` on the coordinating
    facility gives the same rows, but PostgreSQL builds the whole visible set first (every pregnancy of her
    facility: 83,000 rows, 250 ms per statement at a million pregnancies); this is a walk of the
    ``consult_board`` index."""
    if not coordinates_consults(actor):
        return Consult.objects.none()
    return Consult.objects.filter(coordinating_facility_id=actor.facility_id)


def coordinates_consults(actor) -> bool:
    """An active MDT coordinator (``schedule_consult``) of a facility: she sees all its consults."""
    return (
        getattr(actor, "is_authenticated", False)
        and actor.is_active
        and actor.facility_id is not None
        and has_action(actor, Action.SCHEDULE_CONSULT)
    )


def access_consult_by_id(actor, consult_id) -> Consult:
    uuid = parse_uuid(consult_id)
    consult = (
        Consult.objects.filter(consult_scope(actor), external_id=uuid)
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
