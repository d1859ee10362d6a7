"""``{% grade_badges %}`` and ``{% ga_inline %}`` (``cases.templatetags.grades``): every branch, both
languages, and what each reads from the context when not given."""

import pytest
from django.template import engines
from django.utils import translation

from cases.models import Pregnancy
from tests.markup import visible


def render(source: str, **context) -> str:
    return engines["django"].from_string("{% load grades %}" + source).render(context)


@pytest.mark.parametrize(
    ("fields", "provisional", "expected"),
    [
        ({}, False, '<span class="badge badge-none">Not graded</span>'),
        ({"risk_color": "red"}, False, '<span class="badge badge-red">Red</span>'),
        (
            {"risk_color": "", "purple": True},
            True,
            '<span class="badge badge-none">Not graded</span>'
            ' <span class="tag tag-provisional">Provisional</span>'
            ' <span class="badge badge-purple">Purple</span>',
        ),
        (
            {"risk_color": "yellow", "risk_proposed_color": "orange"},
            False,
            '<span class="badge badge-yellow">Yellow</span> <span class="tag tag-proposed"'
            ' title="A higher colour is proposed from the latest data and awaits confirmation">'
            "↑ Orange proposed</span>",
        ),
    ],
)
def test_grade_badges(fields, provisional, expected):
    pregnancy = Pregnancy(**fields)
    assert (
        render("{% grade_badges pregnancy=p provisional=flag %}", p=pregnancy, flag=provisional) == expected
    )
    # not given: the context's ``pregnancy`` and ``provisional``
    assert render("{% grade_badges %}", pregnancy=pregnancy, provisional=provisional) == expected


def test_grade_badges_in_chinese_and_escaped():
    with translation.override("zh-hans"):
        html = render("{% grade_badges pregnancy=p provisional=True %}", p=Pregnancy(risk_color="orange"))
    assert (
        html == '<span class="badge badge-orange">橙色</span> <span class="tag tag-provisional">临时</span>'
    )
    assert render("{% grade_badges %}") == ""  # no woman in the context: nothing


@pytest.mark.parametrize(
    ("ga", "postpartum_day", "expected"),
    [
        ({"weeks": 20, "days": 3}, None, '<span class="ga-inline">20 weeks + 3 days</span>'),
        ({"weeks": 20, "days": 3}, 4, '<span class="ga-inline">20 weeks + 3 days</span>'),
        ({"weeks": 25, "days": 1}, None, '<span class="ga-inline">25 weeks + 1 day</span>'),  # not "1 days"
        ({"weeks": 25, "days": 0}, None, '<span class="ga-inline">25 weeks + 0 days</span>'),
        (None, 0, '<span class="pp-inline">Postpartum day 0</span>'),
        (None, None, '<span class="muted">—</span>'),
    ],
)
def test_ga_inline(ga, postpartum_day, expected):
    assert (
        render("{% ga_inline ga=g postpartum_day=d %}", g=ga, d=postpartum_day, postpartum_day=9) == expected
    )
    # postpartum_day not given: the context's
    assert render("{% ga_inline ga=g %}", g=ga, postpartum_day=postpartum_day) == expected


def test_ga_inline_in_chinese():
    with translation.override("zh-hans"):
        assert (
            render("{% ga_inline ga=g %}", g={"weeks": 38, "days": 0})
            == '<span class="ga-inline">孕 38 周 + 0 天</span>'
        )
        assert render("{% ga_inline ga=None postpartum_day=12 %}").startswith('<span class="pp-inline">')


def test_the_markup_kept_per_process_follows_the_language_of_each_render():
    """The tags keep their markup per combination of values and language (``_badges``, ``_ga``,
    ``_postpartum``): the same woman in English, then Chinese, then English again."""
    pregnancy = Pregnancy(risk_color="red", purple=True)
    source = (
        "{% grade_badges pregnancy=p provisional=False %}|{% ga_inline ga=g %}"
        "|{% ga_inline ga=None postpartum_day=3 %}"
    )
    context = {"p": pregnancy, "g": {"weeks": 31, "days": 2}}
    english = render(source, **context)
    with translation.override("zh-hans"):
        chinese = render(source, **context)
    assert english == (
        '<span class="badge badge-red">Red</span> <span class="badge badge-purple">Purple</span>'
        '|<span class="ga-inline">31 weeks + 2 days</span>|<span class="pp-inline">Postpartum day 3</span>'
    )
    assert "红色" in chinese and "孕 31 周 + 2 天" in chinese and chinese != english
    assert render(source, **context) == english


# The worklist row as template markup, before ``{% worklist_row %}`` replaced it.
ROW_TEMPLATE = """{% load i18n grades %}{% with p=row.pregnancy %}
    <tr class="{% if row.overdue %}row-overdue{% endif %}">
      <td class="cell-grade">{% grade_badges pregnancy=p provisional=False %}</td>
      <td class="cell-strong cell-woman">
        <a href="{{ row.url }}">{{ p.patient.name }}</a>
        <span class="cell-sub mono">{{ p.patient.record_number }}</span>
        {% if row.elsewhere %}<span class="cell-sub">{% blocktranslate trimmed with facility=p.managing_facility.name %}Managed at {{ facility }}{% endblocktranslate %}</span>{% endif %}
      </td>
      <td class="num">{{ row.age|default_if_none:"—" }}</td>
      <td class="nowrap">{% ga_inline ga=row.ga postpartum_day=row.postpartum_day %}</td>
      <td class="mono nowrap">{{ p.edd|date:"Y-m-d"|default:"—" }}</td>
      <td class="nowrap">{% if p.next_visit_date %}<span class="mono">{{ p.next_visit_date|date:"Y-m-d" }}</span>{% if row.overdue %}<span class="cell-sub"><span class="tag tag-overdue">{% translate "Overdue" %}</span></span>{% endif %}{% else %}<span class="muted">—</span>{% endif %}</td>
      <td class="num">{% if p.open_tasks %}<span class="tag tag-flag">{{ p.open_tasks }}</span>{% else %}<span class="muted">0</span>{% endif %}</td>
    </tr>
  {% endwith %}"""  # noqa: E501


def _squeezed(html: str) -> str:
    """Whitespace between and inside tags does not show: compare without it."""
    import re

    return re.sub(r">\s+", ">", re.sub(r"\s+<", "<", re.sub(r"\s+", " ", html))).strip()


def test_worklist_row_is_the_template_row_it_replaced():
    import datetime as dt

    from cases.models import Patient
    from facilities.models import Facility

    facility = Facility(name_zh="县人民医院", name_en="County People's Hospital")
    rows = []
    for n, (fields, extra) in enumerate(
        [
            (
                {"risk_color": "red", "purple": True, "next_visit_date": dt.date(2026, 11, 20)},
                {"overdue": True},
            ),
            ({"risk_color": "", "edd": None, "next_visit_date": None}, {"age": None, "ga": None}),
            ({"risk_color": "yellow", "risk_proposed_color": "orange", "edd": dt.date(2027, 3, 1)}, {}),
            ({"risk_color": "green", "next_visit_date": dt.date(2026, 12, 2)}, {"elsewhere": True}),
            ({"risk_color": "orange"}, {"ga": None, "postpartum_day": 5}),
        ]
    ):
        pregnancy = Pregnancy(id=n, **{"edd": dt.date(2027, 1, 9), **fields})
        pregnancy.patient = Patient(name=f"<b>王{n}</b>", record_number=f"MS-{n:04d}")
        pregnancy.managing_facility = facility
        pregnancy.open_tasks = n % 3
        rows.append(
            {
                "pregnancy": pregnancy,
                "url": f"/cases/pregnancies/{n}/?a=1&b=2",
                "age": 30 + n,
                "ga": {"weeks": 30 + n, "days": n},
                "postpartum_day": None,
                "overdue": False,
                "elsewhere": False,
                **extra,
            }
        )
    template = engines["django"].from_string(ROW_TEMPLATE)
    for language in ("en", "zh-hans"):
        with translation.override(language):
            for row in rows:
                new = render("{% load rows %}{% worklist_row row %}", row=row)
                assert _squeezed(new) == _squeezed(template.render({"row": row})), (language, row)
            # the page writes them all with one tag
            every = render("{% load rows %}{% worklist_rows rows %}", rows=rows)
            assert _squeezed(every) == _squeezed("".join(template.render({"row": row}) for row in rows))
    first = render("{% load rows %}{% worklist_row row %}", row=rows[0])
    assert "&lt;b&gt;王0&lt;/b&gt;" in first and "?a=1&amp;b=2" in first  # escaped as the template escaped


# A visit of the case timeline as template markup, before ``{% timeline_visit %}`` replaced it.
VISIT_TEMPLATE = """{% load i18n %}{% with o=item.object %}
  <li class="timeline__item timeline__item--{{ item.kind }}">
    <p class="timeline__when"><span class="mono">{{ item.at|date:"Y-m-d H:i" }}</span>{% if item.ga %} <span class="timeline__ga">{% blocktranslate trimmed count days=item.ga.days with weeks=item.ga.weeks %}{{ weeks }} weeks + {{ days }} day{% plural %}{{ weeks }} weeks + {{ days }} days{% endblocktranslate %}</span>{% endif %}</p>
    <div class="timeline__body">
      <p class="timeline__title">{{ o.get_kind_display }} <span class="muted small">{{ o.facility.name }}{% if o.clinician %} · {{ o.clinician.name }}{% endif %}</span></p>
      {% if item.summary %}<p class="timeline__summary">{% for part in item.summary %}<span class="nowrap">{{ part }}</span>{% if not forloop.last %} · {% endif %}{% endfor %}</p>{% endif %}
      {% if o.unusual_confirmed %}<p class="small"><span class="tag tag-flag">{% translate "Unusual values confirmed" %}</span></p>{% endif %}
      {% if o.notes %}<p class="timeline__notes">{{ o.notes|linebreaksbr }}</p>{% endif %}
      {% if o.next_visit_date %}<p class="small muted">{% blocktranslate trimmed with date=o.next_visit_date|date:"Y-m-d" %}Next visit: {{ date }}{% endblocktranslate %}</p>{% endif %}
    </div>
  </li>
  {% endwith %}"""  # noqa: E501


def test_timeline_visit_is_the_template_markup_it_replaced():
    import datetime as dt

    from accounts.models import User
    from cases.models import Visit
    from facilities.models import Facility

    facility = Facility(name_zh="乡镇卫生院", name_en="Township health centre")
    midwife = User(username="m", display_name="<i>李</i>")
    late_evening = dt.datetime(2026, 11, 26, 17, 30, tzinfo=dt.UTC)  # 01:30 the next day in Beijing
    visits = [
        (
            {
                "kind": "antenatal",
                "notes": "Headache\nsince <morning>",
                "next_visit_date": dt.date(2026, 12, 3),
            },
            {"summary": ["BP 150/95", "P 88"], "ga": {"weeks": 34, "days": 2}},
            midwife,
        ),
        ({"kind": "postpartum", "unusual_confirmed": ["sbp_mmhg"]}, {"summary": [], "ga": None}, None),
        ({"kind": "emergency"}, {"summary": ["SpO2 91%"], "ga": {"weeks": 39, "days": 0}}, midwife),
    ]
    template = engines["django"].from_string(VISIT_TEMPLATE)
    for fields, extra, clinician in visits:
        visit = Visit(visited_at=late_evening, **fields)
        visit.facility = facility
        visit.clinician = clinician
        item = {"kind": "visit", "at": late_evening, "object": visit, **extra}
        for language in ("en", "zh-hans"):
            with translation.override(language):
                new = render("{% load rows %}{% timeline_visit item %}", item=item)
                assert _squeezed(new) == _squeezed(template.render({"item": item})), (language, fields)
        assert "2026-11-27 01:30" in new  # local time (Asia/Shanghai)
    noted = Visit(**visits[0][0])
    noted.facility = facility
    first = render("{% load rows %}{% timeline_visit item %}", item={**item, "object": noted})
    assert "since &lt;morning&gt;" in first and "Headache<br>" in first


# The partials that ``{% risk_badges %}`` and ``{% urgency_badge %}`` replaced on list rows.
RISK_BADGES_PARTIAL = (
    '{% load i18n %}{% if pregnancy.risk_color %}<span class="badge badge-{{ pregnancy.risk_color }}">'
    "{{ pregnancy.get_risk_color_display }}</span>{% endif %}{% if pregnancy.purple %} "
    '<span class="badge badge-purple">{% translate "Purple" %}</span>{% endif %}'
)
URGENCY_PARTIAL = (
    '{% load i18n %}<span class="mdt-urgency mdt-urgency--{{ consult.urgency }}" '
    'title="{{ consult.get_urgency_display }}">{% if consult.urgency == "emergency" %}'
    '{% translate "Emergency" %}{% elif consult.urgency == "routine" %}{% translate "Routine · 24 h" %}'
    '{% else %}{% translate "MDT clinic" %}{% endif %}</span>'
)


def test_risk_and_urgency_badges_are_the_partials_they_replaced():
    from consults.choices import ConsultUrgency
    from consults.models import Consult

    risk = engines["django"].from_string(RISK_BADGES_PARTIAL)
    urgency = engines["django"].from_string(URGENCY_PARTIAL)
    for language in ("en", "zh-hans"):
        with translation.override(language):
            for color in ("", "green", "yellow", "orange", "red"):
                for purple in (False, True):
                    pregnancy = Pregnancy(risk_color=color, purple=purple)
                    assert render("{% risk_badges p %}", p=pregnancy) == risk.render({"pregnancy": pregnancy})
            for value, _label in ConsultUrgency.choices:
                consult = Consult(urgency=value)
                new = render("{% load consult_tags %}{% urgency_badge c %}", c=consult)
                assert new == urgency.render({"consult": consult}), (language, value)
    assert render("{% risk_badges p %}", p=Pregnancy()) == ""


# The whole case timeline as template markup (cases/partials/timeline.html), before ``{% case_timeline %}``
# replaced it; its visits were already ``{% timeline_visit %}`` (compared above).
TIMELINE_TEMPLATE = """{% load i18n rows %}{% if timeline %}
<ol class="timeline">
  {% for item in timeline %}{% if item.kind == "visit" %}{% timeline_visit item %}{% else %}{% with o=item.object %}
  <li class="timeline__item timeline__item--{{ item.kind }}">
    <p class="timeline__when"><span class="mono">{{ item.at|date:"Y-m-d H:i" }}</span>{% if item.ga %} <span class="timeline__ga">{% blocktranslate trimmed count days=item.ga.days with weeks=item.ga.weeks %}{{ weeks }} weeks + {{ days }} day{% plural %}{{ weeks }} weeks + {{ days }} days{% endblocktranslate %}</span>{% endif %}</p>
    <div class="timeline__body">
    {% if item.kind == "dating" %}
      <p class="timeline__title">{% blocktranslate trimmed with method=o.get_method_display %}Dating: {{ method }}{% endblocktranslate %}
        {% if o.adopted %}<span class="tag tag-ok">{% translate "Adopted as the EDD" %}</span>{% else %}<span class="tag">{% translate "Not adopted" %}</span>{% endif %}</p>
      <p class="timeline__summary"><span class="nowrap">{% blocktranslate trimmed with edd=o.computed_edd|date:"Y-m-d" %}EDD by this dating: {{ edd }}{% endblocktranslate %}</span>{% if o.scan_date and item.scan_ga %} · <span class="nowrap">{% blocktranslate trimmed count days=item.scan_ga.days with date=o.scan_date|date:"Y-m-d" weeks=item.scan_ga.weeks %}Scan on {{ date }} at {{ weeks }} weeks + {{ days }} day{% plural %}Scan on {{ date }} at {{ weeks }} weeks + {{ days }} days{% endblocktranslate %}</span>{% endif %}{% if o.crl_mm %} · <span class="nowrap">CRL {{ o.crl_mm }} mm</span>{% endif %}</p>
      {% if o.reason %}<p class="small muted">{% blocktranslate trimmed with reason=o.reason %}Reason: {{ reason }}{% endblocktranslate %}</p>{% endif %}
    {% elif item.kind == "delivery" %}
      <p class="timeline__title">{% blocktranslate trimmed with mode=o.get_mode_display %}Delivery: {{ mode }}{% endblocktranslate %} <span class="muted small">{% if o.facility %}{{ o.facility.name }}{% else %}{% translate "Born outside a health facility" %}{% endif %}</span></p>
      <p class="timeline__summary">{% if o.blood_loss_ml is not None %}{% blocktranslate trimmed with ml=o.blood_loss_ml %}Blood loss {{ ml }} mL{% endblocktranslate %}{% endif %}{% if item.complications %} · {{ item.complications|join:", " }}{% endif %}</p>
      <ul class="newborns">
        {% for baby in o.newborns.all %}
        <li><strong>{% blocktranslate trimmed with n=baby.order %}Baby {{ n }}{% endblocktranslate %}</strong> · {{ baby.get_outcome_display }}{% if baby.sex %} · {{ baby.get_sex_display }}{% endif %}{% if baby.weight_g %} · {{ baby.weight_g }} g{% endif %}{% if baby.apgar_1 is not None or baby.apgar_5 is not None %} · Apgar {{ baby.apgar_1|default_if_none:"–" }}/{{ baby.apgar_5|default_if_none:"–" }}{% endif %}</li>
        {% endfor %}
      </ul>
      {% if o.discharged_at %}<p class="small muted">{% blocktranslate trimmed with time=o.discharged_at|date:"Y-m-d H:i" %}Discharged: {{ time }}{% endblocktranslate %}</p>{% endif %}
    {% elif item.kind == "near_miss" %}
      <p class="timeline__title timeline__title--danger">{% translate "Maternal near miss" %}</p>
      <p class="timeline__summary">{{ item.criteria|join:" · " }}</p>
    {% elif item.kind == "death" %}
      <p class="timeline__title timeline__title--danger">{% if o.is_late %}{% translate "Late maternal death" %}{% else %}{% translate "Maternal death" %}{% endif %}</p>
      <p class="timeline__summary">{{ o.cause }}{% if o.icd10 %} <span class="mono">({{ o.icd10 }})</span>{% endif %}</p>
    {% endif %}
    </div>
  </li>
  {% endwith %}{% endif %}{% endfor %}
</ol>
{% else %}
<p class="muted">{% translate "Nothing recorded yet." %}</p>
{% endif %}"""  # noqa: E501


def _timeline_items():
    import datetime as dt
    from decimal import Decimal

    from cases.models import Delivery, MaternalDeath, Newborn, PregnancyDating, Visit
    from facilities.models import Facility

    facility = Facility(name_zh="县医院 <b>", name_en="County & Hospital")
    at = dt.datetime(2026, 11, 26, 17, 30, tzinfo=dt.UTC)  # 01:30 the next day in Beijing
    adopted = PregnancyDating(
        method="ultrasound",
        adopted=True,
        computed_edd=dt.date(2027, 5, 1),
        scan_date=dt.date(2026, 10, 2),
        crl_mm=Decimal("45.5"),
        reason="LMP <unsure> & irregular",
    )
    plain = PregnancyDating(method="lmp", adopted=False, computed_edd=dt.date(2027, 5, 9))
    delivery = Delivery(
        pk=1,
        mode="caesarean_emergency",
        blood_loss_ml=1500,
        delivered_at=at,
        discharged_at=at,
    )
    delivery.facility = facility
    delivery._prefetched_objects_cache = {
        "newborns": [
            Newborn(order=1, outcome="live_birth", sex="female", weight_g=3250, apgar_1=8, apgar_5=9),
            Newborn(order=2, outcome="stillbirth", apgar_1=None, apgar_5=0),
            Newborn(order=3, outcome="neonatal_death", sex="undetermined", weight_g=1250),
        ]
    }
    at_home = Delivery(pk=2, mode="spontaneous_vaginal", blood_loss_ml=None, delivered_at=at)
    at_home.facility = None
    at_home._prefetched_objects_cache = {"newborns": []}
    zero_loss = Delivery(pk=3, mode="spontaneous_vaginal", blood_loss_ml=0, delivered_at=at)
    zero_loss.facility = facility
    zero_loss._prefetched_objects_cache = {"newborns": []}
    visit = Visit(visited_at=at, kind="antenatal", notes="<b>x</b>")
    visit.facility, visit.clinician = facility, None
    return [
        {
            "kind": "visit",
            "at": at,
            "object": visit,
            "summary": ["BP 150/95"],
            "ga": {"weeks": 34, "days": 2},
        },
        {"kind": "dating", "at": at, "object": adopted, "scan_ga": {"weeks": 12, "days": 3}},
        {"kind": "dating", "at": at, "object": plain, "scan_ga": None},
        {
            "kind": "dating",
            "at": at,
            "object": PregnancyDating(
                method="estimate", computed_edd=dt.date(2027, 1, 1), scan_date=dt.date(2026, 10, 2)
            ),
            "scan_ga": None,
        },
        {
            "kind": "delivery",
            "at": at,
            "object": delivery,
            "ga": {"weeks": 36, "days": 1},
            "complications": ["Severe postpartum haemorrhage", "<Eclampsia> & more"],
        },
        {"kind": "delivery", "at": at, "object": at_home, "ga": None, "complications": []},
        {"kind": "delivery", "at": at, "object": zero_loss, "ga": None, "complications": ["A"]},
        {"kind": "near_miss", "at": at, "object": None, "criteria": ["Acute cyanosis", "Shock <x>"]},
        {"kind": "near_miss", "at": at, "object": None, "criteria": []},
        {
            "kind": "death",
            "at": at,
            "object": MaternalDeath(cause="Amniotic fluid embolism <AFE>", icd10="O88.1"),
        },
        {"kind": "death", "at": at, "object": MaternalDeath(cause="Cardiomyopathy", is_late=True)},
    ]


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "UTC"])
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_case_timeline_is_the_template_markup_it_replaced(language, zone):
    from django.utils import timezone

    template = engines["django"].from_string(TIMELINE_TEMPLATE)
    items = _timeline_items()
    with translation.override(language), timezone.override(zone):
        for shown in (items, [], items[:1], items[1:2], items[4:]):
            new = engines["django"].from_string("{% load rows %}{% case_timeline t %}").render({"t": shown})
            assert visible(new) == visible(template.render({"timeline": shown})), shown
            if shown is items:
                everything = new
    # The cases show what varies (so an empty pair could not pass): escaped text, local time, the parts.
    for part in (
        "LMP &lt;unsure&gt; &amp; irregular",
        "45.5 mm",
        "3250 g",
        "Apgar –/0",
        "&lt;Eclampsia&gt;",
        "(O88.1)",
        "Shock &lt;x&gt;",
        "timeline__item--near_miss",
        '<ul class="newborns"></ul>',
    ):
        assert part in everything, part
    with translation.override(language):
        empty = engines["django"].from_string("{% load rows %}{% case_timeline t %}").render({"t": []})
        assert empty == '<p class="muted">' + translation.gettext("Nothing recorded yet.") + "</p>"
    assert ("2026-11-27 01:30" if zone == "Asia/Shanghai" else "2026-11-26 17:30") in everything
