"""Writes for accounts: API tokens."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.choices import AuditAction
from audit.services import audit_record

from .authentication import token_digest
from .models import ApiToken, User


@transaction.atomic
def api_token_issue(*, actor: User) -> tuple[str, ApiToken]:
    """A fresh token for ``actor`` (the previous one stops working). The raw token is returned once
    and never stored."""
    raw = secrets.token_urlsafe(32)
    now = timezone.now()
    ApiToken.objects.filter(user=actor).delete()
    token = ApiToken.objects.create(
        digest=token_digest(raw),
        user=actor,
        created_at=now,
        expires_at=now + timedelta(hours=settings.API_TOKEN_TTL_HOURS),
    )
    audit_record(actor=actor, action=AuditAction.TOKEN_ISSUED)
    return raw, token
