"""Query parameters read by hand in list endpoints (the filters that are not a django-filter FilterSet)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.db import models
from django.utils.translation import gettext as _

from core.errors import ValidationFailed


def choice_list(params, name: str, choices: type[models.TextChoices]) -> list[str] | None:
    """The comma-separated values of query parameter ``name``, every one a value of ``choices``; ``None``
    when the parameter is absent or blank.

    An unknown value answers 400 naming the values that are allowed, rather than an empty page (a typo
    would read as "nothing to do") or a database error (PostgreSQL refuses a NUL byte in a text
    parameter, which a hand-parsed filter used to pass straight into the query)."""
    raw = params.get(name)
    if not raw:
        return None
    values = [value.strip() for value in raw.split(",") if value.strip()]
    allowed = set(choices.values)
    if not values or any(value not in allowed for value in values):
        raise ValidationFailed(
            errors={
                name: [
                    _("Unknown value. Give one or more of %(values)s, separated by commas.")
                    % {"values": ", ".join(choices.values)}
                ]
            }
        )
    return values


def search_text(params, name: str, *, max_length: int = 100) -> str:
    """The stripped free text of query parameter ``name`` (at most ``max_length`` characters; ``""`` when
    absent). A NUL character answers 400, as a form field would (PostgreSQL cannot compare with it)."""
    value = params.get(name, "").strip()[:max_length]
    try:
        ProhibitNullCharactersValidator()(value)
    except DjangoValidationError as exc:
        raise ValidationFailed(errors={name: exc.messages}) from exc
    return value
