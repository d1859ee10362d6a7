from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    """Tiered referrals: state machine, acceptance and arrival clocks, grants that follow the woman."""

    name = "referrals"
    verbose_name = _("Referrals")
