"""``{% checkbox_group field %}``: a multiple-choice filter as a group of checkbox chips (easier to tap than
a ``<select multiple>``), built in Python. It was an included partial (``core/partials/checkbox_group.html``),
two of them on every clinician's home page: about 0.25 ms each, for a loop over a handful of choices
(issue #9). The markup is the partial's, kept in ``tests/core/test_chips.py``, which renders both.
"""

from django import template
from django.utils.safestring import mark_safe

from core.markup import escape_text as _e

register = template.Library()


def _checked(value, selected) -> bool:
    """``value in field.value`` as the template's ``{% if %}`` decides it: False where ``in`` fails (no
    value yet)."""
    try:
        return value in selected
    except TypeError:
        return False


@register.simple_tag
def checkbox_group(field) -> str:
    """``field``: a bound field of a multiple-choice filter (``filter.form.status``)."""
    name = _e(field.html_name)
    selected = field.value()
    chips = "".join(
        f'<label class="chip"><input type="checkbox" name="{name}" value="{_e(value)}"'
        f"{' checked' if _checked(value, selected) else ''}> <span>{_e(label)}</span></label>"
        for value, label in field.field.choices
    )
    return mark_safe(  # noqa: S308 - every value escaped by _e
        f'<fieldset class="field field--wide chip-group"><legend>{_e(field.label)}</legend>'
        f'<div class="chip-group__options">{chips}</div></fieldset>'
    )
