"""``GET /api/v1/dashboard/timeliness/``: every figure equals a recount from the raw referral, consult and
alert rows (percentiles recomputed in Python), the same scope and suppression rules as the summary, and
a constant query count."""

import datetime as dt
import random

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.choices import Role
from consults.models import Consult
from dashboards.periods import parse_period
from notifications.models import Alert
from referrals.models import Referral
from tests.factories import FacilityFactory, PregnancyFactory, UserFactory

URL = "/api/v1/dashboard/timeliness/"
START = dt.datetime(2026, 1, 5, 2, 0, tzinfo=dt.UTC)  # inside 2026 and SY2026


def percentile(values: list[float], fraction: float) -> float:
    """Linear interpolation between the nearest ranks (PostgreSQL's percentile_cont)."""
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def timing(seconds: list[float], target: int | None) -> dict:
    if not seconds:
        return {
            "n": 0,
            "median_minutes": None,
            "p90_minutes": None,
            "within_target_pct": None,
            "target_minutes": target,
        }
    within = sum(s <= target * 60 for s in seconds) if target is not None else None
    return {
        "n": len(seconds),
        "median_minutes": round(percentile(seconds, 0.5) / 60, 1),
        "p90_minutes": round(percentile(seconds, 0.9) / 60, 1),
        "within_target_pct": round(within * 100 / len(seconds), 1) if target is not None else None,
        "target_minutes": target,
    }


def recount(prefix: str, since: dt.datetime, until: dt.datetime) -> dict:
    """The timeliness figures of the region ``prefix`` from the raw rows, in Python."""
    referrals = list(
        Referral.objects.filter(
            from_facility__region_code__startswith=prefix, requested_at__gte=since, requested_at__lt=until
        )
    )
    consults = list(
        Consult.objects.filter(
            requesting_facility__region_code__startswith=prefix,
            requested_at__gte=since,
            requested_at__lt=until,
        )
    )

    def durations(rows, urgency, start, end):
        return [
            (getattr(r, end) - getattr(r, start)).total_seconds()
            for r in rows
            if r.urgency == urgency and getattr(r, start) and getattr(r, end)
        ]

    out = {
        "referral_acceptance": {
            u: timing(
                durations(referrals, u, "clock_started_at", "accepted_at"),
                settings.REFERRAL_ACCEPT_MINUTES[u],
            )
            for u in ("emergency", "urgent", "routine")
        },
        "referral_arrival": {
            u: timing(
                durations(referrals, u, "departed_at", "arrived_at"), settings.REFERRAL_ARRIVAL_MINUTES[u]
            )
            for u in ("emergency", "urgent", "routine")
        },
        "consult_scheduling": {
            u: timing(
                durations(consults, u, "requested_at", "scheduled_at"),
                settings.CONSULT_SCHEDULE_MINUTES.get(u),
            )
            for u in ("emergency", "routine", "scheduled")
        },
        "consult_conclusion": {
            u: timing(durations(consults, u, "requested_at", "concluded_at"), None)
            for u in ("emergency", "routine", "scheduled")
        },
    }
    alerts = [
        a
        for a in Alert.objects.filter(
            facility__region_code__startswith=prefix, delivered_at__gte=since, delivered_at__lt=until
        )
        if a.severity in settings.ALERT_ESCALATION_MINUTES
    ]
    on_time = [
        a
        for a in alerts
        if a.acknowledged_at
        and a.acknowledged_at - a.delivered_at
        <= dt.timedelta(minutes=settings.ALERT_ESCALATION_MINUTES[a.severity])
    ]
    out["alerts"] = {
        "delivered": len(alerts),
        "acknowledged_within_window_pct": round(len(on_time) * 100 / len(alerts), 1) if alerts else None,
        "escalated": {f"level_{k}": sum(a.escalation_level >= k for a in alerts) for k in (1, 2, 3)},
    }
    return out


@pytest.fixture
def events(home_facility, other_facility, county):
    """Referrals, consults and alerts with random durations at the home facility and a second facility of
    city A, a few in city B (outside the region), and some outside the period."""
    rng = random.Random(8)
    second = FacilityFactory(region=county)
    clinician = UserFactory(facility=home_facility, roles=[Role.OBSTETRICIAN])
    for i in range(40):
        sender = (home_facility, second, other_facility)[i % 3]
        pregnancy = PregnancyFactory(managing_facility=sender)
        requested = START + dt.timedelta(days=rng.randint(0, 300), seconds=rng.randint(0, 86_399))
        if i % 10 == 9:
            requested = START - dt.timedelta(days=30)  # before 2026
        accepted = requested + dt.timedelta(seconds=rng.randint(60, 3 * 3600)) if i % 7 else None
        departed = accepted + dt.timedelta(minutes=rng.randint(5, 60)) if accepted and i % 4 else None
        arrived = departed + dt.timedelta(seconds=rng.randint(600, 6 * 3600)) if departed and i % 5 else None
        status = "arrived" if arrived else "departed" if departed else "accepted" if accepted else "requested"
        Referral.objects.create(
            pregnancy=pregnancy,
            from_facility=sender,
            to_facility=other_facility if sender != other_facility else home_facility,
            direction="up",
            urgency=("emergency", "urgent", "routine")[i % 3 if i % 11 else 0],
            status=status,
            reason="Severe pre-eclampsia",
            sending_clinician=clinician,
            requested_at=requested,
            clock_started_at=requested - dt.timedelta(minutes=i % 4),  # a redirect chain started earlier
            accepted_at=accepted,
            departed_at=departed,
            arrived_at=arrived,
        )
        scheduled = requested + dt.timedelta(seconds=rng.randint(120, 30 * 3600)) if i % 6 else None
        concluded = scheduled + dt.timedelta(hours=rng.randint(1, 20)) if scheduled and i % 3 else None
        Consult.objects.create(
            pregnancy=pregnancy,
            requested_by=clinician,
            requesting_facility=sender,
            coordinating_facility=other_facility if sender != other_facility else home_facility,
            urgency=("emergency", "routine", "scheduled")[i % 3],
            status="concluded" if concluded else "scheduled" if scheduled else "requested",
            question="Continue or terminate?",
            specialties=["anaesthesia"],
            requested_at=requested,
            scheduled_at=scheduled,
            concluded_at=concluded,
        )
        delivered = requested + dt.timedelta(minutes=1)
        Alert.objects.create(
            kind="referral_requested",
            dedup_key=f"test:{i}",
            severity=("critical", "urgent", "warning", "info")[i % 4],
            status="acknowledged" if i % 2 else "delivered",
            facility=sender,
            due_at=requested,
            delivered_at=delivered if i % 8 else None,
            acknowledged_at=delivered + dt.timedelta(minutes=rng.randint(1, 30)) if i % 2 else None,
            escalation_level=i % 4,
        )


@pytest.mark.parametrize("period", ["2026", "SY2026", "2026-03"])
def test_every_timeliness_figure_equals_a_recount_from_raw_rows(api, supervisor, events, period):
    body = api.as_user(supervisor).get(URL, {"period": period}).json()
    since, until = parse_period(period, today=dt.date(2026, 11, 1)).bounds()
    expected = recount("4501", since, until)
    assert {key: body[key] for key in expected} == expected
    assert body["suppressed"] == [] and body["scope"]["region"]["code"] == "450100"
    if period == "2026":
        assert sum(g["n"] for g in body["referral_acceptance"].values()) > 5
        assert body["alerts"]["delivered"] > 5


def test_a_supervisor_of_another_region_sees_small_groups_suppressed(api, other_supervisor, events, city):
    body = api.as_user(other_supervisor).get(URL, {"region": city.code, "period": "2026"}).json()
    full = recount(
        "4501",
        *__import__("dashboards.periods", fromlist=["x"])
        .parse_period("2026", today=dt.date(2026, 11, 1))
        .bounds(),
    )
    assert body["scope"]["aggregate_only"] is True
    for family in ("referral_acceptance", "referral_arrival", "consult_scheduling", "consult_conclusion"):
        for urgency, group in full[family].items():
            hidden = f"{family}.{urgency}" in body["suppressed"]
            assert hidden == (0 < group["n"] < 5)
            assert body[family][urgency] == (
                {**group, "n": None, "median_minutes": None, "p90_minutes": None, "within_target_pct": None}
                if hidden
                else group
            )
    assert body["referral_acceptance"]["emergency"]["n"] is not None  # large groups stay visible


def test_a_group_of_one_to_four_events_is_hidden_whole_for_aggregate_viewers():
    from dashboards.timeliness import suppress_timeliness, targets_by_family

    def group(n):
        return {
            "n": n,
            "median_minutes": 3.0,
            "p90_minutes": 4.0,
            "within_target_pct": 50.0,
            "target_minutes": 15,
        }

    figures = {family: {u: group(7) for u in urgencies} for family, urgencies in targets_by_family().items()}
    figures["referral_arrival"]["urgent"] = group(3)
    figures["alerts"] = {
        "delivered": 4,
        "acknowledged_within_window_pct": 25.0,
        "escalated": {"level_1": 2, "level_2": 0, "level_3": 0},
    }
    hidden = suppress_timeliness(figures)
    assert hidden == ["referral_arrival.urgent", "alerts.delivered", "alerts.escalated.level_1"]
    assert figures["referral_arrival"]["urgent"] == {
        "n": None,
        "median_minutes": None,
        "p90_minutes": None,
        "within_target_pct": None,
        "target_minutes": 15,
    }
    assert figures["referral_arrival"]["emergency"]["n"] == 7
    assert figures["alerts"] == {
        "delivered": None,
        "acknowledged_within_window_pct": None,
        "escalated": {"level_1": None, "level_2": 0, "level_3": 0},
    }


@pytest.mark.parametrize("persona", ["midwife", "outsider"])
def test_clinicians_get_403(api, persona, request):
    assert api.as_user(request.getfixturevalue(persona)).get(URL).status_code == 403


def test_timeliness_costs_the_same_few_queries_whatever_the_number_of_events(
    api, supervisor, events, home_facility
):
    def count():
        client = api.as_user(supervisor)
        # Warm up: the first request after force_login stamps the session's refresh time (savepoint,
        # update, release); the requests after it, within SESSION_REFRESH_SECONDS, write nothing.
        assert client.get(URL, {"period": "2026"}).status_code == 200
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL, {"period": "2026"}).status_code == 200
        return len(queries)

    # user (her region, the scope, joined), one statement over referrals, consults and alerts together
    assert count() == 2
    Alert.objects.create(
        kind="referral_requested",
        dedup_key="more",
        severity="critical",
        status="delivered",
        facility=home_facility,
        due_at=START,
        delivered_at=START,
    )
    assert count() == 2


# The "Timeliness" section of the dashboard page (/dashboards/): the same selector, shown human-readably.

TIMING_KEYS = ("n", "target_minutes", "median_minutes", "p90_minutes", "within_target_pct")


def page_figures(html: str) -> dict[str, tuple[str, str]]:
    """Every timeliness cell of the page: data-key → (data-value, the text shown)."""
    import re
    from html import unescape

    section = html[html.index('id="timeliness"') : html.index('id="definitions"')]
    cells = re.findall(r'<td class="num" data-key="([^"]+)" data-value="([^"]*)">(.*?)</td>', section, re.S)
    return {key: (raw, unescape(re.sub(r"<[^>]+>", "", shown)).strip()) for key, raw, shown in cells}


def api_figures(body: dict) -> dict:
    out = {}
    for family in ("referral_acceptance", "referral_arrival", "consult_scheduling", "consult_conclusion"):
        for urgency, group in body[family].items():
            for key in TIMING_KEYS:
                out[f"{family}.{urgency}.{key}"] = group[key]
    alerts = body["alerts"]
    out["alerts.delivered"] = alerts["delivered"]
    out["alerts.acknowledged_within_window_pct"] = alerts["acknowledged_within_window_pct"]
    for level, n in alerts["escalated"].items():
        out[f"alerts.escalated.{level}"] = n
    return out


@pytest.mark.parametrize("period", ["2026", "2026-03"])
def test_the_page_shows_the_apis_timeliness_figures_human_readably(client, api, supervisor, events, period):
    from dashboards.views import duration_display, percent_display

    body = api.as_user(supervisor).get(URL, {"period": period}).json()
    client.force_login(supervisor)
    html = client.get("/dashboards/", {"period": period}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    shown = page_figures(html)
    expected = api_figures(body)
    assert set(shown) == set(expected) and len(expected) == 4 * 3 * 5 + 5
    for key, figure in expected.items():
        raw, text = shown[key]
        assert raw == ("" if figure is None else str(figure)), key
        if figure is None:
            assert text == "—", key
        elif key.endswith("_minutes"):
            assert text == duration_display(figure) and text.endswith(("min", "h", "d")), key
        elif key.endswith("_pct"):
            assert text == percent_display(figure) and text.endswith("%"), key
        else:
            assert text == str(figure), key
    if period == "2026":
        assert sum(g["n"] for g in body["referral_acceptance"].values()) > 5
        assert shown["referral_acceptance.emergency.target_minutes"] == ("15", "15 min")
        assert shown["referral_arrival.routine.target_minutes"] == ("4320", "3 d")
    assert "dash-suppressed" not in html  # her own region: nothing hidden
    # every indicator and column is defined: hover title and the definitions list
    for label in (
        "Referral time to acceptance",
        "Consult time to conclusion",
        "90th percentile",
        "Escalated to level 3",
    ):
        assert f"<dt>{label}</dt>" in html
    assert 'title="The same referrals whose woman departed and arrived' in html


def test_an_aggregate_viewer_sees_small_timeliness_groups_as_fewer_than_five(
    client, api, other_supervisor, events, city
):
    query = {"region": city.code, "period": "2026-02"}  # a month: groups of 1 to 4 events
    body = api.as_user(other_supervisor).get(URL, query).json()
    assert body["scope"]["aggregate_only"] is True
    assert {"referral_acceptance.emergency", "alerts.delivered", "alerts.escalated.level_1"} <= set(
        body["suppressed"]
    )
    client.force_login(other_supervisor)
    html = client.get("/dashboards/", query, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    shown = page_figures(html)
    hidden_keys = set()
    for hidden in body["suppressed"]:
        if hidden == "alerts.delivered":
            hidden_keys |= {"alerts.delivered", "alerts.acknowledged_within_window_pct"}
        elif hidden.startswith("alerts."):
            hidden_keys.add(hidden)
        else:
            family, urgency = hidden.split(".")
            hidden_keys |= {f"{hidden}.{k}" for k in ("n", "median_minutes", "p90_minutes")}
            if body[family][urgency]["target_minutes"] is not None:
                hidden_keys.add(f"{hidden}.within_target_pct")
    assert {key for key, (_raw, text) in shown.items() if text == "< 5"} == hidden_keys
    for key, figure in api_figures(body).items():
        if key in hidden_keys:
            assert shown[key] == ("", "< 5"), key
        else:  # targets, empty groups and groups of 5 or more stay as the API gives them
            assert shown[key][0] == ("" if figure is None else str(figure)), key
    assert shown["referral_acceptance.emergency.target_minutes"] == ("15", "15 min")


def test_durations_and_shares_read_as_people_say_them():
    from django.utils import translation

    from dashboards.views import duration_display, percent_display

    with translation.override("en"):
        cases = {0.4: "0.4 min", 18: "18 min", 17.6: "18 min", 20.5: "21 min", 60: "1 h", 125: "2 h 5 min"}
        cases |= {1440: "1 d"}
        cases |= {4320: "3 d", 1530: "1 d 2 h", 2875: "2 d"}
        assert {m: duration_display(m) for m in cases} == cases
        assert duration_display(None) is None
        assert percent_display(83.3) == "83.3%" and percent_display(100.0) == "100%"
    with translation.override("zh-hans"):
        assert duration_display(125) == "2 小时 5 分钟" and duration_display(4320) == "3 天"
