from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RemindersConfig(AppConfig):
    """Follow-up windows (antenatal visits, the postpartum visit, the 42-day check), their sweep by time,
    reminders to the woman, tracing and lost-to-follow-up proposals; and the time rules around a
    pregnancy that no single service owns (a needs-referral alert cleared by an open referral)."""

    name = "reminders"
    verbose_name = _("Follow-up reminders")

    def ready(self) -> None:
        from . import receivers  # noqa: F401
