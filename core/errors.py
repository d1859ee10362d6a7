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
