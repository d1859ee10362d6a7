"""A referral of one pregnancy from one facility to another, with its clocks and its record."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cases.choices import RiskColor
from cases.models.copies import PregnancyFacilityCopy
from core.models import BaseModel

from .choices import Direction, Purpose, ReferralStatus, Transport, Urgency


class Referral(BaseModel, PregnancyFacilityCopy):
    """Requested → accepted / declined / cancelled / redirected; accepted → departed → arrived → completed.

    ``clinical_summary`` is the snapshot at departure prefilled from the case (colour and triggered
    criteria, latest vitals and early-warning score, treatments given). ``clock_started_at`` is when the
    first referral of a redirect chain was requested: the acceptance clock keeps running across
    redirects until someone accepts.
    """

    pregnancy = models.ForeignKey(
        "cases.Pregnancy", verbose_name=_("pregnancy"), on_delete=models.PROTECT, related_name="referrals"
    )
    from_facility = models.ForeignKey(
        "facilities.Facility",
        verbose_name=pgettext_lazy("referral", "from"),
        on_delete=models.PROTECT,
        related_name="referrals_out",
    )
    to_facility = models.ForeignKey(
        "facilities.Facility",
        verbose_name=pgettext_lazy("referral", "to"),
        on_delete=models.PROTECT,
        related_name="referrals_in",
    )
    direction = models.CharField(_("direction"), max_length=8, choices=Direction.choices)
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices)
    purpose = models.CharField(
        pgettext_lazy("referral", "purpose"), max_length=24, choices=Purpose.choices, default=Purpose.CARE
    )
    transfers_management = models.BooleanField(_("receiver becomes the managing facility"), default=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ReferralStatus.choices, default=ReferralStatus.REQUESTED
    )
    reason = models.TextField(_("reason"))
    # The rule "centres may not refuse" looks at her colour when she was referred, not at her colour
    # now: a later grade (up or down) does not change what the receiving centre was asked to take.
    risk_color_at_request = models.CharField(  # noqa: DJ001
        _("risk colour at the request"), max_length=10, choices=RiskColor.choices, null=True, blank=True
    )
    clinical_summary = models.JSONField(_("clinical summary at departure"), default=dict, blank=True)
    treatments_given = models.TextField(_("treatments given"), blank=True)
    discharge_summary = models.TextField(_("discharge summary (down-referral)"), blank=True)
    sending_clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sending clinician"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    sender_contact = models.CharField(_("sender's contact"), max_length=40, blank=True)
    transport = models.CharField(_("transport"), max_length=20, choices=Transport.choices, blank=True)
    escort = models.CharField(_("escort"), max_length=200, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    requested_at = models.DateTimeField(_("requested at"))
    clock_started_at = models.DateTimeField(_("acceptance clock started at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("accepted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("declined / cancelled / redirected at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=pgettext_lazy("referral", "closed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    close_reason = models.TextField(_("reason for declining, cancelling or redirecting"), blank=True)
    redirected_to = models.OneToOneField(
        "self",
        verbose_name=_("redirected to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="redirected_from",
    )
    departed_at = models.DateTimeField(_("departed at"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("arrived at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("completed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    return_findings = models.TextField(_("receiver's findings"), blank=True)
    return_treatment = models.TextField(_("treatment given by the receiver"), blank=True)
    return_disposition = models.TextField(_("disposition"), blank=True)
    return_recommendations = models.TextField(_("recommendations for the sender"), blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        indexes = [
            # inboxes: a facility's open incoming / outgoing referrals, most urgent first
            models.Index(fields=["to_facility", "status", "requested_at"], name="referral_incoming"),
            models.Index(fields=["from_facility", "status", "requested_at"], name="referral_outgoing"),
            # who may see a referral through her woman (``referrals_visible_to``)
            models.Index(fields=["pregnancy_managing_facility_id"], name="referral_woman_managed"),
            models.Index(
                fields=["pregnancy_follow_up_facility_id"],
                condition=Q(pregnancy_follow_up_facility_id__isnull=False),
                name="referral_woman_followed",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["pregnancy"],
                condition=Q(status__in=["requested", "accepted", "departed", "arrived"]),
                name="referral_one_open_per_pregnancy",
            ),
            models.CheckConstraint(
                condition=~Q(from_facility=models.F("to_facility")), name="referral_not_to_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.from_facility_id}→{self.to_facility_id} ({self.status})"


class ReferralComment(BaseModel):
    """The discussion thread between the two sides."""

    referral = models.ForeignKey(
        Referral, verbose_name=_("referral"), on_delete=models.CASCADE, related_name="comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT, related_name="+"
    )
    text = models.TextField(_("message"))

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("referral message")
        verbose_name_plural = _("referral messages")

    def __str__(self) -> str:
        return self.text[:40]
