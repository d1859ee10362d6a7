"""A list page whose filter is not valid lists nobody and says why (``core.filtersets.LeanFilterSet.qs``):
django-filter dropped the invalid filter and listed, under the error, what the rest let through."""

import pytest
from django.utils import translation

from facilities.filtersets import FacilityFilterSet
from tests.cases.test_pages import register

pytestmark = pytest.mark.django_db


def test_the_worklist_with_an_invalid_filter_lists_nobody_and_says_why(client, midwife):
    register(midwife, name="王芳")
    client.force_login(midwife)
    assert len(client.get("/").context["rows"]) == 1

    response = client.get("/", {"ga_min": "99"}, HTTP_ACCEPT_LANGUAGE="en")

    page = response.content.decode()
    assert response.status_code == 200
    assert response.context["rows"] == []
    assert "王芳" not in page
    assert "Correct the search above to see the worklist." in page
    assert "Ensure this value is less than or equal to 45." in page
    assert '<div class="field field--narrow field--error">\n      <label for="id_ga_min">' in page


def test_the_worklist_error_is_translated(client, midwife):
    register(midwife, name="王芳")
    client.force_login(midwife)

    response = client.get("/", {"ga_min": "99"}, HTTP_ACCEPT_LANGUAGE="zh-hans")

    with translation.override("zh-hans"):
        expected = translation.gettext("Correct the search above to see the worklist.")
    assert expected != "Correct the search above to see the worklist."
    assert expected in response.content.decode()


@pytest.mark.parametrize(
    ("user", "path", "query", "field", "empty", "nothing_found"),
    [
        (
            "auditor",
            "/audit/",
            {"occurred_after": "2026-02-30"},
            "occurred_after",
            "Correct the search above to see the audit trail.",
            "No audit event matches these filters.",
        ),
        (
            "midwife",
            "/facilities/",
            {"tier": "galaxy"},
            "tier",
            "Correct the search above to see the facilities.",
            "No facility matches these filters.",
        ),
        (
            "midwife",
            "/reminders/worklist/",
            {"status": "galaxy"},
            "status",
            "Correct the search above to see the follow-up visits.",
            "No follow-up visit is due.",
        ),
    ],
)
def test_other_list_pages_with_an_invalid_filter_list_nothing_and_say_why(
    request, client, user, path, query, field, empty, nothing_found, home_facility
):
    actor = request.getfixturevalue(user)
    client.force_login(actor)
    assert client.get(path).status_code == 200

    response = client.get(path, query, HTTP_ACCEPT_LANGUAGE="en")

    page = response.content.decode()
    rows = response.context["followup_page" if "reminders" in path else "page"]
    assert response.status_code == 200
    assert list(rows.object_list) == []
    assert "This search is not valid, so nothing is listed. Correct it:" in page
    filterset = response.context["followup_filter" if "reminders" in path else "filter"]
    label = str(filterset.form[field].label)
    assert f"<li>{label}: " in page
    # The empty list says to correct the search, not that nothing matched it.
    assert empty in page
    assert nothing_found not in page


def test_the_scoped_rows_of_a_query_that_selects_nothing_run_no_statement(midwife, django_assert_num_queries):
    from cases.models import Pregnancy
    from cases.selectors import worklist_rows

    register(midwife, name="王芳")
    rows = worklist_rows(actor=midwife, queryset=Pregnancy.objects.none())

    with django_assert_num_queries(0):
        assert rows.count() == 0
        assert rows[0:50] == []


def test_the_field_errors_read_as_chinese_in_chinese(client, midwife):
    client.force_login(midwife)

    page = client.get("/facilities/", {"tier": "galaxy"}, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    with translation.override("zh-hans"):
        label = str(FacilityFilterSet.base_filters["tier"].label)
        heading = translation.gettext("This search is not valid, so nothing is listed. Correct it:")
    assert heading in page and heading.isascii() is False
    assert f"<li>{label}：" in page  # a full-width colon after the label
