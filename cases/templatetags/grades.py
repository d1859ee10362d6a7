"""``{% grade_badges %}`` and ``{% ga_inline %}``: the five-colour grade badges and the gestational age
(or postpartum day) shown wherever a woman is named.

Tags in Python rather than included partials: a worklist shows them on every row, and an
``{% include %}`` cost about 37 µs each to render (3.7 ms of a 50-row worklist, issue #9). Both read
what they are not given from the context, as the partials they replace did: ``pregnancy``,
``provisional``, ``postpartum_day``.
"""

from functools import lru_cache

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext, ngettext

from ..choices import RiskColor

register = template.Library()
_FROM_CONTEXT = object()  # an argument not given: read from the context (``None`` given is None)
_COLOR_LABELS = dict(RiskColor.choices)


@register.simple_tag(takes_context=True)
def grade_badges(context, pregnancy=_FROM_CONTEXT, provisional=_FROM_CONTEXT) -> str:
    """The current grade ("not graded" when none; "provisional" for an emergency registration), the
    purple flag and a higher colour awaiting confirmation. Visible to everyone who sees the woman."""
    pregnancy = context.get("pregnancy") if pregnancy is _FROM_CONTEXT else pregnancy
    provisional = context.get("provisional") if provisional is _FROM_CONTEXT else provisional
    if pregnancy is None:
        return ""
    return _badges(
        get_language(),
        pregnancy.risk_color or "",
        bool(provisional),
        bool(pregnancy.purple),
        pregnancy.risk_proposed_color or "",
    )


# The markup depends on a handful of values and the language only: kept per process, built once per
# combination (every worklist row, every case page shows it; building it cost about 45 µs a row).
def _color_badge(color: str) -> str:
    return format_html('<span class="badge badge-{}">{}</span>', color, _COLOR_LABELS.get(color, color))


def _purple_badge() -> str:
    return format_html(' <span class="badge badge-purple">{}</span>', gettext("Purple"))


@lru_cache(maxsize=1024)
def _badges(language: str, color: str, provisional: bool, purple: bool, proposed: str) -> str:
    parts = []
    if color:
        parts.append(_color_badge(color))
    else:
        parts.append(format_html('<span class="badge badge-none">{}</span>', gettext("Not graded")))
    if provisional:
        parts.append(format_html(' <span class="tag tag-provisional">{}</span>', gettext("Provisional")))
    if purple:
        parts.append(_purple_badge())
    if proposed:
        parts.append(
            format_html(
                ' <span class="tag tag-proposed" title="{}">↑ {}</span>',
                gettext("A higher colour is proposed from the latest data and awaits confirmation"),
                gettext("%(color)s proposed") % {"color": _COLOR_LABELS.get(proposed, proposed)},
            )
        )
    return mark_safe("".join(parts))  # noqa: S308 - each part is built by format_html


def _part(ga, name: str):
    return ga[name] if isinstance(ga, dict) else getattr(ga, name)


@register.simple_tag(takes_context=True)
def ga_inline(context, ga=_FROM_CONTEXT, postpartum_day=_FROM_CONTEXT) -> str:
    """Gestational age today (``ga``: weeks and days) or the postpartum day, else a dash."""
    ga = context.get("ga") if ga is _FROM_CONTEXT else ga
    postpartum_day = context.get("postpartum_day") if postpartum_day is _FROM_CONTEXT else postpartum_day
    return ga_markup(get_language(), ga, postpartum_day)


def ga_markup(language: str, ga, postpartum_day) -> str:
    """What ``{% ga_inline %}`` shows, for a caller that has found the active ``language`` once (the
    worklist's rows): gestational age (weeks and days), else the postpartum day, else a dash."""
    if ga:
        return _ga(language, _part(ga, "weeks"), _part(ga, "days"))
    if postpartum_day is not None:
        return _postpartum(language, postpartum_day)
    return _NO_GA


_NO_GA = mark_safe('<span class="muted">—</span>')  # noqa: S308 - constant markup


def ga_text(weeks, days) -> str:
    """ "34 weeks + 2 days" ("+ 1 day") in the current language."""
    message = ngettext("%(weeks)s weeks + %(days)s day", "%(weeks)s weeks + %(days)s days", days)
    return message % {"weeks": weeks, "days": days}


@lru_cache(maxsize=1024)
def _ga(language: str, weeks, days) -> str:
    return format_html('<span class="ga-inline">{}</span>', ga_text(weeks, days))


@lru_cache(maxsize=1024)
def _postpartum(language: str, day) -> str:
    text = gettext("Postpartum day %(day)s") % {"day": day}
    return format_html('<span class="pp-inline">{}</span>', text)


@register.simple_tag
def risk_badges(pregnancy) -> str:
    """The colour badge (none when ungraded) and the purple flag: the short form lists use beside a name."""
    return short_badges(get_language(), pregnancy.risk_color or "", bool(pregnancy.purple))


@lru_cache(maxsize=64)
def short_badges(language: str, color: str, purple: bool) -> str:
    """``{% risk_badges %}`` for a caller that has found the active ``language`` once (the MDT board)."""
    # each part is built by format_html
    return mark_safe((_color_badge(color) if color else "") + (_purple_badge() if purple else ""))  # noqa: S308
