"""The case page's action buttons and cards built in Python (``cases.templatetags.case_page``) are the
template markup they replaced (kept here), for each branch: what the reader may do in each status,
identity known, unknown or none, the reveal button, document, age (estimated or not), contact, address,
status and outcome, gestational age or postpartum day, dating, gravida unknown, one or two fetuses,
facilities, clinician, emergency arrival, infection results for a reader who may and one who may not
see them, tasks with and without a due time and a done button; both languages, two time zones.

One difference on purpose: a result the reader may not see has the class ``infection--restricted``
(the template wrote the translated label there); the reference below says so where it differs."""

import datetime as dt
import uuid

import pytest
from django.template import engines
from django.test import RequestFactory
from django.utils import timezone, translation

from accounts.models import User
from cases.models import CareTask, Patient, Pregnancy
from facilities.models import Facility
from tests.markup import visible

CARDS = """<nav class="case-actions" aria-label="{% translate 'Case actions' %}">
  {% if can_change and is_open %}<a class="btn btn-primary" href="{% id_url 'cases:visit_create' pregnancy.external_id %}">{% translate "Record a visit" %}</a>{% endif %}
  {% if can_change and is_active %}<a class="btn btn-secondary" href="{% id_url 'cases:delivery_create' pregnancy.external_id %}">{% translate "Record the delivery" %}</a>
  <a class="btn btn-secondary" href="{% id_url 'cases:dating_create' pregnancy.external_id %}">{% translate "Record an ultrasound dating" %}</a>{% endif %}
  {% if can_change and can_transition %}<a class="btn btn-secondary" href="{% id_url 'cases:transition' pregnancy.external_id %}">{% translate "Change status" %}</a>{% endif %}
  {% if can_change and is_open %}<a class="btn btn-primary" href="{% id_url 'risk:grade' pregnancy.external_id %}">{% translate "Five-colour grading" %}</a>
  <a class="btn btn-secondary" href="{% id_url 'risk:observations' pregnancy.external_id %}">{% translate "Observation chart (MEOWS)" %}</a>
  <a class="btn btn-secondary" href="{% id_url 'referrals:create' %}?pregnancy={{ pregnancy.external_id }}">{% translate "Refer" %}</a>
  <a class="btn btn-secondary" href="{% id_url 'consults:new' %}?pregnancy={{ pregnancy.external_id }}">{% translate "Request MDT consultation" %}</a>{% endif %}
  <a class="btn btn-secondary" href="{% id_url 'risk:history' pregnancy.external_id %}">{% translate "Colour history" %}</a>
  <a class="btn btn-secondary" href="{% id_url 'cases:pregnancy_print' pregnancy.external_id %}">{% translate "Print summary" %}</a>
</nav>

<div class="grid grid-2">
  <section class="card" aria-labelledby="h-woman">
    <h2 id="h-woman">{% translate "The woman" %}</h2>
    <dl class="dl dl--wide">
      <dt>{% translate "Resident ID number" %}</dt>
      <dd class="id-cell">{% if patient.id_number %}<span class="mono">{{ patient.masked_id_number }}</span>{% elif patient.is_unidentified %}<span class="tag tag-flag">{% translate "Identity unknown" %}</span>{% else %}<span class="muted">—</span>{% endif %}
        {% if can_reveal and not revealed %}<form method="post" action="{% id_url 'cases:reveal_id_number' pregnancy.external_id %}" class="inline-form">{% csrf_token %}<button type="submit" class="btn btn-secondary btn-small">{% translate "Show" %}</button></form>{% endif %}</dd>
      {% if patient.document_number %}<dt>{{ patient.get_document_type_display }}</dt><dd class="mono">{{ patient.masked_document_number }}</dd>{% endif %}
      <dt>{% translate "Age" %}</dt>
      <dd>{% if age is not None %}{% blocktranslate trimmed count years=age %}{{ years }} year{% plural %}{{ years }} years{% endblocktranslate %}{% if patient.birth_date_estimated %} <span class="muted small">({% translate "estimated" %})</span>{% else %} <span class="muted small mono">{{ patient.birth_date|date:"Y-m-d" }}</span>{% endif %}{% else %}—{% endif %}</dd>
      <dt>{% translate "Phone" %}</dt><dd class="mono">{{ patient.masked_phone|default:"—" }}</dd>
      <dt>{% translate "Emergency contact" %}</dt>
      <dd>{% if patient.emergency_contact_name or patient.emergency_contact_phone %}{{ patient.emergency_contact_name }} {% if patient.emergency_contact_phone %}<a class="phone" href="tel:{{ patient.emergency_contact_phone }}">{{ patient.emergency_contact_phone }}</a>{% endif %}{% else %}—{% endif %}</dd>
      {% if patient.address %}<dt>{% translate "Address" %}</dt><dd>{{ patient.address }}</dd>{% endif %}
    </dl>
  </section>

  <section class="card" aria-labelledby="h-pregnancy">
    <h2 id="h-pregnancy">{% translate "Pregnancy" %}</h2>
    <dl class="dl dl--wide">
      <dt>{% translate "Status" %}</dt><dd><span class="tag tag-status tag-status--{{ pregnancy.status }}">{{ pregnancy.get_status_display }}</span>{% if pregnancy.outcome %} <span class="muted">{{ pregnancy.get_outcome_display }}</span>{% endif %}</dd>
      <dt>{% if postpartum_day is not None %}{% translate "Postpartum" %}{% else %}{% translate "Gestational age" %}{% endif %}</dt>
      <dd class="ga">{% ga_inline ga=gestational_age %}</dd>
      <dt>{% translate "Expected date of delivery" %}</dt>
      <dd><span class="mono">{{ pregnancy.edd|date:"Y-m-d"|default:"—" }}</span>{% if pregnancy.dating_method %} <span class="muted small">{{ pregnancy.get_dating_method_display }}</span>{% endif %}</dd>
      {% if pregnancy.lmp %}<dt>{% translate "Last menstrual period" %}</dt><dd class="mono">{{ pregnancy.lmp|date:"Y-m-d" }}</dd>{% endif %}
      <dt>{% translate "Gravida / para / fetuses" %}</dt><dd>G{{ pregnancy.gravida|default_if_none:"?" }} P{{ pregnancy.para|default_if_none:"?" }} · {% blocktranslate trimmed count n=pregnancy.fetuses %}{{ n }} fetus{% plural %}{{ n }} fetuses{% endblocktranslate %}</dd>
      <dt>{% translate "Next visit" %}</dt><dd class="mono">{{ pregnancy.next_visit_date|date:"Y-m-d"|default:"—" }}</dd>
      <dt>{% translate "Managing facility" %}</dt><dd>{{ pregnancy.managing_facility.name }}</dd>
      {% if pregnancy.booking_facility_id != pregnancy.managing_facility_id %}<dt>{% translate "Booked at" %}</dt><dd>{{ pregnancy.booking_facility.name }}</dd>{% endif %}
      <dt>{% translate "Follow-up facility" %}</dt><dd>{{ pregnancy.follow_up_facility.name|default:"—" }}</dd>
      <dt>{% translate "Responsible clinician" %}</dt><dd>{{ pregnancy.responsible_clinician.name|default:"—" }}</dd>
      {% if pregnancy.is_emergency_registration %}
      <dt>{% translate "Emergency arrival" %}</dt><dd><span class="mono">{{ pregnancy.arrived_at|date:"Y-m-d H:i" }}</span>{% if pregnancy.chief_complaint %} · {{ pregnancy.chief_complaint }}{% endif %}</dd>
      {% endif %}
    </dl>
  </section>
</div>

<div class="grid grid-2">
  <section class="card" aria-labelledby="h-infection">
    <h2 id="h-infection">{% translate "Infection screening" %}</h2>
    <dl class="dl">
      <dt>{% translate "HIV" %}</dt><dd class="infection infection--{% if pregnancy.hiv_status and not sees_sensitive %}restricted{% else %}{{ pregnancy.hiv_status }}{% endif %}">{{ pregnancy.get_hiv_status_display|sensitive:request.user }}</dd>
      <dt>{% translate "Syphilis" %}</dt><dd class="infection infection--{% if pregnancy.syphilis_status and not sees_sensitive %}restricted{% else %}{{ pregnancy.syphilis_status }}{% endif %}">{{ pregnancy.get_syphilis_status_display|sensitive:request.user }}</dd>
      <dt>{% translate "Hepatitis B" %}</dt><dd class="infection infection--{% if pregnancy.hbv_status and not sees_sensitive %}restricted{% else %}{{ pregnancy.hbv_status }}{% endif %}">{{ pregnancy.get_hbv_status_display|sensitive:request.user }}</dd>
    </dl>
  </section>

  <section class="card" aria-labelledby="h-tasks">
    <h2 id="h-tasks">{% translate "Open tasks" %}</h2>
    {% if tasks %}
    <ul class="task-list">
      {% for task in tasks %}
      <li class="task-list__item">
        <div>
          <p class="task-list__title">{{ task.get_kind_display }}</p>
          <p class="muted small">{{ task.facility.name }}{% if task.due_at %} · {% translate "due" %} <span class="mono">{{ task.due_at|date:"Y-m-d H:i" }}</span>{% endif %}</p>
        </div>
        {% if task.can_complete %}
        <form method="post" action="{% id_url 'cases:care_task_done' pregnancy.external_id task.external_id %}" class="inline-form">{% csrf_token %}
          <button type="submit" class="btn btn-secondary btn-small">{% translate "Mark done" %}</button>
        </form>
        {% endif %}
      </li>
      {% endfor %}
    </ul>
    {% else %}
    <p class="muted">{% translate "No open task." %}</p>
    {% endif %}
  </section>
</div>"""  # noqa: E501

UTC = dt.UTC


def _facility(n: int) -> Facility:
    return Facility(id=n, name_zh=f"医院{n} <b>", name_en=f"Hospital {n} & <Co>")


def _pregnancy(n: int) -> Pregnancy:
    here, there = _facility(1), _facility(2)
    p = Pregnancy(
        id=n,
        external_id=uuid.UUID(int=n + 1),
        status=["active", "postpartum", "closed", "lost_to_follow_up", "active"][n % 5],
        outcome=["", "delivery", "miscarriage", "", ""][n % 5],
        edd=dt.date(2027, 5, 1) if n % 3 else None,
        lmp=dt.date(2026, 7, 25) if n % 2 else None,
        dating_method=["lmp", "ultrasound", ""][n % 3],
        gravida=None if n % 4 == 0 else 2,
        para=None if n % 4 == 1 else 1,
        fetuses=1 + (n % 2),
        next_visit_date=dt.date(2026, 12, 3) if n % 2 else None,
        hiv_status=["unknown", "negative", "positive"][n % 3],
        syphilis_status=["positive", "unknown", "negative"][n % 3],
        hbv_status=["negative", "positive", "unknown"][n % 3],
        is_emergency_registration=n % 3 == 0,
        arrived_at=dt.datetime(2026, 11, 26, 17, 30, tzinfo=UTC) if n % 6 == 0 else None,
        chief_complaint="抽搐 <seizure>" if n % 2 == 0 else "",
    )
    p.managing_facility = here
    p.booking_facility = there if n % 2 else here
    p.follow_up_facility = there if n % 3 == 1 else None
    p.responsible_clinician = User(username=f"dr{n}", display_name="王医生 <i>") if n % 2 else None
    p.patient = Patient(
        name="李 <b>",
        id_number=["110101199001011234", "", ""][n % 3],
        is_unidentified=n % 3 == 1,
        document_type="passport" if n % 4 == 2 else "",
        document_number="E12345678" if n % 4 == 2 else "",
        birth_date=dt.date(1990, 1, 1) if n % 5 else None,
        birth_date_estimated=n % 5 == 2,
        phone="13800138000" if n % 2 else "",
        emergency_contact_name=["", "张三 <x>", "", "李四"][n % 4],
        emergency_contact_phone=["", "13900139000", "0771-1234&5", ""][n % 4],
        address="南宁市 <路> & 1号" if n % 3 else "",
    )
    return p


def _tasks(n: int) -> list[CareTask]:
    tasks = []
    for k in range(n % 3):
        task = CareTask(
            external_id=uuid.UUID(int=100 + k),
            kind=["pmtct_tests_pending", "merge_review"][k],
            due_at=dt.datetime(2026, 11, 27, 16, 5, tzinfo=UTC) if k == 0 else None,
        )
        task.facility = _facility(3 + k)
        task.can_complete = (n + k) % 2 == 0
        tasks.append(task)
    return tasks


def _context(n: int, sees_sensitive: bool) -> dict:
    pregnancy = _pregnancy(n)
    status = pregnancy.status
    return {
        "pregnancy": pregnancy,
        "patient": pregnancy.patient,
        "age": None if pregnancy.patient.birth_date is None else 36,
        "gestational_age": {"weeks": 34, "days": 2} if status == "active" and n % 2 else None,
        "postpartum_day": 5 if status == "postpartum" else None,
        "tasks": _tasks(n),
        "can_change": n % 7 != 3,
        "can_reveal": n % 2 == 0,
        "revealed": {"id_number": "x"} if n % 8 == 6 else None,
        "is_open": status in ("active", "postpartum"),
        "is_active": status == "active",
        "can_transition": status != "closed",
        "sees_sensitive": sees_sensitive,
    }


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "UTC"])
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_case_actions_and_cards_are_the_template_markup_they_replaced(language, zone):
    reference = engines["django"].from_string("{% load i18n sensitive links grades %}" + CARDS)
    tags = engines["django"].from_string("{% load case_page %}{% case_actions %}{% case_cards %}")
    shown = []
    with translation.override(language), timezone.override(zone):
        for sees_sensitive, roles in ((True, ["obstetrician"]), (False, ["midwife"])):
            request = RequestFactory().get("/")
            request.user = User(username="reader", roles=roles)
            for n in range(24):
                context = _context(n, sees_sensitive)
                new = visible(tags.render(context, request))
                assert new == visible(reference.render(context, request)), (n, sees_sensitive)
                shown.append(new)
    # The cases cover what varies (so that an empty pair could not pass).
    seen = "".join(shown)
    for part in (
        "infection--restricted",
        "infection--positive",
        "李四",
        "张三 &lt;x&gt;",
        "tel:0771-1234&amp;5",
        Patient(document_number="E12345678").masked_document_number,
        "tag tag-flag",
        "/reveal-id/",
        "task-list__item",
        "/done/",
        "抽搐 &lt;seizure&gt;",
        "G? P1",
        "G2 P?",
        "tag-status--lost_to_follow_up",
        "pp-inline",
        "ga-inline",
        "2026-12-03",
    ):
        assert part in seen, part
    assert ("2026-11-27 01:30" if zone == "Asia/Shanghai" else "2026-11-26 17:30") in seen
    assert ("2026-11-28 00:05" if zone == "Asia/Shanghai" else "2026-11-27 16:05") in seen
