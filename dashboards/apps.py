from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardsConfig(AppConfig):
    """Indicators for administrators and supervisors, read from counters that triggers keep current."""

    name = "dashboards"
    verbose_name = _("Dashboards")
