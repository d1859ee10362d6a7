"""The MDT board's repeated parts built in Python (``consults.templatetags.consult_tags``: a waiting
request, a calendar event, a coming consult) are the template markup they replaced, for every kind of
row, in both languages, with the woman's and the requester's text escaped as the template escaped it."""

import datetime as dt
import re
import uuid
import zoneinfo

import pytest
from django.template import engines
from django.utils import timezone, translation

from accounts.models import User
from cases.models import Patient, Pregnancy
from consults.models import Consult
from facilities.models import Facility

# The three parts as template markup, before the tags replaced them (consults/consult_board.html).
REQUEST = """{% load i18n grades %}
        <tr{% if row.overdue %} class="row-overdue mdt-overdue"{% endif %}>
          <td><a class="mono" href="{{ row.consult.detail_url }}">{{ row.consult.reference }}</a><br><a class="btn btn-primary btn-small mdt-schedule-btn" href="{{ row.consult.schedule_url }}">{% translate "Schedule" %}</a></td>
          <td class="cell-woman"><a href="{{ row.consult.case_url }}" class="cell-strong">{{ row.consult.pregnancy.patient.name }}</a> <span class="mono small muted">{{ row.consult.pregnancy.patient.record_number }}</span>{% if row.consult.pregnancy.risk_color or row.consult.pregnancy.purple %} {% risk_badges row.consult.pregnancy %}{% endif %}</td>
          <td class="mdt-question">{{ row.consult.question|truncatechars:120 }}</td>
          <td>{{ row.consult.requested_by.name }}<br><span class="small muted">{{ row.consult.requesting_facility.name }}</span></td>
          <td><span class="mdt-waited{% if row.overdue %} mdt-waited--overdue{% endif %}">{{ row.waited }}</span>{% if row.overdue %} <span class="tag tag-overdue">{% translate "Overdue" %}</span>{% endif %}{% if row.target %}<br><span class="small muted">{% blocktranslate trimmed with target=row.target %}target {{ target }}{% endblocktranslate %}</span>{% endif %}</td>
        </tr>"""  # noqa: E501
EVENT = """{% load i18n %}
      <a class="mdt-event mdt-event--{{ consult.status }} mdt-event--{{ consult.urgency }}" href="{{ consult.detail_url }}">
        <span class="mdt-event__time mono">{{ consult.scheduled_start|time:"H:i" }}–{{ consult.scheduled_end|time:"H:i" }}</span>
        <span class="mdt-event__ref mono">{{ consult.reference }}</span>
        <span class="mdt-event__woman">{{ consult.pregnancy.patient.name }}</span>
        <span class="mdt-event__place">{% if consult.location %}{{ consult.location }}{% else %}{% translate "Remote" %}{% endif %}</span>
        {% if consult.status == "concluded" %}<span class="mdt-event__status">{% translate "Concluded" context "consult status" %}</span>{% endif %}
      </a>"""  # noqa: E501
UPCOMING = """{% load i18n consult_tags %}
      <tr>
        <td class="nowrap mono">{{ consult.scheduled_start|date:"m-d H:i" }}–{{ consult.scheduled_end|time:"H:i" }}</td>
        <td><a class="mono" href="{{ consult.detail_url }}">{{ consult.reference }}</a></td>
        <td class="cell-woman"><a href="{{ consult.case_url }}" class="cell-strong">{{ consult.pregnancy.patient.name }}</a> <span class="mono small muted">{{ consult.pregnancy.patient.record_number }}</span></td>
        <td>{% urgency_badge consult %}</td>
        <td>{{ consult.location|default:"" }}{% if consult.meeting_url %}{% if consult.location %}<br>{% endif %}<span class="small muted">{% translate "Remote link" %}</span>{% endif %}</td>
        <td>{% blocktranslate trimmed with accepted=consult.accepted invited=consult.invited %}{{ accepted }} of {{ invited }} accepted{% endblocktranslate %}</td>
      </tr>"""  # noqa: E501

UTC = dt.UTC


def _squeezed(html: str) -> str:
    """Whitespace between tags does not show here (table cells; the event's spans are flex items)."""
    return re.sub(r">\s+", ">", re.sub(r"\s+<", "<", re.sub(r"\s+", " ", html))).strip()


def _consult(n: int, **fields) -> Consult:
    start = dt.datetime(2026, 11, 27, 23, 30, tzinfo=UTC) + dt.timedelta(hours=n % 2) if n % 4 else None
    consult = Consult(
        external_id=uuid.UUID(int=n + 1),
        status=fields.pop("status", "scheduled"),
        urgency=fields.pop("urgency", "routine"),
        question=fields.pop("question", "心衰 <NYHA III>?"),
        location=fields.pop("location", ""),
        meeting_url=fields.pop("meeting_url", ""),
        scheduled_start=start,
        scheduled_end=start + dt.timedelta(minutes=45) if start else None,
    )
    pregnancy = Pregnancy(risk_color=fields.pop("risk_color", ""), purple=fields.pop("purple", False))
    pregnancy.patient = Patient(name=f"<i>李{n}</i>", record_number=f"MS-{n:04d}&")
    consult.pregnancy = pregnancy
    consult.requested_by = fields.pop("requested_by", User(username=f"dr{n}", display_name="张医生 <x>"))
    consult.requesting_facility = fields.pop(
        "requesting_facility", Facility(name_zh="县医院", name_en="County & Hospital")
    )
    consult.detail_url = f"/consults/{n}/?a=1&b=2"
    consult.schedule_url = f"/consults/{n}/schedule/?x=<y>"
    consult.case_url = f"/cases/pregnancies/{n}/"
    consult.accepted, consult.invited = n % 3, 4
    assert not fields
    return consult


CONSULTS = [
    _consult(0),
    _consult(1, urgency="emergency", risk_color="red", purple=True, location="会议室 2"),
    _consult(2, status="concluded", urgency="clinic", meeting_url="https://meet.example/x", location="A&B"),
    _consult(3, meeting_url="https://meet.example/y", risk_color="orange", question="x" * 300),
    _consult(5, status="in_progress", requested_by=User(username="dr5"), purple=True),
]
ROWS = [
    {"consult": CONSULTS[0], "waited": "25 min", "target": "1 h", "overdue": False},
    {"consult": CONSULTS[1], "waited": "3 h 5 min", "target": "1 h", "overdue": True},
    {"consult": CONSULTS[2], "waited": "2 d 1 h", "target": None, "overdue": False},
    {"consult": CONSULTS[3], "waited": "<5 min>", "target": None, "overdue": True},
    {"consult": CONSULTS[4], "waited": "0 min", "target": "24 h", "overdue": False},
]


def _render(source: str, **context) -> str:
    return engines["django"].from_string(source).render(context)


@pytest.mark.parametrize(
    ("tag", "list_tag", "markup", "items", "name"),
    [
        ("board_request", "board_requests", REQUEST, ROWS, "row"),
        ("board_event", "board_events", EVENT, CONSULTS, "consult"),
        ("board_upcoming", "board_upcoming_rows", UPCOMING, CONSULTS, "consult"),
    ],
)
def test_each_part_is_the_template_markup_it_replaced(tag, list_tag, markup, items, name):
    for zone in ("Asia/Shanghai", "UTC"):
        with timezone.override(zoneinfo.ZoneInfo(zone)):
            for language in ("en", "zh-hans"):
                with translation.override(language):
                    olds = []
                    for item in items:
                        new = _render(f"{{% load consult_tags %}}{{% {tag} {name} %}}", **{name: item})
                        olds.append(_render(markup, **{name: item}))
                        assert _squeezed(new) == _squeezed(olds[-1]), (zone, language, item)
                    # the page writes a list of them with one tag
                    every = _render(f"{{% load consult_tags %}}{{% {list_tag} items %}}", items=items)
                    assert _squeezed(every) == _squeezed("".join(olds)), (zone, language)


def test_text_is_escaped_and_times_are_local():
    with timezone.override(zoneinfo.ZoneInfo("Asia/Shanghai")), translation.override("zh-hans"):
        row = _render("{% load consult_tags %}{% board_request row %}", row=ROWS[1])
        event = _render("{% load consult_tags %}{% board_event c %}", c=CONSULTS[1])
    assert "&lt;i&gt;李1&lt;/i&gt;" in row and "MS-0001&amp;" in row and "?a=1&amp;b=2" in row
    assert "张医生 &lt;x&gt;" in row and "心衰 &lt;NYHA III&gt;?" in row and "时限 1 h" in row
    assert '<span class="mdt-event__time mono">08:30–09:15</span>' in event  # 00:30 UTC
