"""``{% case_actions %}`` and ``{% case_cards %}``: the case page's action buttons and its four cards (the
woman, the pregnancy, infection screening, open tasks), built in Python from the view's context
(``cases.views._case_context``).

As template markup these were some hundred and fifty nodes, most of the case page's remaining template
time (issue #9); the case page is the page clinicians open most. Markup and translated strings are those
of the template markup they replaced, which ``tests/cases/test_case_page_tags.py`` keeps and renders
beside these for each branch (permissions, identity, age, status, facilities, emergency arrival,
sensitive results, tasks), in both languages. One difference on purpose: an infection result the reader
may not see gives the class ``infection--restricted``, where the template wrote the translated label
into the class name.

Values are escaped by ``_e`` (``core.markup.escape_text``).
"""

from django import template
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import ngettext

from core.ids import id_url
from core.markup import csrf_input, translator
from core.markup import escape_text as _e
from core.sensitive import RESTRICTED, RESTRICTED_LABEL, can_view_sensitive

from .grades import ga_inline

register = template.Library()


def _link(css: str, href: str, text: str) -> str:
    return f'<a class="btn {css}" href="{href}">{_e(text)}</a>'


@register.simple_tag(takes_context=True)
def case_actions(context) -> str:
    """The buttons above the cards: what the reader may do with this record in its status."""
    gettext = translator()
    pid = context["pregnancy"].external_id
    can_change = context.get("can_change")
    links = []
    if can_change and context.get("is_open"):
        links.append(_link("btn-primary", id_url("cases:visit_create", pid), gettext("Record a visit")))
    if can_change and context.get("is_active"):
        links.append(
            _link("btn-secondary", id_url("cases:delivery_create", pid), gettext("Record the delivery"))
        )
        links.append(
            _link("btn-secondary", id_url("cases:dating_create", pid), gettext("Record an ultrasound dating"))
        )
    if can_change and context.get("can_transition"):
        links.append(_link("btn-secondary", id_url("cases:transition", pid), gettext("Change status")))
    if can_change and context.get("is_open"):
        links.append(_link("btn-primary", id_url("risk:grade", pid), gettext("Five-colour grading")))
        links.append(
            _link("btn-secondary", id_url("risk:observations", pid), gettext("Observation chart (MEOWS)"))
        )
        links.append(
            _link("btn-secondary", f"{id_url('referrals:create')}?pregnancy={pid}", gettext("Refer"))
        )
        links.append(
            _link(
                "btn-secondary",
                f"{id_url('consults:new')}?pregnancy={pid}",
                gettext("Request MDT consultation"),
            )
        )
    links.append(_link("btn-secondary", id_url("risk:history", pid), gettext("Colour history")))
    links.append(_link("btn-secondary", id_url("cases:pregnancy_print", pid), gettext("Print summary")))
    label = _e(gettext("Case actions"))
    return mark_safe(f'<nav class="case-actions" aria-label="{label}">{" ".join(links)}</nav>')  # noqa: S308


def _row(term: str, value: str, dd_class: str = "") -> str:
    """A ``<dt>`` (``term``: translated text) and its ``<dd>`` (``value``: markup)."""
    css = f' class="{dd_class}"' if dd_class else ""
    return f"<dt>{_e(term)}</dt><dd{css}>{value}</dd>"


def _card(heading_id: str, heading: str, body: str) -> str:
    """A card with its heading (``heading``: translated text) and ``body`` (markup)."""
    return (
        f'<section class="card" aria-labelledby="{heading_id}"><h2 id="{heading_id}">{_e(heading)}</h2>'
        f"{body}</section>"
    )


def _muted_dash() -> str:
    return '<span class="muted">—</span>'


def _woman(context) -> str:
    gettext = translator()
    patient = context["patient"]
    pregnancy = context["pregnancy"]
    if patient.id_number:
        identity = f'<span class="mono">{_e(patient.masked_id_number)}</span>'
    elif patient.is_unidentified:
        unknown = _e(gettext("Identity unknown"))
        identity = f'<span class="tag tag-flag">{unknown}</span>'
    else:
        identity = _muted_dash()
    if context.get("can_reveal") and not context.get("revealed"):
        action = id_url("cases:reveal_id_number", pregnancy.external_id)
        show = _e(gettext("Show"))
        identity += (
            f' <form method="post" action="{action}" class="inline-form">{csrf_input(context)}'
            f'<button type="submit" class="btn btn-secondary btn-small">{show}</button></form>'
        )
    rows = [_row(gettext("Resident ID number"), identity, "id-cell")]
    if patient.document_number:
        rows.append(
            f"<dt>{_e(patient.get_document_type_display())}</dt>"
            f'<dd class="mono">{_e(patient.masked_document_number)}</dd>'
        )
    age = context.get("age")
    if age is not None:
        years = ngettext("%(years)s year", "%(years)s years", age) % {"years": _e(age)}
        if patient.birth_date_estimated:
            estimated = _e(gettext("estimated"))
            years += f' <span class="muted small">({estimated})</span>'
        elif patient.birth_date:
            years += f' <span class="muted small mono">{patient.birth_date.isoformat()}</span>'
        else:
            years += ' <span class="muted small mono"></span>'
    else:
        years = "—"
    rows.append(_row(gettext("Age"), years))
    rows.append(_row(gettext("Phone"), _e(patient.masked_phone or "—"), "mono"))
    contact = "—"
    if patient.emergency_contact_name or patient.emergency_contact_phone:
        contact = f"{_e(patient.emergency_contact_name)} "
        if patient.emergency_contact_phone:
            phone = _e(patient.emergency_contact_phone)
            contact += f'<a class="phone" href="tel:{phone}">{phone}</a>'
    rows.append(_row(gettext("Emergency contact"), contact))
    if patient.address:
        rows.append(_row(gettext("Address"), _e(patient.address)))
    return _card("h-woman", gettext("The woman"), f'<dl class="dl dl--wide">{"".join(rows)}</dl>')


def _date(value) -> str:
    return value.isoformat() if value else ""


def _pregnancy(context) -> str:
    gettext = translator()
    p = context["pregnancy"]
    outcome = f' <span class="muted">{_e(p.get_outcome_display())}</span>' if p.outcome else ""
    tag = f'<span class="tag tag-status tag-status--{_e(p.status)}">{_e(p.get_status_display())}</span>'
    status = tag + outcome
    rows = [_row(gettext("Status"), status)]
    term = gettext("Postpartum") if context.get("postpartum_day") is not None else gettext("Gestational age")
    rows.append(_row(term, ga_inline(context, ga=context.get("gestational_age")), "ga"))
    method = (
        f' <span class="muted small">{_e(p.get_dating_method_display())}</span>' if p.dating_method else ""
    )
    rows.append(
        _row(gettext("Expected date of delivery"), f'<span class="mono">{_date(p.edd) or "—"}</span>{method}')
    )
    if p.lmp:
        rows.append(_row(gettext("Last menstrual period"), _date(p.lmp), "mono"))
    gravida = "?" if p.gravida is None else _e(p.gravida)
    para = "?" if p.para is None else _e(p.para)
    fetuses = ngettext("%(n)s fetus", "%(n)s fetuses", p.fetuses) % {"n": _e(p.fetuses)}
    rows.append(_row(gettext("Gravida / para / fetuses"), f"G{gravida} P{para} · {fetuses}"))
    rows.append(_row(gettext("Next visit"), _date(p.next_visit_date) or "—", "mono"))
    rows.append(_row(gettext("Managing facility"), _e(p.managing_facility.name)))
    if p.booking_facility_id != p.managing_facility_id:
        rows.append(_row(gettext("Booked at"), _e(p.booking_facility.name)))
    follow_up = p.follow_up_facility.name if p.follow_up_facility else ""
    rows.append(_row(gettext("Follow-up facility"), _e(follow_up or "—")))
    clinician = p.responsible_clinician.name if p.responsible_clinician else ""
    rows.append(_row(gettext("Responsible clinician"), _e(clinician or "—")))
    if p.is_emergency_registration:
        arrived = template_localtime(p.arrived_at).strftime("%Y-%m-%d %H:%M") if p.arrived_at else ""
        complaint = f" · {_e(p.chief_complaint)}" if p.chief_complaint else ""
        rows.append(_row(gettext("Emergency arrival"), f'<span class="mono">{arrived}</span>{complaint}'))
    return _card("h-pregnancy", gettext("Pregnancy"), f'<dl class="dl dl--wide">{"".join(rows)}</dl>')


def _infection(context) -> str:
    gettext = translator()
    p = context["pregnancy"]
    allowed = can_view_sensitive(context["request"].user)
    rows = []
    for term, status, label in (
        (gettext("HIV"), p.hiv_status, p.get_hiv_status_display()),
        (gettext("Syphilis"), p.syphilis_status, p.get_syphilis_status_display()),
        (gettext("Hepatitis B"), p.hbv_status, p.get_hbv_status_display()),
    ):
        if not allowed:  # ``redact``: an empty value stays empty
            status = RESTRICTED if status else status
            label = RESTRICTED_LABEL if label else label
        rows.append(_row(term, _e(label), f"infection infection--{_e(status)}"))
    return _card("h-infection", gettext("Infection screening"), f'<dl class="dl">{"".join(rows)}</dl>')


def _tasks(context) -> str:
    gettext = translator()
    tasks = context.get("tasks") or []
    no_task, due_label, mark_done = gettext("No open task."), _e(gettext("due")), _e(gettext("Mark done"))
    if not tasks:
        body = f'<p class="muted">{_e(no_task)}</p>'
    else:
        pid = context["pregnancy"].external_id
        items = []
        for task in tasks:
            due = ""
            if task.due_at:
                at = template_localtime(task.due_at).strftime("%Y-%m-%d %H:%M")
                due = f' · {due_label} <span class="mono">{at}</span>'
            done = ""
            if getattr(task, "can_complete", False):
                action = id_url("cases:care_task_done", pid, task.external_id)
                done = (
                    f'<form method="post" action="{action}" class="inline-form">{csrf_input(context)}'
                    f'<button type="submit" class="btn btn-secondary btn-small">{mark_done}'
                    "</button></form>"
                )
            items.append(
                '<li class="task-list__item"><div>'
                f'<p class="task-list__title">{_e(task.get_kind_display())}</p>'
                f'<p class="muted small">{_e(task.facility.name)}{due}</p></div>{done}</li>'
            )
        body = f'<ul class="task-list">{"".join(items)}</ul>'
    return _card("h-tasks", gettext("Open tasks"), body)


@register.simple_tag(takes_context=True)
def case_cards(context) -> str:
    """The woman and the pregnancy side by side, then infection screening and open tasks."""
    return mark_safe(  # noqa: S308 - every value escaped by _e; the rest is markup written here
        f'<div class="grid grid-2">{_woman(context)}{_pregnancy(context)}</div>'
        f'<div class="grid grid-2">{_infection(context)}{_tasks(context)}</div>'
    )
