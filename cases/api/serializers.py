"""Output serializers (lean, no business logic) and input serializers (types only; the services
check the domain rules). Sensitive fields go through core.sensitive."""

import datetime as dt
from functools import cache

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from cases.choices import (
    Consciousness,
    ConsentGiver,
    ConsentPurpose,
    DatingMethod,
    DeliveryComplication,
    DeliveryMode,
    DocumentType,
    InfectionStatus,
    NearMissCriterion,
    NewbornOutcome,
    PregnancyOutcome,
    PregnancyStatus,
    Presentation,
    Proteinuria,
    Sex,
    VisitKind,
)
from cases.dating import TERM_DAYS
from cases.models import BreakGlassAccess, CareTask, Delivery, Patient, Pregnancy, Visit
from cases.selectors import gestational_age, postpartum_days
from core.api.serializers import FieldsKeptPerThread
from core.sensitive import SensitiveField
from facilities.models import chinese_names, localized


class GestationalAgeSerializer(serializers.Serializer):
    weeks = serializers.IntegerField()
    days = serializers.IntegerField()


def _uuid(obj, attr):
    related = getattr(obj, attr)
    return str(related.external_id) if related is not None else None


# --- patients ---------------------------------------------------------------------------------


class PatientSerializer(serializers.ModelSerializer):
    """A woman. Identifiers are masked (first 6 + last 4); ``POST .../reveal-id/`` shows them, audited."""

    id = serializers.UUIDField(source="external_id", read_only=True)
    id_number = serializers.CharField(source="masked_id_number", read_only=True)
    document_number = serializers.CharField(source="masked_document_number", read_only=True)
    phone = serializers.CharField(source="masked_phone", read_only=True)
    # "" for a woman without a foreign document: documented as a blank choice of the enum
    document_type = serializers.ChoiceField(choices=DocumentType.choices, allow_blank=True, read_only=True)
    registered_facility = serializers.SerializerMethodField()
    residence_region = serializers.SerializerMethodField()
    merged_into = serializers.SerializerMethodField()
    warnings = serializers.SerializerMethodField()

    class Meta:
        model = Patient
        fields = [
            "id",
            "record_number",
            "name",
            "id_number",
            "document_type",
            "document_number",
            "birth_date",
            "birth_date_estimated",
            "phone",
            "residence_region",
            "address",
            "emergency_contact_name",
            "emergency_contact_phone",
            "is_unidentified",
            "registered_facility",
            "status",
            "merged_into",
            "warnings",
            "created_at",
        ]
        read_only_fields = fields

    def get_registered_facility(self, obj) -> str:
        return str(obj.registered_facility.external_id)

    def get_residence_region(self, obj) -> str | None:
        return obj.residence_region.code if obj.residence_region_id else None

    def get_merged_into(self, obj) -> str | None:
        return _uuid(obj, "merged_into") if obj.merged_into_id else None

    def get_warnings(self, obj) -> list[str]:
        warnings = []
        if obj.id_number and int(obj.id_number[16]) % 2 == 1:
            warnings.append(str(_("The ID number's sequence digit is odd (male): check it.")))
        return warnings


class PatientInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, allow_blank=True)
    id_number = serializers.CharField(max_length=30, required=False, allow_blank=True)
    document_type = serializers.ChoiceField(choices=DocumentType.choices, required=False, allow_blank=True)
    document_number = serializers.CharField(max_length=40, required=False, allow_blank=True)
    birth_date = serializers.DateField(required=False, allow_null=True)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    residence_region = serializers.RegexField(
        r"^\d{6}$", required=False, allow_blank=True, help_text="GB/T 2260 code"
    )
    address = serializers.CharField(max_length=300, required=False, allow_blank=True)
    emergency_contact_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    emergency_contact_phone = serializers.CharField(max_length=30, required=False, allow_blank=True)


class PatientUpdateSerializer(PatientInputSerializer):
    name = serializers.CharField(max_length=100, required=False)


class RevealRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class RevealSerializer(serializers.Serializer):
    id_number = serializers.CharField(allow_null=True)
    document_type = serializers.CharField()
    document_number = serializers.CharField()


class MergeRequestSerializer(serializers.Serializer):
    duplicate = serializers.UUIDField(help_text="The record that is merged into this one.")
    continuing_pregnancy = serializers.UUIDField(required=False, allow_null=True)
    reason = serializers.CharField(max_length=1000)


class DuplicateQuerySerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    birth_date = serializers.DateField(required=False)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True)


class ConsentInputSerializer(serializers.Serializer):
    purpose = serializers.ChoiceField(choices=ConsentPurpose.choices)
    version = serializers.CharField(max_length=20)
    given_on = serializers.DateField(required=False)
    given_by = serializers.ChoiceField(choices=ConsentGiver.choices, default=ConsentGiver.SELF)
    guardian_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    guardian_relation = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")


# --- pregnancies ---------------------------------------------------------------------------------


class PregnancySerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="external_id", read_only=True)
    patient = serializers.UUIDField(source="patient.external_id", read_only=True)
    patient_name = serializers.CharField(source="patient.name", read_only=True)
    record_number = serializers.CharField(source="patient.record_number", read_only=True)
    managing_facility = serializers.SerializerMethodField()
    managing_facility_name = serializers.CharField(source="managing_facility.name", read_only=True)
    booking_facility = serializers.SerializerMethodField()
    follow_up_facility = serializers.SerializerMethodField()
    responsible_clinician = serializers.SerializerMethodField()
    gestational_age = serializers.SerializerMethodField()
    postpartum_days = serializers.SerializerMethodField()
    hiv_status = SensitiveField(serializers.CharField())
    syphilis_status = SensitiveField(serializers.CharField())
    hbv_status = SensitiveField(serializers.CharField())
    merged_into = serializers.SerializerMethodField()

    class Meta:
        model = Pregnancy
        fields = [
            "id",
            "patient",
            "patient_name",
            "record_number",
            "status",
            "outcome",
            "managing_facility",
            "managing_facility_name",
            "booking_facility",
            "follow_up_facility",
            "responsible_clinician",
            "booked_on",
            "lmp",
            "cycle_length",
            "dating_method",
            "edd",
            "gestational_age",
            "postpartum_days",
            "gravida",
            "para",
            "fetuses",
            "risk_color",
            "purple",
            "next_visit_date",
            "hiv_status",
            "syphilis_status",
            "hbv_status",
            "is_emergency_registration",
            "arrived_at",
            "chief_complaint",
            "ended_on",
            "closed_on",
            "merged_into",
            "created_at",
        ]
        read_only_fields = fields

    def get_managing_facility(self, obj) -> str:
        return str(obj.managing_facility.external_id)

    def get_booking_facility(self, obj) -> str:
        return _uuid(obj, "booking_facility")

    def get_follow_up_facility(self, obj) -> str | None:
        return _uuid(obj, "follow_up_facility") if obj.follow_up_facility_id else None

    def get_responsible_clinician(self, obj) -> str | None:
        return _uuid(obj, "responsible_clinician") if obj.responsible_clinician_id else None

    def get_gestational_age(self, obj) -> GestationalAgeSerializer(allow_null=True):  # type: ignore[valid-type]
        return gestational_age(obj)

    def get_postpartum_days(self, obj) -> int | None:
        return postpartum_days(obj)

    def get_merged_into(self, obj) -> str | None:
        return _uuid(obj, "merged_into") if obj.merged_into_id else None


class PregnancyListSerializer(PregnancySerializer):
    """The list row: what a worklist needs, without the extra facility lookups."""

    class Meta(PregnancySerializer.Meta):
        fields = [
            "id",
            "patient",
            "patient_name",
            "record_number",
            "status",
            "managing_facility",
            "managing_facility_name",
            "edd",
            "gestational_age",
            "postpartum_days",
            "risk_color",
            "purple",
            "next_visit_date",
            "is_emergency_registration",
            "created_at",
        ]
        read_only_fields = fields


def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _datetime(value: dt.datetime, zone: dt.tzinfo | None = None) -> str:
    """As DRF's ``DateTimeField`` writes it: in the current time zone (or ``zone``, the current one read
    once for a list), ISO 8601, ``Z`` for UTC."""
    text = (timezone.localtime(value) if zone is None else value.astimezone(zone)).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


# The list row built from one ``values()`` query instead of model instances and a ``ModelSerializer``
# (issue #9: at a million pregnancies the cost of a list page is in Python, not in PostgreSQL).
# ``PregnancyListSerializer`` still documents the row in OpenAPI; a test keeps both outputs equal.
PREGNANCY_LIST_VALUES = (
    "external_id",
    "patient__external_id",
    "patient__name",
    "patient__record_number",
    "status",
    "managing_facility__external_id",
    "managing_facility__name_zh",
    "managing_facility__name_en",
    "edd",
    "ended_on",
    "risk_color",
    "purple",
    "next_visit_date",
    "is_emergency_registration",
    "created_at",
)


def pregnancy_list_output(rows: list[dict], *, today: dt.date | None = None) -> list[dict]:
    """``PregnancyListSerializer``'s output for ``values(*PREGNANCY_LIST_VALUES)`` rows."""
    today = today or timezone.localdate()
    active = PregnancyStatus.ACTIVE
    # The time zone and the language read once a list, not per row: each read of Django's
    # context-local state costs 5-7 µs (a tenth of a 50-row page's Python, issue #9).
    zone = timezone.get_current_timezone()
    chinese = chinese_names()
    out = []
    for row in rows:
        status, edd, ended_on = row["status"], row["edd"], row["ended_on"]
        ga = None
        if edd is not None and status == active:
            days = TERM_DAYS - (edd - today).days
            ga = {"weeks": days // 7, "days": days % 7} if days >= 0 else None
        out.append(
            {
                "id": str(row["external_id"]),
                "patient": str(row["patient__external_id"]),
                "patient_name": row["patient__name"],
                "record_number": row["patient__record_number"],
                "status": status,
                "managing_facility": str(row["managing_facility__external_id"]),
                "managing_facility_name": localized(
                    row["managing_facility__name_zh"], row["managing_facility__name_en"], chinese=chinese
                ),
                "edd": _date(edd),
                "gestational_age": ga,
                "postpartum_days": None if ended_on is None or status == active else (today - ended_on).days,
                "risk_color": row["risk_color"],
                "purple": row["purple"],
                "next_visit_date": _date(row["next_visit_date"]),
                "is_emergency_registration": row["is_emergency_registration"],
                "created_at": _datetime(row["created_at"], zone),
            }
        )
    return out


class PregnancyCreateSerializer(serializers.Serializer):
    patient = serializers.UUIDField()
    lmp = serializers.DateField(required=False, allow_null=True)
    edd = serializers.DateField(required=False, allow_null=True)
    cycle_length = serializers.IntegerField(required=False, min_value=0, max_value=200, default=28)
    gravida = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=100)
    para = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=100)
    fetuses = serializers.IntegerField(required=False, min_value=0, max_value=100, default=1)
    booked_on = serializers.DateField(required=False, allow_null=True)
    follow_up_facility = serializers.UUIDField(required=False, allow_null=True)
    hiv_status = serializers.ChoiceField(choices=InfectionStatus.choices, default=InfectionStatus.UNKNOWN)
    syphilis_status = serializers.ChoiceField(
        choices=InfectionStatus.choices, default=InfectionStatus.UNKNOWN
    )
    hbv_status = serializers.ChoiceField(choices=InfectionStatus.choices, default=InfectionStatus.UNKNOWN)


class PregnancyUpdateSerializer(serializers.Serializer):
    responsible_clinician = serializers.UUIDField(required=False, allow_null=True)
    follow_up_facility = serializers.UUIDField(required=False, allow_null=True)
    next_visit_date = serializers.DateField(required=False, allow_null=True)
    gravida = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=100)
    para = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=100)
    fetuses = serializers.IntegerField(required=False, min_value=0, max_value=100)


class TransitionSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=PregnancyStatus.choices)
    reason = serializers.CharField(max_length=1000)


class EndSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=[c for c in PregnancyOutcome.choices if c[0] != "delivery"])
    ended_on = serializers.DateField()
    reason = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class DatingSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=[c for c in DatingMethod.choices if c[0] != "estimate"])
    scan_date = serializers.DateField(required=False, allow_null=True)
    ga_days_at_scan = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=400)
    crl_mm = serializers.DecimalField(
        required=False, allow_null=True, max_digits=4, decimal_places=1, min_value=0
    )
    lmp = serializers.DateField(required=False, allow_null=True)
    cycle_length = serializers.IntegerField(required=False, allow_null=True, min_value=15, max_value=90)
    transfer_date = serializers.DateField(required=False, allow_null=True)
    embryo_age_days = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=10)
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    adopt = serializers.BooleanField(required=False, allow_null=True, default=None)


class DatingOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="external_id")
    method = serializers.CharField()
    computed_edd = serializers.DateField()
    adopted = serializers.BooleanField()
    reason = serializers.CharField()


class InfectionStatusSerializer(serializers.Serializer):
    hiv_status = serializers.ChoiceField(choices=InfectionStatus.choices, required=False)
    syphilis_status = serializers.ChoiceField(choices=InfectionStatus.choices, required=False)
    hbv_status = serializers.ChoiceField(choices=InfectionStatus.choices, required=False)


# --- visits and outcomes ----------------------------------------------------------------------------

MEASUREMENT_FIELDS = [
    "sbp_mmhg",
    "dbp_mmhg",
    "pulse_bpm",
    "temperature_c",
    "respiratory_rate",
    "spo2_pct",
    "consciousness",
    "weight_kg",
    "height_cm",
    "hb_g_l",
    "platelets_10e9_l",
    "proteinuria",
    "glucose_mmol_l",
    "fundal_height_cm",
    "fetal_heart_rate",
    "presentation",
]


class VisitSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="external_id", read_only=True)
    facility = serializers.SerializerMethodField()
    clinician = serializers.SerializerMethodField()
    gestational_age = serializers.SerializerMethodField()

    class Meta:
        model = Visit
        fields = [
            "id",
            "kind",
            "visited_at",
            "facility",
            "clinician",
            "gestational_age",
            *MEASUREMENT_FIELDS,
            "notes",
            "next_visit_date",
            "unusual_confirmed",
        ]
        read_only_fields = fields

    def get_facility(self, obj) -> str:
        return str(obj.facility.external_id)

    def get_clinician(self, obj) -> str | None:
        return obj.clinician.name if obj.clinician_id else None

    def get_gestational_age(self, obj) -> GestationalAgeSerializer(allow_null=True):  # type: ignore[valid-type]
        return {"weeks": obj.ga_days // 7, "days": obj.ga_days % 7} if obj.ga_days is not None else None


@cache
def _visit_serializer() -> tuple[VisitSerializer, list[tuple[str, serializers.Field | None]]]:
    """One ``VisitSerializer`` and its fields, built once per process (a ``ModelSerializer`` builds its
    fields from the model on every instance: 1.6 ms per visit written, issue #9); ``None`` marks the
    method fields."""
    serializer = VisitSerializer()
    return serializer, [
        (name, None if isinstance(field, serializers.SerializerMethodField) else field)
        for name, field in serializer.fields.items()
    ]


def visit_output(visit: Visit) -> dict:
    """``VisitSerializer(visit).data``, each value formatted by the serializer's own field or method (a
    test keeps the two equal); ``facility`` and ``clinician`` must be loaded or cached on ``visit``."""
    serializer, fields = _visit_serializer()
    out = {}
    for name, field in fields:
        if field is None:
            out[name] = getattr(serializer, f"get_{name}")(visit)
        else:
            value = field.get_attribute(visit)
            out[name] = None if value is None else field.to_representation(value)
    return out


# Its fields are built once per thread (``FieldsKeptPerThread``): a visit entry is the busiest write.
class VisitInputSerializer(FieldsKeptPerThread, serializers.Serializer):
    """Measurements are checked against physiological ranges by the service: impossible values are
    refused; unusual ones are refused until listed in ``confirm_unusual`` (``errors.confirm_unusual``
    names them)."""

    kind = serializers.ChoiceField(choices=VisitKind.choices, default=VisitKind.ANTENATAL)
    visited_at = serializers.DateTimeField(required=False)
    sbp_mmhg = serializers.IntegerField(required=False, allow_null=True)
    dbp_mmhg = serializers.IntegerField(required=False, allow_null=True)
    pulse_bpm = serializers.IntegerField(required=False, allow_null=True)
    temperature_c = serializers.DecimalField(required=False, allow_null=True, max_digits=5, decimal_places=2)
    respiratory_rate = serializers.IntegerField(required=False, allow_null=True)
    spo2_pct = serializers.IntegerField(required=False, allow_null=True)
    consciousness = serializers.ChoiceField(choices=Consciousness.choices, required=False, allow_blank=True)
    weight_kg = serializers.DecimalField(required=False, allow_null=True, max_digits=6, decimal_places=2)
    height_cm = serializers.DecimalField(required=False, allow_null=True, max_digits=6, decimal_places=2)
    hb_g_l = serializers.IntegerField(required=False, allow_null=True)
    platelets_10e9_l = serializers.IntegerField(required=False, allow_null=True)
    proteinuria = serializers.ChoiceField(choices=Proteinuria.choices, required=False, allow_blank=True)
    glucose_mmol_l = serializers.DecimalField(required=False, allow_null=True, max_digits=6, decimal_places=2)
    fundal_height_cm = serializers.IntegerField(required=False, allow_null=True)
    fetal_heart_rate = serializers.IntegerField(required=False, allow_null=True)
    presentation = serializers.ChoiceField(choices=Presentation.choices, required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")
    next_visit_date = serializers.DateField(required=False, allow_null=True)
    confirm_unusual = serializers.ListField(
        child=serializers.CharField(max_length=30), required=False, default=list, max_length=20
    )

    def measurements(self) -> dict:
        return {k: v for k, v in self.validated_data.items() if k in MEASUREMENT_FIELDS}


class NewbornInputSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=NewbornOutcome.choices)
    sex = serializers.ChoiceField(choices=Sex.choices, required=False, allow_blank=True, default="")
    weight_g = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=20000)
    apgar_1 = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=10)
    apgar_5 = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=10)


class DeliveryInputSerializer(serializers.Serializer):
    delivered_at = serializers.DateTimeField()
    mode = serializers.ChoiceField(choices=DeliveryMode.choices)
    facility = serializers.UUIDField(
        required=False,
        allow_null=True,
        help_text="Where she delivered; default the caller's facility; null outside one.",
    )
    born_outside_facility = serializers.BooleanField(required=False, default=False)
    blood_loss_ml = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=100000)
    complications = serializers.ListField(
        child=serializers.ChoiceField(choices=DeliveryComplication.choices),
        required=False,
        default=list,
        max_length=20,
    )
    near_miss_criteria = serializers.ListField(
        child=serializers.ChoiceField(choices=NearMissCriterion.choices),
        required=False,
        default=list,
        max_length=30,
    )
    newborns = NewbornInputSerializer(many=True, allow_empty=False, max_length=8)
    discharged_at = serializers.DateTimeField(required=False, allow_null=True)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")


class NewbornSerializer(serializers.Serializer):
    order = serializers.IntegerField()
    outcome = serializers.CharField()
    sex = serializers.CharField()
    weight_g = serializers.IntegerField(allow_null=True)
    apgar_1 = serializers.IntegerField(allow_null=True)
    apgar_5 = serializers.IntegerField(allow_null=True)


class DeliverySerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="external_id", read_only=True)
    facility = serializers.SerializerMethodField()
    newborns = NewbornSerializer(many=True, read_only=True)
    gestational_age = serializers.SerializerMethodField()

    class Meta:
        model = Delivery
        fields = [
            "id",
            "delivered_at",
            "facility",
            "gestational_age",
            "mode",
            "blood_loss_ml",
            "complications",
            "discharged_at",
            "newborns",
            "notes",
        ]
        read_only_fields = fields

    def get_facility(self, obj) -> str | None:
        return _uuid(obj, "facility") if obj.facility_id else None

    def get_gestational_age(self, obj) -> GestationalAgeSerializer(allow_null=True):  # type: ignore[valid-type]
        return {"weeks": obj.ga_days // 7, "days": obj.ga_days % 7} if obj.ga_days is not None else None


class DischargeSerializer(serializers.Serializer):
    discharged_at = serializers.DateTimeField()


class NearMissInputSerializer(serializers.Serializer):
    occurred_at = serializers.DateTimeField()
    criteria = serializers.ListField(
        child=serializers.ChoiceField(choices=NearMissCriterion.choices), allow_empty=False, max_length=30
    )
    notes = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")


class MaternalDeathInputSerializer(serializers.Serializer):
    died_at = serializers.DateTimeField()
    cause = serializers.CharField(max_length=5000)
    icd10 = serializers.CharField(max_length=10, required=False, allow_blank=True, default="")


class CreatedSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="external_id")


# --- emergency registration -------------------------------------------------------------------------


class EmergencyVitalsSerializer(serializers.Serializer):
    sbp_mmhg = serializers.IntegerField(required=False, allow_null=True)
    dbp_mmhg = serializers.IntegerField(required=False, allow_null=True)
    pulse_bpm = serializers.IntegerField(required=False, allow_null=True)
    temperature_c = serializers.DecimalField(required=False, allow_null=True, max_digits=5, decimal_places=2)
    respiratory_rate = serializers.IntegerField(required=False, allow_null=True)
    spo2_pct = serializers.IntegerField(required=False, allow_null=True)
    consciousness = serializers.ChoiceField(choices=Consciousness.choices, required=False, allow_blank=True)


class EmergencyRegistrationSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    arrived_at = serializers.DateTimeField(required=False, allow_null=True)
    estimated_age_years = serializers.IntegerField(min_value=0, max_value=200)
    estimated_ga_weeks = serializers.IntegerField(min_value=0, max_value=100)
    vitals = EmergencyVitalsSerializer(required=False)
    chief_complaint = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    companion_phone = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    id_number = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")


class EmergencyRegistrationResultSerializer(serializers.Serializer):
    patient = serializers.UUIDField()
    pregnancy = serializers.UUIDField()
    record_number = serializers.CharField()
    possible_duplicate = serializers.BooleanField()


# --- tasks and break-glass -----------------------------------------------------------------------------


class CareTaskSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="external_id", read_only=True)
    pregnancy = serializers.UUIDField(source="pregnancy.external_id", read_only=True)
    patient_name = serializers.CharField(source="pregnancy.patient.name", read_only=True)

    class Meta:
        model = CareTask
        fields = ["id", "kind", "status", "pregnancy", "patient_name", "due_at", "done_at"]
        read_only_fields = fields


class BreakGlassRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class BreakGlassReviewRequestSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class BreakGlassAccessSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="external_id", read_only=True)
    user = serializers.CharField(source="user.username", read_only=True)
    pregnancy = serializers.UUIDField(source="pregnancy.external_id", read_only=True)
    reviewed_by = serializers.CharField(source="reviewed_by.username", read_only=True, allow_null=True)

    class Meta:
        model = BreakGlassAccess
        fields = [
            "id",
            "user",
            "pregnancy",
            "reason",
            "created_at",
            "expires_at",
            "reviewed_at",
            "reviewed_by",
            "review_note",
        ]
        read_only_fields = fields
