"""Django's ``i18n`` library, with ``{% translate "literal" %}`` rendered once per language.

``TEMPLATES`` maps the ``i18n`` label here (``maternal_safety/settings/base.py``), so ``{% load i18n %}``
in every template gets this library: all of Django's i18n tags and filters unchanged, except that a
``translate`` (or ``trans``) tag whose message is a string literal, without filters, with no context or a
literal one, keeps its rendered text per language and autoescape setting on the compiled node. Such a
tag renders the same text every time in a given language; Django resolves it afresh on each render
(a lazy translation object, a catalogue lookup, the current language read from an asgiref ``Local``,
escaping, ``%%`` restored): about a fifth of the case page's template time, with some fifty of them a page.

Anything with a variable part (``{% translate some_var %}``, a filter, a context from a variable) keeps
Django's node. ``makemessages`` finds the tags as before: their names and syntax are Django's.
The cache lives as long as the compiled template (the process, with the cached loader); catalogues are
read once per process too, so a new translation needs a restart either way.
"""

from django import template
from django.templatetags import i18n as django_i18n
from django.utils import translation

register = template.Library()
register.tags.update(django_i18n.register.tags)
register.filters.update(django_i18n.register.filters)


class ConstantTranslateNode(django_i18n.TranslateNode):
    """A ``TranslateNode`` whose output depends only on the active language and autoescape."""

    def __init__(self, node: django_i18n.TranslateNode) -> None:
        super().__init__(node.filter_expression, node.noop, node.asvar, node.message_context)
        self.rendered: dict[tuple[str | None, bool], str] = {}

    def render(self, context):
        key = (translation.get_language(), context.autoescape)
        try:
            value = self.rendered[key]
        except KeyError:
            value = self.rendered[key] = self._text(context)
        if self.asvar:
            context[self.asvar] = value
            return ""
        return value

    def _text(self, context) -> str:
        """What Django's node renders (with ``as``, what it puts in the context). The node itself is not
        changed for it: a compiled template is shared by the threads of a threaded server."""
        shown = super().render(context)
        return context[self.asvar] if self.asvar else shown


def _is_literal(expression) -> bool:
    """A string or number literal without filters (the parser keeps a literal ``context`` as a plain
    string, the message as a ``Variable`` without lookups)."""
    var = expression.var
    literal = isinstance(var, str) or (isinstance(var, template.Variable) and var.lookups is None)
    return literal and not expression.filters


@register.tag("translate")
@register.tag("trans")
def do_translate(parser, token):
    node = django_i18n.do_translate(parser, token)
    constant = _is_literal(node.filter_expression) and (
        node.message_context is None or _is_literal(node.message_context)
    )
    return ConstantTranslateNode(node) if constant else node
