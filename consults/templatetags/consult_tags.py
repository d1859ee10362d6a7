"""``{% urgency_badge %}``: a consult's urgency as a short tag, on every row of the MDT board's coming days
(an included partial cost about 37 µs a row to render, issue #9).

``{% board_request %}``, ``{% board_event %}`` and ``{% board_upcoming %}``: the three repeated parts of
the MDT board (a waiting request, a consult in the week's calendar, a row of the coming days), built in
Python. A regional centre's board shows some seventy of them; as template markup they were two thirds of
the page's template time (6.8 ms of a 19 ms page, issue #9). The page writes each list of them with one
tag (``{% board_requests %}``, ``{% board_events %}``, ``{% board_upcoming_rows %}``), the time zone,
language and labels looked up once a page: 57.3 → 47.4 M instructions a board page
(``bench/instructions.py``). ``{% action_item %}``: an open MDT action
item of the user (``consults/partials/my_actions.html``, on every clinician's home page: about 1.1 ms of
its 17 as template markup, in process on a small database). Their markup and strings are those of the
template markup they replaced; ``tests/consults/test_board_rows.py`` and
``tests/consults/test_action_item_row.py`` render both, for every kind of row, in both languages. Values
are escaped by ``core.markup.escape_text``.
"""

from functools import lru_cache

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import get_language, gettext, pgettext

from cases.templatetags.grades import short_badges
from core.ids import id_url
from core.markup import csrf_input
from core.markup import escape_text as _e

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


class _Board:
    """What every row of one board page shares, looked up once: the current time zone, the language and
    the rows' translated labels. ``template_localtime``, ``get_language`` and ``gettext`` each find their
    value in a context-local on every call: some 240 time conversions and 120 translations a page of a
    regional centre's board (issue #9). The list tags (``{% board_requests %}``…) share one for a page
    (``_page_board``); the single-row tags make one for their row."""

    __slots__ = (
        "answers",
        "concluded",
        "language",
        "overdue",
        "remote",
        "remote_link",
        "schedule",
        "target",
        "tz",
    )

    def __init__(self) -> None:
        self.tz = timezone.get_current_timezone()
        self.language = get_language()
        self.overdue = _e(gettext("Overdue"))
        self.target = gettext("target %(target)s")
        self.schedule = _e(gettext("Schedule"))
        self.remote = _e(gettext("Remote"))
        self.concluded = _e(pgettext("consult status", "Concluded"))
        self.remote_link = _e(gettext("Remote link"))
        self.answers = gettext("%(accepted)s of %(invited)s accepted")

    def local(self, value):
        """``template_localtime``: an aware time in the current time zone (a naive one as it is)."""
        return value.astimezone(self.tz) if value.tzinfo is not None else value

    def hm(self, value) -> str:
        """``value|time:"H:i"``: the local time of day, or nothing."""
        if value is None:
            return ""
        value = self.local(value)
        return f"{value.hour:02d}:{value.minute:02d}"


def _page_board(context) -> _Board:
    """The page's ``_Board``, kept in the template's render context (one render, one language and time
    zone): the board writes ten lists (three urgency groups, seven days, the coming days)."""
    board = context.render_context.get(_Board)
    if board is None:
        board = context.render_context[_Board] = _Board()
    return board


def _woman(consult) -> str:
    """Her name, linked to her record, and her record number."""
    patient = consult.pregnancy.patient
    return (
        f'<a href="{_e(consult.case_url)}" class="cell-strong">{_e(patient.name)}</a> '
        f'<span class="mono small muted">{_e(patient.record_number)}</span>'
    )


_OVERDUE_ROW = ' class="row-overdue mdt-overdue"'


@register.simple_tag
def board_request(row: dict) -> str:
    """A waiting request (``consults.views.board_context``'s ``groups[…]["rows"]``)."""
    return mark_safe(_request(row, _Board()))  # noqa: S308 - see _request


@register.simple_tag(takes_context=True)
def board_requests(context, rows: list[dict]) -> str:
    """Every row of a group of waiting requests, as ``{% board_request %}`` writes each."""
    board = _page_board(context)
    return mark_safe("".join([_request(row, board) for row in rows]))  # noqa: S308 - see _request


def _request(row: dict, board: _Board) -> str:
    consult = row["consult"]
    overdue = row["overdue"]
    pregnancy = consult.pregnancy
    badges = ""
    if pregnancy.risk_color or pregnancy.purple:
        badges = f" {short_badges(board.language, pregnancy.risk_color or '', bool(pregnancy.purple))}"
    waited = f'<span class="mdt-waited{" mdt-waited--overdue" if overdue else ""}">{_e(row["waited"])}</span>'
    if overdue:
        waited += f' <span class="tag tag-overdue">{board.overdue}</span>'
    if row["target"]:
        target = board.target % {"target": _e(row["target"])}
        waited += f'<br><span class="small muted">{target}</span>'
    # every value escaped by _e
    return (
        f"<tr{_OVERDUE_ROW if overdue else ''}>"
        f'<td><a class="mono" href="{_e(consult.detail_url)}">{_e(consult.reference)}</a><br>'
        f'<a class="btn btn-primary btn-small mdt-schedule-btn" href="{_e(consult.schedule_url)}">'
        f"{board.schedule}</a></td>"
        f'<td class="cell-woman">{_woman(consult)}{badges}</td>'
        f'<td class="mdt-question">{_e(Truncator(consult.question).chars(120))}</td>'
        f"<td>{_e(consult.requested_by.name)}<br>"
        f'<span class="small muted">{_e(consult.requesting_facility.name)}</span></td>'
        f"<td>{waited}</td></tr>"
    )


@register.simple_tag
def board_event(consult) -> str:
    """A consult in a day of the week's calendar."""
    return mark_safe(_event(consult, _Board()))  # noqa: S308 - see _event


@register.simple_tag(takes_context=True)
def board_events(context, consults: list) -> str:
    """Every consult of a day of the week's calendar, as ``{% board_event %}`` writes each."""
    board = _page_board(context)
    return mark_safe("".join([_event(consult, board) for consult in consults]))  # noqa: S308 - see _event


def _event(consult, board: _Board) -> str:
    place = _e(consult.location) if consult.location else board.remote
    status = ""
    if consult.status == "concluded":
        status = f'<span class="mdt-event__status">{board.concluded}</span>'
    # every value escaped by _e
    return (
        f'<a class="mdt-event mdt-event--{_e(consult.status)} mdt-event--{_e(consult.urgency)}" '
        f'href="{_e(consult.detail_url)}">'
        f'<span class="mdt-event__time mono">{board.hm(consult.scheduled_start)}–'
        f"{board.hm(consult.scheduled_end)}</span>"
        f'<span class="mdt-event__ref mono">{_e(consult.reference)}</span>'
        f'<span class="mdt-event__woman">{_e(consult.pregnancy.patient.name)}</span>'
        f'<span class="mdt-event__place">{place}</span>{status}</a>'
    )


@register.simple_tag
def board_upcoming(consult) -> str:
    """A row of the coming days' table."""
    return mark_safe(_upcoming(consult, _Board()))  # noqa: S308 - see _upcoming


@register.simple_tag(takes_context=True)
def board_upcoming_rows(context, consults: list) -> str:
    """Every row of the coming days' table, as ``{% board_upcoming %}`` writes each."""
    board = _page_board(context)
    return mark_safe("".join([_upcoming(consult, board) for consult in consults]))  # noqa: S308


def _upcoming(consult, board: _Board) -> str:
    start = board.local(consult.scheduled_start) if consult.scheduled_start else None
    when = f"{start.month:02d}-{start.day:02d} {start.hour:02d}:{start.minute:02d}" if start else ""
    place = _e(consult.location or "")
    if consult.meeting_url:
        remote = f'<span class="small muted">{board.remote_link}</span>'
        place += f"<br>{remote}" if consult.location else remote
    answers = board.answers % {"accepted": consult.accepted, "invited": consult.invited}
    # every value escaped by _e, numbers written here
    return (
        f'<tr><td class="nowrap mono">{when}–{board.hm(consult.scheduled_end)}</td>'
        f'<td><a class="mono" href="{_e(consult.detail_url)}">{_e(consult.reference)}</a></td>'
        f'<td class="cell-woman">{_woman(consult)}</td>'
        f"<td>{_badge(board.language, consult.urgency)}</td><td>{place}</td><td>{_e(answers)}</td></tr>"
    )


@register.simple_tag(takes_context=True)
def action_item(context, item) -> str:
    """An open action item (``consults.views.my_actions_context``): its text, consult and woman, due date
    (overdue, due today) and the "Mark done" form, which comes back to ``return_to`` (default "mine")."""
    today = context.get("today")
    overdue = today is not None and item.due < today
    consult = item.consult
    patient = consult.pregnancy.patient
    if overdue:
        label = _e(gettext("Overdue"))
        flag = f'<span class="tag tag-overdue">{label}</span> '
    elif item.due == today:
        label = _e(gettext("Due today"))
        flag = f'<span class="tag">{label}</span> '
    else:
        flag = ""
    back = context.get("return_to") or "mine"
    done = _e(gettext("Mark done"))
    return mark_safe(  # noqa: S308 - every value escaped by _e, the date formatted here
        f'<li class="mdt-action-list__item{" mdt-action-list__item--overdue" if overdue else ""}">'
        f'<div class="mdt-action-list__main"><p class="mdt-action-list__text">{_e(item.text)}</p>'
        f'<p class="small muted"><a href="{_e(id_url("consults:detail", consult.external_id))}" class="mono">'
        f"{_e(consult.reference)}</a> · {_e(patient.name)} "
        f'<span class="mono">{_e(patient.record_number)}</span></p></div>'
        f'<p class="mdt-due{" mdt-due--overdue" if overdue else ""}">{flag}'
        f'<span class="mono">{item.due.isoformat()}</span></p>'
        f'<form method="post" action="{_e(id_url("consults:action_done", item.external_id))}" '
        f'class="inline-form">{csrf_input(context)}<input type="hidden" name="return" value="{_e(back)}">'
        f'<button type="submit" class="btn btn-secondary btn-small">{done}</button></form></li>'
    )
