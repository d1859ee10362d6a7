"""A follow-up row built in Python (``{% followup_row %}``, ``reminders/templatetags/followup_rows.py``) is
the template markup it replaced (kept here), for every status, with and without the decision a clinician
may take on a lost-to-follow-up proposal, a decision that failed, both ways back, in both languages; and
the woman's text is escaped as the template escaped it."""

import datetime as dt
import uuid

import pytest
from django.template import engines
from django.utils import translation

from cases.models import Patient, Pregnancy
from reminders.models import FollowUp
from tests.markup import visible

# The row as template markup, before the tag replaced it (reminders/partials/followups.html).
ROW = """{% load i18n %}
          <tr class="followup followup--{{ row.status }}">
            <td><a href="{{ row.case_url }}">{{ row.pregnancy.patient.name }}</a>
              <span class="mono">{{ row.pregnancy.patient.record_number }}</span></td>
            <td>{{ row.get_kind_display }}</td>
            <td class="mono nowrap">{{ row.due_from|date:"Y-m-d" }} – {{ row.due_by|date:"Y-m-d" }}</td>
            <td>{% if row.status == "lost_proposed" %}<span class="tag tag-overdue">{{ row.get_status_display }}</span>{% else %}{{ row.get_status_display }}{% endif %}</td>
            <td>
              {% if row.status == "lost_proposed" and can_decide %}
              <details class="followup-decision"{% if failed_id == row.external_id %} open{% endif %}>
                <summary>{% translate "Confirm or keep tracing" %}</summary>
                {% if failed_id == row.external_id and decision_error %}<div class="alert alert-error" role="alert"><p>{{ decision_error }}</p>{% for field, errors in decision_errors.items %}{% for e in errors %}<p>{{ e }}</p>{% endfor %}{% endfor %}</div>{% endif %}
                <form method="post" action="{{ row.confirm_url }}" class="form-stack followup-decision__form">{% csrf_token %}
                  <input type="hidden" name="next" value="{% if return_to == 'home' %}home{% else %}list{% endif %}">
                  <div class="field"><label for="fu-lost-{{ row.external_id }}">{% translate "What tracing found (calls, home visits)" %}</label><textarea name="reason" id="fu-lost-{{ row.external_id }}" rows="2" maxlength="1000" required></textarea></div>
                  <button type="submit" class="btn btn-danger btn-small">{% translate "Confirm lost to follow-up" %}</button>
                </form>
                <form method="post" action="{{ row.keep_url }}" class="form-stack followup-decision__form">{% csrf_token %}
                  <input type="hidden" name="next" value="{% if return_to == 'home' %}home{% else %}list{% endif %}">
                  <div class="field"><label for="fu-trace-{{ row.external_id }}">{% translate "Why tracing goes on" %}</label><textarea name="reason" id="fu-trace-{{ row.external_id }}" rows="2" maxlength="1000" required></textarea></div>
                  <button type="submit" class="btn btn-secondary btn-small">{% translate "Keep tracing" %}</button>
                </form>
              </details>
              {% else %}<span class="muted">—</span>{% endif %}
            </td>
          </tr>"""  # noqa: E501

STATUSES = ("due", "overdue", "tracing", "lost_proposed")
KINDS = ("antenatal", "postpartum", "check_42d")


def _row(n: int, status: str) -> FollowUp:
    row = FollowUp(
        external_id=uuid.UUID(int=n + 1),
        status=status,
        kind=KINDS[n % len(KINDS)],
        due_from=dt.date(2026, 11, 20) + dt.timedelta(days=n),
        due_by=dt.date(2026, 12, 4) + dt.timedelta(days=n),
    )
    row.pregnancy = Pregnancy()
    row.pregnancy.patient = Patient(name=f"<b>王{n}</b> & 女", record_number=f"MS-{n:04d}<")
    row.case_url = f"/cases/pregnancies/{n}/?a=1&b=2"
    if status == "lost_proposed":
        row.confirm_url, row.keep_url = f"/followups/{n}/confirm/", f"/followups/{n}/keep/?x=<y>"
    return row


ROWS = [_row(n, status) for n, status in enumerate(STATUSES * 2)]
FAILED = ROWS[3].external_id  # a proposal whose decision failed
TAG = "{% load followup_rows %}{% followup_row row %}"
CONTEXTS = [
    {"can_decide": True, "return_to": "home"},
    {"can_decide": True},
    {"can_decide": False, "return_to": "home"},
    {
        "can_decide": True,
        "failed_id": FAILED,
        "decision_error": "原因 <必填>",
        "decision_errors": {"reason": ["Give a reason.", "Too <long>"]},
    },
    {"can_decide": True, "failed_id": FAILED, "decision_error": ""},
    {"can_decide": True, "failed_id": uuid.UUID(int=999), "decision_error": "x"},
]


def _render(source: str, **context) -> str:
    return engines["django"].from_string(source).render(context)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("extra", CONTEXTS)
def test_a_followup_row_is_the_template_markup_it_replaced(language, extra):
    with translation.override(language):
        for row in ROWS:
            context = {"row": row, "csrf_token": "tok", **extra}
            assert visible(_render(TAG, **context)) == visible(_render(ROW, **context)), row.status


def test_the_decision_and_its_error_show_on_a_failed_proposal_only():
    context = {"csrf_token": "tok", **CONTEXTS[3]}
    with translation.override("zh-hans"):
        failed = _render(TAG, row=ROWS[3], **context)
        other = _render(TAG, row=ROWS[7], **context)
        due = _render(TAG, row=ROWS[0], **context)
    assert '<details class="followup-decision" open>' in failed and "原因 &lt;必填&gt;" in failed
    assert "Too &lt;long&gt;" in failed and failed.count('name="csrfmiddlewaretoken"') == 2
    assert '<details class="followup-decision">' in other and "必填" not in other
    assert "<details" not in due and '<span class="muted">—</span>' in due
    assert "&lt;b&gt;王0&lt;/b&gt; &amp; 女" in due and "MS-0000&lt;" in due and "?a=1&amp;b=2" in due
    assert "2026-11-20 – 2026-12-04" in due
