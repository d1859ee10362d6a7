"""``{% checkbox_group %}`` (``core/templatetags/chips.py``) is the partial it replaced (kept here) for the
filters that use it, unbound and bound with none, some and unknown values, in both languages; labels and
values are escaped as the template escaped them."""

import pytest
from django import forms
from django.http import QueryDict
from django.template import engines
from django.utils import translation

from audit.filtersets import AuditEventFilterSet
from cases.filtersets import PregnancyFilterSet
from facilities.filtersets import FacilityFilterSet
from tests.markup import visible

# core/partials/checkbox_group.html before the tag replaced it
PARTIAL = """{% comment %}A multiple-choice filter as a group of checkbox chips (easier to tap than a <select multiple>).{% endcomment %}
<fieldset class="field field--wide chip-group">
  <legend>{{ field.label }}</legend>
  <div class="chip-group__options">
    {% for value, label in field.field.choices %}
    <label class="chip"><input type="checkbox" name="{{ field.html_name }}" value="{{ value }}"{% if value in field.value %} checked{% endif %}> <span>{{ label }}</span></label>
    {% endfor %}
  </div>
</fieldset>"""  # noqa: E501
TAG = "{% load chips %}{% checkbox_group field %}"
FILTERS = [
    (PregnancyFilterSet, "status", ["active", "postpartum"]),
    (PregnancyFilterSet, "risk_color", ["red", "orange"]),
    (AuditEventFilterSet, "action", ["read", "update"]),
    (FacilityFilterSet, "capability", ["icu"]),
]


class Escaping(forms.Form):
    kinds = forms.MultipleChoiceField(
        label="Kinds <b>&</b>", choices=[("a&b", "A <i>&</i> B"), ("<c>", "C"), ("", "none")], required=False
    )


def _render(source: str, field) -> str:
    return engines["django"].from_string(source).render({"field": field})


def _queries(name: str, values: list[str]) -> list[QueryDict | None]:
    every = "&".join(f"{name}={v}" for v in values)
    return [None, QueryDict(""), QueryDict(f"{name}={values[0]}"), QueryDict(every), QueryDict(f"{name}=x")]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize(("filterset", "name", "values"), FILTERS)
def test_the_tag_is_the_partial_it_replaced(language, filterset, name, values):
    with translation.override(language):
        for data in _queries(name, values):
            field = filterset(data).form[name]
            assert visible(_render(TAG, field)) == visible(_render(PARTIAL, field)), data


def test_labels_and_values_are_escaped_and_checked_as_chosen():
    field = Escaping(QueryDict("kinds=a%26b"))["kinds"]
    new, old = _render(TAG, field), _render(PARTIAL, field)
    assert visible(new) == visible(old)
    assert "<legend>Kinds &lt;b&gt;&amp;&lt;/b&gt;</legend>" in new
    assert 'value="a&amp;b" checked> <span>' in new and 'value="&lt;c&gt;"> <span>' in new
    assert "<span>A &lt;i&gt;&amp;&lt;/i&gt; B</span>" in new
