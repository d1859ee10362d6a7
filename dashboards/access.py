"""Whose figures a person may see on the dashboards, and in what detail. Every rule is one line.

Full figures (``view_dashboard``), for the person's own scope:
  - a facility administrator: her facility;
  - a regional supervisor: her region (GB/T 2260 code prefix), any region or facility inside it;
  - a system administrator: the whole network.
Aggregate-only figures (``view_aggregates``) anywhere else: numbers below 5 are suppressed and no list
of women is offered (a supervisor looking at a neighbouring region, an auditor).
Anyone else: 403. An unknown region or facility: 404. A malformed one: 400.
"""

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from accounts.choices import Role
from accounts.permissions import Action, has_action
from core.errors import NotFound, PermissionDenied, ValidationFailed
from core.ids import parse_uuid
from facilities.models import Facility, Region


@dataclass(frozen=True)
class DashboardScope:
    """The facilities whose counters are summed: one facility, a region (code prefix), or all."""

    region: Region | None
    facility: Facility | None
    aggregate_only: bool
    can_list_women: bool

    @property
    def region_prefix(self) -> str | None:
        return self.region.code_prefix if self.region is not None else None

    def params(self) -> dict[str, str]:
        """The query parameters that select this scope again (links, exports)."""
        if self.facility is not None:
            return {"facility": str(self.facility.external_id)}
        if self.region is not None:
            return {"region": self.region.code}
        return {}

    def as_dict(self) -> dict:
        return {
            "region": {"code": self.region.code, "name": self.region.name} if self.region else None,
            "facility": (
                {"id": str(self.facility.external_id), "name": self.facility.name} if self.facility else None
            ),
            "aggregate_only": self.aggregate_only,
        }


def _region(code: str) -> Region:
    if not re.fullmatch(r"\d{6}", code):
        raise ValidationFailed(errors={"region": [_("A region is given by its 6-digit GB/T 2260 code.")]})
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise NotFound(_("No region has this code."))
    return region


def _facility(value: str) -> Facility:
    facility_uuid = parse_uuid(value)
    if facility_uuid is None:
        raise ValidationFailed(errors={"facility": [_("A facility is given by its id.")]})
    facility = Facility.objects.select_related("region").filter(external_id=facility_uuid).first()
    if facility is None:
        raise NotFound(_("No facility has this id."))
    return facility


def _own_region(actor) -> Region | None:
    if actor.has_role(Role.REGIONAL_SUPERVISOR) and actor.region_id is not None:
        return actor.region
    return None


def _is_own(actor, region: Region | None, facility: Facility | None) -> bool:
    """True when the scope lies inside what the actor's own role covers (full figures)."""
    if not has_action(actor, Action.VIEW_DASHBOARD):
        return False
    if actor.has_role(Role.SYSTEM_ADMIN):
        return True
    own_region = _own_region(actor)
    if own_region is not None and facility is not None:
        return facility.region_code.startswith(own_region.code_prefix)
    if own_region is not None and region is not None:
        return region.code_prefix.startswith(own_region.code_prefix)
    if actor.has_role(Role.FACILITY_ADMIN) and facility is not None:
        return facility.pk == actor.facility_id
    return False


def _default(actor) -> tuple[Region | None, Facility | None]:
    """No region or facility asked for: the actor's own scope (the whole network when it has none)."""
    if actor.has_role(Role.SYSTEM_ADMIN) or not has_action(actor, Action.VIEW_DASHBOARD):
        return None, None
    own_region = _own_region(actor)
    if own_region is not None:
        return own_region, None
    if actor.has_role(Role.FACILITY_ADMIN) and actor.facility_id is not None:
        return None, actor.facility
    return None, None


def dashboard_scope(actor, *, region: str | None = None, facility: str | None = None) -> DashboardScope:
    """The scope of the dashboard ``actor`` asked for (``region`` code, ``facility`` id, or neither)."""
    if not (has_action(actor, Action.VIEW_DASHBOARD) or has_action(actor, Action.VIEW_AGGREGATES)):
        raise PermissionDenied(_("Your role does not include the dashboards."))
    the_region = _region(region) if region else None
    the_facility = _facility(facility) if facility else None
    if the_region and the_facility and not the_facility.region_code.startswith(the_region.code_prefix):
        raise ValidationFailed(errors={"facility": [_("This facility is not in the region asked for.")]})
    if the_facility is not None:
        the_region = None  # the facility is the narrower scope
    elif the_region is None:
        the_region, the_facility = _default(actor)
    full = _is_own(actor, the_region, the_facility)
    if not full and not has_action(actor, Action.VIEW_AGGREGATES):
        raise PermissionDenied(_("These figures are outside the scope of your role."))
    return DashboardScope(
        region=the_region,
        facility=the_facility,
        aggregate_only=not full,
        can_list_women=full and has_action(actor, Action.VIEW_CASE),
    )
