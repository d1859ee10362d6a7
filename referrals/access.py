"""The only way to fetch a referral by id. Either side's staff see it (and supervisors of the region,
and anyone who may see the pregnancy). No view → 404; wrong side for a step → 403 (checked in the
services); illegal state → 409."""

from functools import cache

from django.db.models import Q, QuerySet

from accounts.permissions import Action, has_action
from cases.access import pregnancy_scope
from core.errors import NotFound
from core.ids import parse_uuid
from core.rows import Joined

from .models import Referral


def takes_part_in_referrals(actor) -> bool:
    """Staff who refer or receive women (the request_referral or accept_referral action) at a facility.
    Only they see all of their facility's referrals (its inboxes); other roles see the referrals of the
    women whose records they may see."""
    return (
        getattr(actor, "facility_id", None) is not None
        and has_action(actor, Action.VIEW_CASE)
        and (has_action(actor, Action.REQUEST_REFERRAL) or has_action(actor, Action.ACCEPT_REFERRAL))
    )


def _sides(actor) -> Q:
    """Her facility's own referrals, sent or received: what staff who take part in referrals see beside
    the women they may see."""
    return Q(from_facility_id=actor.facility_id) | Q(to_facility_id=actor.facility_id)


def referrals_visible_to(actor) -> QuerySet[Referral]:
    """The referrals of the women the actor may see, and, for staff who take part in referrals, every
    referral from or to her facility (also after a decline has taken the record away again).

    Every arm is an index condition on the referral table: her view of the woman through the managing and
    follow-up facility copied onto the referral (``cases.copies``) and her grants on the pregnancy key, and
    the two facilities. A list is a bitmap of index scans and one referral a probe of each. Testing her
    scope on the pregnancy hashed every woman she may see first (32,000 at a county hospital of a
    million-pregnancy region: 300 ms for a list of referrals; issue #9)."""
    if not has_action(actor, Action.VIEW_CASE):
        return Referral.objects.none()
    scope = pregnancy_scope(actor, "view", on="pregnancy_")
    if takes_part_in_referrals(actor):
        scope = _sides(actor) | scope
    return Referral.objects.filter(scope)


# What a referral's page and the API's reading of one referral show with it.
SHOWN_WITH = ("pregnancy__patient", "from_facility", "to_facility", "sending_clinician", "accepted_by")
# What a step of a referral works with (the woman for the audit and grants, the two sides' facilities
# for the rules, the sending clinician its answer names); anything else it shows is read when needed.
# Compiled by the ORM, each related table joined cost a county obstetrician about a millisecond and a
# half per step; in the fixed statement (``_own_side``) a join costs microseconds, where the sending
# clinician read on her own cost every step a query of its own.
STEP_NEEDS = ("pregnancy__patient", "from_facility", "to_facility", "sending_clinician")


@cache
def _own_side(related: tuple[str, ...]) -> Joined:
    """One referral with ``related`` joined (each relation's parents first, as ``Joined`` wants them)."""
    paths: list[str] = []
    for name in related:
        parts = name.split("__")
        for end in range(1, len(parts) + 1):
            path = "__".join(parts[:end])
            if path not in paths:
                paths.append(path)
    return Joined(Referral, *paths)


def access_referral_by_id(actor, referral_id, *, related=SHOWN_WITH) -> Referral:
    """One referral the actor may see (``referrals_visible_to``), or ``NotFound``.

    Staff who take part in referrals mostly open their own facility's, sent or received: those are read
    with the facility condition alone first, in one prepared statement (``core.rows.Joined``). Building,
    compiling and planning her whole scope (her grants on the pregnancy key as sub-selects of the object
    permissions) cost a county obstetrician about 20 ms a step of a referral, more than the step; the
    ORM's own query for her facility's referral still cost 3.0 ms a step, the prepared one 0.5 (issue
    #9, bench database). Anything else goes through the whole rule."""
    uuid = parse_uuid(referral_id)
    if uuid is None:
        raise NotFound()
    referral = None
    if takes_part_in_referrals(actor):
        found = _own_side(tuple(related)).fetch(
            "t0.external_id = %s AND (t0.from_facility_id = %s OR t0.to_facility_id = %s)",
            [uuid, actor.facility_id, actor.facility_id],
        )
        referral = found[0] if found is not None else None
    if referral is None:
        referral = referrals_visible_to(actor).filter(external_id=uuid).select_related(*related).first()
    if referral is None:
        raise NotFound()
    return referral
