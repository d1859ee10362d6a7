"""The signed-in user with her facility and region, loaded on every request (session or API token).

One fixed statement (``core.rows.Joined``) instead of an ORM ``select_related``: the same instances,
without the query compiler's millisecond on every request (issue #9).
"""

from __future__ import annotations

import datetime as dt

from django.db import connection

from core.rows import Joined

from .models import ApiToken, User

_USER = Joined(User, "facility", "region")


def user_by_pk(pk) -> User | None:
    """``User.objects.select_related("facility", "region").filter(pk=pk).first()``."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    found = _USER.fetch("t0.id = %s", [pk])
    return found[0] if found else None


def user_by_token_digest(digest: str) -> tuple[User, dt.datetime] | None:
    """(the token's user with facility and region, the token's expiry) for a token digest, or None."""
    token_table = connection.ops.quote_name(ApiToken._meta.db_table)  # a name from the model, not input
    found = _USER.fetch(
        f"t0.id = (SELECT user_id FROM {token_table} WHERE digest = %s)",  # noqa: S608
        [digest],
        extra=[f"(SELECT expires_at FROM {token_table} WHERE digest = %s)"],  # noqa: S608
        extra_params=[digest],
    )
    if found is None:
        return None
    user, (expires_at,) = found
    return user, expires_at
