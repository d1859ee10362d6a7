"""A woman: identity, contacts, consent."""

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel

from ..choices import ConsentGiver, ConsentPurpose, DocumentType, PatientStatus
from ..identity import mask_id_number, mask_phone


class Patient(BaseModel):
    """A woman. Visible to the facility that registered her and wherever one of her pregnancies is.

    ``id_number`` is the normalised resident ID (18 characters, upper-case X), unique among active
    records; other documents (passport…) are ``document_type`` + ``document_number``. An unidentified
    emergency arrival has neither and ``is_unidentified`` set. A merged record keeps its row
    (``status = merged``, ``merged_into``) so its old id still resolves.
    """

    record_number = models.CharField(_("record number"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    # NULL, not "": the partial unique constraint must ignore women without an ID number.
    id_number = models.CharField(_("resident ID number"), max_length=18, null=True, blank=True)  # noqa: DJ001
    document_type = models.CharField(
        _("other document"), max_length=20, choices=DocumentType.choices, blank=True
    )
    document_number = models.CharField(_("document number"), max_length=40, blank=True)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    birth_date_estimated = models.BooleanField(_("birth date estimated"), default=False)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    residence_region = models.ForeignKey(
        "facilities.Region",
        verbose_name=_("residence (region)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    emergency_contact_name = models.CharField(_("emergency contact"), max_length=100, blank=True)
    emergency_contact_phone = models.CharField(_("emergency contact phone"), max_length=20, blank=True)
    is_unidentified = models.BooleanField(_("identity unknown"), default=False)
    registered_facility = models.ForeignKey(
        "facilities.Facility", verbose_name=_("registered at"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=PatientStatus.choices, default=PatientStatus.ACTIVE
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("patient")
        verbose_name_plural = _("patients")
        indexes = [
            # search by ID number, phone and name (trigram for partial Chinese names).
            models.Index(
                fields=["id_number"], name="patient_id_number", condition=Q(id_number__isnull=False)
            ),
            models.Index(fields=["phone"], name="patient_phone", condition=~Q(phone="")),
            GinIndex(OpClass(Upper("name"), name="gin_trgm_ops"), name="patient_name_trgm"),
            # near-duplicate check: same name and birth date.
            models.Index(fields=["name", "birth_date"], name="patient_name_birth"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["id_number"],
                condition=Q(status="active", id_number__isnull=False),
                name="patient_unique_active_id_number",
            ),
            models.UniqueConstraint(
                fields=["document_type", "document_number"],
                condition=Q(status="active") & ~Q(document_number=""),
                name="patient_unique_active_document",
            ),
            models.CheckConstraint(
                condition=Q(status="merged", merged_into__isnull=False)
                | Q(status="active", merged_into__isnull=True),
                name="patient_merged_has_target",
            ),
            models.CheckConstraint(
                condition=Q(document_number="") | ~Q(document_type=""), name="patient_document_has_type"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.record_number})"

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number or "")

    @property
    def masked_document_number(self) -> str:
        return mask_id_number(self.document_number)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


class Consent(BaseModel):
    """Consent to process (sensitive) personal information (PIPL Art. 29–31): version, purpose, date,
    and for a minor the guardian who gave it. Withdrawal is a new state of the same row."""

    patient = models.ForeignKey(
        Patient, verbose_name=_("patient"), on_delete=models.PROTECT, related_name="consents"
    )
    purpose = models.CharField(_("purpose"), max_length=20, choices=ConsentPurpose.choices)
    version = models.CharField(_("consent text version"), max_length=20)
    given_on = models.DateField(_("given on"))
    given_by = models.CharField(
        _("given by"), max_length=10, choices=ConsentGiver.choices, default=ConsentGiver.SELF
    )
    guardian_name = models.CharField(_("guardian"), max_length=100, blank=True)
    guardian_relation = models.CharField(_("relation to the woman"), max_length=40, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)

    class Meta:
        ordering = ["-given_on", "-id"]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        constraints = [
            models.CheckConstraint(
                condition=Q(given_by="self") | ~Q(guardian_name=""), name="consent_guardian_named"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} v{self.version}"
