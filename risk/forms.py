"""Forms of the risk pages. They check input types only; the services decide what is allowed.

The grading form is built from the applicable catalogue version: one input per measurement field of
the version's rule language, one checkbox per criterion, one "reviewed" box per category and one
reason per previously fired criterion (needed when it is un-ticked).
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.choices import Role
from accounts.models import User
from cases.choices import Consciousness

# Measurement fields of the catalogue's rule language: label and unit (the unit is not translated).
FIELD_LABELS: dict[str, tuple[str, str]] = {
    "age_years": (_("Age"), ""),
    "height_cm": (_("Height"), "cm"),
    "bmi_kg_m2": (_("BMI"), "kg/m²"),
    "ga_weeks": (_("Gestational age (weeks)"), ""),
    "postpartum_days": (_("Postpartum days"), ""),
    "fetal_count": (_("Number of fetuses"), ""),
    "sbp_mmhg": (_("Systolic BP"), "mmHg"),
    "dbp_mmhg": (_("Diastolic BP"), "mmHg"),
    "hb_g_l": (_("Hb"), "g/L"),
    "plt_10e9_l": (_("Platelets"), "×10⁹/L"),
    "spo2_pct": (_("SpO2"), "%"),
    "nyha_class": (_("NYHA class"), ""),
    "lvef_pct": (_("LVEF"), "%"),
    "pasp_mmhg": (_("PASP"), "mmHg"),
    "fpg_mmol_l": (_("Fasting glucose"), "mmol/L"),
    "total_bile_acid_umol_l": (_("Total bile acids"), "µmol/L"),
    "rh_negative": (_("Rh negative"), ""),
    "interpregnancy_interval_months": (_("Interpregnancy interval"), _("months")),
    "abortion_count": (_("Previous pregnancy losses"), ""),
    "prior_uterine_surgery_count": (_("Previous uterine operations"), ""),
    "months_since_last_uterine_surgery": (_("Months since the last uterine operation"), ""),
    "pelvic_mass_max_cm": (_("Largest pelvic mass"), "cm"),
    "bleeding_tendency": (_("Bleeding tendency"), ""),
    "plt_progressive_decline": (_("Platelets falling progressively"), ""),
    "ferritin_ug_l": (_("Ferritin"), "µg/L"),
    "urine_glucose_positive": (_("Glycosuria"), ""),
    "mitral_valve_area_cm2": (_("Mitral valve area"), "cm²"),
    "aortic_valve_gradient_mmhg": (_("Aortic valve gradient"), "mmHg"),
    "aortic_diameter_mm": (_("Aortic diameter"), "mm"),
    "serum_creatinine_x_uln": (_("Creatinine (× upper limit of normal)"), ""),
    "urine_output_ml_24h": (_("Urine output"), "mL/24h"),
    "bmr_pct": (_("Basal metabolic rate"), "%"),
    "prednisone_mg_day": (_("Prednisone-equivalent dose"), "mg/d"),
    "steroid_months": (_("Months on steroids"), ""),
    "disease_active": (_("Autoimmune disease active"), ""),
    "diabetic_nephropathy_stage": (_("Diabetic nephropathy stage"), ""),
    "efw_g": (_("Estimated fetal weight"), "g"),
    "afi_cm": (_("Amniotic fluid index"), "cm"),
    "dvp_cm": (_("Deepest vertical pocket"), "cm"),
    "preeclampsia": (_("Pre-eclampsia"), ""),
    "malpresentation": (_("Malpresentation"), ""),
    "cardiopulmonary_decline": (_("Reduced heart or lung function"), ""),
    "family_hx_hypertension": (_("Family history of hypertension"), ""),
    "uterine_scar": (_("Scarred uterus"), ""),
    "placenta_previa_central": (_("Central placenta praevia"), ""),
    "suspected_placenta_accreta": (_("Suspected placenta accreta"), ""),
    "pulmonary_hypertension": (_("Pulmonary hypertension"), ""),
    "cyanotic_chd_unrepaired": (_("Unrepaired cyanotic heart disease"), ""),
    "renal_disease_with_hypertension": (_("Kidney disease with hypertension"), ""),
    "heart_disease": (_("Heart disease"), ""),
    "kidney_disease": (_("Kidney disease"), ""),
    "threatened_preterm_labour": (_("Threatened preterm labour"), ""),
    "mitral_stenosis": (_("Mitral stenosis"), ""),
    "aortic_stenosis": (_("Aortic stenosis"), ""),
    "aortic_disease": (_("Aortic disease"), ""),
    "coagulation_disorder": (_("Coagulation disorder"), ""),
    "autoimmune_disease": (_("Autoimmune disease"), ""),
}

# Shown first, always open: what the grading table asks for most often.
COMMON_FIELDS = (
    "age_years",
    "height_cm",
    "bmi_kg_m2",
    "ga_weeks",
    "postpartum_days",
    "fetal_count",
    "sbp_mmhg",
    "dbp_mmhg",
    "hb_g_l",
    "plt_10e9_l",
    "spo2_pct",
    "nyha_class",
    "lvef_pct",
    "pasp_mmhg",
)

CATEGORY_LABELS: dict[str, str] = {
    "basic_condition": _("Basic condition"),
    "obstetric_history": _("Obstetric history"),
    "gynecologic": _("Gynaecological disease and surgery"),
    "family_history": _("Family history"),
    "past_history": _("Past medical history"),
    "laboratory": _("Laboratory results"),
    "symptoms_signs": _("Symptoms and signs"),
    "cardiovascular": _("Cardiovascular"),
    "respiratory": _("Respiratory"),
    "digestive_hepatic": _("Digestive and liver"),
    "renal": _("Renal"),
    "endocrine": _("Endocrine"),
    "hematologic": _("Haematological"),
    "neurologic": _("Neurological"),
    "psychiatric": _("Psychiatric"),
    "immune_rheumatic": _("Immune and rheumatic"),
    "tumor": _("Malignant tumour"),
    "sexually_transmitted": _("Sexually transmitted infections"),
    "substance_use": _("Substance use"),
    "infectious": pgettext_lazy("criterion category", "Infectious diseases"),
    "current_pregnancy": _("Current pregnancy"),
    "postpartum": pgettext_lazy("criterion category", "Postpartum"),
    "other": _("Other"),
}

OVERRIDE_CHOICES = [
    ("", _("No override: use the computed colour")),
    ("green", _("Green")),
    ("yellow", _("Yellow")),
    ("orange", _("Orange")),
    ("red", _("Red")),
]
YES_NO = [("", _("Not known")), ("true", _("Yes")), ("false", _("No"))]


def field_label(name: str) -> str:
    return str(FIELD_LABELS.get(name, (name, ""))[0])


def field_unit(name: str) -> str:
    return str(FIELD_LABELS.get(name, ("", ""))[1])


def category_label(category: str) -> str:
    return str(CATEGORY_LABELS.get(category, category))


def _to_bool(value: str) -> bool | None:
    return {"true": True, "false": False}.get(value)


class GradingForm(forms.Form):
    """Built per request from the catalogue's fields and criteria.

    ``m_<field>`` measurement inputs, ``criteria`` (ticked codes), ``reviewed`` (categories or "all"),
    ``untick_<code>`` reasons for previously fired criteria, ``override_color`` and ``reason``.
    """

    override_color = forms.ChoiceField(label=_("Override colour"), choices=OVERRIDE_CHOICES, required=False)
    reason = forms.CharField(
        label=_("Reason for the override"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(
        self,
        data=None,
        *,
        fields_spec: dict,
        codes: list[str],
        categories: list[str],
        previous: list[str],
        initial_values: dict | None = None,
        initial_ticked=(),
        **kwargs,
    ):
        super().__init__(data, **kwargs)
        self.fields_spec = fields_spec
        self.previous = previous
        for name, spec in fields_spec.items():
            label, initial = field_label(name), (initial_values or {}).get(name)
            low, high = (spec.get("range") or [None, None])[:2]
            if spec["type"] == "boolean":
                field = forms.TypedChoiceField(
                    label=label, choices=YES_NO, coerce=_to_bool, empty_value=None, required=False
                )
                initial = {True: "true", False: "false"}.get(initial, "")
            elif spec["type"] == "integer":
                field = forms.IntegerField(label=label, required=False, min_value=low, max_value=high)
            else:
                field = forms.FloatField(
                    label=label,
                    required=False,
                    min_value=low,
                    max_value=high,
                    widget=forms.NumberInput(attrs={"step": "any"}),
                )
            field.initial = initial
            field.widget.attrs.setdefault("class", "measure-input")
            self.fields[f"m_{name}"] = field
        self.fields["criteria"] = forms.MultipleChoiceField(
            choices=[(c, c) for c in codes], required=False, initial=list(initial_ticked)
        )
        self.fields["reviewed"] = forms.MultipleChoiceField(
            choices=[(c, c) for c in [*categories, "all"]], required=False
        )
        for code in previous:
            self.fields[f"untick_{code}"] = forms.CharField(
                label=_("Why does this no longer apply?"),
                max_length=500,
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def measurement_values(self) -> dict:
        """The measurement values the form holds (empty inputs left out)."""
        data = self.cleaned_data
        return {name: data.get(f"m_{name}") for name in self.fields_spec if data.get(f"m_{name}") is not None}

    def untick_reasons(self) -> dict:
        return {
            code: self.cleaned_data.get(f"untick_{code}", "")
            for code in self.previous
            if self.cleaned_data.get(f"untick_{code}")
        }


def changed_measurements(values: dict, record: dict) -> dict:
    """What the clinician entered or changed: values that differ from the record's (sent as request
    measurements, so the record's own values keep their source)."""
    return {name: value for name, value in values.items() if record.get(name) != value}


class CosignForm(forms.Form):
    approve = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("yes", _("Approve the grade")), ("no", _("Refuse the grade"))],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note (required when refusing)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CaseManagementForm(forms.Form):
    """Assign the case manager (an active obstetrician or midwife of the managing facility) or edit
    the plan."""

    manager = forms.ModelChoiceField(
        label=_("Case manager"),
        queryset=User.objects.none(),
        required=False,
        to_field_name="external_id",
        empty_label=_("— keep —"),
    )
    plan = forms.CharField(
        label=_("Individual management plan"),
        max_length=10000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, facility_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["manager"].queryset = manager_candidates([facility_id])


def manager_candidates(facility_ids):
    """Active obstetricians and midwives of the given facilities (who may be named case manager)."""
    return User.objects.filter(
        facility_id__in=facility_ids, is_active=True, roles__overlap=[Role.OBSTETRICIAN, Role.MIDWIFE]
    ).order_by("display_name", "username")


class ReportSubmitForm(forms.Form):
    summary = forms.CharField(
        label=_("Report summary"), max_length=10000, widget=forms.Textarea(attrs={"rows": 3})
    )
    management_plan = forms.CharField(
        label=_("Management plan"), max_length=10000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class ObservationForm(forms.Form):
    taken_at = forms.DateTimeField(
        label=_("Taken at (empty: now)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    temperature_c = forms.DecimalField(
        label=_("Temperature (°C)"),
        max_digits=3,
        decimal_places=1,
        required=False,
        widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
    )
    sbp_mmhg = forms.IntegerField(label=_("Systolic BP (mmHg)"), required=False)
    dbp_mmhg = forms.IntegerField(label=_("Diastolic BP (mmHg)"), required=False)
    pulse_bpm = forms.IntegerField(label=_("Heart rate (/min)"), required=False)
    respiratory_rate = forms.IntegerField(label=_("Respiratory rate (/min)"), required=False)
    spo2_pct = forms.IntegerField(label=_("SpO2 (%)"), required=False)
    pain_score = forms.IntegerField(label=_("Pain score (0–10)"), required=False, min_value=0, max_value=10)
    consciousness = forms.ChoiceField(
        label=_("Consciousness (AVPU)"),
        required=False,
        choices=[("", _("Not assessed")), *Consciousness.choices],
    )

    def values(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "taken_at" and v not in (None, "")}
