"""The only way to fetch a referral by id. Either side's staff see it (and supervisors of the region,
and anyone who may see the pregnancy). No view → 404; wrong side for a step → 403 (checked in the
services); illegal state → 409."""

from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.permissions import Action, has_action
from cases.access import pregnancy_scope
from cases.models import Pregnancy
from core.errors import NotFound
from core.ids import parse_uuid

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


def referrals_visible_to(actor, *, few: bool = False) -> QuerySet[Referral]:
    """The referrals of the women the actor may see, and, for staff who take part in referrals, every
    referral from or to her facility (also after a decline has taken the record away again).

    ``few``: the caller selects a handful of referrals by key (one referral's page, the referrals an inbox
    names): her scope is then tested on each one's woman, one probe of the pregnancy's key each. A list
    keeps ``pregnancy IN (her scope)``, which PostgreSQL answers by hashing every woman she may see once
    (32,000 at a county hospital of a million-pregnancy region, about 100 ms): cheaper than a probe per
    referral over a whole list (1.6 s for 25,000 referrals), 100 times dearer for one referral (issue #9).
    """
    if not has_action(actor, Action.VIEW_CASE):
        return Referral.objects.none()
    women = Pregnancy.objects.filter(pregnancy_scope(actor, "view"))
    scope = Q(Exists(women.filter(pk=OuterRef("pregnancy_id")))) if few else Q(pregnancy__in=women)
    if takes_part_in_referrals(actor):
        scope |= Q(from_facility_id=actor.facility_id) | Q(to_facility_id=actor.facility_id)
    return Referral.objects.filter(scope)


def access_referral_by_id(actor, referral_id) -> Referral:
    uuid = parse_uuid(referral_id)
    referral = (
        referrals_visible_to(actor, few=True)
        .filter(external_id=uuid)
        .select_related(
            "pregnancy__patient", "from_facility", "to_facility", "sending_clinician", "accepted_by"
        )
        .first()
        if uuid
        else None
    )
    if referral is None:
        raise NotFound()
    return referral
