"""Reads of cases, always scoped to the actor through ``access``."""

from datetime import date

from django.db.models import QuerySet
from django.utils import timezone

from .access import pregnancies_visible_to
from .models import BreakGlassAccess, Pregnancy


def pregnancy_list(*, actor) -> QuerySet[Pregnancy]:
    return pregnancies_visible_to(actor).select_related("patient", "managing_facility").order_by("-created_at", "-id")


def gestational_age(pregnancy: Pregnancy, on: date | None = None) -> dict | None:
    """``{"weeks", "days"}`` on ``on`` (today in Asia/Shanghai by default) from the EDD; null once ended."""
    if pregnancy.edd is None or pregnancy.status not in ("active",):
        return None
    on = on or timezone.localdate()
    days = 280 - (pregnancy.edd - on).days
    if days < 0:
        return None
    return {"weeks": days // 7, "days": days % 7}


def break_glass_review_list(*, actor) -> QuerySet[BreakGlassAccess]:
    """Emergency accesses the actor may review: all for auditors, her facility's staff for facility admins."""
    from accounts.permissions import Action, has_action

    qs = BreakGlassAccess.objects.select_related("user", "pregnancy__patient", "reviewed_by")
    if not has_action(actor, Action.REVIEW_BREAK_GLASS):
        return qs.none()
    if actor.has_role("auditor"):
        return qs.exclude(user=actor)
    if actor.facility_id is None:
        return qs.none()
    return qs.filter(user__facility_id=actor.facility_id).exclude(user=actor)
