"""External identifiers: UUIDs in every URL and payload."""

import uuid
from typing import Any


def parse_uuid(value: Any) -> uuid.UUID | None:
    """The UUID in ``value``, or None when it is not one (callers answer 404, never 400 or 500)."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None
