"""Catalogue versions and criteria (data, not code), assessments, case management, supervisor
reports, regional policy and early-warning observations."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.models.copies import PregnancyFacilityCopy
from core.models import BaseModel
from facilities.models import localized

from .choices import AssessmentStatus, CaseManagementStatus, CriterionColor, MeowsLevel, ReportStatus, Stage


class CatalogueVersion(BaseModel):
    """One version of the five-colour criteria table, national (``region`` null) or regional.

    A regional variant holds the national criteria it keeps plus the ones it adds or tightens; the
    applicable version for a facility is the active one with the most specific region containing the
    facility and the latest ``effective_from`` not in the future. Assessments record the version used.
    """

    key = models.CharField(_("version"), max_length=80, unique=True)
    title = models.CharField(_("title"), max_length=200)
    region = models.ForeignKey(
        "facilities.Region",
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    effective_from = models.DateField(_("effective from"))
    based_on = models.ForeignKey(
        "self", verbose_name=_("based on"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    fields_spec = models.JSONField(_("measurement fields"), default=dict)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["-effective_from", "key"]
        verbose_name = _("catalogue version")
        verbose_name_plural = _("catalogue versions")

    def __str__(self) -> str:
        return self.key


class CatalogueCriterion(BaseModel):
    """One criterion of one catalogue version. Codes are stable across versions."""

    version = models.ForeignKey(
        CatalogueVersion, verbose_name=_("version"), on_delete=models.CASCADE, related_name="criteria"
    )
    position = models.PositiveIntegerField(_("order"))
    code = models.CharField(_("code"), max_length=40)
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices)
    color = models.CharField(_("colour"), max_length=8, choices=CriterionColor.choices, blank=True)
    category = models.CharField(_("category"), max_length=40)
    name_en = models.CharField(_("name (English)"), max_length=400)
    name_zh = models.CharField(_("name (Chinese)"), max_length=400)
    rule = models.JSONField(_("rule"), null=True, blank=True)
    rule_basis = models.CharField(_("rule basis"), max_length=20, blank=True)
    confirm = models.CharField(_("needs confirmation of"), max_length=300, blank=True)
    also_fires_when = models.CharField(_("also fires when"), max_length=400, blank=True)
    period = models.CharField(_("period"), max_length=12, blank=True)
    confidence = models.CharField(_("confidence"), max_length=8, blank=True)
    review_note = models.TextField(_("clinical review note"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    sensitive = models.BooleanField(_("sensitive"), default=False)
    enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        ordering = ["version_id", "position"]
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="criterion_unique_code_per_version"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def name(self) -> str:
        return localized(self.name_zh, self.name_en)

    @property
    def needs_clinical_review(self) -> bool:
        return self.confidence == "low" or bool(self.review_note)


class RiskPolicy(BaseModel):
    """Regional rules around a grade: reporting deadlines and visit intervals by colour.

    The row with no region is the default; a region's row overrides it for facilities inside it.
    Values marked "verify with the clinical lead" in docs/risk.md are defaults, not national law.
    """

    region = models.OneToOneField(
        "facilities.Region",
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    report_red_hours = models.PositiveSmallIntegerField(_("red report due within (hours)"), default=24)
    report_purple_hours = models.PositiveSmallIntegerField(_("purple report due within (hours)"), default=24)
    report_orange_days = models.PositiveSmallIntegerField(
        _("orange report due by the end of calendar day"), default=3
    )
    visit_interval_days = models.JSONField(
        _("visit interval by colour (days)"),
        default=dict,
        help_text=_('e.g. {"yellow": 28, "orange": 14, "red": 7}; green follows the national schedule.'),
    )
    proposal_alert_hours = models.PositiveSmallIntegerField(
        _("unconfirmed higher proposal becomes an alert after (hours)"), default=24
    )

    class Meta:
        verbose_name = _("risk policy")
        verbose_name_plural = _("risk policies")
        constraints = [
            models.UniqueConstraint(
                fields=["region"], condition=Q(region__isnull=True), name="riskpolicy_one_default"
            ),
        ]

    def __str__(self) -> str:
        return str(self.region or _("Default"))


class RiskAssessment(BaseModel):
    """One grading of one pregnancy. Immutable once confirmed; a new one supersedes it.

    ``proposed_color`` is what the engine computed from ``ticked`` and ``measurements``; ``color`` is
    the confirmed grade (``override_color`` with ``reason`` when the clinician differs). A downgrade
    below the current colour, or an override below the colour implied by triggered criteria, waits
    for a senior co-signature (``pending_cosign``) and changes nothing until then.
    """

    pregnancy = models.ForeignKey(
        "cases.Pregnancy",
        verbose_name=_("pregnancy"),
        on_delete=models.PROTECT,
        related_name="risk_assessments",
    )
    catalogue_version = models.ForeignKey(
        CatalogueVersion, verbose_name=_("catalogue version"), on_delete=models.PROTECT, related_name="+"
    )
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices, default=Stage.ASSESSMENT)
    status = models.CharField(_("status"), max_length=16, choices=AssessmentStatus.choices)
    proposed_color = models.CharField(_("computed colour"), max_length=8)
    override_color = models.CharField(_("override colour"), max_length=8, blank=True)
    color = models.CharField(_("colour"), max_length=8)
    purple = models.BooleanField(_("purple"), default=False)
    screening_positive = models.BooleanField(_("screening positive"), default=False)
    triggered = ArrayField(
        models.CharField(max_length=40), verbose_name=_("triggered criteria"), default=list
    )
    proposed = ArrayField(models.CharField(max_length=40), verbose_name=_("proposed criteria"), default=list)
    unknown = ArrayField(models.CharField(max_length=40), verbose_name=_("unknown criteria"), default=list)
    ticked = ArrayField(models.CharField(max_length=40), verbose_name=_("ticked criteria"), default=list)
    unticked = models.JSONField(_("previous criteria un-ticked, with reasons"), default=dict, blank=True)
    measurements = models.JSONField(_("measurements used"), default=dict)
    measurement_sources = models.JSONField(_("where each measurement came from"), default=dict)
    reviewed_categories = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    complete = models.BooleanField(_("complete"), default=False)
    provisional = models.BooleanField(_("provisional"), default=False)
    reason = models.TextField(_("reason"), blank=True)
    facility = models.ForeignKey(
        "facilities.Facility", verbose_name=_("facility"), on_delete=models.PROTECT, related_name="+"
    )
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assessed by"), on_delete=models.PROTECT, related_name="+"
    )
    cosigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("co-signed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    cosigned_at = models.DateTimeField(_("co-signed at"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    superseded_by = models.ForeignKey(
        "self",
        verbose_name=_("superseded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("risk assessment")
        verbose_name_plural = _("risk assessments")
        indexes = [models.Index(fields=["pregnancy", "-created_at"], name="assessment_pregnancy_time")]
        constraints = [
            models.UniqueConstraint(
                fields=["pregnancy"],
                condition=Q(status="pending_cosign"),
                name="assessment_one_pending_cosign",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.color}{' + purple' if self.purple else ''} ({self.get_status_display()})"


class CaseManagement(BaseModel, PregnancyFacilityCopy):
    """专案管理 of one high-risk pregnancy: a named case manager, an individual plan, closed only after
    the 42-day check."""

    pregnancy = models.ForeignKey(
        "cases.Pregnancy",
        verbose_name=_("pregnancy"),
        on_delete=models.PROTECT,
        related_name="case_managements",
    )
    status = models.CharField(
        _("status"), max_length=8, choices=CaseManagementStatus.choices, default=CaseManagementStatus.OPEN
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("case manager"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="managed_cases",
    )
    reasons = ArrayField(
        models.CharField(max_length=8), verbose_name=_("colours that required it"), default=list
    )
    plan = models.TextField(_("individual management plan"), blank=True)
    opened_at = models.DateTimeField(_("opened at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        verbose_name = _("case management")
        verbose_name_plural = _("case managements")
        constraints = [
            models.UniqueConstraint(
                fields=["pregnancy"], condition=Q(status="open"), name="casemanagement_one_open"
            ),
        ]
        indexes = [
            models.Index(fields=["manager", "status"], name="casemanagement_manager"),
            # the list, newest first: a region's page is its first rows in this order, not a sort of all
            models.Index(
                fields=["-opened_at"], condition=Q(status="open"), name="casemanagement_open_newest"
            ),
            # who may see a case through her woman (``case_management_list``)
            models.Index(fields=["pregnancy_managing_facility_id"], name="casemanagement_woman_managed"),
            models.Index(
                fields=["pregnancy_follow_up_facility_id"],
                condition=Q(pregnancy_follow_up_facility_id__isnull=False),
                name="casemanagement_woman_followed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pregnancy_id} ({self.get_status_display()})"


class RiskReport(BaseModel):
    """The grading report to the maternal-health supervisors of the county containing the managing
    facility (orange within 3 calendar days, red and purple within 24 hours by default)."""

    pregnancy = models.ForeignKey(
        "cases.Pregnancy", verbose_name=_("pregnancy"), on_delete=models.PROTECT, related_name="risk_reports"
    )
    assessment = models.ForeignKey(
        RiskAssessment, verbose_name=_("assessment"), on_delete=models.PROTECT, related_name="reports"
    )
    color = models.CharField(_("reported colour"), max_length=8)
    purple = models.BooleanField(_("purple"), default=False)
    region = models.ForeignKey(
        "facilities.Region", verbose_name=_("county"), on_delete=models.PROTECT, related_name="+"
    )
    facility = models.ForeignKey(
        "facilities.Facility",
        verbose_name=_("reporting facility"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.DUE
    )
    due_at = models.DateTimeField(_("due"))
    confirmed_at = models.DateTimeField(_("grade confirmed at"))
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    summary = models.TextField(_("summary"), blank=True)
    management_plan = models.TextField(_("management plan"), blank=True)

    class Meta:
        ordering = ["due_at"]
        verbose_name = _("risk report")
        verbose_name_plural = _("risk reports")
        indexes = [
            models.Index(fields=["region", "status", "due_at"], name="riskreport_inbox"),
            models.Index(fields=["facility", "status"], name="riskreport_facility"),
        ]

    def __str__(self) -> str:
        return f"{self.color} report due {self.due_at:%Y-%m-%d %H:%M}"

    @property
    def on_time(self) -> bool | None:
        if self.submitted_at is None:
            return None
        return self.submitted_at <= self.due_at

    @property
    def timeliness_hours(self) -> float | None:
        if self.submitted_at is None:
            return None
        return (self.submitted_at - self.confirmed_at).total_seconds() / 3600


class ObservationSet(BaseModel):
    """One set of inpatient vital signs with its MEOWS score per parameter (DOMAIN.md §5)."""

    pregnancy = models.ForeignKey(
        "cases.Pregnancy", verbose_name=_("pregnancy"), on_delete=models.PROTECT, related_name="observations"
    )
    taken_at = models.DateTimeField(_("taken at"))
    temperature_c = models.DecimalField(
        _("temperature (°C)"), max_digits=3, decimal_places=1, null=True, blank=True
    )
    sbp_mmhg = models.PositiveSmallIntegerField(_("systolic BP"), null=True, blank=True)
    dbp_mmhg = models.PositiveSmallIntegerField(_("diastolic BP"), null=True, blank=True)
    pulse_bpm = models.PositiveSmallIntegerField(_("heart rate"), null=True, blank=True)
    respiratory_rate = models.PositiveSmallIntegerField(_("respiratory rate"), null=True, blank=True)
    spo2_pct = models.PositiveSmallIntegerField(_("SpO2"), null=True, blank=True)
    pain_score = models.PositiveSmallIntegerField(_("pain score (0-10)"), null=True, blank=True)
    consciousness = models.CharField(_("consciousness (AVPU)"), max_length=12, blank=True)
    scores = models.JSONField(_("level per parameter"), default=dict)
    yellow_count = models.PositiveSmallIntegerField(_("yellow"), default=0)
    red_count = models.PositiveSmallIntegerField(_("red"), default=0)
    triggered = models.BooleanField(_("trigger"), default=False)
    level = models.CharField(_("level"), max_length=8, choices=MeowsLevel.choices, default=MeowsLevel.NORMAL)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-taken_at", "-id"]
        verbose_name = _("observation set")
        verbose_name_plural = _("observation sets")
        indexes = [models.Index(fields=["pregnancy", "-taken_at"], name="observation_pregnancy_time")]

    def __str__(self) -> str:
        return f"MEOWS {self.taken_at:%Y-%m-%d %H:%M} ({self.level})"


class ReferenceGeneration(models.Model):
    """Which state of the grading reference data a reader saw: one row, whose ``g`` changes with every
    statement that writes a catalogue version, a criterion, a regional policy or a region.

    Written only by statement triggers (migration ``0003``), immediately, not at commit: the writing
    transaction sees its new ``g`` at once (so it never reuses what it read before its own change), and
    every other transaction sees it exactly when it sees the change (the commit). The values come from a
    sequence: they never repeat, even after a rollback, so "``g`` is what it was" proves "nothing
    changed". ``risk.reference`` keeps what it read beside ``g`` and reads again only when it moved.
    """

    id = models.PositiveSmallIntegerField(_("id"), primary_key=True, default=1)
    g = models.BigIntegerField(_("generation"))

    class Meta:
        verbose_name = _("reference data generation")
        verbose_name_plural = _("reference data generations")
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="referencegeneration_one_row")]

    def __str__(self) -> str:
        return f"reference data @ {self.g}"
