"""What the parts of pages built in Python share (``core.header``, ``cases.templatetags.rows`` and
``case_page``, ``consults.templatetags.consult_tags``): escaping as the template engine escapes, and the
CSRF field as ``{% csrf_token %}`` writes it."""

import html

from django.utils.safestring import SafeData


def escape_text(value) -> str:
    """``value`` as HTML text: escaped unless it is already safe markup (``conditional_escape`` without
    its lazy-string wrapper: ``format_html`` for each part cost a third of the row tags' time)."""
    if isinstance(value, SafeData):
        return str(value)
    return html.escape(str(value))


def csrf_input(context) -> str:
    """What ``{% csrf_token %}`` renders from a template context: the hidden input, or nothing without a
    token."""
    token = context.get("csrf_token")
    if not token or token == "NOTPROVIDED":
        return ""
    return f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape_text(token)}">'
