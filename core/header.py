"""The header of every signed-in page (brand, alert bell, user card, language switch, sign-out,
navigation) built in Python: ``{% app_header %}`` and ``{% language_switch %}``
(``core/templatetags/shell.py``) and the bell's fragment (``notifications:bell``).

As template markup (``base.html`` with three includes and the navigation loop) the header cost about a
tenth of a case page's Python time, on every page of every user (issue #9). The markup and the
translated strings are those of the template markup it replaced; ``tests/core/test_app_header.py``
renders both, signed in and out, with and without the inbox's bell figures, in both languages, with
text that needs escaping. Values are escaped by ``escape_text``; markup is written only here.
"""

from django.templatetags.static import static
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext, ngettext

from core.ids import id_url
from core.markup import csrf_input, escape_text

# The bell's icon.
_BELL_ICON = (
    '<svg class="bell__icon" viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" focusable="false">'
    '<path fill="currentColor" d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-'
    '6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2Z"/></svg>'
)


# More unread items than this show as "99+" (the exact number in data-unread and for screen readers).
BELL_COUNT_SHOWN = 99


def alert_bell(bell: dict | None, poll_seconds=None) -> str:
    """The alert bell (also the fragment ``notifications:bell`` returns to static/js/bell.js). Without
    ``bell`` (the unread figures: every page but the inbox) it shows no count and the script fetches it."""
    unread = bell.get("unread") if bell else None
    loud = bell.get("loud") if bell else None
    classes = "bell" + (" bell--unread" if unread else "") + (" bell--loud" if loud else "")
    data = f' data-bell-interval="{escape_text(poll_seconds)}"' if poll_seconds else ""
    if bell:
        data += f' data-unread="{escape_text(unread)}" data-loud="{escape_text(loud)}"'
    if loud:
        title = ngettext("%(counter)s urgent alert waiting", "%(counter)s urgent alerts waiting", loud) % {
            "counter": loud
        }
    else:
        title = gettext("Alerts")
    count = ""
    if bell:
        zero = "" if unread else " bell__count--zero"
        unread_label = escape_text(gettext("unread:"))
        if unread > BELL_COUNT_SHOWN:
            # a four-digit count in the header says nothing more than "many"; the exact figure is read out
            number = (
                f'<span class="visually-hidden">{escape_text(unread)}</span>'
                f'<span aria-hidden="true">{BELL_COUNT_SHOWN}+</span>'
            )
        else:
            number = escape_text(unread)
        count = (
            f'<span class="bell__count{zero}"><span class="visually-hidden">{unread_label}'
            f" </span>{number}</span>"
        )
        if loud:
            urgent = ngettext("%(counter)s urgent", "%(counter)s urgent", loud) % {"counter": loud}
            count += f'<span class="visually-hidden">{escape_text(urgent)}</span>'
    alerts = escape_text(gettext("Alerts"))
    return mark_safe(  # noqa: S308 - every value escaped by escape_text
        f'<a id="bell" class="{classes}" href="{id_url("notifications:inbox")}" '
        f'data-bell-url="{id_url("notifications:bell")}"{data} title="{escape_text(title)}">'
        f'{_BELL_ICON}<span class="bell__label">{alerts}</span>{count}</a>'
    )


def _user_card(user, role_labels) -> str:
    place = user.facility or user.region
    roles = "".join(f'<span class="user-card__role">{escape_text(label)}</span>' for label in role_labels)
    return (
        f'<div class="user-card"><span class="user-card__name">{escape_text(user.name)}</span>'
        f'<span class="user-card__meta">{escape_text(place.name) if place else ""} {roles}</span></div>'
    )


def _language_switch(request, csrf: str) -> str:
    """The two language buttons (also the sign-in pages' header, ``{% language_switch %}``)."""
    language = get_language()
    path = escape_text(request.get_full_path()) if request is not None else ""
    buttons = "".join(
        f'<button type="submit" name="language" value="{code}" lang="{lang}" '
        f'aria-pressed="{"true" if language == code else "false"}">{label}</button>'
        for code, lang, label in (("zh-hans", "zh-Hans", "中文"), ("en", "en", "English"))
    )
    language_label = escape_text(gettext("Language"))
    return (
        f'<form action="{id_url("set_language")}" method="post" class="lang-switch" '
        f'aria-label="{language_label}">{csrf}'
        f'<input type="hidden" name="next" value="{path}">{buttons}</form>'
    )


def _navigation(items) -> str:
    if not items:
        return ""
    current = ' aria-current="page"'
    links = "".join(
        f'<li><a href="{escape_text(item["url"])}" class="app-nav__link"'
        f"{current if item['current'] else ''}>{escape_text(item['label'])}</a></li>"
        for item in items
    )
    label = escape_text(gettext("Main navigation"))
    return f'<nav class="app-nav" aria-label="{label}"><ul>{links}</ul></nav>'


def language_switch(context) -> str:
    """The language buttons alone (the sign-in pages' header)."""
    return mark_safe(_language_switch(context.get("request"), csrf_input(context)))  # noqa: S308 - escaped


def app_header(context) -> str:
    """The header, from the template context (``core.context_processors.shell`` gives the navigation and
    the role labels, the inbox the bell's figures)."""
    user = context.get("user")
    signed_in = user is not None and user.is_authenticated
    csrf = csrf_input(context)
    tools = []
    if signed_in:
        tools.append(alert_bell(context.get("bell"), context.get("poll_seconds")))
        tools.append(_user_card(user, context.get("user_role_labels") or ()))
    tools.append(_language_switch(context.get("request"), csrf))
    if signed_in:
        sign_out = escape_text(gettext("Sign out"))
        tools.append(
            f'<form action="{id_url("accounts:logout")}" method="post" class="signout">{csrf}'
            f'<button type="submit" class="btn btn-ghost-light">{sign_out}</button></form>'
        )
    name, tagline = (
        escape_text(gettext("Maternal Safety")),
        escape_text(gettext("High-risk pregnancy network")),
    )
    return mark_safe(  # noqa: S308 - every value escaped by escape_text; the rest is markup written here
        '<header class="app-header"><div class="app-header__bar">'
        f'<a class="brand" href="{id_url("core:home")}">'
        f'<img class="brand__logo" src="{static("img/logo.svg")}" alt="" width="32" height="32">'
        f'<span class="brand__name">{name}</span><span class="brand__tagline">{tagline}</span></a>'
        f'<div class="app-header__tools">{"".join(tools)}</div></div>'
        f"{_navigation(context.get('nav_items'))}</header>"
    )
