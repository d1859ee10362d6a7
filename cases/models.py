"""Women and their pregnancies (the protected aggregate), object grants and emergency access.

The case registry issue extends these models with identifiers, dating, visits and outcomes; this
module holds what the access model needs: who manages a pregnancy, who follows her up, and the
explicit grants and break-the-glass accesses that let anyone else see her.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from core.models import BaseModel

from .choices import OPEN_STATUSES, PregnancyStatus, RiskColor


class Patient(BaseModel):
    """A woman. Visible to the facility that registered her and wherever one of her pregnancies is."""

    name = models.CharField(_("name"), max_length=100)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    registered_facility = models.ForeignKey(
        "facilities.Facility", verbose_name=_("registered at"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("patient")
        verbose_name_plural = _("patients")

    def __str__(self) -> str:
        return self.name


class PregnancyQuerySet(models.QuerySet):
    def open(self) -> "PregnancyQuerySet":
        return self.filter(status__in=OPEN_STATUSES)


class Pregnancy(BaseModel):
    """One pregnancy of one woman, from booking to the 42-day postpartum check."""

    patient = models.ForeignKey(Patient, verbose_name=_("patient"), on_delete=models.PROTECT, related_name="pregnancies")
    status = models.CharField(
        _("status"), max_length=20, choices=PregnancyStatus.choices, default=PregnancyStatus.ACTIVE
    )
    booking_facility = models.ForeignKey(
        "facilities.Facility", verbose_name=_("booked at"), on_delete=models.PROTECT, related_name="+"
    )
    managing_facility = models.ForeignKey(
        "facilities.Facility", verbose_name=_("managed at"), on_delete=models.PROTECT, related_name="+"
    )
    follow_up_facility = models.ForeignKey(
        "facilities.Facility", verbose_name=_("follow-up facility"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    responsible_clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("responsible clinician"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    lmp = models.DateField(_("last menstrual period"), null=True, blank=True)
    edd = models.DateField(_("expected date of delivery"), null=True, blank=True)
    risk_color = models.CharField(_("risk colour"), max_length=10, choices=RiskColor.choices, null=True, blank=True)
    purple = models.BooleanField(_("infectious disease (purple)"), default=False)

    objects = PregnancyQuerySet.as_manager()

    class Meta:
        verbose_name = _("pregnancy")
        verbose_name_plural = _("pregnancies")
        indexes = [
            # worklist: a facility's open pregnancies.
            models.Index(fields=["managing_facility", "status"], name="pregnancy_managing_status"),
            models.Index(
                fields=["follow_up_facility"], name="pregnancy_follow_up", condition=Q(follow_up_facility__isnull=False)
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"], condition=Q(status__in=["active", "postpartum"]), name="pregnancy_one_open_per_patient"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient} ({self.get_status_display()})"


class PregnancyUserObjectPermission(UserObjectPermissionBase):
    """A grant on one pregnancy to one user (django-guardian direct foreign key)."""

    content_object = models.ForeignKey(Pregnancy, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("pregnancy grant to a user")
        verbose_name_plural = _("pregnancy grants to users")


class PregnancyGroupObjectPermission(GroupObjectPermissionBase):
    """A grant on one pregnancy to a facility (its access group; django-guardian direct foreign key)."""

    content_object = models.ForeignKey(Pregnancy, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("pregnancy grant to a facility")
        verbose_name_plural = _("pregnancy grants to facilities")


class BreakGlassAccess(BaseModel):
    """An emergency read of a record outside the user's scope: reason required, time-limited, reviewed."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="break_glass_accesses"
    )
    pregnancy = models.ForeignKey(
        Pregnancy, verbose_name=_("pregnancy"), on_delete=models.PROTECT, related_name="break_glass_accesses"
    )
    reason = models.TextField(_("reason"))
    expires_at = models.DateTimeField(_("expires at"))
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewed by"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    review_note = models.TextField(_("review note"), blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("emergency access")
        verbose_name_plural = _("emergency accesses")
        indexes = [
            models.Index(fields=["user", "pregnancy", "expires_at"], name="breakglass_user_preg_exp"),
            models.Index(fields=["created_at"], name="breakglass_unreviewed", condition=Q(reviewed_at__isnull=True)),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="breakglass_reason_required"),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.pregnancy_id} until {self.expires_at:%Y-%m-%d %H:%M}"
