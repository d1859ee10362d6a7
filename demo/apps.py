from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """Synthetic demo region (``seed_demo``). No models: it writes through the other apps' models."""

    name = "demo"
    verbose_name = _("Demo data")
