"""What the parts of pages built in Python share (``core.header``, ``cases.templatetags.rows`` and
``case_page``, ``consults.templatetags.consult_tags``, ``reminders.templatetags.followup_rows``): escaping
as the template engine escapes, the CSRF field as ``{% csrf_token %}`` writes it, and the active
language's ``gettext`` found once for a part that translates many messages."""

import html
from collections.abc import Callable

from django.conf import settings
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


def translator() -> Callable[[str], str]:
    """The ``gettext`` of the language active now, found once. ``django.utils.translation.gettext`` finds
    the active language in a context-local on every call (about 2 µs: some 70 calls a case page, issue
    #9); a function that translates many of its own messages binds this to the name ``gettext`` first
    (``gettext = translator()``), which is also the name makemessages looks for. Only for constant,
    non-empty messages without carriage returns and not marked safe: Django's ``gettext`` treats those
    alike (``tests/core/test_markup.py``)."""
    from django.utils.translation import trans_real

    active = getattr(trans_real._active, "value", None)
    if active is None:
        active = trans_real.translation(settings.LANGUAGE_CODE)
    return active.gettext
