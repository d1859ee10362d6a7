"""Contacts with the woman (visits), the delivery and newborns, near misses and maternal deaths."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel

from ..choices import (
    Consciousness,
    DeliveryComplication,
    DeliveryMode,
    NearMissCriterion,
    NewbornOutcome,
    Presentation,
    Proteinuria,
    Sex,
    VisitKind,
)
from .pregnancy import Pregnancy


class Visit(BaseModel):
    """One contact: vital signs, key labs, fetal findings, notes and the next visit date.

    ``ga_days`` is the gestational age at the visit computed from the EDD when it was recorded
    (null after the pregnancy ended). Ranges are checked by the service: impossible values are refused,
    unusual ones need an explicit confirmation (``unusual_confirmed``).
    """

    pregnancy = models.ForeignKey(
        Pregnancy, verbose_name=_("pregnancy"), on_delete=models.PROTECT, related_name="visits"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=VisitKind.choices, default=VisitKind.ANTENATAL)
    visited_at = models.DateTimeField(_("date and time"))
    facility = models.ForeignKey(
        "facilities.Facility", verbose_name=_("facility"), on_delete=models.PROTECT, related_name="+"
    )
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("clinician"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    ga_days = models.PositiveSmallIntegerField(_("gestational age (days)"), null=True, blank=True)
    sbp_mmhg = models.PositiveSmallIntegerField(_("systolic BP (mmHg)"), null=True, blank=True)
    dbp_mmhg = models.PositiveSmallIntegerField(_("diastolic BP (mmHg)"), null=True, blank=True)
    pulse_bpm = models.PositiveSmallIntegerField(_("pulse (/min)"), null=True, blank=True)
    temperature_c = models.DecimalField(
        _("temperature (°C)"), max_digits=3, decimal_places=1, null=True, blank=True
    )
    respiratory_rate = models.PositiveSmallIntegerField(_("respiratory rate (/min)"), null=True, blank=True)
    spo2_pct = models.PositiveSmallIntegerField(_("SpO2 (%)"), null=True, blank=True)
    consciousness = models.CharField(
        _("consciousness (AVPU)"), max_length=12, choices=Consciousness.choices, blank=True
    )
    weight_kg = models.DecimalField(_("weight (kg)"), max_digits=4, decimal_places=1, null=True, blank=True)
    height_cm = models.DecimalField(_("height (cm)"), max_digits=4, decimal_places=1, null=True, blank=True)
    hb_g_l = models.PositiveSmallIntegerField(_("haemoglobin (g/L)"), null=True, blank=True)
    platelets_10e9_l = models.PositiveSmallIntegerField(_("platelets (×10⁹/L)"), null=True, blank=True)
    proteinuria = models.CharField(_("proteinuria"), max_length=8, choices=Proteinuria.choices, blank=True)
    glucose_mmol_l = models.DecimalField(
        _("glucose (mmol/L)"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    fundal_height_cm = models.PositiveSmallIntegerField(_("fundal height (cm)"), null=True, blank=True)
    fetal_heart_rate = models.PositiveSmallIntegerField(_("fetal heart rate (/min)"), null=True, blank=True)
    presentation = models.CharField(
        _("presentation"), max_length=12, choices=Presentation.choices, blank=True
    )
    notes = models.TextField(_("notes"), blank=True)
    next_visit_date = models.DateField(_("next visit"), null=True, blank=True)
    unusual_confirmed = ArrayField(
        models.CharField(max_length=30), verbose_name=_("unusual values confirmed"), default=list, blank=True
    )

    class Meta:
        ordering = ["-visited_at", "-id"]
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        indexes = [models.Index(fields=["pregnancy", "-visited_at"], name="visit_pregnancy_time")]
        constraints = [
            models.CheckConstraint(
                condition=Q(sbp_mmhg__isnull=True)
                | Q(dbp_mmhg__isnull=True)
                | Q(dbp_mmhg__lt=models.F("sbp_mmhg")),
                name="visit_diastolic_below_systolic",
            ),
            models.CheckConstraint(
                condition=Q(spo2_pct__isnull=True) | Q(spo2_pct__lte=100), name="visit_spo2_max_100"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.visited_at:%Y-%m-%d}"


class Delivery(BaseModel):
    """The end of a pregnancy by birth: when, where, how, blood loss, complications, discharge."""

    pregnancy = models.OneToOneField(
        Pregnancy, verbose_name=_("pregnancy"), on_delete=models.PROTECT, related_name="delivery"
    )
    delivered_at = models.DateTimeField(_("delivered at"))
    facility = models.ForeignKey(
        "facilities.Facility",
        verbose_name=_("facility"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty for a birth outside a health facility."),
    )
    ga_days = models.PositiveSmallIntegerField(_("gestational age at delivery (days)"), null=True, blank=True)
    mode = models.CharField(_("mode"), max_length=24, choices=DeliveryMode.choices)
    blood_loss_ml = models.PositiveIntegerField(_("blood loss (mL)"), null=True, blank=True)
    complications = ArrayField(
        models.CharField(max_length=30, choices=DeliveryComplication.choices),
        verbose_name=_("complications"),
        default=list,
        blank=True,
    )
    attended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("attended by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    discharged_at = models.DateTimeField(_("discharged at"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        indexes = [models.Index(fields=["delivered_at"], name="delivery_time")]
        constraints = [
            models.CheckConstraint(
                condition=Q(discharged_at__isnull=True) | Q(discharged_at__gte=models.F("delivered_at")),
                name="delivery_discharge_after_birth",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_mode_display()} {self.delivered_at:%Y-%m-%d}"


class Newborn(BaseModel):
    """One baby of a delivery."""

    delivery = models.ForeignKey(
        Delivery, verbose_name=_("delivery"), on_delete=models.CASCADE, related_name="newborns"
    )
    order = models.PositiveSmallIntegerField(_("birth order"), default=1)
    outcome = models.CharField(_("outcome"), max_length=16, choices=NewbornOutcome.choices)
    sex = models.CharField(_("sex"), max_length=12, choices=Sex.choices, blank=True)
    weight_g = models.PositiveSmallIntegerField(_("birth weight (g)"), null=True, blank=True)
    apgar_1 = models.PositiveSmallIntegerField(_("Apgar 1 min"), null=True, blank=True)
    apgar_5 = models.PositiveSmallIntegerField(_("Apgar 5 min"), null=True, blank=True)
    died_at = models.DateTimeField(_("died at"), null=True, blank=True)

    class Meta:
        ordering = ["delivery_id", "order"]
        verbose_name = _("newborn")
        verbose_name_plural = _("newborns")
        constraints = [
            models.UniqueConstraint(fields=["delivery", "order"], name="newborn_unique_order"),
            models.CheckConstraint(
                condition=Q(apgar_1__isnull=True) | Q(apgar_1__lte=10), name="newborn_apgar1_max"
            ),
            models.CheckConstraint(
                condition=Q(apgar_5__isnull=True) | Q(apgar_5__lte=10), name="newborn_apgar5_max"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.order} {self.get_outcome_display()}"


class NearMissEvent(BaseModel):
    """A maternal near miss (WHO 2011): she nearly died. Recorded at any time up to a year after."""

    pregnancy = models.ForeignKey(
        Pregnancy, verbose_name=_("pregnancy"), on_delete=models.PROTECT, related_name="near_misses"
    )
    occurred_at = models.DateTimeField(_("occurred at"))
    criteria = ArrayField(
        models.CharField(max_length=30, choices=NearMissCriterion.choices), verbose_name=_("criteria")
    )
    facility = models.ForeignKey(
        "facilities.Facility", verbose_name=_("facility"), on_delete=models.PROTECT, related_name="+"
    )
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-occurred_at"]
        verbose_name = _("near miss")
        verbose_name_plural = _("near misses")
        constraints = [models.CheckConstraint(condition=~Q(criteria=[]), name="nearmiss_has_criteria")]

    def __str__(self) -> str:
        return f"near miss {self.occurred_at:%Y-%m-%d}"


class MaternalDeath(BaseModel):
    """A woman's death during pregnancy or within a year of its end (late after day 42)."""

    pregnancy = models.OneToOneField(
        Pregnancy, verbose_name=_("pregnancy"), on_delete=models.PROTECT, related_name="maternal_death"
    )
    died_at = models.DateTimeField(_("died at"))
    facility = models.ForeignKey(
        "facilities.Facility",
        verbose_name=_("facility"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    cause = models.TextField(_("cause of death"))
    icd10 = models.CharField(_("ICD-10"), max_length=10, blank=True)
    is_late = models.BooleanField(_("late maternal death (day 43 to one year)"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("maternal death")
        verbose_name_plural = _("maternal deaths")

    def __str__(self) -> str:
        return f"death {self.died_at:%Y-%m-%d}"
