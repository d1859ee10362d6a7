"""The inbox filters and the acknowledgement note (input types only; the service decides)."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .choices import AlertKind, AlertStatus, Severity


def _blank(label):
    return [("", label)]


class InboxFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=_blank(_("Any status")) + list(AlertStatus.choices)
    )
    kind = forms.ChoiceField(
        label=pgettext_lazy("alert", "Kind"),
        required=False,
        choices=_blank(_("Any kind")) + list(AlertKind.choices),
    )
    severity = forms.ChoiceField(
        label=_("Severity"), required=False, choices=_blank(_("Any severity")) + list(Severity.choices)
    )
    unread = forms.BooleanField(label=_("Unread only"), required=False)

    def filters(self) -> dict:
        """Keyword arguments for ``inbox_item_list``; invalid values are ignored (the field shows why)."""
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "statuses": [data["status"]] if data.get("status") else None,
            "kinds": [data["kind"]] if data.get("kind") else None,
            "severities": [data["severity"]] if data.get("severity") else None,
            "unread": bool(data.get("unread")),
        }

    @property
    def active(self) -> bool:
        return self.is_valid() and any(self.cleaned_data.values())


class AcknowledgeForm(forms.Form):
    note = forms.CharField(
        label=_("Note (optional)"),
        required=False,
        max_length=1000,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. on my way, called the ward")}),
    )
