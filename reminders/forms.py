"""The decision on a lost-to-follow-up proposal: a reason is required (the service says so, too)."""

from django import forms
from django.utils.translation import gettext_lazy as _


class FollowUpDecisionForm(forms.Form):
    reason = forms.CharField(label=_("What tracing found"), max_length=1000, required=False)
    # where the button was: the home page's block, or the follow-up list page
    next = forms.ChoiceField(choices=[("home", "home"), ("list", "list")], required=False)
