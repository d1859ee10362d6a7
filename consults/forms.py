"""HTML forms of the MDT consultation pages: input types only. The services check every rule; a view maps
the service's errors back onto the form (``cases.forms.apply_service_errors``)."""

import datetime as dt

from django import forms
from django.db.models import Case, IntegerField, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.choices import Role
from accounts.models import User
from facilities.choices import Specialty, Tier
from facilities.models import Facility

from .choices import Attendance, ConsultUrgency, DecisionKind

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def _text(rows: int = 3, **attrs) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, **attrs})


class UserChoiceField(forms.ModelChoiceField):
    """A person as a coordinator recognises her: name, title, specialty, facility."""

    def label_from_instance(self, obj: User) -> str:
        parts = [obj.name]
        if obj.title:
            parts.append(str(obj.get_title_display()))
        if obj.specialty:
            parts.append(str(obj.get_specialty_display()))
        if obj.facility_id:
            parts.append(obj.facility.name)
        return " · ".join(parts)


# --- request ------------------------------------------------------------------------------------------


def coordinating_facilities(user):
    """Where an MDT can be run: the requester's own facility first, then secondary and tertiary ones."""
    own = user.facility_id or 0
    return (
        Facility.objects.active()
        .filter(Q(pk=own) | Q(tier__in=[Tier.SECONDARY, Tier.TERTIARY]))
        .annotate(own=Case(When(pk=own, then=Value(0)), default=Value(1), output_field=IntegerField()))
        .order_by("own", "-tier", "region_code", "name_zh")
    )


class ConsultRequestForm(forms.Form):
    urgency = forms.ChoiceField(
        label=_("Urgency"), choices=ConsultUrgency.choices, widget=forms.RadioSelect, initial="routine"
    )
    question = forms.CharField(
        label=_("Clinical question"),
        max_length=5000,
        widget=_text(4),
        help_text=_(
            "What should the team decide? E.g. continue the pregnancy, timing and place of delivery."
        ),
    )
    specialties = forms.MultipleChoiceField(
        label=_("Specialties needed"), choices=Specialty.choices, widget=forms.CheckboxSelectMultiple
    )
    coordinating_facility = forms.ModelChoiceField(
        label=_("Coordinating facility"),
        queryset=Facility.objects.none(),
        help_text=_("Where the MDT is run. Your own facility unless a higher-level centre runs it."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["coordinating_facility"].queryset = coordinating_facilities(user)
        self.fields["coordinating_facility"].initial = user.facility_id


# --- scheduling ---------------------------------------------------------------------------------------

INVITABLE_ROLES = [Role.OBSTETRICIAN, Role.SPECIALIST, Role.MIDWIFE, Role.MDT_COORDINATOR]
CANDIDATES_SHOWN = 40


def invitable_users():
    return (
        User.objects.filter(is_active=True, roles__overlap=[r.value for r in INVITABLE_ROLES])
        .select_related("facility")
        .order_by("-facility__tier", "facility__name_zh", "specialty", "display_name", "id")
    )


class ScheduleForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=DATE)
    start_time = forms.TimeField(label=_("Start"), widget=TIME)
    end_time = forms.TimeField(label=_("End"), widget=TIME)
    location = forms.CharField(
        label=_("Place"), max_length=200, required=False, help_text=_("E.g. MDT room, 5th floor")
    )
    meeting_url = forms.URLField(
        label=_("Remote meeting link"),
        required=False,
        assume_scheme="https",
        help_text=_("For participants joining remotely"),
    )
    participants = forms.ModelMultipleChoiceField(
        label=_("Participants"), queryset=User.objects.none(), required=False
    )
    allow_double_booking = forms.BooleanField(
        label=_("I know, book anyway"),
        required=False,
        help_text=_("The people listed above keep both commitments."),
    )
    # The people search (does not change what is saved).
    find_specialty = forms.ChoiceField(
        label=_("Specialty"), choices=[("", _("Specialties requested")), *Specialty.choices], required=False
    )
    find_q = forms.CharField(label=_("Name or facility"), max_length=60, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["participants"].queryset = invitable_users()

    def slot(self) -> tuple[dt.datetime, dt.datetime] | None:
        """(start, end) as aware datetimes in the local time zone, if the three fields are valid."""
        data = getattr(self, "cleaned_data", {})
        day, start, end = data.get("date"), data.get("start_time"), data.get("end_time")
        if day is None or start is None or end is None:
            return None
        zone = timezone.get_current_timezone()
        return (
            timezone.make_aware(dt.datetime.combine(day, start), zone),
            timezone.make_aware(dt.datetime.combine(day, end), zone),
        )


# --- the consult page ---------------------------------------------------------------------------------


class DeclineForm(forms.Form):
    reason = forms.CharField(label=_("Reason (optional)"), max_length=500, required=False)


class OpinionForm(forms.Form):
    specialty = forms.ChoiceField(label=_("Specialty"), choices=Specialty.choices)
    attendance = forms.ChoiceField(
        label=_("Attendance"), choices=[("", "—"), *Attendance.choices], required=False
    )
    text = forms.CharField(label=_("Opinion"), max_length=20000, widget=_text(5))


class SignForm(forms.Form):
    decision_kind = forms.ChoiceField(label=_("Decision"), choices=DecisionKind.choices)
    decision = forms.CharField(
        label=_("Decision text"),
        max_length=20000,
        widget=_text(3),
        help_text=_("Signatures count only for exactly this text."),
    )


class ConcludeForm(forms.Form):
    recommendations = forms.CharField(label=_("Agreed recommendations"), max_length=20000, widget=_text(4))
    decision_kind = forms.ChoiceField(label=_("Decision"), choices=DecisionKind.choices)
    decision = forms.CharField(label=_("Decision text"), max_length=20000, widget=_text(3))
    womans_choice = forms.CharField(
        label=_("The woman's informed choice"), max_length=5000, required=False, widget=_text(2)
    )
    follow_up_on = forms.DateField(label=_("Follow-up date"), required=False, widget=DATE)


class ActionItemForm(forms.Form):
    owner = UserChoiceField(label=_("Owner"), queryset=User.objects.none(), required=False)
    due = forms.DateField(label=pgettext_lazy("action item", "Due"), required=False, widget=DATE)
    text = forms.CharField(label=pgettext_lazy("action item", "Action"), max_length=5000, required=False)

    def __init__(self, *args, owners=None, **kwargs):
        super().__init__(*args, **kwargs)
        if owners is not None:
            self.fields["owner"].queryset = owners

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {}) or {}
        return not (data.get("owner") or data.get("due") or (data.get("text") or "").strip())


ActionItemFormSet = forms.formset_factory(ActionItemForm, extra=3, max_num=20)


def action_owners(consult):
    """Who may own an action: active staff of the facilities involved, and the invited participants."""
    facilities = {
        consult.coordinating_facility_id,
        consult.requesting_facility_id,
        consult.pregnancy.managing_facility_id,
    }
    return (
        User.objects.filter(is_active=True)
        .filter(Q(facility_id__in=facilities) | Q(consult_invitations__consult=consult))
        .distinct()
        .select_related("facility")
        .order_by("facility__name_zh", "display_name", "id")
    )


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason for cancelling"), max_length=5000, widget=_text(2))


class AddendumForm(forms.Form):
    text = forms.CharField(label=_("Addendum"), max_length=20000, widget=_text(3))


class ActionDoneForm(forms.Form):
    note = forms.CharField(label=_("Note (optional)"), max_length=5000, required=False)
