"""Helpers shared by the case services."""

import datetime as dt

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.permissions import has_action
from core.errors import PermissionDenied, ValidationFailed

# A next-visit date further away than this is a typing error (year 2062 for 2026), never a plan.
NEXT_VISIT_HORIZON = dt.timedelta(days=366)


def require_action(actor, action: str) -> None:
    if not has_action(actor, action):
        raise PermissionDenied(_("Your role does not allow this."))


def require_facility(actor):
    if actor.facility_id is None:
        raise PermissionDenied(_("Only staff of a facility can do this."))
    return actor.facility


def next_record_number(prefix: str) -> str:
    """``MS2026000123`` (registrations) or ``TMP2026000124`` (emergency arrivals), from one sequence."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval('cases_record_number_seq')")
        (value,) = cursor.fetchone()
    return f"{prefix}{timezone.localdate().year}{value:07d}"


class Errors:
    """Collects field errors, then raises them together (a form shows every problem at once)."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, field: str, message) -> None:
        self.errors.setdefault(field, []).append(str(message))

    def raise_if_any(self, message=None) -> None:
        if self.errors:
            raise ValidationFailed(message, errors=self.errors)

    def __bool__(self) -> bool:
        return bool(self.errors)


def clean_text(value, *, max_length: int) -> str:
    """Strip, drop control characters (keep newlines and tabs), and refuse over-long text."""
    text = "".join(ch for ch in str(value or "") if ch in "\n\t" or ch.isprintable()).strip()
    if len(text) > max_length:
        raise ValueError(max_length)
    return text
