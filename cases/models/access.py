"""Object grants (django-guardian direct foreign keys) and break-the-glass accesses."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from core.models import BaseModel

from ..choices import GrantLevel
from .copies import PregnancyFacilityCopy
from .pregnancy import Pregnancy


class PregnancyCopy(PregnancyFacilityCopy):
    """Columns of the granted pregnancy, copied onto the grant by the database (triggers of migrations
    ``cases/0007`` and ``cases/0008``, on every insert of a grant and every change of the pregnancy's
    columns): a list reads the newest women granted to a user, and counts those neither managed nor
    followed up at her facility, from the grant table's own index instead of fetching every granted
    pregnancy (6.5 -> 0.4 ms for a county hospital's 861 grants at a million pregnancies, issue #9).
    Never written by the application."""

    pregnancy_created_at = models.DateTimeField(null=True, editable=False)

    class Meta:
        abstract = True


class PregnancyUserObjectPermission(UserObjectPermissionBase, PregnancyCopy):
    """A grant on one pregnancy to one user (django-guardian direct foreign key)."""

    content_object = models.ForeignKey(Pregnancy, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("pregnancy grant to a user")
        verbose_name_plural = _("pregnancy grants to users")
        indexes = [
            models.Index(
                fields=["user", "permission", "-pregnancy_created_at", "-content_object"],
                include=["pregnancy_managing_facility_id", "pregnancy_follow_up_facility_id"],
                name="pregnancy_user_grant_newest",
            )
        ]

    def __str__(self) -> str:
        return f"{self.content_object_id} → user {self.user_id} ({self.permission_id})"


class PregnancyGroupObjectPermission(GroupObjectPermissionBase, PregnancyCopy):
    """A grant on one pregnancy to a facility (its access group; django-guardian direct foreign key)."""

    content_object = models.ForeignKey(Pregnancy, on_delete=models.CASCADE)
    # The facility whose access group holds the grant, set by the database from the group (``cases/0011``):
    # the grants of women neither managed nor followed up there have an index of their own
    # (``pregnancy_group_grant_foreign``), which a facility member's list counts instead of every grant
    # her facility ever received.
    grantee_facility_id = models.BigIntegerField(null=True, editable=False)

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("pregnancy grant to a facility")
        verbose_name_plural = _("pregnancy grants to facilities")
        indexes = [
            models.Index(
                fields=["group", "permission", "-pregnancy_created_at", "-content_object"],
                include=["pregnancy_managing_facility_id", "pregnancy_follow_up_facility_id"],
                name="pregnancy_group_grant_newest",
            )
        ]

    def __str__(self) -> str:
        return f"{self.content_object_id} → group {self.group_id} ({self.permission_id})"


class PregnancyGrant(BaseModel):
    """The ledger behind the guardian grants: one row per reason (source) a grantee may see a record.

    Guardian keeps one permission per grantee and object, so two referrals (or a referral and a
    consult) granting the same facility would share it, and revoking one would silently take away
    the other's access. The permission in force is therefore derived from the active rows here: the
    highest level among them, or nothing when none is left.
    """

    pregnancy = models.ForeignKey(
        Pregnancy, verbose_name=_("pregnancy"), on_delete=models.CASCADE, related_name="grants"
    )
    facility = models.ForeignKey(
        "facilities.Facility",
        verbose_name=_("facility"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    level = models.CharField(_("level"), max_length=8, choices=GrantLevel.choices)
    source_kind = models.CharField(_("source kind"), max_length=64, blank=True)
    source_id = models.CharField(_("source id"), max_length=64, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("access grant")
        verbose_name_plural = _("access grants")
        constraints = [
            models.CheckConstraint(
                condition=Q(facility__isnull=True) ^ Q(user__isnull=True), name="pregnancygrant_one_grantee"
            ),
            models.UniqueConstraint(
                fields=["pregnancy", "facility", "source_kind", "source_id"],
                condition=Q(revoked_at__isnull=True, facility__isnull=False),
                name="pregnancygrant_active_facility_source",
            ),
            models.UniqueConstraint(
                fields=["pregnancy", "user", "source_kind", "source_id"],
                condition=Q(revoked_at__isnull=True, user__isnull=False),
                name="pregnancygrant_active_user_source",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pregnancy_id} → {self.facility_id or self.user_id} ({self.level}, {self.source_kind})"


class BreakGlassAccess(BaseModel):
    """An emergency read of a record outside the user's scope: reason required, time-limited, reviewed."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        related_name="break_glass_accesses",
    )
    pregnancy = models.ForeignKey(
        Pregnancy, verbose_name=_("pregnancy"), on_delete=models.PROTECT, related_name="break_glass_accesses"
    )
    reason = models.TextField(_("reason"))
    expires_at = models.DateTimeField(_("expires at"))
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    review_note = models.TextField(_("review note"), blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("emergency access")
        verbose_name_plural = _("emergency accesses")
        indexes = [
            models.Index(fields=["user", "pregnancy", "expires_at"], name="breakglass_user_preg_exp"),
            models.Index(
                fields=["created_at"], name="breakglass_unreviewed", condition=Q(reviewed_at__isnull=True)
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="breakglass_reason_required"),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.pregnancy_id} until {self.expires_at:%Y-%m-%d %H:%M}"
