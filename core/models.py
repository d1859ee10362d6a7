"""Abstract base for every domain model."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class BaseModel(models.Model):
    """Bigint primary key inside; a UUID ``external_id`` is what URLs and payloads show as ``id``.

    Internal integer keys never leave the server: they would reveal record counts and let a caller
    walk through records by guessing neighbours.
    """

    id = models.BigAutoField(primary_key=True)
    external_id = models.UUIDField(_("external id"), default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True
