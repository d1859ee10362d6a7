"""The only way to fetch a follow-up window by id: among the windows the actor's worklist may show
(women she may see, followed up or managed at her facility; a supervisor: her region)."""

from core.errors import NotFound

from .models import FollowUp
from .selectors import followup_list


def access_followup_by_id(actor, follow_up_id) -> FollowUp:
    """The window (closed ones too), or ``NotFound`` — whether it does not exist or she may not know it
    exists. What she may *do* with it is the service's check (change access to the record, her role)."""
    follow_up = followup_list(actor=actor, include_closed=True).filter(external_id=follow_up_id).first()
    if follow_up is None:
        raise NotFound()
    return follow_up
