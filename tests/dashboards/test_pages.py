"""The dashboard page, the list of women behind a figure, and the audited CSV export."""

import csv
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from tests.factories import FacilityFactory, PregnancyFactory


@pytest.fixture
def cohort(home_facility, other_facility, county):
    """Red women: two at the home facility, one at a second facility of the county, one in city B."""
    second = FacilityFactory(region=county, name_zh="甲县妇幼保健院")
    reds = [
        PregnancyFactory(managing_facility=f, risk_color="red")
        for f in (home_facility, home_facility, second)
    ]
    PregnancyFactory(managing_facility=other_facility, risk_color="red")
    PregnancyFactory(managing_facility=home_facility, risk_color="green")
    PregnancyFactory(managing_facility=home_facility, risk_color="red", status="closed", outcome="delivery")
    return reds


def test_the_page_shows_cards_chart_table_and_definitions(client, supervisor, cohort):
    client.force_login(supervisor)
    response = client.get("/dashboards/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="color-chart"' in html and 'id="color-table"' in html and 'id="definitions"' in html
    assert re.search(
        r'data-color="red" data-label="[^"]+" data-value="3" data-href="/dashboards/women/', html
    )
    assert "vendor/chartjs/chart.umd.min.js" in html and "<script>" not in html
    assert "/dashboards/women/?region=450100&amp;color=red" in html


def test_the_red_segment_leads_to_exactly_the_red_women_of_her_region(client, supervisor, cohort, api):
    client.force_login(supervisor)
    figure = api.as_user(supervisor).get("/api/v1/dashboard/summary/").json()["by_color"]["red"]
    client.force_login(supervisor)
    response = client.get("/dashboards/women/", {"region": "450100", "color": "red"})
    assert response.status_code == 200
    shown = {p.external_id for p in response.context["page"].object_list}
    assert shown == {p.external_id for p in cohort} and len(shown) == figure == 3
    event = AuditEvent.objects.filter(action="list").latest("id")
    assert sorted(map(str, event.patient_ids)) == sorted(str(p.patient.external_id) for p in cohort)


def test_the_women_list_costs_a_constant_number_of_queries(client, supervisor, cohort, home_facility):
    client.force_login(supervisor)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/dashboards/women/", {"color": "red"}).status_code == 200
        return len(queries)

    # Warm up: the first request after force_login stamps the session's refresh time (savepoint, update,
    # release); the requests after it, within SESSION_REFRESH_SECONDS, write nothing, so both counts below
    # are of the same, steady-state request.
    client.get("/dashboards/women/", {"color": "red"})
    first = count()
    for _ in range(10):
        PregnancyFactory(managing_facility=home_facility, risk_color="red")
    # user (her region, the scope, joined), count, one page (woman and facility joined), the audit insert
    assert count() == first


@pytest.mark.parametrize("persona", ["facility_admin", "auditor", "other_supervisor"])
def test_those_without_the_womens_records_in_scope_get_no_list(client, persona, request, cohort):
    client.force_login(request.getfixturevalue(persona))
    assert client.get("/dashboards/women/", {"region": "450100", "color": "red"}).status_code == 403


def test_an_administrator_sees_figures_but_no_links_to_women(client, facility_admin, cohort):
    client.force_login(facility_admin)
    html = client.get("/dashboards/").content.decode()
    assert "/dashboards/women/" not in html and "data-href" not in html


def test_a_bad_period_shows_the_page_with_the_error(client, supervisor):
    client.force_login(supervisor)
    response = client.get("/dashboards/", {"period": "2026-13"})
    assert response.status_code == 400
    assert "SY2026" in response.content.decode() and response.context["errors"]["period"]


def test_the_csv_export_has_a_row_per_facility_and_the_total_and_is_audited(client, supervisor, cohort):
    client.force_login(supervisor)
    response = client.get("/dashboards/export.csv", {"period": "SY2026"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header, *facilities, total = rows
    assert header[:4] == ["Facility", "Facility code", "Region code", "Pregnancies in care"]
    assert len(facilities) == 2 and total[0] == "Total" and total[3] == "4"  # 3 red + 1 green open
    red = header.index("Red")
    assert sum(int(row[red]) for row in facilities) == int(total[red]) == 3
    event = AuditEvent.objects.get(action="export")
    assert event.actor == supervisor and event.changes["scope"] == {"region": "450100"}


@pytest.mark.parametrize("persona", ["auditor", "midwife"])
def test_no_export_without_the_export_action_or_outside_the_own_scope(client, persona, request):
    client.force_login(request.getfixturevalue(persona))
    assert client.get("/dashboards/export.csv").status_code == 403
    assert not AuditEvent.objects.filter(action="export").exists()


def test_the_page_costs_a_constant_number_of_queries(client, supervisor, cohort, home_facility):
    client.force_login(supervisor)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/dashboards/", {"period": "2026"}).status_code == 200
        return len(queries)

    # Warm up: the first request after force_login stamps the session's refresh time (savepoint, update,
    # release); the requests after it, within SESSION_REFRESH_SECONDS, write nothing, so both counts below
    # are of the same, steady-state request.
    client.get("/dashboards/", {"period": "2026"})
    first = count()
    for _ in range(10):
        PregnancyFactory(managing_facility=home_facility, risk_color="red")
    assert count() == first
    # user (her region, the scope, joined), the summary counters, the timeliness statement (one over
    # referrals, consults and alerts: dashboards.timeliness), the per-facility counters and their
    # facilities, the parent region (the "up one level" link), one per weekly trend chart (six)
    assert first == 12


def test_the_xlsx_export_opens_and_equals_the_csv_and_is_audited(client, supervisor, cohort):
    import openpyxl

    client.force_login(supervisor)
    response = client.get("/dashboards/export.xlsx", {"period": "SY2026"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200 and response["Content-Type"].endswith("spreadsheetml.sheet")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    cells = [["" if c is None else str(c) for c in row] for row in sheet.iter_rows(values_only=True)]
    as_csv = client.get("/dashboards/export.csv", {"period": "SY2026"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert cells == list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert cells[0][:2] == ["机构", "机构代码"] and cells[-1][0] == "合计"
    assert isinstance(sheet.cell(row=len(cells), column=4).value, int)  # numbers stay numbers
    formats = list(AuditEvent.objects.filter(action="export").values_list("changes__format", flat=True))
    assert sorted(formats) == ["csv", "xlsx"]


def test_a_trend_table_is_on_the_page_and_exports_the_same_weeks(client, supervisor, cohort):
    import openpyxl

    from dashboards.access import dashboard_scope
    from dashboards.series import series_get

    client.force_login(supervisor)
    page = client.get("/dashboards/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="trend-red"' in page and 'id="trend-red-chart"' in page and "<script>" not in page
    weeks = series_get(scope=dashboard_scope(supervisor), indicator="red", weeks=12)["weeks"]
    response = client.get("/dashboards/export.xlsx", {"table": "series:red"}, HTTP_ACCEPT_LANGUAGE="en")
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0] == ("ISO week", "Week starting", "Red")
    assert [list(r) for r in rows[1:]] == [[w["week"], w["start"], w["value"]] for w in weeks]
    assert weeks[-1]["value"] == 3  # the current week: the census now
    event = AuditEvent.objects.filter(action="export").get()
    assert event.changes["table"] == "series:red" and event.changes["format"] == "xlsx"
    assert client.get("/dashboards/export.csv", {"table": "series:nope"}).status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"color": "red"},
        {"color": "green"},
        {"color": "ungraded"},
        {"flag": "purple"},
        {"flag": "needs_referral"},
    ],
)
def test_the_womens_count_is_the_census_figure_without_counting_rows(
    client, supervisor, cohort, home_facility, query
):
    """A supervisor sees every woman of her region: the list's count is the census figure (the counters),
    equal to the rows it selects, and no statement counts pregnancies."""
    from dashboards.access import dashboard_scope
    from dashboards.selectors import women_list

    PregnancyFactory(managing_facility=home_facility, risk_color="", purple=True, needs_referral=True)
    PregnancyFactory(managing_facility=home_facility, risk_color="green", status="postpartum", purple=True)
    client.force_login(supervisor)
    client.get("/dashboards/women/", query)  # the session's first request stamps its refresh time
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/dashboards/women/", query)
    scope = dashboard_scope(supervisor)
    rows = women_list(actor=supervisor, scope=scope, color=query.get("color"), flag=query.get("flag")).count()
    assert response.context["page"].paginator.count == rows > 0
    assert not [
        q for q in queries.captured_queries if 'COUNT(*) AS "__count" FROM "cases_pregnancy"' in q["sql"]
    ]


def test_someone_who_does_not_see_every_woman_of_the_scope_gets_her_rows_counted(
    obstetrician, supervisor, cohort
):
    from django.utils import timezone

    from dashboards.access import dashboard_scope
    from dashboards.periods import current_period
    from dashboards.selectors import women_total

    scope = dashboard_scope(supervisor)  # the region of the city: the obstetrician works at one facility
    period = current_period(timezone.localdate())
    assert women_total(actor=obstetrician, scope=scope, period=period, key="by_color.red") is None
    assert women_total(actor=supervisor, scope=scope, period=period, key="by_color.red") == 3


def test_whole_numbers_are_printed_with_their_thousands_grouped():
    """Six-digit counts of a region read as 899,894; rates, text and empty figures are left alone."""
    from django.template import Context, Template

    page = Template(
        "{% load numbers %}{{ a|grouped }} {{ b|grouped }} {{ c|grouped }} {{ d|grouped }} {{ e|grouped }}"
    )
    rendered = page.render(Context({"a": 899894, "b": 12, "c": 5.9, "d": "85%", "e": None}))
    assert rendered == "899,894 12 5.9 85% None"


def test_the_dashboard_cards_group_thousands(client, supervisor, home_facility):
    from dashboards.models import CensusCounter

    PregnancyFactory(managing_facility=home_facility, risk_color="red")
    CensusCounter.objects.filter(facility=home_facility, key="status:active").update(n=123456)
    client.force_login(supervisor)
    html = client.get("/dashboards/").content.decode()
    assert ">123,456<" in html and ">123456<" not in html
