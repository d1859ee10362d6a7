"""MDT consultations: the request, the invitations, opinions, the decision with its signatures,
action items, and addenda to a concluded (immutable) record."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.models.copies import PregnancyFacilityCopy
from core.models import BaseModel
from facilities.choices import Specialty

from .choices import ActionStatus, Attendance, ConsultStatus, ConsultUrgency, DecisionKind, InvitationStatus


class Consult(BaseModel, PregnancyFacilityCopy):
    """One MDT consultation about one pregnancy, run by a coordinating facility."""

    pregnancy = models.ForeignKey(
        "cases.Pregnancy", verbose_name=_("pregnancy"), on_delete=models.PROTECT, related_name="consults"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    requesting_facility = models.ForeignKey(
        "facilities.Facility",
        verbose_name=_("requesting facility"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    coordinating_facility = models.ForeignKey(
        "facilities.Facility",
        verbose_name=_("coordinating facility"),
        on_delete=models.PROTECT,
        related_name="coordinated_consults",
    )
    urgency = models.CharField(_("urgency"), max_length=10, choices=ConsultUrgency.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=ConsultStatus.choices, default=ConsultStatus.REQUESTED
    )
    question = models.TextField(_("clinical question"))
    specialties = ArrayField(
        models.CharField(max_length=40, choices=Specialty.choices), verbose_name=_("specialties needed")
    )
    case_summary = models.JSONField(_("case summary"), default=dict, blank=True)
    requested_at = models.DateTimeField(_("requested at"))
    scheduled_start = models.DateTimeField(_("start"), null=True, blank=True)
    scheduled_end = models.DateTimeField(_("end"), null=True, blank=True)
    location = models.CharField(_("place"), max_length=200, blank=True)
    meeting_url = models.URLField(_("remote meeting link"), blank=True)
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("scheduled by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    scheduled_at = models.DateTimeField(_("scheduled at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    recommendations = models.TextField(_("agreed recommendations"), blank=True)
    decision_kind = models.CharField(_("decision"), max_length=16, choices=DecisionKind.choices, blank=True)
    decision = models.TextField(_("decision"), blank=True)
    womans_choice = models.TextField(_("the woman's informed choice"), blank=True)
    follow_up_on = models.DateField(_("follow-up date"), null=True, blank=True)
    concluded_at = models.DateTimeField(_("concluded at"), null=True, blank=True)
    concluded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("lead physician"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
    # iCalendar SEQUENCE (RFC 5545): raised whenever the time or place changes or the consult is cancelled,
    # so calendars replace the event they hold (same UID) instead of adding another one.
    calendar_sequence = models.PositiveIntegerField(_("calendar revision"), default=0)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("MDT consultation")
        verbose_name_plural = _("MDT consultations")
        indexes = [
            # coordinator's board: a facility's open consults by urgency and time
            models.Index(fields=["coordinating_facility", "status", "scheduled_start"], name="consult_board"),
            models.Index(fields=["pregnancy", "-requested_at"], name="consult_pregnancy"),
            # who may see a consult through her woman (``consults_visible_to``)
            models.Index(fields=["pregnancy_managing_facility_id"], name="consult_woman_managed"),
            models.Index(
                fields=["pregnancy_follow_up_facility_id"],
                condition=Q(pregnancy_follow_up_facility_id__isnull=False),
                name="consult_woman_followed",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(scheduled_start__isnull=True) | Q(scheduled_end__gt=models.F("scheduled_start")),
                name="consult_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"MDT {self.get_urgency_display()} ({self.get_status_display()})"

    @property
    def reference(self) -> str:
        """What calendars and e-mails show instead of patient data."""
        return f"MDT-{str(self.external_id)[:8].upper()}"


class Participant(BaseModel):
    """An invitation of one person (from any facility) to a consult; her answer and attendance."""

    consult = models.ForeignKey(
        Consult, verbose_name=_("consult"), on_delete=models.CASCADE, related_name="participants"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("participant"),
        on_delete=models.PROTECT,
        related_name="consult_invitations",
    )
    specialty = models.CharField(_("specialty"), max_length=40, choices=Specialty.choices, blank=True)
    status = models.CharField(
        _("answer"), max_length=10, choices=InvitationStatus.choices, default=InvitationStatus.INVITED
    )
    responded_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    decline_reason = models.CharField(_("reason for declining"), max_length=500, blank=True)
    attendance = models.CharField(_("attendance"), max_length=8, choices=Attendance.choices, blank=True)
    grant_expires_at = models.DateTimeField(_("record access until"), null=True, blank=True)
    grant_revoked_at = models.DateTimeField(_("record access ended at"), null=True, blank=True)
    # Raised when the invitation is sent again (re-invited after removal, or asked again because the time
    # changed); the invitation alert's dedup key carries it so a new round alerts again.
    invitation_round = models.PositiveSmallIntegerField(_("invitation round"), default=1)

    class Meta:
        ordering = ["consult_id", "id"]
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [
            models.UniqueConstraint(fields=["consult", "user"], name="participant_once_per_consult")
        ]
        indexes = [models.Index(fields=["user", "status"], name="participant_user_status")]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_status_display()})"


class Opinion(BaseModel):
    consult = models.ForeignKey(
        Consult, verbose_name=_("consult"), on_delete=models.CASCADE, related_name="opinions"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT, related_name="+"
    )
    specialty = models.CharField(_("specialty"), max_length=40, choices=Specialty.choices)
    text = models.TextField(_("opinion"))

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("opinion")
        verbose_name_plural = _("opinions")

    def __str__(self) -> str:
        return f"{self.get_specialty_display()}: {self.text[:30]}"


class Signature(BaseModel):
    """A physician signs the decision text (its SHA-256): signatures only count for the exact text."""

    consult = models.ForeignKey(
        Consult, verbose_name=_("consult"), on_delete=models.CASCADE, related_name="signatures"
    )
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("signed by"), on_delete=models.PROTECT, related_name="+"
    )
    decision_kind = models.CharField(_("decision"), max_length=16, choices=DecisionKind.choices)
    decision_digest = models.CharField(_("decision text digest"), max_length=64)
    is_senior = models.BooleanField(_("associate chief or above"), default=False)
    is_lead = models.BooleanField(_("lead physician"), default=False)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        constraints = [
            models.UniqueConstraint(fields=["consult", "signer", "decision_digest"], name="signature_once"),
        ]

    def __str__(self) -> str:
        return f"{self.signer} signed {self.decision_kind}"


class ActionItem(BaseModel):
    consult = models.ForeignKey(
        Consult, verbose_name=_("consult"), on_delete=models.CASCADE, related_name="actions"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="consult_actions",
    )
    text = models.TextField(_("action"))
    due = models.DateField(_("due"))
    status = models.CharField(
        _("status"), max_length=10, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["due", "id"]
        verbose_name = _("action item")
        verbose_name_plural = _("action items")
        indexes = [models.Index(fields=["owner", "status", "due"], name="action_owner_worklist")]

    def __str__(self) -> str:
        return f"{self.text[:40]} (due {self.due})"


class Addendum(BaseModel):
    """A correction or addition to a concluded record; the record itself never changes."""

    consult = models.ForeignKey(
        Consult, verbose_name=_("consult"), on_delete=models.CASCADE, related_name="addenda"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT, related_name="+"
    )
    text = models.TextField(_("addendum"))

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("addendum")
        verbose_name_plural = _("addenda")

    def __str__(self) -> str:
        return self.text[:40]
