"""Step: curated demo stories, so that the demo logins open onto real work (skip with ``--no-stories``).

About thirty women at the demo facilities (mostly 宾阳县人民医院, where the demo obstetrician and midwife
work, some at 南宁市妇幼保健院, 宾阳县妇幼保健院 and 宾州镇卫生院), each created through the services as a
clinician would: registration, visits with vital signs, confirmed grades (so case management, supervisor
reports and alerts follow from the rules), referrals, MDT consultations, a delivery, a MEOWS trigger and
follow-up windows. ``plots.py`` tells who they are and what happened to them.

Times are relative to the real current time (the services refuse future moments and date what they
record themselves), so a freshly seeded demo always looks current; ``--now`` only moves the on-call rota.

Idempotent: a woman is found again by her registered facility, name and mobile number (see ``cast.py``);
a story whose woman exists is not told again, so a re-run adds nothing. Stories run in the seed's main
transaction, before any ``--pregnancies`` cohort: they count towards its N, and the cohort's ID numbers
are chosen above those already stored.

Unlike the bulk cohort, the stories write audit rows: they are made of service calls, each audited as the
demo user who made it, exactly what the demo is meant to show.
"""

from django.utils import timezone

from ..context import SeedContext
from .cast import Cast, identity
from .cast import find_existing as _find_existing
from .plots import ROUTINE, STORIES

ALL_STORIES = STORIES + ROUTINE


def story_keys(cast: Cast) -> list[tuple[str, str, str]]:
    """(facility code, name, phone) of every story's woman, in telling order."""
    keys = []
    for story in ALL_STORIES:
        name, phone = identity(cast, story.woman)
        keys.append((story.woman.facility, name, phone))
    names = [(facility, name) for facility, name, _ in keys]
    assert len(names) == len(set(names)), "demo story women must have distinct names"
    return keys


def build_stories(ctx: SeedContext) -> None:
    now = timezone.now()
    cast = Cast(ctx=ctx, today=timezone.localdate(now), now=now)
    keys = story_keys(cast)
    existing = _find_existing(cast, keys)
    told = 0
    for story, key in ctx.progress(list(zip(ALL_STORIES, keys, strict=True)), "stories"):
        if key in existing:
            continue
        _facility, name, phone = key
        story.tell(cast, story.woman, name, phone)
        told += 1
    ctx.count("demo stories (women)", "created", told)
    ctx.count("demo stories (women)", "unchanged", len(keys) - told)
    if told:
        ctx.note(_summary_line(cast, keys))


def _summary_line(cast: Cast, keys: list[tuple[str, str, str]]) -> str:
    """One line for the operator: the story women by colour and what to click through."""
    from collections import Counter

    from cases.models import Pregnancy

    rows = Pregnancy.objects.filter(
        patient__name__in=[name for _, name, _ in keys],
        patient__registered_facility__in=[cast.facility(code) for code, _, _ in keys],
    ).values_list("risk_color", "purple", "pk")
    colours = Counter(colour or "awaiting grading" for colour, _purple, _pk in rows)
    purple = sum(purple for _colour, purple, _pk in rows)
    pregnancy_ids = [pk for *_rest, pk in rows]
    from consults.models import Consult
    from referrals.models import Referral

    by_colour = ", ".join(
        f"{colours[c]} {c}" for c in ("green", "yellow", "orange", "red", "awaiting grading") if colours[c]
    )
    return (
        f"Demo stories: {len(rows)} women ({by_colour}; {purple} purple), "
        f"{Referral.objects.filter(pregnancy_id__in=pregnancy_ids).count()} referrals, "
        f"{Consult.objects.filter(pregnancy_id__in=pregnancy_ids).count()} MDT consultations: sign in as "
        "obstetrician or midwife (宾阳县人民医院), coordinator or specialist (南宁市妇幼保健院), "
        "or supervisor."
    )
