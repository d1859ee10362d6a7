from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """Shared foundations: base model, errors, API plumbing, request context. No domain models."""

    name = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from .timestamps import on_connection_created

        connection_created.connect(on_connection_created, dispatch_uid="core_c_timestamptz_loader")
