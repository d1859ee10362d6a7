"""The bench's referral transitions: prepared referrals whose requests each work exactly once, and the
share-out that never sends one of them twice in a run."""

import datetime as dt
import json
from collections import Counter
from types import SimpleNamespace

import pytest
from django.utils import timezone

from accounts.choices import Role
from bench.load import referrals, scenarios
from bench.load.wrkrun import Request
from cases.models import Pregnancy
from referrals.models import Referral
from tests.factories import FacilityFactory, PregnancyFactory, UserFactory


@pytest.fixture
def county_network(county):
    hospital = FacilityFactory(region=county, critical_care_level="county")
    townships = [FacilityFactory(region=county, township=True) for _ in range(2)]
    receiver = UserFactory(facility=hospital, roles=[Role.OBSTETRICIAN], username="county.ob")
    senders = [
        UserFactory(facility=t, roles=[Role.OBSTETRICIAN], username=f"town{n}.ob")
        for n, t in enumerate(townships)
    ]
    # a midwife (may refer, not the one chosen) and a township of another county (not a sender)
    UserFactory(facility=townships[0], roles=[Role.MIDWIFE], username="town0.mw")
    UserFactory(facility=FacilityFactory(township=True), roles=[Role.OBSTETRICIAN], username="far.ob")
    return SimpleNamespace(hospital=hospital, townships=townships, receiver=receiver, senders=senders)


def _women(network, per_township):
    return [PregnancyFactory(managing_facility=t) for t in network.townships for _ in range(per_township)]


@pytest.mark.django_db
def test_the_senders_are_one_obstetrician_of_each_township_of_the_county(county_network):
    assert referrals.senders_for(county_network.receiver) == county_network.senders


@pytest.mark.django_db
def test_every_prepared_request_moves_its_referral_once_and_a_second_time_is_refused(county_network):
    _women(county_network, 12)  # 5 steps × (2 + 2 counted) = 20 women needed of 24
    receiver = scenarios.Actor("county.ob")
    senders = [scenarios.Actor(u.username) for u in county_network.senders]

    requests, counted = referrals.prepare(receiver, senders, 2)

    assert len(requests) == 10
    assert [r.path.rsplit("/", 2)[-2] for r in requests[:5]] == ["referrals", *referrals.STEPS[1:]]
    assert {step: len(rows) for step, rows in counted.items()} == dict.fromkeys(referrals.STEPS, 2)
    by_token = {a.api_headers["Authorization"]: a for a in [receiver, *senders]}
    moved = []
    for request in requests:
        response = by_token[request.headers["Authorization"]].call(request)
        assert response.status_code == request.expected_status, response.content
        moved.append(json.loads(response.content))
    # each step moved a different referral, prepared at the status the step starts from
    assert len({m["id"] for m in moved}) == 10
    assert Counter(m["status"] for m in moved) == dict.fromkeys(
        ["requested", "accepted", "departed", "arrived", "completed"], 2
    )
    assert Counter(
        Referral.objects.filter(external_id__in=[m["id"] for m in moved]).values_list("status", flat=True)
    ) == dict.fromkeys(["requested", "accepted", "departed", "arrived", "completed"], 2)
    # from both townships, to the county hospital
    assert {r.from_facility_id for r in Referral.objects.all()} == {t.pk for t in county_network.townships}
    assert {r.to_facility_id for r in Referral.objects.all()} == {county_network.hospital.pk}
    # sent a second time, every one is refused: its step was taken (a new referral: she has one open)
    for request in requests:
        again = by_token[request.headers["Authorization"]].call(request)
        assert again.status_code == 409, (request.path, again.status_code, again.content)


@pytest.mark.django_db
def test_what_a_run_left_open_is_closed_and_nothing_else(county_network):
    """After a run each step has moved its referral one step and the unsent ones stand where they were
    prepared; closing cancels the requested and accepted ones (the hospital's grant goes) and completes
    the rest (she is then managed at the hospital). Referrals a clinician made are not touched."""
    from guardian.shortcuts import get_groups_with_perms

    from facilities.services import facility_access_group_name
    from referrals import services

    _women(county_network, 12)
    receiver = scenarios.Actor("county.ob")
    senders = [scenarios.Actor(u.username) for u in county_network.senders]
    requests, _ = referrals.prepare(receiver, senders, 2)
    by_token = {a.api_headers["Authorization"]: a for a in [receiver, *senders]}
    for request in requests[:5]:  # one turn sent, one turn left unsent
        assert by_token[request.headers["Authorization"]].call(request).status_code == request.expected_status
    # a clinician's own referral from a township to the hospital, and one of the bench's to elsewhere
    theirs = services.referral_request(
        actor=county_network.senders[0],
        pregnancy=PregnancyFactory(managing_facility=county_network.townships[0]),
        to_facility=county_network.hospital,
        urgency="urgent",
        reason="胎动减少 (reduced fetal movements)",
    )
    elsewhere = services.referral_request(
        actor=county_network.senders[1],
        pregnancy=PregnancyFactory(managing_facility=county_network.townships[1]),
        to_facility=FacilityFactory(region=county_network.hospital.region, critical_care_level="county"),
        urgency="urgent",
        reason=referrals.REASON,
    )
    bench = Referral.objects.filter(reason=referrals.REASON, to_facility=county_network.hospital)
    before = Counter(bench.values_list("status", flat=True))
    # four of each step's starting status (two for counting its queries, two for the run; a request
    # step makes its referral when sent), one turn moved one step on
    assert before == {"requested": 4, "accepted": 4, "departed": 4, "arrived": 4, "completed": 1}

    closed = referrals.close_left_open(receiver, senders, log=lambda message: None)

    assert closed == {"cancelled": 8, "completed": 8}
    assert Counter(bench.values_list("status", flat=True)) == {"cancelled": 8, "completed": 9}
    for referral in bench.filter(status="cancelled").select_related("pregnancy"):
        assert referral.pregnancy.managing_facility_id == referral.from_facility_id
        groups = get_groups_with_perms(referral.pregnancy, attach_perms=True)
        assert facility_access_group_name(county_network.hospital.external_id) not in {g.name for g in groups}
    for referral in bench.filter(status="completed").select_related("pregnancy"):
        assert referral.pregnancy.managing_facility_id == county_network.hospital.pk
        assert referral.return_findings == referrals.COMPLETE["summary"]
    theirs.refresh_from_db()
    elsewhere.refresh_from_db()
    assert theirs.status == elsewhere.status == "requested"
    # nothing left: a second closing finds none
    assert referrals.close_left_open(receiver, senders, log=lambda message: None) == {
        "cancelled": 0,
        "completed": 0,
    }


@pytest.mark.django_db
def test_a_referral_moved_after_the_list_was_read_is_closed_from_where_it_stands(county_network, monkeypatch):
    """Between the run alone and the mixed load the server is still up: a step in flight when wrk stopped
    can land after the leftovers were listed (a requested referral departed: cancelling it failed with
    InvalidTransition and stopped the bench, 2026-11-29). It is read again and closed from there."""
    from referrals import services

    woman = _women(county_network, 1)[0]
    receiver = scenarios.Actor("county.ob")
    senders = [scenarios.Actor(u.username) for u in county_network.senders]
    referral = services.referral_request(
        actor=county_network.senders[0],
        pregnancy=woman,
        to_facility=county_network.hospital,
        urgency="urgent",
        reason=referrals.REASON,
    )
    real_close = referrals._close
    landed = []

    def in_flight_step_lands_first(listed, sender, receiver_user):
        if not landed:  # the list said "requested"; a township's accept and depart commit now
            landed.append(listed.status)
            services.referral_accept(actor=receiver_user, referral=Referral.objects.get(pk=listed.pk))
            services.referral_depart(
                actor=sender, referral=Referral.objects.get(pk=listed.pk), **referrals.DEPART
            )
        return real_close(listed, sender, receiver_user)

    monkeypatch.setattr(referrals, "_close", in_flight_step_lands_first)

    closed = referrals.close_left_open(receiver, senders, log=lambda message: None)

    assert landed == ["requested"]
    assert closed == {"cancelled": 0, "completed": 1}
    referral.refresh_from_db()
    assert referral.status == "completed"


@pytest.mark.django_db
def test_when_the_townships_run_out_of_women_new_ones_are_booked_there(county_network):
    already = {p.pk for p in _women(county_network, 3)}  # 6 of the 20 needed
    receiver = scenarios.Actor("county.ob")
    senders = [scenarios.Actor(u.username) for u in county_network.senders]

    requests, _ = referrals.prepare(receiver, senders, 2)

    booked = Pregnancy.objects.exclude(pk__in=already)
    assert booked.count() == 14
    assert all(p.status == "active" and p.lmp <= timezone.localdate() - dt.timedelta(days=84) for p in booked)
    assert Counter(booked.values_list("managing_facility", flat=True)) == {
        t.pk: 7 for t in county_network.townships
    }
    by_token = {a.api_headers["Authorization"]: a for a in [receiver, *senders]}
    for request in requests:
        response = by_token[request.headers["Authorization"]].call(request)
        assert response.status_code == request.expected_status, response.content


def test_single_use_requests_are_handed_out_once():
    pool = referrals.SingleUse([Request(f"/{n}/") for n in range(5)])
    assert [r.path for r in pool.take(2)] == ["/0/", "/1/"]
    assert [r.path for r in pool.take(3)] == ["/2/", "/3/", "/4/"]
    with pytest.raises(RuntimeError, match="1 single-use requests asked for, 0 prepared"):
        pool.take(1)


def test_the_budget_covers_the_probe_warm_up_and_run_alone_and_the_mixed_share():
    alone = referrals.needed(warmup=5, duration=20, alone=True, mixed_share=0)
    assert alone == 1 + 5 * referrals.RATE + 20 * referrals.RATE
    both = referrals.needed(warmup=5, duration=20, alone=True, mixed_share=0.05)
    assert both == alone + 5 * 30 + 20 * 30  # MIXED_RATE 600 × 5 %


def _plan(transitions: int) -> scenarios.Plan:
    plan = scenarios.Plan()
    for name in scenarios.MIXED_WEIGHTS:
        plan.requests[name] = [Request(f"/{name}/{n}/") for n in range(3)]
    moves = [Request(f"/move/{n}/", "POST", body="{}", expect=200) for n in range(transitions)]
    plan.requests["referral_transition"] = moves
    plan.single_use["referral_transition"] = referrals.SingleUse(moves)
    return plan


def test_each_endpoint_that_sends_transitions_gets_its_own():
    """The run alone and the mixed load each have referrals prepared for them (what the run alone left
    unused is closed in between, ``regional.py``), not one pool for both open all along."""
    plan = _plan(0)
    del plan.requests["referral_transition"], plan.single_use["referral_transition"]
    assert not scenarios.transitions_due(plan, "referral_transition")  # no parties: nothing to prepare
    plan.transition_parties = ("receiver", ["senders"])
    assert [n for n in scenarios.ENDPOINTS if scenarios.transitions_due(plan, n)] == ["referral_transition"]
    assert scenarios.transitions_due(plan, "mixed")
    plan.transitions_for = "referral_transition"  # prepared for the run alone
    assert not scenarios.transitions_due(plan, "referral_transition")
    assert scenarios.transitions_due(plan, "mixed")
    plan.transitions_for = "mixed"
    assert not scenarios.transitions_due(plan, "mixed")
    plan.transitions_for = None
    plan.skipped["referral_transition"] = "the townships have no obstetrician"
    assert not scenarios.transitions_due(plan, "mixed")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("referral_transition", 1 + 5 * referrals.RATE + 20 * referrals.RATE),
        # MIXED_RATE 600 × the transitions' 5 of 95 (31.6 a second): 158 for the warm-up, 632 for the run
        ("mixed", 158 + 632),
    ],
)
def test_the_transitions_prepared_are_those_of_the_endpoint_they_are_for(monkeypatch, name, expected):
    asked = []

    def prepare(receiver, senders, per_step, *, log):
        asked.append(per_step)
        moves = [Request(f"/move/{n}/", "POST", body="{}", expect=200) for n in range(per_step * 5)]
        return moves, {"request": [(None, moves[0]), (None, moves[1])]}

    monkeypatch.setattr(referrals, "prepare", prepare)
    monkeypatch.setattr(scenarios, "capture", lambda actor, request, expect, warm_up=None: [{}] * 27)
    receiver = SimpleNamespace(user=SimpleNamespace(facility="county"))
    plan = scenarios.Plan(transition_parties=(receiver, []))

    scenarios.prepare_transitions(plan, SimpleNamespace(warmup=5, duration=20), lambda *a: None, name)

    assert plan.transitions_for == name
    assert asked == [-(-expected // 5)]
    assert plan.single_use["referral_transition"].left() == asked[0] * 5
    assert plan.queries["referral_transition"] == 27


def test_alone_the_probe_warm_up_and_run_each_take_their_own_transitions():
    plan = _plan(3000)
    load = scenarios.load_for(plan, "referral_transition", SimpleNamespace(warmup=2, duration=8))

    sent = [load.probe, *load.warmup, *load.run]
    assert len(load.warmup) == 2 * referrals.RATE and len(load.run) == 8 * referrals.RATE
    assert len({r.path for r in sent}) == len(sent)
    assert load.single_use and load.probe.expected_status == 200
    # other endpoints replay their rotation for warm-up and run alike
    case_pages = scenarios.load_for(plan, "case_page", SimpleNamespace(warmup=2, duration=8))
    assert case_pages.warmup == case_pages.run == plan.requests["case_page"]
    assert not case_pages.single_use


@pytest.mark.parametrize("duration", [0.2, 0.5, 1.3, 2, 7, 20])
def test_the_mixed_load_sends_no_transition_twice_and_keeps_the_weights(duration):
    plan = _plan(3000)
    load = scenarios.load_for(plan, "mixed", SimpleNamespace(warmup=duration / 4, duration=duration))

    moves = [r.path for r in [*load.warmup, *load.run] if r.path.startswith("/move/")]
    assert moves and len(moves) == len(set(moves))
    # whole turns of the weights: at most one turn's worth (5) of the prepared ones left unsent
    assert 0 <= plan.single_use["referral_transition"].taken - len(moves) < 2 * 5
    assert not load.probe.path.startswith("/move/")
    total = sum(scenarios.MIXED_WEIGHTS.values())
    for name, weight in scenarios.MIXED_WEIGHTS.items():
        prefix = "/move/" if name == "referral_transition" else f"/{name}/"
        share = sum(r.path.startswith(prefix) for r in load.run) / len(load.run)
        assert share == pytest.approx(weight / total, abs=0.002), (name, share)


class _Queue:
    """A broker list the worker empties by one task each time it is looked at."""

    def __init__(self, tasks: int, stuck: bool = False):
        self.tasks, self.stuck, self.looks = tasks, stuck, 0

    def client(self):
        return self

    def llen(self, name):
        assert name == "celery"
        self.looks += 1
        left = self.tasks
        if not self.stuck:
            self.tasks = max(0, self.tasks - 1)
        return left


def test_measuring_waits_for_the_tasks_preparing_queued(monkeypatch, tmp_path):
    from bench.load import server as server_module

    monkeypatch.setattr(server_module.time, "sleep", lambda s: None)
    queue = _Queue(3)
    server = server_module.Server({}, tmp_path, queue)
    waiting, _ = server.drain()
    assert waiting == 3 and queue.tasks == 0
    assert server_module.Server({}, tmp_path, _Queue(0)).drain()[0] == 0
    with pytest.raises(RuntimeError, match="2 Celery tasks still waiting"):
        server_module.Server({}, tmp_path, _Queue(2, stuck=True)).drain(timeout=0)
