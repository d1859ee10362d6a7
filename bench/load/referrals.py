"""Referral transitions under load: township clinicians refer women up to their county hospital, whose
obstetrician accepts, records the arrival and closes the loop with the return summary.

A referral moves through each step once, and wrk replays a fixed list of requests; so every request of a
run moves a *different* referral, prepared beforehand (in process, through the same services a clinician's
request runs) at the status its step starts from. ``SingleUse`` hands each prepared request out once: the
probe, the warm-up and the measured run each take their own. A run that sends more than it was given
wraps round to requests already sent, which answer 409 and are counted as errors, so too small a budget
cannot pass unseen.
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass

from bench.load.wrkrun import Request

# One referral per step and turn, in this order: the rotation interleaves them evenly.
STEPS = ("request", "accept", "depart", "arrive", "complete")
# Requests prepared per second of load; above what the step mix reaches on two cores (85 req/s on one
# machine, 105 on another: 100 ran out there, and the repeated steps answered 409).
RATE = 200
# The mixed load's transitions: its whole rate is below this, the transitions a share of it.
MIXED_RATE = 600
URGENCIES = ("urgent", "routine", "emergency")
SURNAMES = ("韦", "黄", "李", "陆", "覃", "莫", "梁", "蒙")
GIVEN = ("秀兰", "春梅", "丽华", "小燕", "桂芳", "美玲", "海英", "玉珍", "晓丹", "凤娇")
# Also how the bench's referrals are told from others (``close_left_open``): no clinician types it.
REASON = "妊娠期高血压，血压控制欠佳，需上级医院评估 (gestational hypertension, poorly controlled)"
CANCEL_REASON = "基准测试结束 (bench run ended)"
DEPART = {"transport": "ambulance_120", "escort": "助产士随车 (midwife escort)"}
COMPLETE = {
    "summary": "入院评估：子痫前期（非重度），母胎情况稳定 (pre-eclampsia without severe features; stable)",
    "disposition": "收入院继续管理 (admitted for continued care)",
    "treatment": "拉贝洛尔 100 mg 每日两次 (labetalol 100 mg twice daily)",
    "recommendations": "每周复查血压、尿蛋白 (weekly blood pressure and urine protein)",
}


@dataclass
class SingleUse:
    """Prepared requests that each change something once: handed out in order, never twice."""

    requests: list[Request]
    taken: int = 0

    def left(self) -> int:
        return len(self.requests) - self.taken

    def take(self, count: int) -> list[Request]:
        if count > self.left():
            raise RuntimeError(f"{count} single-use requests asked for, {self.left()} prepared and unused")
        out = self.requests[self.taken : self.taken + count]
        self.taken += count
        return out


def budget(seconds: float, rate: float) -> int:
    """Requests to prepare for ``seconds`` of load at up to ``rate`` per second."""
    return math.ceil(seconds * rate)


def needed(*, warmup: float, duration: float, alone: bool, mixed_share: float) -> int:
    """Transitions a bench run can send: a probe; warm-up and run alone at ``RATE``; warm-up and run of
    the mixed load at ``MIXED_RATE`` times the transitions' share of it."""
    total = 0
    if alone:
        total += 1 + budget(warmup, RATE) + budget(duration, RATE)
    if mixed_share:
        total += budget(warmup, MIXED_RATE * mixed_share) + budget(duration, MIXED_RATE * mixed_share)
    return total


def senders_for(receiver) -> list:
    """One obstetrician of each primary-tier facility in the receiving hospital's county (its region
    code): the townships that refer up to it."""
    from accounts.models import User
    from accounts.permissions import Role
    from facilities.models import Facility

    townships = Facility.objects.filter(
        region_code=receiver.facility.region_code, tier="primary", is_active=True
    ).order_by("id")
    senders = []
    for facility in townships:
        user = (
            User.objects.filter(facility=facility, is_active=True, roles__contains=[Role.OBSTETRICIAN])
            .order_by("username")
            .first()
        )
        if user is not None:
            senders.append(user)
    return senders


def _women(sender, count: int) -> list:
    """Active women managed at the sender's facility with no open referral, oldest record first."""
    from django.db.models import Exists, OuterRef

    from cases.models import Pregnancy
    from referrals.choices import OPEN_STATUSES
    from referrals.models import Referral

    open_referral = Referral.objects.filter(pregnancy=OuterRef("pk"), status__in=OPEN_STATUSES)
    return list(
        Pregnancy.objects.filter(status="active", managing_facility_id=sender.facility_id)
        .filter(~Exists(open_referral))
        .select_related("patient")
        .order_by("id")[:count]
    )


def _enough_women(sender_actors: list, count: int, log) -> list[tuple]:
    """``count`` (township actor, pregnancy) pairs, the townships in turn: women already booked there
    first; when earlier runs have referred those up, new women booked at the townships (through the
    registration services, as a township midwife books a woman)."""
    pools = [(actor, iter(_women(actor.user, count))) for actor in sender_actors]
    women: list[tuple] = []
    while pools and len(women) < count:
        for entry in list(pools):
            woman = next(entry[1], None)
            if woman is None:
                pools.remove(entry)
            elif len(women) < count:
                women.append((entry[0], woman))
    booked = count - len(women)
    if booked:
        log(f"referral transitions: booking {booked:,} new women at the townships (the others are used up)")
        senders = itertools.cycle(sender_actors)
        women += [(actor, _book(actor.user, n)) for n, actor in zip(range(booked), senders, strict=False)]
    return women


def _book(sender, n: int):
    """A new woman and her pregnancy booked at the sender's township, 12–34 weeks along."""
    import datetime as dt

    from django.utils import timezone

    from cases.services.patients import patient_register
    from cases.services.pregnancies import pregnancy_register

    patient = patient_register(
        actor=sender,
        name=f"{SURNAMES[n % len(SURNAMES)]}{GIVEN[n // len(SURNAMES) % len(GIVEN)]}",
        birth_date=dt.date(1988 + n % 14, 1 + n % 12, 1 + n % 28),
    )
    lmp = timezone.localdate() - dt.timedelta(days=84 + n % 155)
    gravida = 1 + n % 3
    return pregnancy_register(
        actor=sender, patient=patient, lmp=lmp, gravida=gravida, para=min(n % 2, gravida - 1)
    )


def prepare(receiver, sender_actors: list, per_step: int, *, log=print) -> tuple[list[Request], dict]:
    """``per_step`` requests of each step, interleaved (request, accept, depart, arrive, complete, …),
    and two more of each step for counting its queries: ``(requests, {step: [(actor, request), …]})``.
    ``receiver`` and ``sender_actors`` are ``scenarios.Actor``s (the county obstetrician, one per
    township). Each referral is made and moved through the services by the clinicians wrk speaks for."""
    from referrals import services

    if not sender_actors:
        raise RuntimeError(
            f"no township obstetrician refers to {receiver.user.facility}: no referral transitions"
        )
    hospital = receiver.user.facility
    wanted = per_step + 2  # two more of each step for counting its queries (a warm-up and the counted one)
    women = _enough_women(sender_actors, len(STEPS) * wanted, log)
    steps: dict[str, list[tuple]] = {step: [] for step in STEPS}
    for n, (actor, woman) in enumerate(women):
        step = STEPS[n % len(STEPS)]
        order = STEPS.index(step)
        if order == 0:
            steps[step].append((actor, woman, None))
            continue
        referral = services.referral_request(
            actor=actor.user,
            pregnancy=woman,
            to_facility=hospital,
            urgency=URGENCIES[n % len(URGENCIES)],
            reason=REASON,
        )
        if order > 1:
            services.referral_accept(actor=receiver.user, referral=referral)
        if order > 2:
            services.referral_depart(actor=actor.user, referral=referral, **DEPART)
        if order > 3:
            services.referral_arrive(actor=receiver.user, referral=referral)
        steps[step].append((actor, woman, referral))
        if (n + 1) % 1000 == 0:
            log(f"referral transitions: {n + 1:,} of {len(women):,} prepared")
    made = {step: [_request(step, *row, receiver, hospital) for row in rows] for step, rows in steps.items()}
    counted = {step: rows[:2] for step, rows in made.items()}
    interleaved = [
        request for turn in zip(*(rows[2:] for rows in made.values()), strict=True) for _, request in turn
    ]
    return interleaved, counted


def close_left_open(receiver, sender_actors: list, *, log=print) -> dict[str, int]:
    """Close, through the services, every bench referral (``REASON``) still open from the townships to
    the receiving hospital: the steps a run sent each moved its referral one step, and the prepared
    ones it did not send stand where they were prepared. Left open, each kept a grant to the hospital
    and its woman in the hospital's list; seven runs' leftovers (21,000 grants) made the clinician's
    list SQL twenty times slower. Requested and accepted ones are cancelled by their township (the
    grant goes); departed ones arrive; arrived ones are completed with the return summary (she is then
    managed at the hospital, and the township keeps a grant to follow the outcome, as after any
    completed referral). Run after a run, and before preparing one (after an interrupted run).
    Returns how many were closed each way."""
    from core.errors import InvalidTransition
    from referrals.choices import OPEN_STATUSES
    from referrals.models import Referral

    hospital = receiver.user.facility
    senders = {actor.user.facility_id: actor.user for actor in sender_actors}
    left = list(
        Referral.objects.filter(
            to_facility=hospital, from_facility_id__in=senders, reason=REASON, status__in=OPEN_STATUSES
        )
        .select_related("pregnancy", "from_facility", "to_facility")
        .order_by("id")
    )
    closed = {"cancelled": 0, "completed": 0}
    for n, referral in enumerate(left, start=1):
        sender = senders[referral.from_facility_id]
        try:
            way = _close(referral, sender, receiver.user)
        except InvalidTransition:
            # Moved since the list was read: a request still in flight when wrk stopped (closing between
            # the run alone and the mixed load, the server still up). Closed from where it stands now.
            referral = Referral.objects.select_related("pregnancy", "from_facility", "to_facility").get(
                pk=referral.pk
            )
            way = _close(referral, sender, receiver.user) if referral.status in OPEN_STATUSES else None
        if way:
            closed[way] += 1
        if n % 500 == 0:
            log(f"referral transitions: {n:,} of {len(left):,} left open closed")
    return closed


def _close(referral, sender, receiver) -> str:
    """Cancel (requested, accepted) or complete (departed: arrive first; arrived) one bench referral."""
    from referrals import services
    from referrals.choices import ReferralStatus

    if referral.status in (ReferralStatus.REQUESTED, ReferralStatus.ACCEPTED):
        services.referral_cancel(actor=sender, referral=referral, reason=CANCEL_REASON)
        return "cancelled"
    if referral.status == ReferralStatus.DEPARTED:
        services.referral_arrive(actor=receiver, referral=referral)
    services.referral_complete(
        actor=receiver,
        referral=referral,
        findings=COMPLETE["summary"],
        disposition=COMPLETE["disposition"],
        treatment=COMPLETE["treatment"],
        recommendations=COMPLETE["recommendations"],
    )
    return "completed"


def _request(step: str, sender, woman, referral, receiver, hospital) -> tuple:
    """(the actor whose credentials it carries, the request)."""
    if step == "request":
        body = {
            "pregnancy": str(woman.external_id),
            "to_facility": str(hospital.external_id),
            "urgency": URGENCIES[woman.pk % len(URGENCIES)],
            "reason": REASON,
        }
        return sender, _post(sender, "/api/v1/referrals/", body, expect=201)
    actor = sender if step == "depart" else receiver
    path = f"/api/v1/referrals/{referral.external_id}/{step}/"
    body = {"depart": DEPART, "complete": COMPLETE}.get(step)
    return actor, _post(actor, path, body, expect=200)


def _post(actor, path: str, body: dict | None, *, expect: int) -> Request:
    headers = actor.api_headers | {"Content-Type": "application/json"}
    return Request(path, "POST", headers, json.dumps(body, ensure_ascii=False) if body else "{}", expect)
