from django import forms
from django.utils.translation import gettext_lazy as _


class BreakGlassForm(forms.Form):
    reason = forms.CharField(
        label=_("Clinical reason for emergency access"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class BreakGlassReviewForm(forms.Form):
    note = forms.CharField(label=_("Review note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))
