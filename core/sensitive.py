"""Sensitive information: shown only to users whose role has ``view_sensitive``.

Infectious-disease details (the purple criteria), psychiatric history, drug use and
pregnancy-termination decisions show as "restricted" to everyone else — in pages, API, printouts,
exports, emails, SMS and calendar files. The purple flag itself stays visible to all who see the
woman. Every place that renders such a value goes through ``redact`` (Python), ``SensitiveField``
(API) or the ``sensitive`` template filter, so the rule lives here once.
"""

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

RESTRICTED = "restricted"  # the API value; stable, not translated
RESTRICTED_LABEL = _("Restricted")


def can_view_sensitive(user: Any) -> bool:
    from accounts.permissions import Action, has_action

    return has_action(user, Action.VIEW_SENSITIVE)


def redact(value: Any, user: Any, *, placeholder: Any = RESTRICTED) -> Any:
    """``value`` for users who may see sensitive details, ``placeholder`` for everyone else.

    Empty values stay empty: "nothing recorded" reveals nothing.
    """
    if value in (None, "", [], {}):
        return value
    return value if can_view_sensitive(user) else placeholder


@extend_schema_field(OpenApiTypes.STR)
class SensitiveField(serializers.Field):
    """Wraps another serializer field; outputs ``"restricted"`` to users without ``view_sensitive``."""

    def __init__(self, inner: serializers.Field, **kwargs: Any) -> None:
        self.inner = inner
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> Any:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        rendered = self.inner.to_representation(value)
        return redact(rendered, user)
