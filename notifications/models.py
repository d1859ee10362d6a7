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
    # delivery and escalation
    claimed_until = models.DateTimeField(_("being delivered until"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    next_escalation_at = models.DateTimeField(_("escalates at"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    acknowledge_note = models.CharField(_("note"), max_length=1000, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        indexes = [
            # the delivery sweep: pending rows by due time
            models.Index(fields=["due_at"], name="alert_pending_due", condition=models.Q(status="pending")),
            models.Index(fields=["pregnancy", "kind"], name="alert_pregnancy_kind"),
            # the escalation sweep: delivered, unacknowledged rows by their next escalation time
            models.Index(
                fields=["next_escalation_at"],
                name="alert_escalation_due",
                condition=models.Q(status="delivered"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display()})"


class InboxItem(BaseModel):
    """One recipient of one alert: the alert is shown to her exactly once (unique per alert and user)."""

    alert = models.ForeignKey(Alert, verbose_name=_("alert"), on_delete=models.CASCADE, related_name="items")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="inbox_items",
    )
    level = models.PositiveSmallIntegerField(_("reached at escalation level"), default=0)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("inbox item")
        verbose_name_plural = _("inbox items")
        constraints = [models.UniqueConstraint(fields=["alert", "user"], name="inboxitem_once_per_user")]
        # the bell: a user's unread items
        indexes = [models.Index(fields=["user", "read_at"], name="inbox_user_unread")]

    def __str__(self) -> str:
        return f"{self.alert} → {self.user}"


class DeliveryAttempt(BaseModel):
    """Delivery of an alert to one recipient on one outside channel (e-mail, SMS), with retries.

    ``status`` is pending → sent, or failed (retried with backoff from ``next_attempt_at``) → sent.
    Whoever sends holds a lease (``claimed_until``, taken by a conditional UPDATE): the worker that
    creates the attempt holds it from creation, a sweep that retries it claims it first. A worker
    that dies holding it delays the attempt until the lease runs out; the sweep then takes it over.
    """

    alert = models.ForeignKey(
        Alert, verbose_name=_("alert"), on_delete=models.CASCADE, related_name="attempts"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="+"
    )
    channel = models.CharField(_("channel"), max_length=8)
    status = models.CharField(_("status"), max_length=8, default="pending")
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    claimed_until = models.DateTimeField(_("being sent until"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        constraints = [
            models.UniqueConstraint(fields=["alert", "user", "channel"], name="attempt_once_per_channel")
        ]
        indexes = [
            # the sweep's retry step: attempts not sent yet (few, however many were ever sent)
            models.Index(
                fields=["next_attempt_at"],
                name="attempt_unsent",
                condition=models.Q(status__in=["pending", "failed"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.status}"
