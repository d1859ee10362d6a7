"""``{% grade_badges %}`` and ``{% ga_inline %}`` (``cases.templatetags.grades``): every branch, both
languages, and what each reads from the context when not given."""

import pytest
from django.template import engines
from django.utils import translation

from cases.models import Pregnancy


def render(source: str, **context) -> str:
    return engines["django"].from_string("{% load grades %}" + source).render(context)


@pytest.mark.parametrize(
    ("fields", "provisional", "expected"),
    [
        ({}, False, '<span class="badge badge-none">Not graded</span>'),
        ({"risk_color": "red"}, False, '<span class="badge badge-red">Red</span>'),
        (
            {"risk_color": "", "purple": True},
            True,
            '<span class="badge badge-none">Not graded</span>'
            ' <span class="tag tag-provisional">Provisional</span>'
            ' <span class="badge badge-purple">Purple</span>',
        ),
        (
            {"risk_color": "yellow", "risk_proposed_color": "orange"},
            False,
            '<span class="badge badge-yellow">Yellow</span> <span class="tag tag-proposed"'
            ' title="A higher colour is proposed from the latest data and awaits confirmation">'
            "↑ Orange proposed</span>",
        ),
    ],
)
def test_grade_badges(fields, provisional, expected):
    pregnancy = Pregnancy(**fields)
    assert (
        render("{% grade_badges pregnancy=p provisional=flag %}", p=pregnancy, flag=provisional) == expected
    )
    # not given: the context's ``pregnancy`` and ``provisional``
    assert render("{% grade_badges %}", pregnancy=pregnancy, provisional=provisional) == expected


def test_grade_badges_in_chinese_and_escaped():
    with translation.override("zh-hans"):
        html = render("{% grade_badges pregnancy=p provisional=True %}", p=Pregnancy(risk_color="orange"))
    assert (
        html == '<span class="badge badge-orange">橙色</span> <span class="tag tag-provisional">临时</span>'
    )
    assert render("{% grade_badges %}") == ""  # no woman in the context: nothing


@pytest.mark.parametrize(
    ("ga", "postpartum_day", "expected"),
    [
        ({"weeks": 20, "days": 3}, None, '<span class="ga-inline">20 weeks + 3 days</span>'),
        ({"weeks": 20, "days": 3}, 4, '<span class="ga-inline">20 weeks + 3 days</span>'),
        (None, 0, '<span class="pp-inline">Postpartum day 0</span>'),
        (None, None, '<span class="muted">—</span>'),
    ],
)
def test_ga_inline(ga, postpartum_day, expected):
    assert (
        render("{% ga_inline ga=g postpartum_day=d %}", g=ga, d=postpartum_day, postpartum_day=9) == expected
    )
    # postpartum_day not given: the context's
    assert render("{% ga_inline ga=g %}", g=ga, postpartum_day=postpartum_day) == expected


def test_ga_inline_in_chinese():
    with translation.override("zh-hans"):
        assert (
            render("{% ga_inline ga=g %}", g={"weeks": 38, "days": 0})
            == '<span class="ga-inline">孕 38 周 + 0 天</span>'
        )
        assert render("{% ga_inline ga=None postpartum_day=12 %}").startswith('<span class="pp-inline">')


def test_the_markup_kept_per_process_follows_the_language_of_each_render():
    """The tags keep their markup per combination of values and language (``_badges``, ``_ga``,
    ``_postpartum``): the same woman in English, then Chinese, then English again."""
    pregnancy = Pregnancy(risk_color="red", purple=True)
    source = (
        "{% grade_badges pregnancy=p provisional=False %}|{% ga_inline ga=g %}"
        "|{% ga_inline ga=None postpartum_day=3 %}"
    )
    context = {"p": pregnancy, "g": {"weeks": 31, "days": 2}}
    english = render(source, **context)
    with translation.override("zh-hans"):
        chinese = render(source, **context)
    assert english == (
        '<span class="badge badge-red">Red</span> <span class="badge badge-purple">Purple</span>'
        '|<span class="ga-inline">31 weeks + 2 days</span>|<span class="pp-inline">Postpartum day 3</span>'
    )
    assert "红色" in chinese and "孕 31 周 + 2 天" in chinese and chinese != english
    assert render(source, **context) == english
