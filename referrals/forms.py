"""HTML forms of the referral pages: input types only. The services check every rule of the referral;
a view maps a service's ``ApplicationError`` back onto the form with ``apply_service_errors``."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.errors import ValidationFailed
from facilities.models import Facility

from .choices import Purpose, Transport, Urgency

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
OTHER = "other"


def _text(label, *, rows: int = 3, required: bool = False, max_length: int = 5000, **attrs):
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        widget=forms.Textarea(attrs={"rows": rows, **attrs}),
    )


def apply_service_errors(form: forms.BaseForm, exc, *, aliases: dict | None = None) -> None:
    """Put an ``ApplicationError``'s field errors on the form's fields (``aliases`` renames the
    service's field names to the form's). Other fields' errors of a ``ValidationFailed`` become
    non-field errors; otherwise the error's message does (a conflict says it once)."""
    aliases = aliases or {}
    placed = False
    for name, messages in (exc.errors or {}).items():
        target = aliases.get(name, name)
        if target in form.fields:
            for message in messages:
                form.add_error(target, message)
            placed = True
        elif isinstance(exc, ValidationFailed):
            for message in messages:
                form.add_error(None, message)
            placed = True
    if not placed:
        form.add_error(None, str(exc.message))


class FacilityChoiceField(forms.ModelChoiceField):
    """A facility by its public id, labelled with its name and region."""

    def label_from_instance(self, obj) -> str:
        return f"{obj.name} · {obj.region.name}"


def other_facilities(user):
    """Every active facility except the user's own, by region then name."""
    qs = Facility.objects.active().select_related("region").order_by("region_code", "name_zh")
    if user.facility_id is not None:
        qs = qs.exclude(pk=user.facility_id)
    return qs


class ReferralRequestForm(forms.Form):
    """Refer a woman: a suggested facility (radio cards) or any other active facility (searchable select)."""

    to_facility = forms.ChoiceField(label=_("Refer to"), widget=forms.RadioSelect)
    other_facility = FacilityChoiceField(
        label=_("Another facility"),
        queryset=Facility.objects.none(),
        required=False,
        to_field_name="external_id",
        empty_label=_("Choose a facility…"),
    )
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, widget=forms.RadioSelect)
    purpose = forms.ChoiceField(label=_("Purpose"), choices=Purpose.choices, initial=Purpose.CARE)
    transfers_management = forms.BooleanField(
        label=_("The receiving facility takes over the management of her pregnancy"),
        required=False,
        initial=True,
        help_text=_("Usually yes; not for a referral only for five-colour grading."),
    )
    reason = _text(_("Reason for the referral"), rows=4, required=True)
    treatments_given = _text(
        _("Treatments given"), rows=3, placeholder=_("Drugs, fluids, blood, magnesium sulfate… with times")
    )
    transport = forms.ChoiceField(
        label=_("Transport"), choices=[("", _("Not decided yet")), *Transport.choices], required=False
    )
    escort = forms.CharField(label=_("Escort (staff accompanying her)"), max_length=200, required=False)
    sender_contact = forms.CharField(label=_("Your contact phone"), max_length=40, required=False)
    decided_at = forms.DateTimeField(
        label=_("Decision to refer taken at"),
        required=False,
        widget=DATETIME,
        input_formats=DATETIME_FORMATS,
    )
    discharge_summary = _text(_("Discharge summary"), rows=5, max_length=10000)

    def __init__(self, *args, user, suggestions, show_discharge: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.suggestions = suggestions
        choices = [(str(s.facility.external_id), s.facility.name) for s in suggestions]
        self.fields["to_facility"].choices = [*choices, (OTHER, _("Another facility"))]
        self.fields["other_facility"].queryset = other_facilities(user)
        if not show_discharge:
            del self.fields["discharge_summary"]
        if not self.is_bound:
            self.initial.setdefault("decided_at", timezone.localtime().replace(second=0, microsecond=0))
            self.initial.setdefault("sender_contact", getattr(user, "phone", "") or "")
            if choices:
                self.initial.setdefault("to_facility", choices[0][0])
            else:
                self.initial.setdefault("to_facility", OTHER)

    def clean(self):
        data = super().clean()
        choice = data.get("to_facility")
        if choice == OTHER:
            if data.get("other_facility") is None:
                self.add_error("other_facility", _("Choose the facility."))
            else:
                data["facility"] = data["other_facility"]
        elif choice:
            data["facility"] = next(
                s.facility for s in self.suggestions if str(s.facility.external_id) == choice
            )
        return data


class ReasonForm(forms.Form):
    reason = _text(_("Reason"), rows=2, required=True)


class DeclineForm(ReasonForm):
    reason = _text(_("Reason for declining"), rows=2, required=True)


class CancelForm(ReasonForm):
    reason = _text(_("Reason for cancelling"), rows=2, required=True)


class RedirectForm(forms.Form):
    to_facility = FacilityChoiceField(
        label=_("Redirect to"),
        queryset=Facility.objects.none(),
        to_field_name="external_id",
        empty_label=_("Choose a facility…"),
    )
    reason = _text(_("Reason for redirecting"), rows=2, required=True)

    def __init__(self, *args, user, referral, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_facility"].queryset = other_facilities(user).exclude(pk=referral.from_facility_id)


class DepartForm(forms.Form):
    transport = forms.ChoiceField(
        label=_("Transport"), choices=[("", _("As planned")), *Transport.choices], required=False
    )
    escort = forms.CharField(label=_("Escort"), max_length=200, required=False)


class CompleteForm(forms.Form):
    findings = _text(_("Findings"), rows=4, required=True, max_length=10000)
    treatment = _text(_("Treatment given here"), rows=3, max_length=10000)
    disposition = _text(_("Disposition"), rows=2, required=True)
    recommendations = _text(_("Recommendations for the referring facility"), rows=3, max_length=10000)


class CommentForm(forms.Form):
    text = _text(_("Message"), rows=2, required=True)
