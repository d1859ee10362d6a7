"""``{% id_url 'app:name' id … %}``: ``{% url %}`` for routes whose arguments are external ids, from a
pattern reversed once per process (``core.ids.id_url``)."""

from django import template

from core.ids import id_url as _id_url

register = template.Library()


@register.simple_tag(name="id_url")
def id_url(viewname: str, *ids) -> str:
    return _id_url(viewname, *ids)
