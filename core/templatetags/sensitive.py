"""``{{ value|sensitive:request.user }}`` renders "Restricted" for users without ``view_sensitive``."""

from django import template

from core.sensitive import RESTRICTED_LABEL, redact

register = template.Library()


@register.filter(name="sensitive")
def sensitive_filter(value, user):
    return redact(value, user, placeholder=RESTRICTED_LABEL)
