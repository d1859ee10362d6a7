"""Reads: inboxes and ranked suggestions of where a woman can go."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from cases.choices import PregnancyStatus
from cases.models import Pregnancy
from facilities.choices import CRITICAL_CARE_RANK, TIER_RANK, Capability, CriticalCareLevel, Tier
from facilities.models import Facility
from risk.selectors import current_assessment

from .choices import OPEN_STATUSES
from .models import Referral

RELATED = ("pregnancy__patient", "from_facility", "to_facility", "sending_clinician")

# Capabilities a woman's criteria need (by criterion code prefix / category).
CATEGORY_NEEDS = {
    "cardiovascular": [Capability.CARDIAC_SURGERY, Capability.OBSTETRIC_ICU],
    "respiratory": [Capability.OBSTETRIC_ICU],
    "hematologic": [Capability.BLOOD_BANK],
}
CODE_NEEDS = {
    "ACCRETA": [Capability.INTERVENTIONAL_RADIOLOGY, Capability.BLOOD_BANK],
    "PREVIA": [Capability.BLOOD_BANK],
}


def incoming(*, actor) -> QuerySet[Referral]:
    if actor.facility_id is None:
        return Referral.objects.none()
    return Referral.objects.filter(to_facility_id=actor.facility_id).select_related(*RELATED)


def outgoing(*, actor) -> QuerySet[Referral]:
    if actor.facility_id is None:
        return Referral.objects.none()
    return Referral.objects.filter(from_facility_id=actor.facility_id).select_related(*RELATED)


def inbox_order(qs: QuerySet[Referral]) -> QuerySet[Referral]:
    """Open first, emergencies first, oldest clock first."""
    from django.db.models import Case, IntegerField, Value, When

    return qs.annotate(
        _open=Case(
            When(status__in=OPEN_STATUSES, then=Value(0)), default=Value(1), output_field=IntegerField()
        ),
        _urgency=Case(
            When(urgency="emergency", then=Value(0)),
            When(urgency="urgent", then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        ),
    ).order_by("_open", "_urgency", "clock_started_at")


@dataclass
class Suggestion:
    facility: Facility
    reasons: list[str] = field(default_factory=list)
    rank: tuple = ()


def needed_capabilities(pregnancy: Pregnancy) -> list[str]:
    """Capabilities the receiving facility needs for her orange and red criteria (yellow criteria need
    none beyond the tier), and isolation / PMTCT for purple."""
    assessment = current_assessment(pregnancy)
    needs: list[str] = []
    if assessment is not None:
        from risk.models import CatalogueCriterion

        serious = CatalogueCriterion.objects.filter(
            version=assessment.catalogue_version, code__in=assessment.triggered, color__in=["orange", "red"]
        ).values_list("code", "category")
        for code, category in serious:
            needs += CATEGORY_NEEDS.get(category, [])
            needs += [cap for fragment, caps in CODE_NEEDS.items() if fragment in code for cap in caps]
    if pregnancy.purple:
        needs.append(Capability.ISOLATION_PMTCT)
    return sorted(set(needs))


def referral_suggestions(*, actor, pregnancy: Pregnancy, limit: int = 10) -> list[Suggestion]:
    """Facilities that can take her, ranked: the tier and critical-care level her colour needs, the
    capabilities her criteria need, her own county first, then her city, her province, further away.
    After the pregnancy has ended, a down-referral goes to primary care where she lives."""
    home = actor.facility
    if pregnancy.status == PregnancyStatus.POSTPARTUM and actor.facility.tier != Tier.PRIMARY:
        region = (
            pregnancy.patient.residence_region.code
            if pregnancy.patient.residence_region_id
            else (
                pregnancy.follow_up_facility.region_code
                if pregnancy.follow_up_facility_id
                else home.region_code
            )
        )
        qs = Facility.objects.active().filter(tier=Tier.PRIMARY).exclude(pk=home.pk)
        candidates = [(f, [_("primary care for postpartum visits and the 42-day check")]) for f in qs]
        return _rank(candidates, region, limit)
    color = pregnancy.risk_color
    q = Q(is_active=True) & ~Q(pk=home.pk)
    reasons = []
    if color == "red":
        q &= Q(
            tier=Tier.TERTIARY, critical_care_level__in=[CriticalCareLevel.CITY, CriticalCareLevel.PROVINCE]
        )
        reasons.append(_("red: tertiary city or provincial critical care centre"))
    elif color == "orange":
        q &= Q(critical_care_level__isnull=False)
        reasons.append(_("orange: critical maternal care centre"))
    elif color == "yellow":
        q &= Q(tier__in=[Tier.SECONDARY, Tier.TERTIARY])
        reasons.append(_("yellow: secondary or tertiary hospital"))
    else:
        q &= Q(tier__in=[Tier.SECONDARY, Tier.TERTIARY])
        reasons.append(_("grading and care at a secondary or tertiary hospital"))
    needs = needed_capabilities(pregnancy)
    if needs:
        q &= Q(capabilities__contains=needs)
        labels = dict(Capability.choices)
        reasons.append(_("has %(caps)s") % {"caps": ", ".join(str(labels[c]) for c in needs)})
    candidates = [(f, list(reasons)) for f in Facility.objects.filter(q).select_related("region")]
    return _rank(candidates, home.region_code, limit)


def _rank(candidates, region_code: str, limit: int) -> list[Suggestion]:
    out = []
    for facility, reasons in candidates:
        code = facility.region_code
        if code == region_code:
            distance, where = 0, _("same county")
        elif code[:4] == region_code[:4]:
            distance, where = 1, _("same city")
        elif code[:2] == region_code[:2]:
            distance, where = 2, _("same province")
        else:
            distance, where = 3, _("outside the province")
        rank = (
            distance,
            -CRITICAL_CARE_RANK.get(facility.critical_care_level, 0),
            -TIER_RANK[facility.tier],
            facility.name_zh,
        )
        out.append(Suggestion(facility=facility, reasons=[*reasons, where], rank=rank))
    out.sort(key=lambda s: s.rank)
    return out[:limit]
