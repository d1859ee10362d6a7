"""One error shape for the whole API: ``{"message": "...", "errors": {"field": ["..."]}}``."""

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import (
    WRITE_CONFLICT_MESSAGE,
    WRITE_CONFLICT_RETRY_AFTER,
    ApplicationError,
    is_write_conflict,
)

logger = logging.getLogger(__name__)


class ErrorSerializer(serializers.Serializer):
    """Documented error body (OpenAPI)."""

    message = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


def _flatten(detail: Any) -> dict[str, list[str]]:
    """DRF's nested error details as ``{"field": ["..."]}``; nested fields are dotted."""
    out: dict[str, list[str]] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, sub in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), sub)
        elif isinstance(value, list):
            if all(not isinstance(v, dict | list) for v in value):
                out.setdefault(prefix or "non_field_errors", []).extend(str(v) for v in value)
            else:
                for index, sub in enumerate(value):
                    walk(f"{prefix}.{index}" if prefix else str(index), sub)
        else:
            out.setdefault(prefix or "non_field_errors", []).append(str(value))

    walk("", detail)
    return out


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if is_write_conflict(exc):
        logger.warning("write conflict answered 503: %s", exc)
        return Response(
            {"message": str(WRITE_CONFLICT_MESSAGE), "errors": {}},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": WRITE_CONFLICT_RETRY_AFTER},
        )
    if isinstance(exc, ApplicationError):
        body = {
            "message": str(exc.message),
            "errors": {k: [str(m) for m in v] for k, v in exc.errors.items()},
        }
        return Response(body | exc.extra, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            detail=exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        message = _("Some values are not valid.")
    else:
        errors = {}
        detail = getattr(exc, "detail", None)
        message = str(detail) if detail is not None else _("The request could not be processed.")
    if response.status_code == status.HTTP_401_UNAUTHORIZED:
        message = str(getattr(exc, "detail", _("Authentication credentials were not provided.")))
    response.data = {"message": message, "errors": errors}
    return response
