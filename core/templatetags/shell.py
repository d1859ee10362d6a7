"""``{% app_header %}`` and ``{% language_switch %}``: the page header built in Python (``core.header``)."""

from django import template

from core import header

register = template.Library()
register.simple_tag(header.app_header, takes_context=True, name="app_header")
register.simple_tag(header.language_switch, takes_context=True, name="language_switch")
