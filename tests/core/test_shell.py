"""The base layout's header (``core.context_processors.shell``): which navigation link is the page shown
and the signed-in user's role labels, in the reader's language."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _current_links(html: str) -> list[str]:
    nav = html[html.index('class="app-nav"') :]
    return re.findall(r'<a href="([^"]+)" class="app-nav__link" aria-current="page">', nav)


def _card(html: str) -> str:
    return html[html.index('class="user-card"') : html.index("</div>", html.index('class="user-card"'))]


def test_the_page_shown_is_the_one_current_link(client, obstetrician, home_facility):
    client.force_login(obstetrician)
    for name in ("core:home", "facilities:directory", "facilities:staff"):
        url = reverse(name)
        assert _current_links(client.get(url).content.decode()) == [url]
    # A facility's own page belongs to the directory.
    detail = reverse("facilities:detail", args=[home_facility.external_id])
    assert _current_links(client.get(detail).content.decode()) == [reverse("facilities:directory")]
    # A page that is no navigation link marks none.
    history = reverse("risk:history", args=[_any_case(obstetrician)])
    assert _current_links(client.get(history).content.decode()) == []


def _any_case(user):
    from tests.factories import PregnancyFactory

    return PregnancyFactory(managing_facility=user.facility).external_id


def test_the_user_card_lists_her_roles_in_her_language(client, obstetrician, midwife):
    midwife.roles = ["midwife", "obstetrician"]
    midwife.save(update_fields=["roles"])
    client.force_login(midwife)
    card = _card(client.get(reverse("core:home"), HTTP_ACCEPT_LANGUAGE="en").content.decode())
    roles = re.findall(r'<span class="user-card__role">([^<]+)</span>', card)
    assert roles == ["Obstetrician", "Midwife / nurse"]
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    card = _card(client.get(reverse("core:home")).content.decode())
    assert "助产士" in card and '<span class="user-card__role">' in card
