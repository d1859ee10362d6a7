from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    """Alerts as database rows (the outbox). Delivery, escalation and inboxes come with the alerts issue;
    this app already receives the rows other services write in their own transactions."""

    name = "notifications"
    verbose_name = _("Alerts and reminders")
