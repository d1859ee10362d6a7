"""The outbox: every alert is a row written in the same transaction as its cause."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel

from .choices import AlertKind, AlertStatus, Severity


class Alert(BaseModel):
    """One alert with one cause (``dedup_key``: the same cause never produces two alerts).

    The target is a user, or a role at a facility, resolved at delivery. ``due_at`` is when it must be
    delivered (now for immediate alerts, a deadline for reminders). Delivery, escalation and
    acknowledgement are the alerts issue's work; until then rows wait as ``pending``.
    """

    kind = models.CharField(_("kind"), max_length=40, choices=AlertKind.choices)
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, default=Severity.WARNING
    )
    status = models.CharField(
        _("status"), max_length=14, choices=AlertStatus.choices, default=AlertStatus.PENDING
    )
    dedup_key = models.CharField(_("cause"), max_length=200, unique=True)
    pregnancy = models.ForeignKey(
        "cases.Pregnancy",
        verbose_name=_("pregnancy"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="alerts",
    )
    facility = models.ForeignKey(
        "facilities.Facility",
        verbose_name=_("facility"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    region = models.ForeignKey(
        "facilities.Region",
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("for"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    target_role = models.CharField(_("for role"), max_length=32, blank=True)
    due_at = models.DateTimeField(_("due"))
    payload = models.JSONField(_("details"), default=dict, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        indexes = [
            # the delivery sweep: pending rows by due time
            models.Index(fields=["due_at"], name="alert_pending_due", condition=models.Q(status="pending")),
            models.Index(fields=["pregnancy", "kind"], name="alert_pregnancy_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display()})"
