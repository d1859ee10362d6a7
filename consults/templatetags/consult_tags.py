"""``{% urgency_badge %}``: a consult's urgency as a short tag, on every row of the MDT board's coming days
(an included partial cost about 37 µs a row to render, issue #9)."""

from functools import lru_cache

from django import template
from django.utils.html import format_html
from django.utils.translation import get_language, gettext

from ..choices import ConsultUrgency

register = template.Library()


@register.simple_tag
def urgency_badge(consult) -> str:
    """The short label, with the full label (and its target time) as the title."""
    return _badge(get_language(), consult.urgency)


@lru_cache(maxsize=64)
def _badge(language: str, urgency: str) -> str:
    if urgency == "emergency":
        short = gettext("Emergency")
    elif urgency == "routine":
        short = gettext("Routine · 24 h")
    else:
        short = gettext("MDT clinic")
    full = dict(ConsultUrgency.choices).get(urgency, urgency)
    return format_html('<span class="mdt-urgency mdt-urgency--{}" title="{}">{}</span>', urgency, full, short)
