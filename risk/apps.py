from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RiskConfig(AppConfig):
    """Five-colour catalogue (versioned data), grading engine, assessments, case management, reports,
    early-warning scores."""

    name = "risk"
    verbose_name = _("Risk grading")

    def ready(self) -> None:
        from . import receivers  # noqa: F401
