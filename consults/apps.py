from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsultsConfig(AppConfig):
    """MDT consultations: request, scheduling across hospitals, opinions, decision, signatures, actions."""

    name = "consults"
    verbose_name = _("MDT consultations")
