"""External identifiers: UUIDs in every URL and payload."""

import re
import uuid
from typing import Any

_UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_PLACEHOLDERS = [str(uuid.UUID(int=n)) for n in range(1, 4)]
_patterns: dict[tuple, list[str] | None] = {}


def parse_uuid(value: Any) -> uuid.UUID | None:
    """The UUID in ``value``, or None when it is not one (callers answer 404, never 400 or 500)."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


def id_url_maker(viewname: str):
    """``external_id`` → the URL of ``viewname`` (whose one argument is an external id), for the rows of a
    list: the pattern comes from ``id_url`` (reversed once per process), each row's id is put in its
    place without checking it again (the ids come from the database)."""
    placeholder = _PLACEHOLDERS[0]
    pattern = id_url(viewname, placeholder)
    return lambda external_id: pattern.replace(placeholder, str(external_id))


def id_url(viewname: str, *ids) -> str:
    """``reverse(viewname, args=ids)`` for a route whose arguments (none to three) are all external ids,
    from a pattern reversed once per process with placeholder ids for the name, the number of ids, the
    script prefix and the URL conf. ``reverse`` costs about 25 µs; a page reversed 20-30 links, every
    page the navigation's ten (issue #9). An id that is not a UUID (its text as the ``uuid`` path
    converter writes it) raises ``NoReverseMatch``, as ``reverse`` would."""
    from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse

    texts = []
    for value in ids:
        text = str(value)
        if not isinstance(value, uuid.UUID) and not _UUID_TEXT.fullmatch(text):
            raise NoReverseMatch(f"Reverse for {viewname!r} with arguments {ids!r} not found: not an id.")
        texts.append(text)
    key = (viewname, len(ids), get_script_prefix(), get_urlconf())
    if key not in _patterns:
        parts = None
        if len(ids) <= len(_PLACEHOLDERS):
            placeholders = _PLACEHOLDERS[: len(ids)]
            url = reverse(viewname, args=placeholders)
            split = re.split("(" + "|".join(placeholders) + ")", url) if ids else [url]
            # each placeholder once, in order: the literal parts around them are the pattern
            if split[1::2] == placeholders:
                parts = split[0::2]
        _patterns[key] = parts
    parts = _patterns[key]
    if parts is None:  # an unusual route (an id twice, more than three): reversed every time
        return reverse(viewname, args=texts)
    out = [parts[0]]
    for text, part in zip(texts, parts[1:], strict=True):
        out += (text, part)
    return "".join(out)
