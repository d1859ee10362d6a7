"""What ``make bench`` sends: the endpoints, who sends them, and what is measured in process beforehand.

``prepare`` runs inside the harness (Django set up with the bench settings, same database and cache
as the server): it issues an API token and a session for each bench user, picks the clinician's
pregnancies for the rotating case pages and visits, counts the queries of one request per endpoint
(``CaptureQueriesContext`` through the test client, after a warm-up request), captures the read SQL
of the endpoints that have a minimal twin and times that SQL through psycopg.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from bench.load import referrals
from bench.load.wrkrun import Request, weighted_rotation

# name -> (who sends it, what): the order is the order of the runs
ENDPOINTS = {
    "worklist_api": "clinician: GET /api/v1/pregnancies/ (token)",
    "region_list_api": "supervisor: GET /api/v1/pregnancies/ (token; every pregnancy of her region)",
    "worklist_page": "clinician: GET / (session)",
    "case_page": "clinician: GET /cases/pregnancies/<id>/ rotating over her pregnancies (session)",
    "dashboard_summary": "supervisor: GET /api/v1/dashboard/summary/ (token)",
    "visit_entry": "clinician: POST /api/v1/pregnancies/<id>/visits/ rotating (token; grading + audit)",
    "consult_board": "MDT coordinator: GET /consults/board/ (session)",
    "bell": "clinician: GET /notifications/bell/ (session; every page in sight asks every 20 s)",
    "referral_transition": (
        "township obstetricians and the county's: POST a referral, accept, depart, arrive, complete "
        "with the return summary, in turn (token; each request moves a different prepared referral)"
    ),
}
# Endpoints measured against a minimal view running the same read SQL in the same run.
MINIMAL_FOR = ("worklist_api", "case_page", "dashboard_summary")
# A clinical day: mostly clinicians reading, some visits written, supervisors on their dashboards.
MIXED_WEIGHTS = {
    "case_page": 30,
    "worklist_page": 15,
    "worklist_api": 15,
    "dashboard_summary": 15,
    "visit_entry": 10,
    "consult_board": 5,
    "referral_transition": 5,
}
# Endpoints whose requests each change something once: prepared per run, handed out once (``SingleUse``).
SINGLE_USE = ("referral_transition",)
PROXY = {"X-Forwarded-Proto": "https"}  # what the TLS-terminating reverse proxy adds
ROTATE = 200  # pregnancies in the rotation of case pages and visits
MINIMAL_VARIANTS = 20  # case pages whose SQL the minimal view replays
VISIT_BODIES = (
    {
        "kind": "antenatal",
        "sbp_mmhg": 118,
        "dbp_mmhg": 74,
        "pulse_bpm": 82,
        "weight_kg": "61.5",
        "fundal_height_cm": 28,
        "fetal_heart_rate": 142,
        "proteinuria": "negative",
    },
    {
        "kind": "antenatal",
        "sbp_mmhg": 126,
        "dbp_mmhg": 82,
        "pulse_bpm": 88,
        "weight_kg": "67.0",
        "hb_g_l": 112,
        "fetal_heart_rate": 138,
    },
    {
        "kind": "antenatal",
        "sbp_mmhg": 112,
        "dbp_mmhg": 70,
        "pulse_bpm": 76,
        "temperature_c": "36.6",
        "spo2_pct": 98,
        "respiratory_rate": 16,
        "fetal_heart_rate": 146,
    },
)


@dataclass
class Plan:
    requests: dict[str, list[Request]] = field(default_factory=dict)
    minimal_requests: dict[str, list[Request]] = field(default_factory=dict)
    queries: dict[str, int] = field(default_factory=dict)
    plain_sql: dict[str, dict] = field(default_factory=dict)
    users: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    single_use: dict[str, referrals.SingleUse] = field(default_factory=dict)
    # (the receiving clinician, the township senders) of the referral transitions
    transition_parties: tuple | None = None
    # the endpoint the prepared transitions are for ("referral_transition" alone, or "mixed")
    transitions_for: str | None = None


@dataclass
class Load:
    """What one measurement sends: a probe first (its status checked), then warm-up and measured runs."""

    probe: Request
    warmup: list[Request]
    run: list[Request]
    single_use: bool = False  # the run's requests each work once: a wrap-around shows as errors


def load_for(plan: Plan, name: str, args) -> Load:
    """The requests of one endpoint, or of the mixed load, for one measurement. Single-use requests
    are taken from their prepared pool, a separate share for the probe, the warm-up and the run."""
    if name == "mixed":
        return _mixed_load(plan, args)
    if name not in plan.single_use:
        requests = plan.requests[name]
        return Load(requests[0], requests, requests)
    pool = plan.single_use[name]
    return Load(
        pool.take(1)[0],
        pool.take(referrals.budget(args.warmup, referrals.RATE)),
        pool.take(referrals.budget(args.duration, referrals.RATE)),
        single_use=True,
    )


def bench_women(user) -> list:
    """The ids of the ``2 * ROTATE`` oldest (by key) active pregnancies ``user`` manages at her facility:
    visits are written to the first half, case pages read from the second (``prepare``)."""
    from cases.selectors import pregnancy_list

    return list(
        pregnancy_list(actor=user)
        .filter(status="active", managing_facility_id=user.facility_id)
        .order_by("pk")  # the oldest: runs book women, the list shows the newest first
        .values_list("external_id", flat=True)[: 2 * ROTATE]
    )


def mixed_weights(plan: Plan) -> dict[str, int]:
    return {k: w for k, w in MIXED_WEIGHTS.items() if k in plan.requests}


def _mixed_load(plan: Plan, args) -> Load:
    weights = mixed_weights(plan)
    total = sum(weights.values())

    def rotation(seconds: float) -> list[Request]:
        groups, length = {}, None
        for k, w in weights.items():
            if k in plan.single_use:
                reqs = plan.single_use[k].take(referrals.budget(seconds, referrals.MIXED_RATE * w / total))
                # whole turns of the weights only, so that no single-use request comes round twice
                turns = (len(reqs) // w) * total
                length = turns if length is None else min(length, turns)
            else:
                reqs = plan.requests[k]
            groups[k] = (w, reqs)
        return weighted_rotation(groups, length)

    probe = next(plan.requests[k][0] for k in weights if k not in plan.single_use)
    warmup = rotation(args.warmup) if args.warmup > 0 else []
    return Load(probe, warmup, rotation(args.duration), single_use=bool(set(weights) & set(plan.single_use)))


class Actor:
    """A bench user with an API token and a logged-in session (cookie) of the test client."""

    def __init__(self, username: str) -> None:
        from django.test import Client

        from accounts.models import User
        from accounts.services import api_token_issue

        self.user = User.objects.select_related("facility").get(username=username)
        raw, _ = api_token_issue(actor=self.user)
        self.client = Client(
            HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_PROTO="https", raise_request_exception=False
        )
        self.client.force_login(self.user)
        cookie = self.client.cookies["sessionid"].value
        self.api_headers = PROXY | {"Authorization": f"Token {raw}"}
        self.page_headers = PROXY | {"Cookie": f"sessionid={cookie}"}

    def describe(self) -> str:
        facility = self.user.facility.name if self.user.facility_id else "no facility"
        return f"{self.user.username} ({', '.join(self.user.roles)}; {facility})"

    def call(self, request: Request):
        """The response to ``request`` through the test client, with the same credentials as wrk."""
        extra = {
            f"HTTP_{k.upper().replace('-', '_')}": v
            for k, v in request.headers.items()
            if k not in ("Cookie", "Content-Type")
        }
        if request.method == "GET":
            return self.client.get(request.path, **extra)
        return self.client.generic(
            request.method,
            request.path,
            request.body or "",
            content_type=request.headers.get("Content-Type", "application/json"),
            **extra,
        )


def capture(actor: Actor, request: Request, expect: int, *, warm_up: Request | None = None) -> list[dict]:
    """The SQL of one request (after a warm-up one, ``request`` again unless ``warm_up`` is given: a
    single-use request works once); fails clearly on an unexpected status."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for attempt, sent in (("warm-up", warm_up or request), ("measured", request)):
        with CaptureQueriesContext(connection) as ctx:
            response = actor.call(sent)
        if response.status_code != expect:
            raise RuntimeError(
                f"{sent.method} {sent.path} as {actor.user.username} ({attempt}): "
                f"{response.status_code}, expected {expect}: {response.content[:300]!r}"
            )
    return list(ctx.captured_queries)


def prepare(args, db_url: str, replay_path: Path, *, log=print) -> Plan:
    from bench.load.replay import read_statements, time_plain_sql, write_replay_file

    plan = Plan()
    clinician, supervisor, coordinator = (
        Actor(args.clinician),
        Actor(args.supervisor),
        Actor(args.coordinator),
    )
    plan.users = {
        "clinician": clinician.describe(),
        "supervisor": supervisor.describe(),
        "coordinator": coordinator.describe(),
    }
    if {"referral_transition", "mixed"} & set(args.endpoints):
        senders = [Actor(u.username) for u in referrals.senders_for(clinician.user)]
        plan.transition_parties = (clinician, senders)
        # an interrupted run's referrals first: they would sit in the lists read below
        closed = close_transitions(plan, log)
        if closed:
            plan.notes.append(f"referrals an earlier run left open closed before this one: {closed}")
    active = bench_women(clinician.user)
    if not active:
        raise RuntimeError(f"{clinician.user.username} manages no active pregnancy: nothing to read or write")
    # Visits are written to one set of women and case pages read from another: every run adds thousands
    # of visits, and case pages read from the written set would grow longer with each run (a timeline of
    # 50 visits instead of the seeded handful). Both sets are the oldest pregnancies (by key), which stay
    # where they are: in the list's order (newest first) the women each run books or takes over through
    # its referrals pushed earlier written-to women into the read set (103 visits on a case page read
    # after five runs, 31 M instructions a page instead of 12; 2026-11-30).
    written, read = (active[:ROTATE], active[ROTATE:]) if len(active) > ROTATE else (active, active)
    plan.notes.append(
        f"case pages rotate over {len(read)} and visits over {len(written)} active pregnancies managed at "
        f"the clinician's facility{'' if read is not written else ' (the same ones: too few to separate)'}"
    )
    json_post = clinician.api_headers | {"Content-Type": "application/json"}
    reqs = {
        "worklist_api": [Request("/api/v1/pregnancies/", headers=clinician.api_headers)],
        "worklist_page": [Request("/", headers=clinician.page_headers)],
        "case_page": [Request(f"/cases/pregnancies/{p}/", headers=clinician.page_headers) for p in read],
        "region_list_api": [Request("/api/v1/pregnancies/", headers=supervisor.api_headers)],
        "dashboard_summary": [Request("/api/v1/dashboard/summary/", headers=supervisor.api_headers)],
        "visit_entry": [
            Request(f"/api/v1/pregnancies/{p}/visits/", "POST", json_post, json.dumps(VISIT_BODIES[n % 3]))
            for n, p in enumerate(written)
        ],
        "consult_board": [Request("/consults/board/", headers=coordinator.page_headers)],
        "bell": [Request("/notifications/bell/", headers=clinician.page_headers)],
    }
    who = {"region_list_api": supervisor, "dashboard_summary": supervisor, "consult_board": coordinator}
    replay: dict[str, list[list[str]]] = {}
    for name, requests in reqs.items():
        actor = who.get(name, clinician)
        expect = 201 if name == "visit_entry" else 200
        try:
            captured = capture(actor, requests[0], expect)
        except RuntimeError as exc:
            plan.skipped[name] = str(exc)
            log(f"{name}: cannot be measured: {exc}")
            continue
        plan.requests[name] = requests
        plan.queries[name] = len(captured)
        if name in MINIMAL_FOR:
            variants = [read_statements(captured)[0]]
            for request in requests[1:MINIMAL_VARIANTS]:
                variants.append(read_statements(capture(actor, request, expect))[0])
            replay[name] = variants
            plan.minimal_requests[name] = [
                Request(f"/bench-minimal/{name}/{i}/", headers=PROXY) for i in range(len(variants))
            ]
            plan.plain_sql[name] = time_plain_sql(db_url, variants)
        log(
            f"{name}: {plan.queries[name]} queries per request"
            + (f"; plain SQL p95 {plan.plain_sql[name]['p95_ms']:.2f} ms" if name in plan.plain_sql else "")
        )
    # The transitions' referrals are prepared later (``prepare_transitions``), once the endpoints that
    # only read or write a woman's record have been measured.
    write_replay_file(replay_path, replay)
    return plan


def close_transitions(plan: Plan, log) -> str:
    """Close the bench referrals left open (``referrals.close_left_open``); what was closed, or ``""``."""
    if plan.transition_parties is None:
        return ""
    receiver, senders = plan.transition_parties
    closed = referrals.close_left_open(receiver, senders, log=log)
    if not sum(closed.values()):
        return ""
    done = f"{closed['cancelled']:,} cancelled, {closed['completed']:,} completed"
    log(f"referral transitions: left open: {done}")
    return done


def transitions_due(plan: Plan, name: str) -> bool:
    """Whether referral transitions must be prepared before ``name`` is measured: each endpoint that sends
    them (alone, then in the mixed load) gets its own, in a run that has parties for them and could
    prepare them. What the run alone left open is closed before the mixed load's are prepared
    (``regional.py``).

    They are prepared after the other endpoints are measured: thousands of referrals open at once to the
    clinician's hospital (5,800 for a run, each with a grant to it), a state no hospital is in, made the
    list of her pregnancies read as many more grants (issue #9: 496 req/s with the seeded region, 300
    with them). The mixed load too ran slower beside the 3,300 the run alone had left unused (261 req/s
    against 288 with only its own 790, 2026-11-29)."""
    return (
        name in ("referral_transition", "mixed")
        and plan.transition_parties is not None
        and plan.transitions_for != name
        and "referral_transition" not in plan.skipped
    )


def prepare_transitions(plan: Plan, args, log, name: str) -> None:
    """Referrals at every step's starting status, enough for the endpoint ``name`` (the transitions alone
    or the mixed load); queries counted per step."""
    import time

    share = MIXED_WEIGHTS["referral_transition"] / sum(MIXED_WEIGHTS.values())
    count = referrals.needed(
        warmup=args.warmup,
        duration=args.duration,
        alone=name == "referral_transition",
        mixed_share=share if name == "mixed" else 0,
    )
    per_step = -(-count // len(referrals.STEPS))
    started = time.monotonic()
    try:
        receiver, senders = plan.transition_parties
        requests, counted = referrals.prepare(receiver, senders, per_step, log=log)
        queries = {}
        for step, ((_, warm_up), (actor, request)) in counted.items():
            queries[step] = len(capture(actor, request, request.expected_status, warm_up=warm_up))
    except RuntimeError as exc:
        plan.skipped["referral_transition"] = str(exc)
        log(f"referral_transition: cannot be measured: {exc}")
        return
    plan.transitions_for = name
    plan.requests["referral_transition"] = requests
    plan.single_use["referral_transition"] = referrals.SingleUse(requests)
    plan.queries["referral_transition"] = max(queries.values())
    plan.users["township obstetricians"] = ", ".join(a.describe() for a in senders)
    plan.notes.append(
        f"referral transitions for {'the mixed load' if name == 'mixed' else 'the run alone'}: "
        f"{len(requests):,} referrals prepared at their step's starting status in "
        f"{time.monotonic() - started:.0f} s, from {len(senders)} townships to "
        f"{receiver.user.facility}; queries per step: "
        + ", ".join(f"{step} {n}" for step, n in queries.items())
    )
    log(f"referral_transition: {len(requests):,} prepared for {name}; queries per step {queries}")
