"""One pregnancy of one woman (episode of care), its dating history and its care tasks."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel

from ..choices import (
    OPEN_STATUSES,
    CareTaskKind,
    CareTaskStatus,
    DatingMethod,
    InfectionStatus,
    PregnancyOutcome,
    PregnancyStatus,
    RiskColor,
)
from .copies import PregnancyFacilityCopy
from .patient import Patient


class PregnancyQuerySet(models.QuerySet):
    def open(self) -> "PregnancyQuerySet":
        return self.filter(status__in=OPEN_STATUSES)


class Pregnancy(BaseModel):
    """From booking (ideally before 13 weeks) to the 42-day postpartum check.

    ``managing_facility`` is responsible for her; ``follow_up_facility`` is the primary-care facility
    where she lives (tracing, postpartum visits). ``edd`` is the chosen estimated date of delivery;
    every change of dating is a ``PregnancyDating`` row. ``risk_color``/``purple`` are the current
    confirmed grade, kept here for fast lists (the risk app sets them).
    """

    patient = models.ForeignKey(
        Patient, verbose_name=_("patient"), on_delete=models.PROTECT, related_name="pregnancies"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=PregnancyStatus.choices, default=PregnancyStatus.ACTIVE
    )
    outcome = models.CharField(_("outcome"), max_length=12, choices=PregnancyOutcome.choices, blank=True)
    booking_facility = models.ForeignKey(
        "facilities.Facility", verbose_name=_("booked at"), on_delete=models.PROTECT, related_name="+"
    )
    managing_facility = models.ForeignKey(
        "facilities.Facility", verbose_name=_("managed at"), on_delete=models.PROTECT, related_name="+"
    )
    follow_up_facility = models.ForeignKey(
        "facilities.Facility",
        verbose_name=_("follow-up facility"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    responsible_clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible clinician"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    booked_on = models.DateField(_("booked on"), null=True, blank=True)
    lmp = models.DateField(_("last menstrual period"), null=True, blank=True)
    cycle_length = models.PositiveSmallIntegerField(_("cycle length (days)"), default=28)
    dating_method = models.CharField(
        _("dating method"), max_length=12, choices=DatingMethod.choices, blank=True
    )
    edd = models.DateField(_("expected date of delivery"), null=True, blank=True)
    gravida = models.PositiveSmallIntegerField(_("gravida"), null=True, blank=True)
    para = models.PositiveSmallIntegerField(_("para"), null=True, blank=True)
    fetuses = models.PositiveSmallIntegerField(_("number of fetuses"), default=1)
    ended_on = models.DateField(_("pregnancy ended on"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    next_visit_date = models.DateField(_("next visit"), null=True, blank=True)
    hiv_status = models.CharField(
        _("HIV"), max_length=10, choices=InfectionStatus.choices, default=InfectionStatus.UNKNOWN
    )
    syphilis_status = models.CharField(
        _("syphilis"), max_length=10, choices=InfectionStatus.choices, default=InfectionStatus.UNKNOWN
    )
    hbv_status = models.CharField(
        _("hepatitis B"), max_length=10, choices=InfectionStatus.choices, default=InfectionStatus.UNKNOWN
    )
    is_emergency_registration = models.BooleanField(_("emergency registration"), default=False)
    arrived_at = models.DateTimeField(_("arrived at"), null=True, blank=True)
    chief_complaint = models.CharField(_("chief complaint"), max_length=300, blank=True)
    # NULL means "not graded yet", which the API publishes as null.
    risk_color = models.CharField(  # noqa: DJ001
        _("risk colour"), max_length=10, choices=RiskColor.choices, null=True, blank=True
    )
    purple = models.BooleanField(_("infectious disease (purple)"), default=False)
    # The rest of the grade summary, kept current by the risk app (cases.services.pregnancy_set_risk).
    risk_provisional = models.BooleanField(_("grade provisional"), default=False)
    risk_assessed_at = models.DateTimeField(_("graded at"), null=True, blank=True)
    risk_proposed_color = models.CharField(
        _("higher colour proposed, not yet confirmed"), max_length=10, choices=RiskColor.choices, blank=True
    )
    needs_referral = models.BooleanField(_("needs referral to a higher tier"), default=False)
    under_case_management = models.BooleanField(_("under case management"), default=False)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = PregnancyQuerySet.as_manager()

    class Meta:
        verbose_name = _("pregnancy")
        verbose_name_plural = _("pregnancies")
        indexes = [
            # worklist: a facility's open pregnancies, next visit due first.
            models.Index(
                fields=["managing_facility", "status", "next_visit_date"], name="pregnancy_worklist"
            ),
            # with the managing facility: a status-filtered list counts the women followed up at a
            # facility and managed elsewhere from this index alone (``ScopedRows._count_sql``)
            models.Index(
                fields=["follow_up_facility", "status"],
                name="pregnancy_follow_up",
                condition=Q(follow_up_facility__isnull=False),
                include=["managing_facility"],
            ),
            # list filters: EDD ranges and colour.
            models.Index(fields=["edd"], name="pregnancy_edd"),
            models.Index(fields=["risk_color", "status"], name="pregnancy_color_status"),
            # the worklist page by page: a facility's open pregnancies by next visit date, per arm
            # (managed there, followed up there; cases.selectors.worklist_rows).
            models.Index(
                fields=["managing_facility", "next_visit_date"],
                name="pregnancy_worklist_open",
                condition=Q(status__in=["active", "postpartum"]),
            ),
            models.Index(
                fields=["follow_up_facility", "next_visit_date"],
                name="pregnancy_follow_up_open",
                condition=Q(status__in=["active", "postpartum"], follow_up_facility__isnull=False),
            ),
            # the pregnancy list (newest first): each arm of the access scope is walked in index order
            # and only the first rows of each are merged (cases.selectors.pregnancy_list_page).
            models.Index(
                fields=["managing_facility", "-created_at", "-id"], name="pregnancy_facility_newest"
            ),
            models.Index(
                fields=["follow_up_facility", "-created_at", "-id"],
                name="pregnancy_follow_up_newest",
                condition=Q(follow_up_facility__isnull=False),
            ),
            # a regional supervisor's list: the region's pregnancies newest first, filtered by facility.
            models.Index(fields=["-created_at", "-id"], name="pregnancy_newest"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(status__in=["active", "postpartum"]),
                name="pregnancy_one_open_per_patient",
            ),
            models.CheckConstraint(
                condition=Q(status="active", outcome="") | ~Q(status="active"),
                name="pregnancy_active_has_no_outcome",
            ),
            models.CheckConstraint(
                condition=Q(fetuses__gte=1, fetuses__lte=8), name="pregnancy_fetuses_range"
            ),
            models.CheckConstraint(
                condition=Q(para__isnull=True) | Q(gravida__isnull=True) | Q(para__lte=models.F("gravida")),
                name="pregnancy_para_not_above_gravida",
            ),
            models.CheckConstraint(
                condition=Q(status="merged", merged_into__isnull=False) | ~Q(status="merged"),
                name="pregnancy_merged_has_target",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient.name} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class PregnancyDating(BaseModel):
    """One dating of the pregnancy: the inputs, the EDD they give, and whether it became the EDD."""

    pregnancy = models.ForeignKey(
        Pregnancy, verbose_name=_("pregnancy"), on_delete=models.CASCADE, related_name="datings"
    )
    method = models.CharField(_("method"), max_length=12, choices=DatingMethod.choices)
    lmp = models.DateField(_("last menstrual period"), null=True, blank=True)
    scan_date = models.DateField(_("scan date"), null=True, blank=True)
    ga_days_at_scan = models.PositiveSmallIntegerField(
        _("gestational age at scan (days)"), null=True, blank=True
    )
    crl_mm = models.DecimalField(
        _("crown-rump length (mm)"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    transfer_date = models.DateField(_("embryo transfer date"), null=True, blank=True)
    embryo_age_days = models.PositiveSmallIntegerField(_("embryo age (days)"), null=True, blank=True)
    computed_edd = models.DateField(_("EDD from this dating"))
    adopted = models.BooleanField(_("adopted as the EDD"), default=False)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("dating")
        verbose_name_plural = _("datings")

    def __str__(self) -> str:
        return f"{self.get_method_display()} → {self.computed_edd}"


class CareTask(BaseModel, PregnancyFacilityCopy):
    """Something a person at a facility must do for this pregnancy (tests pending, merge review…).

    One open task per pregnancy and kind: creating it twice is harmless.
    """

    pregnancy = models.ForeignKey(
        Pregnancy, verbose_name=_("pregnancy"), on_delete=models.CASCADE, related_name="tasks"
    )
    kind = models.CharField(_("kind"), max_length=30, choices=CareTaskKind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=CareTaskStatus.choices, default=CareTaskStatus.OPEN
    )
    facility = models.ForeignKey(
        "facilities.Facility", verbose_name=_("for facility"), on_delete=models.PROTECT, related_name="+"
    )
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("care task")
        verbose_name_plural = _("care tasks")
        constraints = [
            models.UniqueConstraint(
                fields=["pregnancy", "kind"], condition=Q(status="open"), name="caretask_one_open_per_kind"
            ),
        ]
        indexes = [models.Index(fields=["facility", "status", "due_at"], name="caretask_facility_open")]

    def __str__(self) -> str:
        return self.get_kind_display()
