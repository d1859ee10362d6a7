"""Request context, security headers, and the page answer to a write conflict."""

import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme

from . import request_context
from .errors import WRITE_CONFLICT_MESSAGE, WRITE_CONFLICT_RETRY_AFTER, is_write_conflict

logger = logging.getLogger(__name__)


def client_ip(request: HttpRequest) -> str | None:
    """The client address. Behind the reverse proxy the first X-Forwarded-For hop is the client;
    the proxy must overwrite (not append to) a client-supplied header for this to be trustworthy."""
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        ctx = request_context.RequestContext(
            ip_address=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
            channel="api" if request.path.startswith("/api/") else "web",
        )
        token = request_context.set_current(ctx)
        try:
            response = self.get_response(request)
        finally:
            request_context.reset(token)
        response["X-Request-ID"] = ctx.request_id
        return response


class SecurityHeadersMiddleware:
    """Content-Security-Policy without inline scripts, on every response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response


class WriteConflictMiddleware:
    """A page whose write the database refused because of a concurrent one (deadlock, serialization
    failure: ``core.errors.is_write_conflict``) answers 503 with a page that says nothing was saved and to
    try again, instead of the server error page. The API answers the same in its own error shape
    (``core.api.exceptions``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_write_conflict(exception):
            return None
        logger.warning("write conflict answered 503 on %s: %s", request.path, exception)
        # the page the write came from (a form keeps what was typed when the browser goes back to it)
        back = request.META.get("HTTP_REFERER", "")
        if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
            back = ""
        context = {"message": WRITE_CONFLICT_MESSAGE, "back": back}
        response = TemplateResponse(request, "503.html", context, status=503)
        response["Retry-After"] = WRITE_CONFLICT_RETRY_AFTER
        return response.render()
