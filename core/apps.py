from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """Shared foundations: base model, errors, API plumbing, request context. No domain models."""

    name = "core"
    verbose_name = _("Core")
