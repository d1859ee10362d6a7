"""Regions, facilities and departments: the network that every record lives in."""

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel

from .choices import Capability, CriticalCareLevel, FacilityKind, RegionLevel, Specialty, Tier


def chinese_names() -> bool:
    """Whether names are shown in Chinese: for zh-* requests."""
    return (get_language() or "zh-hans").lower().startswith("zh")


def localized(zh: str, en: str, *, chinese: bool | None = None) -> str:
    """Chinese for zh-* requests, English otherwise (falling back to the Chinese name). A list passes
    ``chinese`` (``chinese_names()``, read once) instead of reading the language for every row."""
    if chinese is None:
        chinese = chinese_names()
    return (zh or en) if chinese else (en or zh)


class Region(BaseModel):
    """An administrative division identified by its 6-digit GB/T 2260 code.

    Codes are hierarchical: province ``PP0000``, city ``PPCC00``, county ``PPCCDD``; ``code_prefix``
    (the code without trailing ``00`` pairs) selects everything inside a region with one index scan.
    """

    code = models.CharField(_("GB/T 2260 code"), max_length=6, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    level = models.CharField(_("level"), max_length=10, choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        constraints = [
            models.CheckConstraint(condition=Q(code__regex=r"^[0-9]{6}$"), name="region_code_six_digits"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return localized(self.name_zh, self.name_en)

    @property
    def code_prefix(self) -> str:
        """``440500`` → ``4405``; ``440000`` → ``44``; a county keeps all six digits."""
        code = self.code
        while code.endswith("00") and len(code) > 2:
            code = code[:-2]
        return code


class FacilityQuerySet(models.QuerySet):
    def in_region(self, region: Region) -> "FacilityQuerySet":
        return self.filter(region_code__startswith=region.code_prefix)

    def active(self) -> "FacilityQuerySet":
        return self.filter(is_active=True)


class Facility(BaseModel):
    """A hospital, health centre or maternal-health institute in the network."""

    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    code = models.CharField(_("facility code"), max_length=32, unique=True)
    kind = models.CharField(_("kind"), max_length=32, choices=FacilityKind.choices)
    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices)
    # NULL means "not a centre"; the API contract publishes null.
    critical_care_level = models.CharField(  # noqa: DJ001
        _("critical maternal care centre"),
        max_length=10,
        choices=CriticalCareLevel.choices,
        null=True,
        blank=True,
    )
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="facilities"
    )
    # Denormalised copy of region.code: regional scoping is a prefix match on this column
    # (db_index on PostgreSQL also builds the varchar_pattern_ops index that LIKE 'prefix%' uses).
    region_code = models.CharField(_("region code"), max_length=6, editable=False, db_index=True)
    capabilities = ArrayField(
        models.CharField(max_length=40, choices=Capability.choices),
        verbose_name=_("capabilities"),
        default=list,
        blank=True,
    )
    referral_hotline = models.CharField(_("24-hour referral hotline"), max_length=40, blank=True)
    phone = models.CharField(_("switchboard"), max_length=40, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    obstetric_beds = models.PositiveIntegerField(_("obstetric beds"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = FacilityQuerySet.as_manager()

    class Meta:
        ordering = ["region_code", "tier", "name_zh"]
        verbose_name = _("facility")
        verbose_name_plural = _("facilities")
        indexes = [
            GinIndex(fields=["capabilities"], name="facility_capabilities_gin"),
        ]
        constraints = [
            # Provincial and city centres sit in tertiary hospitals; county centres in secondary or above.
            models.CheckConstraint(
                condition=Q(critical_care_level__isnull=True)
                | Q(critical_care_level="county", tier__in=["secondary", "tertiary"])
                | Q(critical_care_level__in=["city", "province"], tier="tertiary"),
                name="facility_critical_care_level_matches_tier",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return localized(self.name_zh, self.name_en)

    def save(self, *args, **kwargs) -> None:
        self.region_code = self.region.code
        if kwargs.get("update_fields") is not None and "region" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "region_code"}
        super().save(*args, **kwargs)


class Department(BaseModel):
    """A department of a facility (obstetrics, ICU, neonatology…)."""

    facility = models.ForeignKey(
        Facility, verbose_name=_("facility"), on_delete=models.CASCADE, related_name="departments"
    )
    specialty = models.CharField(_("specialty"), max_length=40, choices=Specialty.choices)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)

    class Meta:
        ordering = ["facility_id", "name_zh"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        constraints = [
            models.UniqueConstraint(fields=["facility", "specialty"], name="department_one_per_specialty"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return localized(self.name_zh, self.name_en)
