"""Reads: inboxes and ranked suggestions of where a woman can go."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from cases.choices import PregnancyStatus
from cases.models import Pregnancy
from facilities.choices import CRITICAL_CARE_RANK, TIER_RANK, Capability, CriticalCareLevel, Tier
from facilities.models import Facility
from risk.selectors import current_assessment

from .access import takes_part_in_referrals
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
    """Referrals to the actor's facility; nothing for a role that does not take part in referrals."""
    if not takes_part_in_referrals(actor):
        return Referral.objects.none()
    return Referral.objects.filter(to_facility_id=actor.facility_id).select_related(*RELATED)


def outgoing(*, actor) -> QuerySet[Referral]:
    """Referrals from the actor's facility; nothing for a role that does not take part in referrals."""
    if not takes_part_in_referrals(actor):
        return Referral.objects.none()
    return Referral.objects.filter(from_facility_id=actor.facility_id).select_related(*RELATED)


def inbox_order(qs: QuerySet[Referral]) -> QuerySet[Referral]:
    """Open first, emergencies first, oldest clock first; the oldest referral first on the same clock
    (without it, the order of equal clocks could change from one page to the next)."""
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
    ).order_by("_open", "_urgency", "clock_started_at", "id")


@dataclass
class Suggestion:
    facility: Facility
    reasons: list[str] = field(default_factory=list)
    rank: tuple = ()
    missing: list[str] = field(default_factory=list)


def join_list(items) -> str:
    """A translated enumeration: "a, b" in English, "a、b" in Chinese."""
    return pgettext("list separator", ", ").join(str(item) for item in items)


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


def _level_filter(color: str | None) -> tuple[Q, str]:
    """The tier and critical-care level her colour needs, and the reason saying so."""
    if color == "red":
        return (
            Q(
                tier=Tier.TERTIARY,
                critical_care_level__in=[CriticalCareLevel.CITY, CriticalCareLevel.PROVINCE],
            ),
            _("red: tertiary city or provincial critical care centre"),
        )
    if color == "orange":
        return Q(critical_care_level__isnull=False), _("orange: critical maternal care centre")
    if color == "yellow":
        return Q(tier__in=[Tier.SECONDARY, Tier.TERTIARY]), _("yellow: secondary or tertiary hospital")
    return (
        Q(tier__in=[Tier.SECONDARY, Tier.TERTIARY]),
        _("grading and care at a secondary or tertiary hospital"),
    )


def referral_suggestions(*, actor, pregnancy: Pregnancy, limit: int = 10) -> list[Suggestion]:
    """Facilities that can take her, ranked: the tier and critical-care level her colour needs, the
    capabilities her criteria need, her own county first, then her city, her province, further away.

    When no facility of that level has every capability she needs, the best partial matches are
    suggested instead: most of the needed capabilities first, each saying which ones it lacks.
    After the pregnancy has ended, a down-referral goes to primary care where she lives. The actor
    must work at a facility (the caller checks that she may refer)."""
    home = actor.facility
    if pregnancy.status == PregnancyStatus.POSTPARTUM and home.tier != Tier.PRIMARY:
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
        candidates = [(f, [_("primary care for postpartum visits and the 42-day check")], 0, []) for f in qs]
        return _rank(candidates, region, limit)
    level, level_reason = _level_filter(pregnancy.risk_color)
    eligible = list(
        Facility.objects.filter(level, is_active=True).exclude(pk=home.pk).select_related("region")
    )
    needs = needed_capabilities(pregnancy)
    if not needs:
        return _rank([(f, [level_reason], 0, []) for f in eligible], home.region_code, limit)
    labels = dict(Capability.choices)
    candidates = []
    for facility in eligible:
        has = [c for c in needs if c in (facility.capabilities or [])]
        missing = [c for c in needs if c not in has]
        reasons = [level_reason]
        if has:
            reasons.append(_("has %(caps)s") % {"caps": join_list(labels[c] for c in has)})
        if missing:
            reasons.append(_("lacks %(caps)s") % {"caps": join_list(labels[c] for c in missing)})
        candidates.append((facility, reasons, len(missing), missing))
    complete = [c for c in candidates if not c[3]]
    return _rank(complete or candidates, home.region_code, limit)


def _rank(candidates, region_code: str, limit: int) -> list[Suggestion]:
    """Fewest missing capabilities first (all are complete unless none was), then nearest, then the
    highest critical-care level and tier."""
    out = []
    for facility, reasons, missing_count, missing in candidates:
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
            missing_count,
            distance,
            -CRITICAL_CARE_RANK.get(facility.critical_care_level, 0),
            -TIER_RANK[facility.tier],
            facility.name_zh,
        )
        out.append(Suggestion(facility=facility, reasons=[*reasons, where], rank=rank, missing=list(missing)))
    out.sort(key=lambda s: s.rank)
    return out[:limit]
