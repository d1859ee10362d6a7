"""The application's error family.

Services raise these; the API exception handler and the HTML views map them to one response shape
``{"message": ..., "errors": {...}}`` and the right status code. Messages are translated.
"""

from typing import Any

from django.utils.translation import gettext_lazy as _


class ApplicationError(Exception):
    """A rule of the domain was not met. 400 unless a subclass says otherwise."""

    status_code = 400
    default_message = _("The request could not be processed.")

    def __init__(
        self, message: Any = None, *, errors: dict[str, list[str]] | None = None, extra: dict | None = None
    ) -> None:
        self.message = message if message is not None else self.default_message
        self.errors = errors or {}
        # Extra top-level keys of the error body (e.g. ``existing`` on a duplicate); documented per endpoint.
        self.extra = extra or {}
        super().__init__(str(self.message))


class ValidationFailed(ApplicationError):
    status_code = 400
    default_message = _("Some values are not valid.")


class NotFound(ApplicationError):
    """The object does not exist, or the actor may not know that it exists."""

    status_code = 404
    default_message = _("Not found.")


class PermissionDenied(ApplicationError):
    """The actor may see the object but not do this to it."""

    status_code = 403
    default_message = _("You do not have permission to do this.")


class Conflict(ApplicationError):
    status_code = 409
    default_message = _("This conflicts with the current state of the record.")


class InvalidTransition(Conflict):
    default_message = _("This step is not allowed in the record's current state.")


# The database's answer when two transactions changed the same rows in an order that cannot both commit:
# deadlock detected, serialization failure, lock not available. The database rolled the statement's
# transaction back, so nothing of the request's write was saved; trying again usually succeeds.
WRITE_CONFLICT_STATES = frozenset({"40P01", "40001", "55P03"})
WRITE_CONFLICT_MESSAGE = _(
    "Someone else was changing the same record at that moment, so nothing was saved. Please try again."
)
WRITE_CONFLICT_RETRY_AFTER = "1"


def is_write_conflict(exc: BaseException) -> bool:
    """Whether ``exc`` is the database refusing a write because of a concurrent one (Django wraps the
    driver's error: its SQLSTATE is on the cause)."""
    from django.db import OperationalError

    cause = exc.__cause__ if isinstance(exc, OperationalError) else None
    return getattr(cause, "sqlstate", None) in WRITE_CONFLICT_STATES
