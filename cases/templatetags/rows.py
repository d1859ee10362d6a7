"""``{% worklist_row %}`` and ``{% timeline_visit %}``: the rows repeated on the two busiest pages, built in
Python. As template markup a worklist row cost about 100 µs to render and a visit of the case timeline
about 170 µs: half the Python time of a 50-row home page, a third of a case page (issue #9). Their markup
and translated strings are those of the template markup they replaced; ``tests/cases/test_grade_tags.py``
renders both, for every kind of row, in both languages.

Every value is escaped by ``_e`` (what ``conditional_escape`` does, without its lazy-string wrapper:
``format_html`` for each part cost a third of these tags' time); markup is written only in this file.
"""

import html

from django import template
from django.template.defaultfilters import linebreaksbr
from django.utils.safestring import SafeData, mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import get_language, gettext

from .grades import _badges, ga_inline, ga_text

register = template.Library()


def _e(value) -> str:
    """``value`` as HTML text: escaped unless it is already safe markup (``conditional_escape``)."""
    if isinstance(value, SafeData):
        return str(value)
    return html.escape(str(value))


@register.simple_tag
def worklist_row(row: dict) -> str:
    """One row of the worklist table (``cases.views.worklist_context``'s ``rows``)."""
    p = row["pregnancy"]
    patient = p.patient
    elsewhere = ""
    if row["elsewhere"]:
        text = gettext("Managed at %(facility)s") % {"facility": p.managing_facility.name}
        elsewhere = f'<span class="cell-sub">{_e(text)}</span>'
    if p.next_visit_date:
        overdue = ""
        if row["overdue"]:
            overdue = (
                f'<span class="cell-sub"><span class="tag tag-overdue">{_e(gettext("Overdue"))}</span></span>'
            )
        next_visit = f'<span class="mono">{p.next_visit_date.isoformat()}</span>{overdue}'
    else:
        next_visit = '<span class="muted">—</span>'
    tasks = (
        f'<span class="tag tag-flag">{int(p.open_tasks)}</span>'
        if p.open_tasks
        else '<span class="muted">0</span>'
    )
    badges = _badges(get_language(), p.risk_color or "", False, bool(p.purple), p.risk_proposed_color or "")
    age = "—" if row["age"] is None else _e(row["age"])
    ga = ga_inline({}, ga=row["ga"], postpartum_day=row["postpartum_day"])
    edd = p.edd.isoformat() if p.edd else "—"
    return mark_safe(  # noqa: S308 - every value escaped by _e, dates and numbers formatted here
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
