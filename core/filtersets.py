"""``LeanFilterSet``: django-filter's ``FilterSet`` without the per-request rebuilding of what never changes.

For every request, django-filter's ``FilterSet`` deep-copies each declared filter (its choices and lazy
labels included), then makes a new form class out of them (``type()`` through Django's form metaclass),
whose instance deep-copies the form fields once more. On the worklist and the pregnancy list API, which
every clinician opens all day, that was about a tenth of the request (issue #9).

Here each request gets a shallow copy of each filter (its own ``parent``, ``model`` and ``extra``: all
that a filter changes about itself) and the form class is made once per filterset class, from the
first instance's filters, exactly as django-filter makes it. Each form instance still gets its own copy
of each field (the choices as a new list of the same pairs: ``_Fields``), so a view may change its own
form's fields (the worklist narrows the status choices) without touching anyone else's.

Bound to data that is not valid, a ``LeanFilterSet`` selects nothing (``qs``): the page shows the error
and no rows, never rows the filter did not filter.

Not for a filterset whose form fields depend on the request (django-filter's ``ModelChoiceFilter`` with
a callable queryset): ``LeanFilterSet`` refuses to make a form for one.
"""

import copy

import django_filters
from django import forms
from django.http import QueryDict
from django.utils.functional import lazy
from django_filters.filters import QuerySetRequestMixin
from django_filters.utils import label_for_filter

# django-filter's label for a filter declared without one (the model field's verbose name), worked out
# in the language active when the form shows it.
_derived_label = lazy(label_for_filter, str)


def _own_copy(declared, model, parent):
    """A filter of one filterset instance: ``declared`` (the class's) copied without its values."""
    own = copy.copy(declared)
    own.extra = dict(declared.extra)
    if declared.method is not None:
        # the copy's FilterMethod must call back through the copy (its ``parent``), not the class's filter
        own.method = declared.method
    own.model = model
    own.parent = parent
    return own


class _Fields(dict):
    """A form class's ``base_fields`` whose deep copy (Django's forms make one per form instance) gives
    each choice field a new list of the same (value, label) pairs instead of copying every pair and lazy
    label one by one: two thirds of a filter form's construction went there. Everything else is copied
    as Django copies it, including django-filter's choice iterator (a new one, on the new field)."""

    def __deepcopy__(self, memo):
        for field in self.values():
            if isinstance(field, forms.ChoiceField):
                choices = field._choices  # a list, or django-filter's ChoiceIterator around one
                pairs = choices if type(choices) is list else getattr(choices, "choices", None)
                if type(pairs) is list:
                    memo[id(pairs)] = list(pairs)  # what the field's deep copy finds for them
        return {name: copy.deepcopy(field, memo) for name, field in self.items()}


class LeanFilterSet(django_filters.FilterSet):
    """A ``FilterSet`` whose filters are copied shallowly per instance and whose form class is made once."""

    @classmethod
    def get_filters(cls):
        """django-filter's filters of the class, those declared without a label given one that follows the
        language: django-filter writes the model field's verbose name out as text in the language of the
        moment and keeps it on the filter, so whatever read it first (the form class made once, the
        OpenAPI schema) fixed that language for everyone (the follow-up list said "Status" in Chinese)."""
        filters = super().get_filters()
        model = cls._meta.model
        if model is not None:
            for f in filters.values():
                if f._label is None:
                    f.label = _derived_label(model, f.field_name, f.lookup_expr, f.exclude)
        return filters

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        # what django-filter's __init__ does, but for the copies
        if queryset is None:
            queryset = self._meta.model._default_manager.all()
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = queryset
        self.request = request
        self.form_prefix = prefix
        model = queryset.model
        self.filters = {name: _own_copy(f, model, self) for name, f in self.base_filters.items()}

    @property
    def qs(self):
        """The filtered queryset; nothing when the data is bound but not valid. django-filter applies the
        filters whose values are valid and drops the others, so a page with a mistyped filter listed,
        under its error, everything the other filters let through: a worklist that looks filtered and
        is not. (The API never gets here with invalid data: it answers 400 first.)"""
        if not hasattr(self, "_qs"):
            if self.is_bound and not self.is_valid():
                self._qs = self.queryset.none()
            else:
                super().qs  # noqa: B018 - django-filter's property sets ``_qs``
        return self._qs

    def get_form_class(self):
        form_class = type(self).__dict__.get("_form_class")
        if form_class is None:
            per_request = [
                name
                for name, f in self.filters.items()
                if isinstance(f, QuerySetRequestMixin) and callable(f.queryset)
            ]
            if per_request:
                raise TypeError(
                    f"{type(self).__name__}: the choices of {', '.join(per_request)} depend on the request; "
                    "a LeanFilterSet makes its form class once"
                )
            form_class = super().get_form_class()
            form_class.base_fields = _Fields(form_class.base_fields)
            type(self)._form_class = form_class
        return form_class
