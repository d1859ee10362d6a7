"""Abstract base for every domain model."""

import uuid

from django.db import models
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

# (field, language) -> {value: label}: the choice labels of a field translated once per language.
_CHOICE_LABELS: dict[tuple, dict] = {}


class ChoiceLabels:
    """``get_<field>_display()`` from labels translated once per field and language.

    Django's own builds a dict of every choice on each call, hashing each lazy label, and hashing a lazy
    string translates it: a case page made some 460 ``gettext`` calls this way for its 46 labels, about
    a tenth of its time (issue #9). Same result, including a value that is not a choice (returned as it
    is); for fields whose choices are fixed in the code, as they are here."""

    def _get_FIELD_display(self, field):  # noqa: N802 - the name Django's ``get_<field>_display`` calls
        value = getattr(self, field.attname)
        key = (field, get_language())
        labels = _CHOICE_LABELS.get(key)
        if labels is None:
            labels = {
                make_hashable(choice): force_str(label, strings_only=True)
                for choice, label in field.flatchoices
            }
            _CHOICE_LABELS[key] = labels
        hashable = make_hashable(value)
        if hashable in labels:
            return labels[hashable]
        return force_str(value, strings_only=True)


class BaseModel(ChoiceLabels, models.Model):
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
