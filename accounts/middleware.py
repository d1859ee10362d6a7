"""The signed-in user, read once a request; the idle timeout slides with activity, written at most once a
minute per session."""

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import middleware as auth_middleware
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

SEEN_KEY = "_refreshed_at"


class SessionRefreshMiddleware:
    """Push a signed-in session's expiry back to ``SESSION_COOKIE_AGE`` from now, at most once every
    ``SESSION_REFRESH_SECONDS``.

    ``SESSION_SAVE_EVERY_REQUEST`` would do it on every request: a database write and a commit on every
    page a clinician opens, for an expiry that moves by seconds (issue #9). Here the session is marked
    modified only when its last refresh is older than the interval, and ``SessionMiddleware`` (listed
    before this one, so it sees the response after it) saves it: the idle timeout is the configured one
    to within the interval. Views that must not count as activity (the bell's polling) drop
    ``request.session``, and nothing is refreshed for them.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or settings.SESSION_COOKIE_NAME not in request.COOKIES or session.is_empty():
            return response
        now = int(time.time())
        if now - session.get(SEEN_KEY, 0) >= settings.SESSION_REFRESH_SECONDS:
            session[SEEN_KEY] = now  # marks the session modified: SessionMiddleware saves it
        return response


class AuthenticationMiddleware(auth_middleware.AuthenticationMiddleware):
    """Django's, except that ``request.user`` becomes the user herself once something has read it.

    Django leaves a ``SimpleLazyObject`` there for the whole request, and every attribute read through
    it (``user.roles`` in each permission check, ``user.facility`` and ``request.user`` in the
    templates: some 150 on a case page) goes through the proxy's failed ``__getattribute__`` and its
    ``__getattr__``. The user is still read lazily, at the first use, and only then: a request that
    never looks at her (static files, the health check) reads no session and no user row.
    """

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)

        def read() -> object:
            user = auth_middleware.get_user(request)
            request.user = user
            return user

        request.user = SimpleLazyObject(read)
