from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FacilitiesConfig(AppConfig):
    """Regions (GB/T 2260), facilities with tier and critical-care designation, departments."""

    name = "facilities"
    verbose_name = _("Facilities")
