"""HTML forms of the case registry: input types only. The services check every domain rule; a view maps
the service's errors back onto the form with ``apply_service_errors``."""

from django import forms
from django.db.models import Case, IntegerField, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from facilities.choices import Tier
from facilities.models import Facility, Region

from .choices import (
    Consciousness,
    DeliveryComplication,
    DeliveryMode,
    DocumentType,
    InfectionStatus,
    NearMissCriterion,
    NewbornOutcome,
    PregnancyStatus,
    Presentation,
    Proteinuria,
    Sex,
    VisitKind,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


def _number(*, decimal: bool = False, step: str | None = None, label=None, **attrs):
    """A numeric input without browser range limits: the service says what is impossible or unusual."""
    widget_attrs = {"inputmode": "decimal" if decimal else "numeric", **attrs}
    if step:
        widget_attrs["step"] = step
    if decimal:
        return forms.DecimalField(
            label=label,
            required=False,
            max_digits=7,
            decimal_places=1,
            widget=forms.NumberInput(attrs=widget_attrs),
        )
    return forms.IntegerField(label=label, required=False, widget=forms.NumberInput(attrs=widget_attrs))


NOT_RECORDED = _("Not recorded")


def _blank_choices(choices, label=NOT_RECORDED):
    return [("", label), *choices]


def apply_service_errors(form: forms.BaseForm, exc, *, skip=("confirm_unusual",)) -> None:
    """Put an ``ApplicationError``'s field errors on the form's fields (unknown fields and the message
    as non-field errors). The service's messages are shown unchanged."""
    for field, messages in (exc.errors or {}).items():
        if field in skip:
            continue
        target = field if field in form.fields else None
        for message in messages:
            form.add_error(target, message)
    if not exc.errors or not any(f in form.fields for f in exc.errors if f not in skip):
        form.add_error(None, str(exc.message))


class BreakGlassForm(forms.Form):
    reason = forms.CharField(
        label=_("Clinical reason for emergency access"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class BreakGlassReviewForm(forms.Form):
    note = forms.CharField(
        label=_("Review note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


# --- registration -------------------------------------------------------------------------------------


def follow_up_facilities(user):
    """Active primary-care facilities, those of the user's county first, then of her city."""
    qs = Facility.objects.active().filter(tier=Tier.PRIMARY).select_related("region")
    region_code = (
        user.facility.region_code if user.facility_id else (user.region.code if user.region_id else "")
    )
    if region_code:
        qs = qs.annotate(
            nearness=Case(
                When(region_code=region_code, then=Value(0)),
                When(region_code__startswith=region_code[:4], then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        ).order_by("nearness", "region_code", "name_zh")
    return qs


class FacilityChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.name} ({obj.region.name})"


class RegistrationForm(forms.Form):
    """A woman and her pregnancy, registered together."""

    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=100)
    id_number = forms.CharField(
        label=_("Resident ID number"),
        max_length=30,
        required=False,
        help_text=_("18 characters. The date of birth is taken from it."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    document_type = forms.ChoiceField(
        label=_("Other document"),
        required=False,
        choices=_blank_choices(DocumentType.choices, _("None")),
    )
    document_number = forms.CharField(label=_("Document number"), max_length=40, required=False)
    birth_date = forms.DateField(
        label=_("Date of birth"),
        required=False,
        widget=DATE,
        help_text=_("Only needed without a resident ID number."),
    )
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel"}),
    )
    residence_region = forms.ModelChoiceField(
        label=_("Residence (region code)"),
        queryset=Region.objects.all(),
        to_field_name="code",
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "maxlength": 6, "placeholder": "450102"}),
        help_text=_("6-digit administrative division code of where she lives."),
        error_messages={"invalid_choice": _("Unknown region code.")},
    )
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    emergency_contact_name = forms.CharField(label=_("Emergency contact"), max_length=100, required=False)
    emergency_contact_phone = forms.CharField(
        label=_("Emergency contact phone"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel"}),
    )

    lmp = forms.DateField(label=_("Last menstrual period"), required=False, widget=DATE)
    edd = forms.DateField(
        label=_("Expected date of delivery"),
        required=False,
        widget=DATE,
        help_text=_("Leave empty when the LMP is known: it is computed."),
    )
    cycle_length = forms.IntegerField(
        label=_("Cycle length (days)"),
        initial=28,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    gravida = forms.IntegerField(
        label=_("Gravida"),
        required=False,
        help_text=_("Pregnancies including this one."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    para = forms.IntegerField(
        label=_("Para"),
        required=False,
        help_text=_("Previous births."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    fetuses = forms.IntegerField(
        label=_("Number of fetuses"),
        initial=1,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    follow_up_facility = FacilityChoiceField(
        label=_("Follow-up facility (primary care)"),
        queryset=Facility.objects.none(),
        required=False,
        to_field_name="external_id",
        empty_label=_("Not yet chosen"),
        help_text=_("Where she lives: tracing and postpartum visits."),
    )
    hiv_status = forms.ChoiceField(
        label=_("HIV"), choices=InfectionStatus.choices, initial=InfectionStatus.UNKNOWN
    )
    syphilis_status = forms.ChoiceField(
        label=_("Syphilis"), choices=InfectionStatus.choices, initial=InfectionStatus.UNKNOWN
    )
    hbv_status = forms.ChoiceField(
        label=_("Hepatitis B"), choices=InfectionStatus.choices, initial=InfectionStatus.UNKNOWN
    )
    confirm_different = forms.BooleanField(
        label=_("I have checked these records: this is a different woman."),
        required=False,
    )

    PATIENT_FIELDS = (
        "name",
        "id_number",
        "document_type",
        "document_number",
        "birth_date",
        "phone",
        "residence_region",
        "address",
        "emergency_contact_name",
        "emergency_contact_phone",
    )
    PREGNANCY_FIELDS = (
        "lmp",
        "edd",
        "cycle_length",
        "gravida",
        "para",
        "fetuses",
        "follow_up_facility",
        "hiv_status",
        "syphilis_status",
        "hbv_status",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["follow_up_facility"].queryset = follow_up_facilities(user)

    def patient_data(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in self.PATIENT_FIELDS}

    def pregnancy_data(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in self.PREGNANCY_FIELDS}


# --- emergency arrival --------------------------------------------------------------------------------

VITAL_FIELDS = (
    "sbp_mmhg",
    "dbp_mmhg",
    "pulse_bpm",
    "respiratory_rate",
    "spo2_pct",
    "temperature_c",
    "consciousness",
)


class EmergencyForm(forms.Form):
    """The minimum to register a woman who arrives with no antenatal care, in under a minute."""

    estimated_age_years = forms.IntegerField(
        label=_("Estimated age (years)"),
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "autofocus": True}),
    )
    estimated_ga_weeks = forms.IntegerField(
        label=_("Estimated gestational age (weeks)"),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        help_text=_("From fundal height or ultrasound."),
    )
    sbp_mmhg = _number(label=_("Systolic BP (mmHg)"))
    dbp_mmhg = _number(label=_("Diastolic BP (mmHg)"))
    pulse_bpm = _number(label=_("Pulse (/min)"))
    respiratory_rate = _number(label=_("Respiratory rate (/min)"))
    spo2_pct = _number(label=_("SpO2 (%)"))
    temperature_c = _number(decimal=True, step="0.1", label=_("Temperature (°C)"))
    consciousness = forms.ChoiceField(
        label=_("Consciousness (AVPU)"), required=False, choices=_blank_choices(Consciousness.choices)
    )
    chief_complaint = forms.CharField(
        label=_("Chief complaint"), max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    name = forms.CharField(
        label=pgettext_lazy("person", "Name"),
        max_length=100,
        required=False,
        help_text=_("Leave empty if unknown."),
    )
    companion_phone = forms.CharField(
        label=_("Companion's phone"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel"}),
    )
    id_number = forms.CharField(
        label=_("Resident ID number"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def vitals(self) -> dict:
        return {
            name: self.cleaned_data.get(name)
            for name in VITAL_FIELDS
            if self.cleaned_data.get(name) not in (None, "")
        }


# --- visits -------------------------------------------------------------------------------------------

MEASUREMENT_FIELDS = (
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
)


class VisitForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of visit"), choices=VisitKind.choices)
    visited_at = forms.DateTimeField(
        label=_("Date and time"), widget=DATETIME, input_formats=DATETIME_FORMATS
    )
    sbp_mmhg = _number(label=_("Systolic BP (mmHg)"))
    dbp_mmhg = _number(label=_("Diastolic BP (mmHg)"))
    pulse_bpm = _number(label=_("Pulse (/min)"))
    temperature_c = _number(decimal=True, step="0.1", label=_("Temperature (°C)"))
    respiratory_rate = _number(label=_("Respiratory rate (/min)"))
    spo2_pct = _number(label=_("SpO2 (%)"))
    consciousness = forms.ChoiceField(
        label=_("Consciousness (AVPU)"), required=False, choices=_blank_choices(Consciousness.choices)
    )
    weight_kg = _number(decimal=True, step="0.1", label=_("Weight (kg)"))
    height_cm = _number(decimal=True, step="0.1", label=_("Height (cm)"))
    hb_g_l = _number(label=_("Haemoglobin (g/L)"))
    platelets_10e9_l = _number(label=_("Platelets (×10⁹/L)"))
    proteinuria = forms.ChoiceField(
        label=_("Proteinuria"), required=False, choices=_blank_choices(Proteinuria.choices)
    )
    glucose_mmol_l = _number(decimal=True, step="0.1", label=_("Glucose (mmol/L)"))
    fundal_height_cm = _number(label=_("Fundal height (cm)"))
    fetal_heart_rate = _number(label=_("Fetal heart rate (/min)"))
    presentation = forms.ChoiceField(
        label=_("Presentation"), required=False, choices=_blank_choices(Presentation.choices)
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    next_visit_date = forms.DateField(label=_("Next visit"), required=False, widget=DATE)
    confirm_unusual = forms.MultipleChoiceField(
        required=False,
        choices=[(name, name) for name in MEASUREMENT_FIELDS],
        widget=forms.MultipleHiddenInput,
    )

    VITALS = (
        "sbp_mmhg",
        "dbp_mmhg",
        "pulse_bpm",
        "temperature_c",
        "respiratory_rate",
        "spo2_pct",
        "consciousness",
    )
    BODY_AND_LABS = ("weight_kg", "height_cm", "hb_g_l", "platelets_10e9_l", "proteinuria", "glucose_mmol_l")
    FETAL = ("fundal_height_cm", "fetal_heart_rate", "presentation")

    def __init__(self, *args, postpartum: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["visited_at"].initial = timezone.localtime().replace(second=0, microsecond=0)
        self.fields["kind"].initial = VisitKind.POSTPARTUM if postpartum else VisitKind.ANTENATAL
        # The delivery itself has its own form.
        self.fields["kind"].choices = [c for c in VisitKind.choices if c[0] != VisitKind.DELIVERY]

    def measurements(self) -> dict:
        return {
            name: self.cleaned_data.get(name)
            for name in MEASUREMENT_FIELDS
            if self.cleaned_data.get(name) not in (None, "")
        }


# --- delivery -----------------------------------------------------------------------------------------


class DeliveryForm(forms.Form):
    delivered_at = forms.DateTimeField(
        label=_("Delivered at"), widget=DATETIME, input_formats=DATETIME_FORMATS
    )
    mode = forms.ChoiceField(label=_("Mode of delivery"), choices=_blank_choices(DeliveryMode.choices, "—"))
    facility = forms.ModelChoiceField(
        label=_("Facility"),
        queryset=Facility.objects.none(),
        to_field_name="external_id",
        required=False,
        empty_label=None,
    )
    born_outside_facility = forms.BooleanField(label=_("Born outside a health facility"), required=False)
    blood_loss_ml = forms.IntegerField(
        label=_("Blood loss (mL)"), required=False, widget=forms.NumberInput(attrs={"inputmode": "numeric"})
    )
    complications = forms.MultipleChoiceField(
        label=_("Complications"),
        required=False,
        choices=DeliveryComplication.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    near_miss_criteria = forms.MultipleChoiceField(
        label=_("Near-miss criteria (WHO)"),
        required=False,
        choices=NearMissCriterion.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick any that applied: one is enough to record a maternal near miss."),
    )
    discharged_at = forms.DateTimeField(
        label=_("Discharged at"), required=False, widget=DATETIME, input_formats=DATETIME_FORMATS
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        qs = Facility.objects.active()
        if user.facility_id:
            qs = qs.annotate(
                own=Case(
                    When(pk=user.facility_id, then=Value(0)), default=Value(1), output_field=IntegerField()
                )
            ).order_by("own", "region_code", "name_zh")
            self.fields["facility"].initial = user.facility.external_id
        self.fields["facility"].queryset = qs
        self.fields["delivered_at"].initial = timezone.localtime().replace(second=0, microsecond=0)


class NewbornForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=NewbornOutcome.choices, initial=NewbornOutcome.LIVE_BIRTH
    )
    sex = forms.ChoiceField(label=_("Sex"), required=False, choices=_blank_choices(Sex.choices))
    weight_g = forms.IntegerField(
        label=_("Birth weight (g)"), required=False, widget=forms.NumberInput(attrs={"inputmode": "numeric"})
    )
    apgar_1 = forms.IntegerField(
        label=_("Apgar 1 min"), required=False, widget=forms.NumberInput(attrs={"inputmode": "numeric"})
    )
    apgar_5 = forms.IntegerField(
        label=_("Apgar 5 min"), required=False, widget=forms.NumberInput(attrs={"inputmode": "numeric"})
    )


NewbornFormSet = forms.formset_factory(NewbornForm, extra=0, max_num=8, absolute_max=8)


# --- other steps --------------------------------------------------------------------------------------


class RevealForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)


class DatingForm(forms.Form):
    """An ultrasound dating: scan date and the gestational age it showed."""

    scan_date = forms.DateField(label=_("Scan date"), widget=DATE)
    ga_weeks = forms.IntegerField(
        label=_("Weeks"), min_value=0, max_value=45, widget=forms.NumberInput(attrs={"inputmode": "numeric"})
    )
    ga_days = forms.IntegerField(
        label=_("Days"),
        min_value=0,
        max_value=6,
        initial=0,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    crl_mm = forms.DecimalField(
        label=_("Crown-rump length (mm)"),
        required=False,
        max_digits=4,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.1"}),
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=300, required=False, help_text=_("Required if the EDD changes.")
    )


class TransitionForm(forms.Form):
    to_status = forms.ChoiceField(label=_("New status"), choices=())
    reason = forms.CharField(label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, current: str, has_outcome: bool, **kwargs):
        super().__init__(*args, **kwargs)
        S = PregnancyStatus
        if current == S.LOST_TO_FOLLOW_UP:
            back = S.POSTPARTUM if has_outcome else S.ACTIVE
            choices = [(back, _("Found again: back to %(status)s") % {"status": back.label})]
        elif current in (S.ACTIVE, S.POSTPARTUM):
            choices = [
                (S.LOST_TO_FOLLOW_UP, S.LOST_TO_FOLLOW_UP.label),
                (S.TRANSFERRED_OUT, S.TRANSFERRED_OUT.label),
            ]
        else:
            choices = []
        self.fields["to_status"].choices = choices
