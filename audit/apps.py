from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    """Append-only audit trail of every read and write of patient data, and of security events."""

    name = "audit"
    verbose_name = _("Audit")
