from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    """Women, pregnancies (episodes of care) and the access rules that protect them."""

    name = "cases"
    verbose_name = _("Cases")
