"""Reads of cases, always scoped to the actor through ``access``."""

import datetime as dt
import re

from django.db.models import BooleanField, Case, ExpressionWrapper, Q, QuerySet, When
from django.utils import timezone

from .access import patients_visible_to, pregnancies_visible_to
from .choices import PregnancyStatus
from .dating import gestational_age as ga_from_edd
from .identity import InvalidIdNumber, InvalidPhone, normalise_phone, parse_resident_id
from .models import BreakGlassAccess, CareTask, Delivery, MaternalDeath, NearMissEvent, Patient, Pregnancy

LIST_RELATED = ("patient", "managing_facility", "responsible_clinician")
# Highest risk first where the worklist breaks ties.
COLOR_ORDER = ("red", "orange", "yellow", "green")


def pregnancy_list(*, actor) -> QuerySet[Pregnancy]:
    return pregnancies_visible_to(actor).select_related(*LIST_RELATED).order_by("-created_at", "-id")


def worklist(*, actor) -> QuerySet[Pregnancy]:
    """The actor's facility's open pregnancies (managed or followed up there): overdue visits first,
    then by next visit date; among women due the same day the highest colour first (red, orange,
    yellow, green, ungraded), then the most recently booked."""
    if actor.facility_id is None:
        return Pregnancy.objects.none()
    today = timezone.localdate()
    return (
        pregnancies_visible_to(actor)
        .filter(Q(managing_facility_id=actor.facility_id) | Q(follow_up_facility_id=actor.facility_id))
        .filter(status__in=[PregnancyStatus.ACTIVE, PregnancyStatus.POSTPARTUM])
        .select_related(*LIST_RELATED)
        .order_by(
            # Q has no .desc(): wrap it as a boolean expression to order by it.
            ExpressionWrapper(Q(next_visit_date__lt=today), output_field=BooleanField()).desc(
                nulls_last=True
            ),
            "next_visit_date",
            Case(*(When(risk_color=color, then=rank) for rank, color in enumerate(COLOR_ORDER)), default=9),
            "-created_at",
            "-id",
        )
    )


def search_filter(query: str, *, prefix: str = "patient__") -> Q:
    """Search by resident ID number (either form), phone, record number, or name (partial).

    ``prefix`` is the path from the queried model to the patient (``""`` when querying patients).
    """
    query = (query or "").strip()
    if not query:
        return Q()
    compact = re.sub(r"[\s-]", "", query)
    if re.fullmatch(r"\d{15}|\d{17}[\dxX]", compact):
        try:
            return Q(**{f"{prefix}id_number": parse_resident_id(compact).number})
        except InvalidIdNumber:
            return Q(**{f"{prefix}id_number": compact.upper()})
    if re.fullmatch(r"(MS|TMP)\d+", compact.upper()):
        return Q(**{f"{prefix}record_number": compact.upper()})
    if re.fullmatch(r"\+?\d{11,15}", compact):
        try:
            phone = normalise_phone(compact)
        except InvalidPhone:
            pass
        else:
            return Q(**{f"{prefix}phone": phone}) | Q(**{f"{prefix}emergency_contact_phone": phone})
    return Q(**{f"{prefix}name__icontains": query}) | Q(**{f"{prefix}document_number": query.upper()})


def ga_bounds_to_edd(ga_min_weeks: int | None, ga_max_weeks: int | None, today: dt.date | None = None) -> Q:
    """GA between ``ga_min_weeks``+0 and ``ga_max_weeks``+6 today, as an EDD range (indexable)."""
    today = today or timezone.localdate()
    q = Q(status=PregnancyStatus.ACTIVE)
    if ga_min_weeks is not None:
        q &= Q(edd__lte=today + dt.timedelta(days=280 - 7 * ga_min_weeks))
    if ga_max_weeks is not None:
        q &= Q(edd__gte=today + dt.timedelta(days=280 - (7 * ga_max_weeks + 6)))
    return q


def gestational_age(pregnancy: Pregnancy, on: dt.date | None = None) -> dict | None:
    """``{"weeks", "days"}`` today (Asia/Shanghai) from the EDD; null once the pregnancy has ended."""
    if pregnancy.edd is None or pregnancy.status != PregnancyStatus.ACTIVE:
        return None
    ga = ga_from_edd(pregnancy.edd, on or timezone.localdate())
    return ga.as_dict() if ga.total_days >= 0 else None


def postpartum_days(pregnancy: Pregnancy, on: dt.date | None = None) -> int | None:
    if pregnancy.ended_on is None or pregnancy.status == PregnancyStatus.ACTIVE:
        return None
    return ((on or timezone.localdate()) - pregnancy.ended_on).days


def patient_list(*, actor) -> QuerySet[Patient]:
    return patients_visible_to(actor).select_related("registered_facility").order_by("-created_at", "-id")


def care_task_list(*, actor) -> QuerySet[CareTask]:
    """Open tasks of the actor's facility for pregnancies she may see."""
    if actor.facility_id is None:
        return CareTask.objects.none()
    return (
        CareTask.objects.filter(
            facility_id=actor.facility_id, status="open", pregnancy__in=pregnancies_visible_to(actor)
        )
        .select_related("pregnancy__patient")
        .order_by("due_at", "id")
    )


def case_timeline(pregnancy: Pregnancy) -> list[dict]:
    """Visits, datings, delivery, near misses, death and tasks as one list, newest first.

    A fixed number of queries whatever the number of visits (each kind is one query)."""
    items: list[dict] = []
    for visit in pregnancy.visits.select_related("facility", "clinician").order_by("-visited_at")[:200]:
        items.append({"kind": "visit", "at": visit.visited_at, "object": visit})
    for dating in pregnancy.datings.select_related("recorded_by").all():
        items.append({"kind": "dating", "at": dating.created_at, "object": dating})
    deliveries = list(
        Delivery.objects.filter(pregnancy=pregnancy).select_related("facility").prefetch_related("newborns")
    )
    for delivery in deliveries:
        items.append({"kind": "delivery", "at": delivery.delivered_at, "object": delivery})
    for event in NearMissEvent.objects.filter(pregnancy=pregnancy):
        items.append({"kind": "near_miss", "at": event.occurred_at, "object": event})
    for death in MaternalDeath.objects.filter(pregnancy=pregnancy):
        items.append({"kind": "death", "at": death.died_at, "object": death})
    items.sort(key=lambda item: item["at"], reverse=True)
    return items


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
