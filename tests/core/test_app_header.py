"""The page header built in Python (``core.header``: ``{% app_header %}``, ``{% language_switch %}``, the
bell's fragment) is the template markup it replaced: ``base.html``'s header block with its three includes,
signed in and out, for a clinician, a supervisor of a region and a user of neither, with and without the
inbox's bell figures, with the current link, in both languages, with text and a path that need escaping."""

import re
from html import escape

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import engines
from django.test import RequestFactory
from django.utils import translation

from accounts.choices import Role
from core.header import alert_bell
from tests.factories import FacilityFactory, RegionFactory, UserFactory
from tests.markup import visible

pytestmark = pytest.mark.django_db

# Before the Python header: notifications/partials/bell.html (without its comment),
# core/partials/user_card.html and core/partials/language_switch.html, and base.html's header block.
BELL = """<a id="bell" class="bell{% if bell.unread %} bell--unread{% endif %}{% if bell.loud %} bell--loud{% endif %}" href="{% id_url 'notifications:inbox' %}"
   data-bell-url="{% id_url 'notifications:bell' %}"{% if poll_seconds %} data-bell-interval="{{ poll_seconds }}"{% endif %}{% if bell %} data-unread="{{ bell.unread }}" data-loud="{{ bell.loud }}"{% endif %}
   title="{% if bell.loud %}{% blocktranslate trimmed count counter=bell.loud %}{{ counter }} urgent alert waiting{% plural %}{{ counter }} urgent alerts waiting{% endblocktranslate %}{% else %}{% translate 'Alerts' %}{% endif %}">
  <svg class="bell__icon" viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" focusable="false"><path fill="currentColor" d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2Z"/></svg>
  <span class="bell__label">{% translate "Alerts" %}</span>
  {% if bell %}<span class="bell__count{% if not bell.unread %} bell__count--zero{% endif %}"><span class="visually-hidden">{% translate "unread:" %} </span>{{ bell.unread }}</span>{% if bell.loud %}<span class="visually-hidden">{% blocktranslate trimmed count counter=bell.loud %}{{ counter }} urgent{% plural %}{{ counter }} urgent{% endblocktranslate %}</span>{% endif %}{% endif %}
</a>"""  # noqa: E501
USER_CARD = """<div class="user-card">
  <span class="user-card__name">{{ user.name }}</span>
  <span class="user-card__meta">
    {% if user.facility %}{{ user.facility.name }}{% elif user.region %}{{ user.region.name }}{% endif %}
    {% for label in user_role_labels %}<span class="user-card__role">{{ label }}</span>{% endfor %}
  </span>
</div>"""
LANGUAGE_SWITCH = """{% get_current_language as LANGUAGE_CODE %}
<form action="{% id_url 'set_language' %}" method="post" class="lang-switch" aria-label="{% translate 'Language' %}">{% csrf_token %}
  <input type="hidden" name="next" value="{{ request.get_full_path }}">
  <button type="submit" name="language" value="zh-hans" lang="zh-Hans"{% if LANGUAGE_CODE == "zh-hans" %} aria-pressed="true"{% else %} aria-pressed="false"{% endif %}>中文</button>
  <button type="submit" name="language" value="en" lang="en"{% if LANGUAGE_CODE == "en" %} aria-pressed="true"{% else %} aria-pressed="false"{% endif %}>English</button>
</form>"""  # noqa: E501
HEADER = """  <header class="app-header">
    <div class="app-header__bar">
      <a class="brand" href="{% id_url 'core:home' %}">
        <img class="brand__logo" src="{% static 'img/logo.svg' %}" alt="" width="32" height="32">
        <span class="brand__name">{% translate "Maternal Safety" %}</span>
        <span class="brand__tagline">{% translate "High-risk pregnancy network" %}</span>
      </a>
      <div class="app-header__tools">
        {% if user.is_authenticated %}{% include "notifications/partials/bell.html" %}{% include "core/partials/user_card.html" %}{% endif %}
        {% include "core/partials/language_switch.html" %}
        {% if user.is_authenticated %}
        <form action="{% id_url 'accounts:logout' %}" method="post" class="signout">{% csrf_token %}
          <button type="submit" class="btn btn-ghost-light">{% translate "Sign out" %}</button>
        </form>
        {% endif %}
      </div>
    </div>
    {% if nav_items %}
    <nav class="app-nav" aria-label="{% translate 'Main navigation' %}">
      <ul>
        {% for item in nav_items %}
        <li><a href="{{ item.url }}" class="app-nav__link"{% if item.current %} aria-current="page"{% endif %}>{{ item.label }}</a></li>
        {% endfor %}
      </ul>
    </nav>
    {% endif %}
  </header>"""  # noqa: E501

_LOAD = "{% load i18n static links %}"
_OLD_HEADER = (
    HEADER.replace('{% include "notifications/partials/bell.html" %}', BELL)
    .replace('{% include "core/partials/user_card.html" %}', USER_CARD)
    .replace('{% include "core/partials/language_switch.html" %}', LANGUAGE_SWITCH)
)


def _render(markup: str, request, **context) -> str:
    return engines["django"].from_string(_LOAD + markup).render(context, request)


def _request(user, path='/cases/?q=<b>&page=2&x="1"'):
    request = RequestFactory().get(path)
    request.user = user
    return request


def _users():
    facility = FacilityFactory(name_zh="县医院 <b>&", name_en="County & <Hospital>")
    region = RegionFactory(code="450000", level="province", name_zh="广西", name_en="Guangxi")
    clinician = UserFactory(display_name='李医生 <script>"x"</script>', facility=facility)
    supervisor = UserFactory(
        facility=None, region=region, roles=[Role.REGIONAL_SUPERVISOR, Role.MDT_COORDINATOR, Role.AUDITOR]
    )
    nobody = UserFactory(facility=None, roles=[])
    return [AnonymousUser(), clinician, supervisor, nobody]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_header_is_the_template_markup_it_replaced(language):
    bells = [
        {},
        {"bell": {"unread": 0, "loud": 0}, "poll_seconds": 20},
        {"bell": {"unread": 3, "loud": 0}},
        {"bell": {"unread": 5, "loud": 2}, "poll_seconds": 20},
        {"bell": {"unread": 1, "loud": 1}},
    ]
    outputs = []
    with translation.override(language):
        for user in _users():
            for path in ("/", "/facilities/", '/cases/?q=<b>&page=2&x="1"'):
                for extra in bells:
                    request = _request(user, path)
                    old = visible(_render(_OLD_HEADER, request, **extra))
                    new = visible(_render("{% load shell %}{% app_header %}", request, **extra))
                    assert new == old, (user, path, extra)
                    outputs.append(new)
    assert len(outputs) == 4 * 3 * 5
    # The cases cover what varies: signed out, a current link, each bell state, roles, escaped text.
    seen = "".join(outputs)
    for part in (
        'aria-current="page"',
        "bell--loud",
        'data-unread="0"',
        "bell__count--zero",
        "user-card__role",
        "&lt;script&gt;",
        "County &amp; &lt;Hospital&gt;" if language == "en" else "县医院 &lt;b&gt;&amp;",
        "q=%3Cb%3E&amp;page=2&amp;x=%221%22",
        'class="signout"',
    ):
        assert part in seen, part
    assert sum('class="signout"' not in out for out in outputs) == 3 * 5  # the signed-out header


def test_the_header_shows_what_the_user_and_the_page_give(obstetrician):
    """Not only equal to the old markup: the parts that vary are there (so an empty pair cannot pass)."""
    with translation.override("en"):
        html = _render(
            "{% load shell %}{% app_header %}",
            _request(obstetrician, "/"),
            bell={"unread": 5, "loud": 2},
            poll_seconds=20,
        )
        # the facility's name in the language of the page (read outside the override, it was the name in
        # whatever language the worker's previous test left active: Chinese after some tests)
        facility_name = obstetrician.facility.name
    assert 'class="bell bell--unread bell--loud"' in html and 'data-bell-interval="20"' in html
    assert 'title="2 urgent alerts waiting"' in html
    assert facility_name == obstetrician.facility.name_en
    assert escape(facility_name) in html
    assert '<span class="user-card__role">Obstetrician</span>' in html
    assert '<a href="/" class="app-nav__link" aria-current="page">Home</a>' in html
    assert html.count('name="csrfmiddlewaretoken"') == 2 and 'name="next" value="/"' in html


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_bell_fragment_and_the_language_switch_are_the_markup_they_replaced(language):
    request = _request(AnonymousUser())
    with translation.override(language):
        for bell in (None, {"unread": 0, "loud": 0}, {"unread": 7, "loud": 0}, {"unread": 9, "loud": 3}):
            for poll in (None, 20):
                old = _render(BELL, request, bell=bell, poll_seconds=poll)
                assert visible(alert_bell(bell, poll)) == visible(old), (bell, poll)
        old = _render(LANGUAGE_SWITCH, request)
        assert visible(_render("{% load shell %}{% language_switch %}", request)) == visible(old)


@pytest.mark.parametrize(("unread", "shown"), [(99, "99"), (100, "99+"), (2841, "99+")])
def test_a_long_unread_count_shows_as_99_plus_and_is_read_out_whole(unread, shown):
    with translation.override("en"):
        html = alert_bell({"unread": unread, "loud": 0}, 20)
    count = re.search(r'<span class="bell__count">(.*)</span></a>', html).group(1)
    on_screen = re.sub(r'<span class="visually-hidden">[^<]*</span>', "", count)
    assert re.sub(r"<[^>]+>", "", on_screen) == shown
    # a screen reader hears the whole number; the script compares the exact figures
    read_out = re.sub(r'<span aria-hidden="true">[^<]*</span>', "", count)
    assert re.sub(r"<[^>]+>", "", read_out) == f"unread: {unread}"
    assert f'data-unread="{unread}"' in html
