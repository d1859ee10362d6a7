"""Users, their staff profile (facility, department, roles, specialty, title, duties) and on-call rosters."""

import uuid

from django.contrib.auth.models import AbstractUser
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel, ChoiceLabels
from facilities.choices import Specialty

from .choices import SENIOR_TITLES, Role, Title


class User(ChoiceLabels, AbstractUser):
    """A person who signs in. The staff profile lives on the same row (one join fewer on every request).

    ``facility`` is where she works; regional supervisors have a ``region`` instead. ``roles`` may hold
    several role codes (an obstetrician who is also the facility's MDT coordinator).
    """

    external_id = models.UUIDField(_("external id"), default=uuid.uuid4, unique=True, editable=False)
    display_name = models.CharField(_("full name"), max_length=100, blank=True)
    facility = models.ForeignKey(
        "facilities.Facility",
        verbose_name=_("facility"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )
    department = models.ForeignKey(
        "facilities.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="staff",
    )
    region = models.ForeignKey(
        "facilities.Region",
        verbose_name=_("supervised region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("For regional roles: the region whose records the user supervises."),
    )
    roles = ArrayField(
        models.CharField(max_length=32, choices=Role.choices),
        verbose_name=_("roles"),
        default=list,
        blank=True,
    )
    specialty = models.CharField(_("specialty"), max_length=40, choices=Specialty.choices, blank=True)
    title = models.CharField(_("title"), max_length=20, choices=Title.choices, blank=True)
    is_department_head = models.BooleanField(_("department head"), default=False)
    is_medical_director = models.BooleanField(_("medical director"), default=False)
    phone = models.CharField(_("phone"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            # A regional supervisor must have a region to supervise.
            models.CheckConstraint(
                condition=~Q(roles__contains=[Role.REGIONAL_SUPERVISOR.value]) | Q(region__isnull=False),
                name="user_regional_supervisor_has_region",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def name(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    @property
    def is_senior(self) -> bool:
        return self.title in SENIOR_TITLES

    def has_role(self, *roles: str) -> bool:
        return any(role in self.roles for role in roles)


class OnCallShiftQuerySet(models.QuerySet):
    def covering(self, moment) -> "OnCallShiftQuerySet":
        return self.filter(starts_at__lte=moment, ends_at__gt=moment)


class OnCallShift(BaseModel):
    """Who is on call for a facility's department between two moments. Escalations look here first."""

    facility = models.ForeignKey(
        "facilities.Facility",
        verbose_name=_("facility"),
        on_delete=models.CASCADE,
        related_name="on_call_shifts",
    )
    department = models.ForeignKey(
        "facilities.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="on_call_shifts",
    )
    user = models.ForeignKey(
        User, verbose_name=_("on call"), on_delete=models.CASCADE, related_name="on_call_shifts"
    )
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("to"))
    is_lead = models.BooleanField(_("on-call lead"), default=False)

    objects = OnCallShiftQuerySet.as_manager()

    class Meta:
        ordering = ["facility_id", "starts_at"]
        verbose_name = _("on-call shift")
        verbose_name_plural = _("on-call shifts")
        indexes = [
            # "who is on call at facility F now": facility + time range.
            models.Index(fields=["facility", "starts_at", "ends_at"], name="oncall_facility_time"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="oncall_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%H:%M}"


class ApiToken(models.Model):
    """An API token with an expiry; one per user, replaced when a new one is issued.

    Only the SHA-256 digest of the token is stored: a copy of the database does not yield usable tokens.
    """

    digest = models.CharField(_("digest"), max_length=64, primary_key=True)
    user = models.OneToOneField(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_token"
    )
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"))

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"token of {self.user_id}"
