"""``{% worklist_row %}`` and ``{% timeline_visit %}``: the rows repeated on the two busiest pages, built in
Python. As template markup a worklist row cost about 100 µs to render and a visit of the case timeline
about 170 µs: half the Python time of a 50-row home page, a third of a case page (issue #9). Their markup
and translated strings are those of the template markup they replaced; ``tests/cases/test_grade_tags.py``
renders both, for every kind of row, in both languages.
"""

from django import template
from django.template.defaultfilters import linebreaksbr
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import get_language, gettext

from .grades import _badges, ga_inline

register = template.Library()


@register.simple_tag
def worklist_row(row: dict) -> str:
    """One row of the worklist table (``cases.views.worklist_context``'s ``rows``)."""
    p = row["pregnancy"]
    patient = p.patient
    elsewhere = ""
    if row["elsewhere"]:
        text = gettext("Managed at %(facility)s") % {"facility": p.managing_facility.name}
        elsewhere = format_html('<span class="cell-sub">{}</span>', text)
    if p.next_visit_date:
        overdue = ""
        if row["overdue"]:
            overdue = format_html(
                '<span class="cell-sub"><span class="tag tag-overdue">{}</span></span>', gettext("Overdue")
            )
        next_visit = format_html('<span class="mono">{}</span>{}', p.next_visit_date.isoformat(), overdue)
    else:
        next_visit = mark_safe('<span class="muted">—</span>')  # noqa: S308 - a constant
    if p.open_tasks:
        tasks = format_html('<span class="tag tag-flag">{}</span>', p.open_tasks)
    else:
        tasks = mark_safe('<span class="muted">0</span>')  # noqa: S308 - a constant
    return format_html(
        '<tr class="{}"><td class="cell-grade">{}</td>'
        '<td class="cell-strong cell-woman"><a href="{}">{}</a> <span class="cell-sub mono">{}</span> {}</td>'
        '<td class="num">{}</td><td class="nowrap">{}</td><td class="mono nowrap">{}</td>'
        '<td class="nowrap">{}</td><td class="num">{}</td></tr>',
        "row-overdue" if row["overdue"] else "",
        _badges(get_language(), p.risk_color or "", False, bool(p.purple), p.risk_proposed_color or ""),
        row["url"],
        patient.name,
        patient.record_number,
        elsewhere,
        "—" if row["age"] is None else row["age"],
        ga_inline({}, ga=row["ga"], postpartum_day=row["postpartum_day"]),
        p.edd.isoformat() if p.edd else "—",
        next_visit,
        tasks,
    )


@register.simple_tag
def timeline_visit(item: dict) -> str:
    """One visit of the case timeline (``cases.selectors.case_timeline``, with ``summary`` and ``ga``)."""
    visit = item["object"]
    at = template_localtime(item["at"])
    ga = item.get("ga")
    when_ga = ""
    if ga:
        text = gettext("%(weeks)s weeks + %(days)s days") % {"weeks": ga["weeks"], "days": ga["days"]}
        when_ga = format_html(' <span class="timeline__ga">{}</span>', text)
    clinician = format_html(" · {}", visit.clinician.name) if visit.clinician else ""
    summary = ""
    if item.get("summary"):
        parts = format_html_join(
            " · ", '<span class="nowrap">{}</span>', ((part,) for part in item["summary"])
        )
        summary = format_html('<p class="timeline__summary">{}</p>', parts)
    unusual = ""
    if visit.unusual_confirmed:
        unusual = format_html(
            '<p class="small"><span class="tag tag-flag">{}</span></p>', gettext("Unusual values confirmed")
        )
    notes = format_html('<p class="timeline__notes">{}</p>', linebreaksbr(visit.notes)) if visit.notes else ""
    next_visit = ""
    if visit.next_visit_date:
        text = gettext("Next visit: %(date)s") % {"date": visit.next_visit_date.isoformat()}
        next_visit = format_html('<p class="small muted">{}</p>', text)
    return format_html(
        '<li class="timeline__item timeline__item--visit">'
        '<p class="timeline__when"><span class="mono">{}</span>{}</p>'
        '<div class="timeline__body"><p class="timeline__title">{} <span class="muted small">{}{}</span></p>'
        "{}{}{}{}</div></li>",
        at.strftime("%Y-%m-%d %H:%M"),
        when_ga,
        visit.get_kind_display(),
        visit.facility.name,
        clinician,
        summary,
        unusual,
        notes,
        next_visit,
    )
