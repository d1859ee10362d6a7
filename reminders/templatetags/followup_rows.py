"""``{% followup_row %}``: a row of the follow-up list (``reminders/partials/followups.html``), built in
Python. The block is on every clinician's home page (ten rows) and is the whole follow-up list page; as
template markup the block took 1.2 ms of the home page's 17 in process on a small database (issue #9).
The markup and translated strings are those of the template markup it replaced;
``tests/reminders/test_rows.py`` renders both, for every status, with and without the decision, a failed
decision, in both languages.

Every value is escaped by ``_e`` (``core.markup.escape_text``); markup is written only in this file.
"""

from django import template
from django.utils.safestring import mark_safe

from core.markup import csrf_input, translator
from core.markup import escape_text as _e

register = template.Library()


def _day(value) -> str:
    """``value|date:"Y-m-d"`` for a date: its ISO form, or nothing."""
    return value.isoformat() if value else ""


def _decision(context, row) -> str:
    """The confirm-or-keep-tracing disclosure of a lost-to-follow-up proposal, with the error of a
    decision that failed on it."""
    gettext = translator()
    failed = context.get("failed_id") == row.external_id
    error = ""
    if failed and context.get("decision_error"):
        messages = [context["decision_error"]]
        for errors in (context.get("decision_errors") or {}).values():
            messages.extend(errors)
        paragraphs = "".join(f"<p>{_e(message)}</p>" for message in messages)
        error = f'<div class="alert alert-error" role="alert">{paragraphs}</div>'
    back = "home" if context.get("return_to") == "home" else "list"
    hidden = f'{csrf_input(context)}<input type="hidden" name="next" value="{back}">'
    row_id = _e(row.external_id)
    confirm = _form(
        row.confirm_url,
        hidden,
        f"fu-lost-{row_id}",
        gettext("What tracing found (calls, home visits)"),
        "btn-danger",
        gettext("Confirm lost to follow-up"),
    )
    keep = _form(
        row.keep_url,
        hidden,
        f"fu-trace-{row_id}",
        gettext("Why tracing goes on"),
        "btn-secondary",
        gettext("Keep tracing"),
    )
    summary = _e(gettext("Confirm or keep tracing"))
    return (
        f'<details class="followup-decision"{" open" if failed else ""}><summary>{summary}</summary>{error}'
        f"{confirm}{keep}</details>"
    )


def _form(action: str, hidden: str, field_id: str, label: str, button_class: str, button: str) -> str:
    """One of the two decisions: a reason (``label``: translated text) and its button."""
    return (
        f'<form method="post" action="{_e(action)}" class="form-stack followup-decision__form">{hidden}'
        f'<div class="field"><label for="{field_id}">{_e(label)}</label><textarea name="reason" '
        f'id="{field_id}" rows="2" maxlength="1000" required></textarea></div>'
        f'<button type="submit" class="btn {button_class} btn-small">{_e(button)}</button></form>'
    )


@register.simple_tag(takes_context=True)
def followup_row(context, row) -> str:
    """One follow-up window (``reminders.views._with_links``' rows): the woman, the visit, the dates, the
    status and, on a lost-to-follow-up proposal for a user who records clinical data, the decision."""
    patient = row.pregnancy.patient
    status = _e(row.get_status_display())
    proposed = row.status == "lost_proposed"
    if proposed:
        status = f'<span class="tag tag-overdue">{status}</span>'
    decision = (
        _decision(context, row) if proposed and context.get("can_decide") else '<span class="muted">—</span>'
    )
    return mark_safe(  # noqa: S308 - every value escaped by _e, dates formatted here
        f'<tr class="followup followup--{_e(row.status)}">'
        f'<td><a href="{_e(row.case_url)}">{_e(patient.name)}</a> '
        f'<span class="mono">{_e(patient.record_number)}</span></td>'
        f"<td>{_e(row.get_kind_display())}</td>"
        f'<td class="mono nowrap">{_day(row.due_from)} – {_day(row.due_by)}</td>'
        f"<td>{status}</td><td>{decision}</td></tr>"
    )
