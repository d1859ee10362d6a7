"""Comparing markup built in Python with the template markup it replaced (the header, the case page's tags,
the timeline): what a reader sees must be the same, whitespace aside."""

import re

_CSRF_TOKEN = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+"')


def visible(html: str) -> str:
    """``html`` without the whitespace that does not show: runs of it are one space, none between two
    tags, none just after a start tag; a space between text and a tag stays (a title and its tag, the
    user card's place and roles). CSRF tokens (masked afresh on every render) read ``token``."""
    html = re.sub(r"\s+", " ", _CSRF_TOKEN.sub(r'\1token"', html)).strip()
    return re.sub(r"> <", "><", re.sub(r"(<[a-z][^<>]*>) ", r"\1", html))
