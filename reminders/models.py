"""Follow-up windows and the text reminders sent to women about them."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.models.copies import PregnancyFacilityCopy
from core.models import BaseModel

from .choices import (
    ADVANCING,
    OPEN_STATUSES,
    WORKLIST_STATUSES,
    CloseReason,
    FollowUpKind,
    FollowUpStatus,
    MessageStatus,
)


class FollowUp(BaseModel, PregnancyFacilityCopy):
    """One follow-up window of one pregnancy: the next antenatal visit, the postpartum visit or the
    42-day check, due between ``due_from`` and ``due_by`` (dates in Asia/Shanghai, both inclusive).

    At most one open window per pregnancy; a recomputation (visit, new EDD, delivery, new colour)
    closes the open one and opens the next, so closed rows are the history dashboards count ("traced"
    = closed with ``traced_on`` set). The step dates are fixed when the window is computed, so the
    sweep advances rows with one indexed UPDATE per state: ``next_step_on`` is when the current
    status moves on (``remind_on`` → due, ``overdue_on``, the day after ``due_by``, → overdue,
    ``trace_on`` → tracing, ``lost_on`` → lost_proposed).
    """

    pregnancy = models.ForeignKey(
        "cases.Pregnancy", verbose_name=_("pregnancy"), on_delete=models.PROTECT, related_name="follow_ups"
    )
    # Who follows her up (the follow-up facility, else the managing one) and who manages her: both
    # copied from the pregnancy so worklists and dashboards count without a join.
    facility = models.ForeignKey(
        "facilities.Facility",
        verbose_name=_("follow-up facility"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    managing_facility = models.ForeignKey(
        "facilities.Facility", verbose_name=_("managed at"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=FollowUpKind.choices)
    status = models.CharField(
        _("status"), max_length=14, choices=FollowUpStatus.choices, default=FollowUpStatus.UPCOMING
    )
    color = models.CharField(_("risk colour when computed"), max_length=10, blank=True)
    purple = models.BooleanField(_("purple when computed"), default=False)
    source = models.CharField(
        _("computed from"), max_length=12
    )  # schedule / interval / clinician / postpartum
    remind_on = models.DateField(_("remind on"))
    due_from = models.DateField(_("due from"))
    due_by = models.DateField(_("due by"))
    overdue_on = models.DateField(_("overdue from"))
    trace_on = models.DateField(_("tracing from"))
    lost_on = models.DateField(_("lost to follow-up proposed from"))
    next_step_on = models.DateField(_("next step on"), null=True, blank=True)
    traced_on = models.DateField(_("tracing since"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    close_reason = models.CharField(
        _("closed because"), max_length=20, choices=CloseReason.choices, blank=True
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    close_note = models.CharField(_("note"), max_length=1000, blank=True)

    class Meta:
        ordering = ["due_by", "id"]
        verbose_name = _("follow-up window")
        verbose_name_plural = _("follow-up windows")
        constraints = [
            models.UniqueConstraint(
                fields=["pregnancy"], condition=~Q(status="closed"), name="followup_one_open_per_pregnancy"
            ),
            models.CheckConstraint(
                condition=Q(remind_on__lte=models.F("due_from"))
                & Q(due_from__lte=models.F("due_by"))
                & Q(due_by__lt=models.F("overdue_on"))
                & Q(overdue_on__lte=models.F("trace_on"))
                & Q(trace_on__lte=models.F("lost_on")),
                name="followup_dates_in_order",
            ),
            models.CheckConstraint(
                condition=Q(status="closed", closed_at__isnull=False) | ~Q(status="closed"),
                name="followup_closed_has_time",
            ),
        ]
        indexes = [
            # the sweep: open rows of one status whose next step has come (one range scan per state)
            models.Index(
                fields=["status", "next_step_on"],
                name="followup_sweep",
                condition=Q(status__in=list(ADVANCING)),
            ),
            # worklists and dashboards: a facility's open windows by status, soonest deadline first; with
            # what counting a facility's visible windows reads (``reminders.selectors.followup_count``:
            # from the index alone, 63 -> 3.5 ms for a county hospital's 30,000, issue #9). The id ends the
            # key: a page walks one status in (due_by, id) order, which the index then gives exactly; with
            # due_by last, PostgreSQL walked ``followup_open_due`` instead, filtering every facility's
            # windows (about 200 ms for a page of the follow-up list at a bench facility, 3 ms now).
            models.Index(
                fields=["facility", "status", "due_by", "id"],
                include=[
                    "managing_facility",
                    "pregnancy_managing_facility_id",
                    "pregnancy_follow_up_facility_id",
                    "pregnancy",
                ],
                name="followup_facility",
                condition=Q(status__in=list(OPEN_STATUSES)),
            ),
            models.Index(
                fields=["managing_facility", "status", "due_by", "id"],
                include=["pregnancy_managing_facility_id", "pregnancy_follow_up_facility_id", "pregnancy"],
                name="followup_managing",
                condition=Q(status__in=list(OPEN_STATUSES)),
            ),
            # a regional supervisor's list (no facility): every open window of her region, soonest
            # deadline first, walked in this order with her scope checked from the index alone (a
            # province's 900,000 were sorted for each page: 470 -> 4 ms, issue #9)
            models.Index(
                fields=["due_by", "id"],
                include=["pregnancy_managing_facility_id", "pregnancy_follow_up_facility_id", "pregnancy"],
                name="followup_open_due",
                condition=Q(status__in=list(OPEN_STATUSES)),
            ),
            # the home page's block: a facility's windows that need someone, soonest deadline first, in
            # index order per arm (reminders.selectors.followup_worklist_first)
            models.Index(
                fields=["managing_facility", "due_by", "id"],
                name="followup_managing_due",
                condition=Q(status__in=list(WORKLIST_STATUSES)),
            ),
            models.Index(
                fields=["facility", "due_by", "id"],
                name="followup_facility_due",
                condition=Q(status__in=list(WORKLIST_STATUSES)),
            ),
            # dashboards over a period: windows closed (visit done / traced / lost) by facility and day
            models.Index(
                fields=["facility", "closed_at"], name="followup_closed", condition=Q(status="closed")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.due_from}–{self.due_by} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status != FollowUpStatus.CLOSED


class ReminderMessage(BaseModel):
    """A text message to the woman about one window (an outbox row, claimed with a lease).

    The text is written at sending time from the clinic's name and the date only — never a diagnosis
    or a colour — and the phone number is read from her record then, so neither is stored here.
    """

    follow_up = models.ForeignKey(
        FollowUp, verbose_name=_("follow-up window"), on_delete=models.CASCADE, related_name="messages"
    )
    dedup_key = models.CharField(_("cause"), max_length=100, unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=MessageStatus.choices, default=MessageStatus.PENDING
    )
    send_after = models.DateTimeField(_("send after"))
    claimed_until = models.DateTimeField(_("being sent until"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["send_after", "id"]
        verbose_name = _("reminder message")
        verbose_name_plural = _("reminder messages")
        # the sender: pending (or failed, to retry) messages whose time has come
        indexes = [
            models.Index(
                fields=["send_after"],
                name="remindermessage_due",
                condition=Q(status__in=["pending", "failed"]),
            )
        ]

    def __str__(self) -> str:
        return f"{self.dedup_key} ({self.get_status_display()})"
