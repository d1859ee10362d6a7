"""``{% load i18n %}`` gives Django's tags with literal ``{% translate %}`` tags rendered once per language
(core/templatetags/i18n_constant.py): the same compiled template must render what Django's own library
renders, in every language, render after render, and anything that is not a literal keeps Django's node."""

import pytest
from django.template import Context, Engine, engines
from django.templatetags.i18n import TranslateNode
from django.utils import translation

from core.templatetags.i18n_constant import ConstantTranslateNode

DJANGO = Engine(libraries={"i18n": "django.templatetags.i18n"})
SOURCES = [
    '{% translate "Record number" %}|{% trans "Search" %}',
    '{% translate "a < b" %}|{% autoescape off %}{% translate "a < b" %}{% endautoescape %}',
    '{% translate "100%% sure" %}|{% translate "Search" noop %}',
    '{% translate "Search" as label %}[{{ label }}]',
    '{% translate "Search" context "verb" %}|{% translate "May" context "month name" %}',
    "{% translate message %}|{% translate message as m %}{{ m }}",
    '{% translate "Search"|upper %}|{% translate "Search" context which %}',
    "{% blocktranslate count n=2 %}{{ n }} fetus{% plural %}{{ n }} fetuses{% endblocktranslate %}",
]


def _ours(source: str):
    return engines["django"].from_string("{% load i18n %}" + source)


@pytest.mark.parametrize("source", SOURCES)
def test_renders_what_djangos_library_renders_in_each_language(source):
    ours = _ours(source)
    django_s = DJANGO.from_string("{% load i18n %}" + source)
    contexts = [{"message": "Search", "which": "verb"}, {"message": "Record number", "which": "noun"}]
    for _ in range(2):  # the second round renders what the first one kept
        for language in ("zh-hans", "en", "zh-hans"):
            with translation.override(language):
                for context in contexts:
                    assert ours.render(context) == django_s.render(Context(context))


def test_a_literal_follows_the_language_on_the_same_compiled_template():
    template = _ours('{% translate "Record number" %}|{% trans "Search" %}')
    for _ in range(2):
        with translation.override("zh-hans"):
            assert template.render({}) == "档案号|搜索"
        with translation.override("en"):
            assert template.render({}) == "Record number|Search"


def test_as_variable_is_set_on_every_render():
    template = _ours('{% translate "Search" as label %}[{{ label }}]')
    with translation.override("zh-hans"):
        assert template.render({}) == "[搜索]"
        assert template.render({"label": "stale"}) == "[搜索]"


def _count(template, kind):
    return sum(type(node) is kind for node in template.template.nodelist.get_nodes_by_type(TranslateNode))


@pytest.mark.parametrize(
    ("source", "constant", "django_node"),
    [
        ('{% translate "Search" %}{% trans "Search" noop %}', 2, 0),
        ('{% translate "Search" context "verb" %}{% translate "Search" as x %}', 2, 0),
        ("{% translate message %}{% translate message as shown %}", 0, 2),
        ('{% translate "Search"|upper %}{% translate "Search" context which %}', 0, 2),
    ],
)
def test_only_plain_literals_are_kept(source, constant, django_node):
    template = _ours(source)
    assert _count(template, ConstantTranslateNode) == constant
    assert _count(template, TranslateNode) == django_node


def test_i18n_is_the_only_library_name_used_twice():
    """``templates.W003`` is silenced for the deliberate ``i18n`` mapping only: the check itself must find
    nothing else."""
    warnings = engines["django"]._check_for_template_tags_with_the_same_name()
    assert [w.msg for w in warnings] == [
        "'i18n' is used for multiple template tag modules: "
        "'core.templatetags.i18n_constant', 'django.templatetags.i18n'"
    ]
