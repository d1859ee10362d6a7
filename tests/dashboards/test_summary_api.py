"""``GET /api/v1/dashboard/summary/``: every figure equals a recount from raw rows, scope by role,
suppression for aggregate-only viewers, period validation, the mortality ratio, and a constant query count."""

import datetime as dt

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.choices import Role
from accounts.models import User
from cases.models import Delivery, MaternalDeath, NearMissEvent, Newborn, Pregnancy
from facilities.choices import Tier
from referrals.models import Referral
from reminders.models import FollowUp
from tests.factories import FacilityFactory, PregnancyFactory, UserFactory

from .mix import Mix

URL = "/api/v1/dashboard/summary/"
OPEN = ["active", "postpartum"]
OPEN_REFERRALS = ["requested", "accepted", "departed", "arrived"]
LIVE = ["live_birth", "neonatal_death"]
CONTRACT = {
    "active_pregnancies",
    "by_color",
    "purple",
    "under_case_management",
    "needs_referral",
    "overdue_followups",
    "referrals",
    "maternal_deaths",
    "live_births",
    "mmr",
    "as_of",
    "suppressed",
}


def _local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def recount(prefix: str, start: dt.date, end: dt.date) -> dict:
    """Every figure of the summary for the region ``prefix`` from the raw rows, with the ORM."""
    in_region = {"managing_facility__region_code__startswith": prefix}
    pregnancies = Pregnancy.objects.filter(**in_region)
    open_ = pregnancies.filter(status__in=OPEN)
    since, until = _local_midnight(start), _local_midnight(end)
    where = Q(facility__region_code__startswith=prefix) | Q(
        facility__isnull=True, pregnancy__booking_facility__region_code__startswith=prefix
    )
    deliveries = Delivery.objects.filter(where, delivered_at__gte=since, delivered_at__lt=until)
    births = Newborn.objects.filter(delivery__in=deliveries, outcome__in=LIVE).count()
    deaths = MaternalDeath.objects.filter(where, died_at__gte=since, died_at__lt=until)
    sent = Referral.objects.filter(from_facility__region_code__startswith=prefix)
    red, orange = open_.filter(risk_color="red"), open_.filter(risk_color="orange")
    figures = {
        "active_pregnancies": open_.count(),
        "antenatal": pregnancies.filter(status="active").count(),
        "postpartum": pregnancies.filter(status="postpartum").count(),
        "by_color": {c: open_.filter(risk_color=c).count() for c in ["green", "yellow", "orange", "red"]}
        | {"ungraded": open_.filter(Q(risk_color__isnull=True) | Q(risk_color="")).count()},
        "purple": open_.filter(purple=True).count(),
        "under_case_management": open_.filter(under_case_management=True).count(),
        "needs_referral": open_.filter(needs_referral=True).count(),
        "not_at_appropriate_tier": {
            "orange": orange.exclude(managing_facility__tier=Tier.TERTIARY)
            .filter(managing_facility__critical_care_level__isnull=True)
            .count(),
            "red": red.exclude(managing_facility__tier=Tier.TERTIARY).count(),
        },
        "lost_to_follow_up": pregnancies.filter(status="lost_to_follow_up").count(),
        "referrals": {
            "open": sent.filter(status__in=OPEN_REFERRALS).count(),
            "requested": sent.filter(status="requested").count(),
            "accepted": sent.filter(status="accepted").count(),
            "in_transit": sent.filter(status="departed").count(),
            "arrived": sent.filter(status="arrived").count(),
            "incoming_open": Referral.objects.filter(
                to_facility__region_code__startswith=prefix, status__in=OPEN_REFERRALS
            ).count(),
            "requested_in_period": sent.filter(requested_at__gte=since, requested_at__lt=until).count(),
        },
        "deliveries": deliveries.count(),
        "live_births": births,
        "maternal_deaths": deaths.filter(is_late=False).count(),
        "late_maternal_deaths": deaths.filter(is_late=True).count(),
        "near_miss_events": NearMissEvent.objects.filter(
            facility__region_code__startswith=prefix, occurred_at__gte=since, occurred_at__lt=until
        ).count(),
    }
    windows = FollowUp.objects.filter(managing_facility__region_code__startswith=prefix)
    figures["follow_ups"] = {
        s: windows.filter(status=s).count()
        for s in ["upcoming", "due", "overdue", "tracing", "lost_proposed"]
    }
    figures["overdue_followups"] = windows.filter(status__in=["overdue", "tracing", "lost_proposed"]).count()
    figures["mmr"] = round(figures["maternal_deaths"] * 100_000 / births, 1) if births else None
    return figures


@pytest.mark.parametrize("period", ["SY2026", "2026", "2026-03", "2025"])
def test_every_figure_equals_a_recount_from_raw_rows_for_a_seeded_region(seeded_region, api, period):
    Mix(seeded_region).all()
    for username, prefix in (("sup.nanning", "4501"), ("sup.guangxi", "45")):
        body = api.as_user(User.objects.get(username=username)).get(URL, {"period": period}).json()
        start, end = (
            dt.date.fromisoformat(body["period"]["start"]),
            dt.date.fromisoformat(body["period"]["end"]),
        )
        expected = recount(prefix, start, end + dt.timedelta(days=1))
        assert {key: body[key] for key in expected} == expected
        assert body["active_pregnancies"] > 0 and body["overdue_followups"] > 0
        assert body["suppressed"] == [] and body["scope"]["aggregate_only"] is False


def test_the_response_has_the_contract_fields(api, supervisor, pregnancy):
    body = api.as_user(supervisor).get(URL).json()
    assert set(body) >= CONTRACT
    assert set(body["by_color"]) == {"green", "yellow", "orange", "red", "ungraded"}
    assert body["scope"]["region"]["code"] == "450100"
    assert body["active_pregnancies"] == 1 and body["by_color"]["ungraded"] == 1
    assert dt.datetime.fromisoformat(body["as_of"]) <= timezone.now()


# --- scope ------------------------------------------------------------------------------------------


@pytest.fixture
def two_regions(home_facility, other_facility):
    """Three red, two orange, six green at the home facility (city A); seven green in city B."""
    for color, n in (("red", 3), ("orange", 2), ("green", 6)):
        for _ in range(n):
            PregnancyFactory(managing_facility=home_facility, risk_color=color)
    for _ in range(7):
        PregnancyFactory(managing_facility=other_facility, risk_color="green")


def test_a_supervisor_sees_her_region_and_any_region_or_facility_inside_it(
    api, supervisor, two_regions, home_facility, county
):
    client = api.as_user(supervisor)
    own = client.get(URL).json()
    assert (own["active_pregnancies"], own["by_color"]["red"], own["scope"]["aggregate_only"]) == (
        11,
        3,
        False,
    )
    assert client.get(URL, {"region": county.code}).json()["active_pregnancies"] == 11
    facility = client.get(URL, {"facility": str(home_facility.external_id)}).json()
    assert facility["scope"]["facility"]["id"] == str(home_facility.external_id)
    assert facility["by_color"] == {"green": 6, "yellow": 0, "orange": 2, "red": 3, "ungraded": 0}


def test_a_facility_administrator_sees_her_facility_only(
    api, facility_admin, two_regions, other_facility, city
):
    client = api.as_user(facility_admin)
    assert client.get(URL).json()["active_pregnancies"] == 11
    assert client.get(URL, {"facility": str(other_facility.external_id)}).status_code == 403
    assert client.get(URL, {"region": city.code}).status_code == 403


def test_a_supervisor_of_another_region_gets_aggregates_with_small_numbers_suppressed(
    api, other_supervisor, two_regions, city
):
    body = api.as_user(other_supervisor).get(URL, {"region": city.code}).json()
    assert body["scope"]["aggregate_only"] is True
    assert body["active_pregnancies"] == 11 and body["by_color"]["green"] == 6
    # 3 red and 2 orange are below 5; zero identifies nobody and stays
    assert body["by_color"]["red"] is None and body["by_color"]["orange"] is None
    assert body["by_color"]["yellow"] == 0 and body["by_color"]["ungraded"] == 0
    assert {"by_color.red", "by_color.orange"} <= set(body["suppressed"])
    # her own region in full
    own = api.as_user(other_supervisor).get(URL).json()
    assert own["scope"]["aggregate_only"] is False and own["by_color"]["green"] == 7


def test_one_hidden_part_of_a_total_hides_the_next_smallest_too(api, auditor, home_facility):
    for color, n in (("red", 2), ("orange", 6), ("green", 9)):
        for _ in range(n):
            PregnancyFactory(managing_facility=home_facility, risk_color=color)
    body = api.as_user(auditor).get(URL, {"facility": str(home_facility.external_id)}).json()
    # red (2) alone would be 17 − 6 − 9: orange, the next smallest shown part, is hidden as well
    assert body["active_pregnancies"] == 17
    assert body["by_color"] == {"green": 9, "yellow": 0, "orange": None, "red": None, "ungraded": 0}
    # at a secondary facility every orange woman is off tier: that figure would reveal orange too
    assert body["not_at_appropriate_tier"] == {"orange": None, "red": None}
    assert sorted(body["suppressed"]) == [
        "by_color.orange",
        "by_color.red",
        "not_at_appropriate_tier.orange",
        "not_at_appropriate_tier.red",
    ]


def test_an_auditor_sees_the_network_as_aggregates(api, auditor, two_regions):
    body = api.as_user(auditor).get(URL).json()
    assert body["scope"] == {"region": None, "facility": None, "aggregate_only": True}
    assert (
        body["active_pregnancies"] == 18
        and body["by_color"]["green"] == 13
        and body["by_color"]["red"] is None
    )


@pytest.mark.parametrize("persona", ["midwife", "obstetrician", "outsider"])
def test_clinicians_get_403(api, persona, request, two_regions):
    response = api.as_user(request.getfixturevalue(persona)).get(URL)
    assert response.status_code == 403
    assert set(response.json()) == {"message", "errors"}


def test_anonymous_gets_401(api, db):
    assert api.as_user(None).get(URL).status_code == 401


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"region": "4501"}, 400, "region"),
        ({"facility": "not-a-uuid"}, 400, "facility"),
        ({"region": "990000"}, 404, None),
        ({"facility": "6b1f4a52-2c54-4a8e-9df3-0c8d38cf7a11"}, 404, None),
        ({"period": "2026-13"}, 400, "period"),
        ({"period": "SY26"}, 400, "period"),
    ],
)
def test_bad_parameters(api, supervisor, params, status, field):
    response = api.as_user(supervisor).get(URL, params)
    assert response.status_code == status
    if field:
        assert field in response.json()["errors"]


def test_a_facility_outside_the_region_asked_for_is_refused(api, supervisor, county, other_facility, city):
    response = api.as_user(supervisor).get(
        URL, {"region": county.code, "facility": str(other_facility.external_id)}
    )
    assert response.status_code == 400 and "facility" in response.json()["errors"]


def test_the_period_error_is_translated(api, supervisor):
    response = api.as_user(supervisor).get(URL, {"period": "x"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "统计年" in response.json()["errors"]["period"][0]


# --- outcomes and the mortality ratio ---------------------------------------------------------------


def _birth(pregnancy, when, *outcomes):
    delivery = Delivery.objects.create(
        pregnancy=pregnancy,
        delivered_at=when,
        facility=pregnancy.managing_facility,
        mode="spontaneous_vaginal",
    )
    for order, outcome in enumerate(outcomes, start=1):
        Newborn.objects.create(delivery=delivery, order=order, outcome=outcome)
    return delivery


def test_mmr_is_null_without_live_births_and_per_100000_with_them(api, supervisor, home_facility):
    clinician = UserFactory(facility=home_facility, roles=[Role.OBSTETRICIAN])
    sy = dt.datetime(2026, 2, 1, 8, 0, tzinfo=dt.UTC)
    died = PregnancyFactory(managing_facility=home_facility, status="maternal_death", outcome="delivery")
    MaternalDeath.objects.create(
        pregnancy=died, died_at=sy, facility=home_facility, cause="PPH", recorded_by=clinician
    )
    body = api.as_user(supervisor).get(URL, {"period": "SY2026"}).json()
    assert (body["maternal_deaths"], body["live_births"], body["mmr"]) == (1, 0, None)

    # twins (one died after birth: still a live birth), one stillbirth, another live birth in a later period
    _birth(
        PregnancyFactory(managing_facility=home_facility, status="postpartum", outcome="delivery"),
        sy,
        "live_birth",
        "neonatal_death",
    )
    _birth(
        PregnancyFactory(managing_facility=home_facility, status="postpartum", outcome="delivery"),
        sy,
        "stillbirth",
    )
    _birth(
        PregnancyFactory(managing_facility=home_facility, status="postpartum", outcome="delivery"),
        dt.datetime(2026, 10, 2, tzinfo=dt.UTC),
        "live_birth",
    )
    body = api.as_user(supervisor).get(URL, {"period": "SY2026"}).json()
    assert (body["deliveries"], body["live_births"], body["maternal_deaths"]) == (2, 2, 1)
    assert body["mmr"] == 50000.0  # 1 ÷ 2 × 100,000
    month = api.as_user(supervisor).get(URL, {"period": "2026-02"}).json()
    assert (month["live_births"], month["mmr"]) == (2, 50000.0)
    assert api.as_user(supervisor).get(URL, {"period": "2026-03"}).json()["mmr"] is None


def test_off_tier_red_and_orange_women(api, supervisor, home_facility, county):
    tertiary = FacilityFactory(region=county, tier=Tier.TERTIARY)
    centre = FacilityFactory(region=county, tier=Tier.SECONDARY, critical_care_level="county")
    for facility in (home_facility, tertiary, centre):
        PregnancyFactory(managing_facility=facility, risk_color="red")
        PregnancyFactory(managing_facility=facility, risk_color="orange")
    body = api.as_user(supervisor).get(URL).json()
    assert body["not_at_appropriate_tier"] == {"orange": 1, "red": 2}


# --- cost --------------------------------------------------------------------------------------------


def test_the_summary_costs_the_same_few_queries_for_a_facility_a_region_and_the_network(
    api, supervisor, system_admin, two_regions, home_facility
):
    def count(user, params):
        client = api.as_user(user)
        # Warm up: signing a different user in starts a new session, and the first request of a session
        # stamps its refresh time (savepoint, update, release); the requests after it, within
        # SESSION_REFRESH_SECONDS, write nothing. Measure that steady-state request, whoever signed in last.
        assert client.get(URL, params).status_code == 200
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL, params).status_code == 200
        return len(queries)

    # user (her region, the scope, joined), the counters (one query for census, follow-up windows and
    # period together: the overdue windows are counters too since migration 0003, no longer a live COUNT);
    # a facility scope adds the facility lookup
    assert count(supervisor, {}) == 2
    assert count(supervisor, {"facility": str(home_facility.external_id)}) == 3
    # the network: the same two
    assert count(system_admin, {}) == 2
    for _ in range(30):
        PregnancyFactory(managing_facility=FacilityFactory(region=home_facility.region), risk_color="red")
    assert count(supervisor, {}) == 2


def _cohort_expected(prefix: str, start: dt.date, end: dt.date, births: int) -> dict:
    """The rates, ratios and due-soon count of the summary from the raw rows (tests/dashboards/recount.py)."""
    from dashboards.models import DeliveryFact  # noqa: F401 (colour at delivery, read by cohort_recount)
    from facilities.models import Facility
    from risk.models import RiskReport

    from .recount import cohort_recount

    in_region = set(Facility.objects.filter(region_code__startswith=prefix).values_list("id", flat=True))
    since, until = _local_midnight(start), _local_midnight(end)
    counts = {
        k: 0 for k in ("early_booking", "anc_1", "anc_5", "postpartum_visit", "high_risk", "appropriate_tier")
    }
    for facility, moment, keys in cohort_recount():
        if facility in in_region and since <= moment < until:
            for key in keys:
                counts[key.removeprefix("cohort:")] += 1
    reports = RiskReport.objects.filter(
        facility__region_code__startswith=prefix,
        color__in=["orange", "red"],
        due_at__gte=since,
        due_at__lt=until,
    ).exclude(status="cancelled")
    on_time = sum(1 for r in reports if r.submitted_at and r.submitted_at <= r.due_at)

    def rate(n, d):
        return {"numerator": n, "denominator": d, "rate_pct": round(n * 100 / d, 1) if d else None}

    today = timezone.localdate()
    return {
        "early_booking": rate(counts["early_booking"], births),
        "anc_1_visit": rate(counts["anc_1"], births),
        "anc_5_visits": rate(counts["anc_5"], births),
        "postpartum_visit": rate(counts["postpartum_visit"], births),
        "on_time_reporting": rate(on_time, reports.count()),
        "appropriate_tier_delivery": rate(counts["appropriate_tier"], counts["high_risk"]),
        "followups_due_7_days": FollowUp.objects.filter(
            managing_facility__region_code__startswith=prefix,
            due_by__gte=today,
            due_by__lt=today + dt.timedelta(days=7),
        )
        .exclude(status="closed")
        .count(),
    }


@pytest.mark.parametrize("period", ["SY2026", "2026-03"])
def test_the_new_indicators_equal_a_recount_from_raw_rows(seeded_region, api, period):
    Mix(seeded_region).all()
    for username, prefix in (("sup.nanning", "4501"), ("sup.guangxi", "45")):
        body = api.as_user(User.objects.get(username=username)).get(URL, {"period": period}).json()
        start, end = (
            dt.date.fromisoformat(body["period"]["start"]),
            dt.date.fromisoformat(body["period"]["end"]),
        )
        expected = _cohort_expected(prefix, start, end + dt.timedelta(days=1), body["live_births"])
        assert {key: body[key] for key in expected} == expected
        births, deaths, near = body["live_births"], body["maternal_deaths"], body["near_miss_events"]
        assert body["near_miss_ratio"] == (round(near * 1000 / births, 1) if births else None)
        assert body["severe_maternal_outcome_ratio"] == (
            round((near + deaths) * 1000 / births, 1) if births else None
        )
        assert body["mortality_index"] == (
            round(deaths * 100 / (near + deaths), 1) if near + deaths else None
        )
    assert body["anc_1_visit"]["numerator"] > 0 and body["early_booking"]["numerator"] > 0


def test_small_rates_are_suppressed_with_their_percentages(api, auditor, home_facility):
    from django.utils import timezone as tz

    for color in ("orange", "red", "green"):
        woman = PregnancyFactory(managing_facility=home_facility, risk_color=color)
        delivery = Delivery.objects.create(
            pregnancy=woman, delivered_at=tz.now(), facility=home_facility, mode="svd"
        )
        Newborn.objects.create(delivery=delivery, outcome="live_birth")
    body = api.as_user(auditor).get(URL, {"facility": str(home_facility.external_id)}).json()
    assert body["appropriate_tier_delivery"] == {"numerator": 0, "denominator": None, "rate_pct": None}
    assert body["anc_1_visit"] == {"numerator": 0, "denominator": None, "rate_pct": None}
    assert body["near_miss_ratio"] is None
    assert {"appropriate_tier_delivery.denominator", "appropriate_tier_delivery.rate_pct"} <= set(
        body["suppressed"]
    )
