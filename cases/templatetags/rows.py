"""``{% worklist_rows %}`` (``{% worklist_row %}`` for one), ``{% timeline_visit %}`` and
``{% case_timeline %}``: the rows repeated on the two busiest pages, built in Python. As template markup
a worklist row cost about 100 µs to render and a visit of the case timeline about 170 µs: half the
Python time of a 50-row home page, a third of a case page
(issue #9); the timeline's other entries (a dating on almost every record) and its loop followed. Their
markup and translated strings are those of the template markup they replaced;
``tests/cases/test_grade_tags.py`` renders both, for every kind of row, in both languages.

Every value is escaped by ``_e`` (``core.markup.escape_text``); markup is written only in this file.
"""

from django import template
from django.template.defaultfilters import linebreaksbr
from django.utils.formats import localize
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import get_language, gettext, ngettext

from core.markup import escape_text as _e
from core.markup import translator

from .grades import _badges, ga_markup, ga_text

register = template.Library()


@register.simple_tag
def worklist_row(row: dict) -> str:
    """One row of the worklist table (``cases.views.worklist_context``'s ``rows``)."""
    return mark_safe(_worklist_row(row, get_language(), _WorklistLabels()))  # noqa: S308 - see _worklist_row


@register.simple_tag
def worklist_rows(rows: list[dict]) -> str:
    """Every row of the worklist table, as ``{% worklist_row %}`` writes each: the language and the
    translated labels looked up once for the page instead of once or twice a row, and no template loop:
    a 50-row home page 34.3 → 30.0 M instructions (``bench/instructions.py``, issue #9)."""
    language, labels = get_language(), _WorklistLabels()
    return mark_safe("".join([_worklist_row(row, language, labels) for row in rows]))  # noqa: S308


class _WorklistLabels:
    """The translated strings of worklist rows, translated once for all the rows of a page."""

    __slots__ = ("managed_at", "overdue")

    def __init__(self) -> None:
        self.managed_at = gettext("Managed at %(facility)s")
        label = _e(gettext("Overdue"))
        self.overdue = f'<span class="cell-sub"><span class="tag tag-overdue">{label}</span></span>'


def _worklist_row(row: dict, language: str, labels: _WorklistLabels) -> str:
    """The markup of one worklist row; every value escaped by ``_e``, dates and numbers formatted here."""
    p = row["pregnancy"]
    patient = p.patient
    elsewhere = ""
    if row["elsewhere"]:
        text = labels.managed_at % {"facility": p.managing_facility.name}
        elsewhere = f'<span class="cell-sub">{_e(text)}</span>'
    if p.next_visit_date:
        overdue = labels.overdue if row["overdue"] else ""
        next_visit = f'<span class="mono">{p.next_visit_date.isoformat()}</span>{overdue}'
    else:
        next_visit = '<span class="muted">—</span>'
    tasks = (
        f'<span class="tag tag-flag">{int(p.open_tasks)}</span>'
        if p.open_tasks
        else '<span class="muted">0</span>'
    )
    badges = _badges(language, p.risk_color or "", False, bool(p.purple), p.risk_proposed_color or "")
    age = "—" if row["age"] is None else _e(row["age"])
    ga = ga_markup(language, row["ga"], row["postpartum_day"])
    edd = p.edd.isoformat() if p.edd else "—"
    return (
        f'<tr class="{"row-overdue" if row["overdue"] else ""}"><td class="cell-grade">{badges}</td>'
        f'<td class="cell-strong cell-woman"><a href="{_e(row["url"])}">{_e(patient.name)}</a> '
        f'<span class="cell-sub mono">{_e(patient.record_number)}</span> {elsewhere}</td>'
        f'<td class="num">{age}</td><td class="nowrap">{ga}</td><td class="mono nowrap">{edd}</td>'
        f'<td class="nowrap">{next_visit}</td><td class="num">{tasks}</td></tr>'
    )


@register.simple_tag
def timeline_visit(item: dict) -> str:
    """One visit of the case timeline (``cases.selectors.case_timeline``, with ``summary`` and ``ga``)."""
    visit = item["object"]
    at = template_localtime(item["at"])
    ga = item.get("ga")
    when_ga = ""
    if ga:
        when_ga = f' <span class="timeline__ga">{_e(ga_text(ga["weeks"], ga["days"]))}</span>'
    clinician = f" · {_e(visit.clinician.name)}" if visit.clinician else ""
    parts = []
    if item.get("summary"):
        spans = " · ".join(f'<span class="nowrap">{_e(part)}</span>' for part in item["summary"])
        parts.append(f'<p class="timeline__summary">{spans}</p>')
    if visit.unusual_confirmed:
        label = _e(gettext("Unusual values confirmed"))
        parts.append(f'<p class="small"><span class="tag tag-flag">{label}</span></p>')
    if visit.notes:
        parts.append(f'<p class="timeline__notes">{linebreaksbr(visit.notes)}</p>')
    if visit.next_visit_date:
        text = gettext("Next visit: %(date)s") % {"date": visit.next_visit_date.isoformat()}
        parts.append(f'<p class="small muted">{_e(text)}</p>')
    return mark_safe(  # noqa: S308 - every value escaped by _e (linebreaksbr escapes the notes)
        '<li class="timeline__item timeline__item--visit">'
        f'<p class="timeline__when"><span class="mono">{at.strftime("%Y-%m-%d %H:%M")}</span>{when_ga}</p>'
        f'<div class="timeline__body"><p class="timeline__title">{_e(visit.get_kind_display())} '
        f'<span class="muted small">{_e(visit.facility.name)}{clinician}</span></p>'
        f"{''.join(parts)}</div></li>"
    )


def _bt(message: str, **values) -> str:
    """What ``{% blocktranslate trimmed with … %}`` renders: ``message`` (already translated: pass
    ``gettext("…")`` so that makemessages finds it) with the values localised and escaped; the message
    itself is the translator's markup, not escaped."""
    return message % {name: _e(localize(value)) for name, value in values.items()}


def _when(item: dict) -> str:
    at = template_localtime(item["at"])
    ga = item.get("ga")
    when_ga = f' <span class="timeline__ga">{_e(ga_text(ga["weeks"], ga["days"]))}</span>' if ga else ""
    return f'<p class="timeline__when"><span class="mono">{at.strftime("%Y-%m-%d %H:%M")}</span>{when_ga}</p>'


def _dating(item: dict) -> str:
    gettext = translator()
    o = item["object"]
    label = gettext("Adopted as the EDD") if o.adopted else gettext("Not adopted")
    adopted = f'<span class="{"tag tag-ok" if o.adopted else "tag"}">{_e(label)}</span>'

    edd = _bt(gettext("EDD by this dating: %(edd)s"), edd=o.computed_edd.isoformat())
    summary = [f'<span class="nowrap">{edd}</span>']
    scan_ga = item.get("scan_ga")
    if o.scan_date and scan_ga:
        scan = _bt(
            ngettext(
                "Scan on %(date)s at %(weeks)s weeks + %(days)s day",
                "Scan on %(date)s at %(weeks)s weeks + %(days)s days",
                scan_ga["days"],
            ),
            date=o.scan_date.isoformat(),
            weeks=scan_ga["weeks"],
            days=scan_ga["days"],
        )
        summary.append(f'<span class="nowrap">{scan}</span>')
    if o.crl_mm:
        summary.append(f'<span class="nowrap">CRL {_e(localize(o.crl_mm))} mm</span>')
    reason = ""
    if o.reason:
        reason_text = _bt(gettext("Reason: %(reason)s"), reason=o.reason)
        reason = f'<p class="small muted">{reason_text}</p>'
    title = _bt(gettext("Dating: %(method)s"), method=o.get_method_display())
    return (
        f'<p class="timeline__title">{title} {adopted}</p>'
        f'<p class="timeline__summary">{" · ".join(summary)}</p>{reason}'
    )


def _newborn(baby) -> str:
    baby_n = _bt(gettext("Baby %(n)s"), n=baby.order)
    parts = [f"<strong>{baby_n}</strong>", _e(baby.get_outcome_display())]
    if baby.sex:
        parts.append(_e(baby.get_sex_display()))
    if baby.weight_g:
        parts.append(f"{_e(localize(baby.weight_g))} g")
    if baby.apgar_1 is not None or baby.apgar_5 is not None:
        one, five = ("–" if v is None else _e(localize(v)) for v in (baby.apgar_1, baby.apgar_5))
        parts.append(f"Apgar {one}/{five}")
    return f"<li>{' · '.join(parts)}</li>"


def _delivery(item: dict) -> str:
    gettext = translator()
    o = item["object"]
    place = _e(o.facility.name) if o.facility else _e(gettext("Born outside a health facility"))
    loss = "" if o.blood_loss_ml is None else _bt(gettext("Blood loss %(ml)s mL"), ml=o.blood_loss_ml)
    if item.get("complications"):
        loss += " · " + ", ".join(_e(c) for c in item["complications"])
    babies = "".join(_newborn(baby) for baby in o.newborns.all())
    discharged = ""
    if o.discharged_at:
        at = template_localtime(o.discharged_at).strftime("%Y-%m-%d %H:%M")
        discharged_text = _bt(gettext("Discharged: %(time)s"), time=at)
        discharged = f'<p class="small muted">{discharged_text}</p>'
    title = _bt(gettext("Delivery: %(mode)s"), mode=o.get_mode_display())
    return (
        f'<p class="timeline__title">{title} '
        f'<span class="muted small">{place}</span></p><p class="timeline__summary">{loss}</p>'
        f'<ul class="newborns">{babies}</ul>{discharged}'
    )


def _near_miss(item: dict) -> str:
    criteria = " · ".join(_e(c) for c in item.get("criteria") or ())
    title = gettext("Maternal near miss")
    return (
        f'<p class="timeline__title timeline__title--danger">{_e(title)}</p>'
        f'<p class="timeline__summary">{criteria}</p>'
    )


def _death(item: dict) -> str:
    o = item["object"]
    title = gettext("Late maternal death") if o.is_late else gettext("Maternal death")
    icd10 = f' <span class="mono">({_e(o.icd10)})</span>' if o.icd10 else ""
    return (
        f'<p class="timeline__title timeline__title--danger">{_e(title)}</p>'
        f'<p class="timeline__summary">{_e(o.cause)}{icd10}</p>'
    )


_BODIES = {"dating": _dating, "delivery": _delivery, "near_miss": _near_miss, "death": _death}


@register.simple_tag
def case_timeline(items: list[dict]) -> str:
    """The case timeline (``cases.selectors.case_timeline`` with the view's additions), newest first."""
    if not items:
        nothing = _e(gettext("Nothing recorded yet."))
        return mark_safe(f'<p class="muted">{nothing}</p>')  # noqa: S308
    shown = []
    for item in items:
        kind = item["kind"]
        if kind == "visit":
            shown.append(timeline_visit(item))
            continue
        body = _BODIES[kind](item) if kind in _BODIES else ""
        shown.append(
            f'<li class="timeline__item timeline__item--{_e(kind)}">{_when(item)}'
            f'<div class="timeline__body">{body}</div></li>'
        )
    return mark_safe(f'<ol class="timeline">{"".join(shown)}</ol>')  # noqa: S308 - every value escaped
