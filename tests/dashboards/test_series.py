"""``GET /api/v1/dashboard/series/``: weekly series equal to a recount by ISO week, census series from
the snapshots (task idempotent) with the current week live, suppression, access, and a constant query
count."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from cases.models import MaternalDeath, Pregnancy
from dashboards.models import CensusSnapshot
from dashboards.series import SERIES, week_start
from dashboards.services import census_snapshot_take
from facilities.models import Facility
from tests.factories import FacilityFactory, PregnancyFactory, UserFactory

from .mix import Mix
from .recount import monthly_recount, week_of

URL = "/api/v1/dashboard/series/"


def test_every_event_series_equals_a_recount_by_week(seeded_region, api):
    Mix(seeded_region).all()
    by_week = monthly_recount(bucket=week_of)
    current = week_start(timezone.localdate())
    for username, prefix in (("sup.nanning", "4501"), ("sup.guangxi", "45")):
        client = api.as_user(User.objects.get(username=username))
        in_region = set(Facility.objects.filter(region_code__startswith=prefix).values_list("id", flat=True))
        for name, series in SERIES.items():
            if series.kind != "events":
                continue
            body = client.get(URL, {"indicator": name, "weeks": 104}).json()
            assert [w["start"] for w in body["weeks"]][-1] == current.isoformat()
            expected = {(current - dt.timedelta(weeks=i)).isoformat(): 0 for i in range(104)}
            for (facility, key, week), n in by_week.items():
                if facility in in_region and key in series.keys and week.isoformat() in expected:
                    expected[week.isoformat()] += n
            assert {w["start"]: w["value"] for w in body["weeks"]} == expected, name
    assert sum(w["value"] for w in client.get(URL, {"indicator": "deliveries", "weeks": 104}).json()["weeks"])


def test_a_census_series_reads_the_weekly_snapshots_and_now(api, supervisor, home_facility):
    for _ in range(3):
        PregnancyFactory(managing_facility=home_facility, risk_color="red")
    last_week = timezone.now() - dt.timedelta(days=7)
    census_snapshot_take(now=last_week)
    census_snapshot_take(now=last_week)  # idempotent: the week's rows are replaced, not added
    assert CensusSnapshot.objects.filter(key="color:red").count() == 1
    PregnancyFactory(managing_facility=home_facility, risk_color="red")
    body = api.as_user(supervisor).get(URL, {"indicator": "red", "weeks": 3}).json()
    assert [w["value"] for w in body["weeks"]] == [None, 3, 4]  # no snapshot, last week, now
    assert body["kind"] == "census" and body["suppressed"] == []
    Pregnancy.objects.filter(managing_facility=home_facility).update(risk_color="green")
    census_snapshot_take(now=last_week)  # a later snapshot of the same week replaces it
    assert api.as_user(supervisor).get(URL, {"indicator": "red", "weeks": 2}).json()["weeks"][0]["value"] == 0


def test_small_weekly_values_are_suppressed_for_aggregate_only_viewers(
    api, auditor, supervisor, home_facility
):
    clinician = UserFactory(facility=home_facility)
    for _ in range(2):
        MaternalDeath.objects.create(
            pregnancy=PregnancyFactory(managing_facility=home_facility),
            died_at=timezone.now(),
            facility=home_facility,
            cause="PPH",
            recorded_by=clinician,
        )
    params = {"indicator": "maternal_deaths", "weeks": 2, "facility": str(home_facility.external_id)}
    hidden = api.as_user(auditor).get(URL, params).json()
    assert [w["value"] for w in hidden["weeks"]] == [0, None]
    assert hidden["suppressed"] == [week_start(timezone.localdate()).isoformat()]
    assert [w["value"] for w in api.as_user(supervisor).get(URL, params).json()["weeks"]] == [0, 2]


def test_access_follows_the_summary(api, facility_admin, other_facility, outsider, home_facility):
    admin = api.as_user(facility_admin)
    assert admin.get(URL, {"indicator": "deliveries"}).json()["scope"]["facility"]["id"] == str(
        home_facility.external_id
    )
    assert (
        admin.get(URL, {"indicator": "deliveries", "facility": str(other_facility.external_id)}).status_code
        == 403
    )
    assert api.as_user(outsider).get(URL, {"indicator": "deliveries"}).status_code == 403
    assert api.as_user(None).get(URL, {"indicator": "deliveries"}).status_code == 401


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"indicator": "nope"}, "indicator"),
        ({}, "indicator"),
        ({"indicator": "red", "weeks": "0"}, "weeks"),
        ({"indicator": "red", "weeks": "105"}, "weeks"),
        ({"indicator": "red", "weeks": "x"}, "weeks"),
    ],
)
def test_bad_parameters_are_400(api, supervisor, params, field):
    response = api.as_user(supervisor).get(URL, params)
    assert response.status_code == 400 and field in response.json()["errors"]


@pytest.mark.parametrize("indicator", ["deliveries", "red"])
def test_a_series_costs_the_same_queries_whatever_the_data(api, supervisor, home_facility, indicator):
    client = api.as_user(supervisor)
    # Warm up: the first request after force_login stamps the session's refresh time (savepoint, update,
    # release); the requests after it, within SESSION_REFRESH_SECONDS, write nothing.
    client.get(URL, {"indicator": indicator, "weeks": 52})

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL, {"indicator": indicator, "weeks": 52}).status_code == 200
        return len(queries)

    # user (her region, the scope, joined), the series (one query)
    assert count() == 2
    for _ in range(20):
        PregnancyFactory(managing_facility=FacilityFactory(region=home_facility.region), risk_color="red")
    census_snapshot_take()
    assert count() == 2
