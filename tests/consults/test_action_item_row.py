"""An MDT action item built in Python (``{% action_item %}``, ``consults/templatetags/consult_tags.py``) is
the template markup it replaced (kept here): overdue, due today, due later, both ways back, in both
languages, with the item's and the woman's text escaped as the template escaped it."""

import datetime as dt
import uuid

import pytest
from django.template import engines
from django.utils import translation

from cases.models import Patient, Pregnancy
from consults.models import ActionItem, Consult
from tests.markup import visible

# The item as template markup, before the tag replaced it (consults/partials/my_actions.html).
ITEM = """{% load i18n %}
    <li class="mdt-action-list__item{% if item.due < today %} mdt-action-list__item--overdue{% endif %}">
      <div class="mdt-action-list__main">
        <p class="mdt-action-list__text">{{ item.text }}</p>
        <p class="small muted">
          <a href="{% url 'consults:detail' item.consult.external_id %}" class="mono">{{ item.consult.reference }}</a>
          · {{ item.consult.pregnancy.patient.name }} <span class="mono">{{ item.consult.pregnancy.patient.record_number }}</span>
        </p>
      </div>
      <p class="mdt-due{% if item.due < today %} mdt-due--overdue{% endif %}">
        {% if item.due < today %}<span class="tag tag-overdue">{% translate "Overdue" %}</span>{% elif item.due == today %}<span class="tag">{% translate "Due today" %}</span>{% endif %}
        <span class="mono">{{ item.due|date:"Y-m-d" }}</span>
      </p>
      <form method="post" action="{% url 'consults:action_done' item.external_id %}" class="inline-form">{% csrf_token %}
        <input type="hidden" name="return" value="{{ return_to|default:'mine' }}">
        <button type="submit" class="btn btn-secondary btn-small">{% translate "Mark done" %}</button>
      </form>
    </li>"""  # noqa: E501
TAG = "{% load consult_tags %}{% action_item item %}"
TODAY = dt.date(2026, 11, 28)


def _item(n: int, due: dt.date) -> ActionItem:
    item = ActionItem(external_id=uuid.UUID(int=100 + n), text=f"复查 <BNP> & 心超 {n}\n两周内", due=due)
    item.consult = Consult(external_id=uuid.UUID(int=n + 1))
    item.consult.pregnancy = Pregnancy()
    item.consult.pregnancy.patient = Patient(name=f"<i>陈{n}</i>", record_number=f"MS-{n:04d}&")
    return item


ITEMS = [_item(n, TODAY + dt.timedelta(days=offset)) for n, offset in enumerate((-3, -1, 0, 1, 30))]


def _render(source: str, **context) -> str:
    return engines["django"].from_string(source).render(context)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("return_to", [None, "home", "mine"])
def test_an_action_item_is_the_template_markup_it_replaced(language, return_to):
    extra = {} if return_to is None else {"return_to": return_to}
    with translation.override(language):
        for item in ITEMS:
            context = {"item": item, "today": TODAY, "csrf_token": "tok", **extra}
            assert visible(_render(TAG, **context)) == visible(_render(ITEM, **context)), item.due


def test_overdue_and_due_today_are_flagged_and_text_is_escaped():
    with translation.override("zh-hans"):
        overdue, today, later = (
            _render(TAG, item=ITEMS[n], today=TODAY, csrf_token="tok", return_to="home") for n in (0, 2, 3)
        )
    assert "mdt-action-list__item--overdue" in overdue and "tag-overdue" in overdue
    assert "mdt-due--overdue" not in today and '<span class="tag">今日到期</span>' in today
    assert "tag" not in later.split('class="mdt-due">')[1].split("</p>")[0]
    assert "复查 &lt;BNP&gt; &amp; 心超 0" in overdue and "&lt;i&gt;陈0&lt;/i&gt;" in overdue
    assert "MS-0000&amp;" in overdue and 'name="return" value="home"' in overdue
    assert f"/consults/{ITEMS[0].consult.external_id}/" in overdue
