"""``Authorization: Token <token>`` with expiry; tokens are stored as SHA-256 digests."""

import hashlib

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from .loading import user_by_token_digest


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ExpiringTokenAuthentication(authentication.TokenAuthentication):
    keyword = "Token"

    def authenticate_credentials(self, key: str):
        # One fixed statement for the token, its user, her facility and region (accounts.loading): this
        # runs on every API request. ``request.auth`` is the token's expiry.
        found = user_by_token_digest(token_digest(key))
        if found is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        user, expires_at = found
        if expires_at <= timezone.now():
            raise exceptions.AuthenticationFailed(_("The token has expired; request a new one."))
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return user, expires_at
