"""``core.filtersets.LeanFilterSet``: the same filtering, errors and form as django-filter's ``FilterSet``,
without rebuilding filters and form class per request."""

import django_filters
import pytest
from django.http import QueryDict
from django.utils import translation

from accounts.models import User
from cases.choices import PregnancyStatus, RiskColor
from cases.filtersets import PregnancyFilterSet
from cases.models import Pregnancy
from core.filtersets import LeanFilterSet


class DjangoFilterTwin(PregnancyFilterSet):
    """The worklist's filterset as django-filter builds it: deep copies, a form class per instance."""

    __init__ = django_filters.FilterSet.__init__
    get_form_class = django_filters.FilterSet.get_form_class
    qs = django_filters.FilterSet.qs


QUERIES = [
    None,
    "",
    "status=active",
    "status=active&status=postpartum&risk_color=red&risk_color=orange",
    "purple=true",
    "ga_min=20&ga_max=30",
    "ga_max=12",
    "overdue=true",
    "overdue=false&q=%E7%8E%8B",
    "q=13800138000&edd_after=2026-01-01&edd_before=2026-12-31",
    "managing_facility=6f1c0d0e-8c1e-4b8e-9f55-0a7d1f0c2b11",
    # invalid: errors, no filtering
    "status=nope",
    "ga_min=-3&ga_max=99",
    "edd_after=2026-02-30",
    "managing_facility=not-a-uuid",
    "q=" + "x" * 101,
]


def _data(query):
    return None if query is None else QueryDict(query)


@pytest.mark.django_db
@pytest.mark.parametrize("query", QUERIES)
def test_the_same_statement_errors_and_form_as_django_filter(query):
    queryset = Pregnancy.objects.all()
    with translation.override("zh-hans"):
        lean = PregnancyFilterSet(_data(query), queryset=queryset)
        twin = DjangoFilterTwin(_data(query), queryset=queryset)

        assert lean.is_bound == twin.is_bound
        assert lean.is_valid() == twin.is_valid()
        assert lean.errors == twin.errors
        if lean.is_valid() or not lean.is_bound:
            assert str(lean.qs.query) == str(twin.qs.query)
        else:  # django-filter drops the invalid filters; here nothing is selected (test below)
            assert not lean.qs.exists()
        assert str(lean.form) == str(twin.form)


@pytest.mark.django_db
def test_a_method_filter_calls_the_instance_it_belongs_to():
    seen = []

    class Recording(LeanFilterSet):
        q = django_filters.CharFilter(method="filter_q")

        class Meta:
            model = Pregnancy
            fields = ["q"]

        def filter_q(self, queryset, name, value):
            seen.append((self, name, value))
            return queryset

    first = Recording(QueryDict("q=a"), queryset=Pregnancy.objects.all())
    second = Recording(QueryDict("q=b"), queryset=Pregnancy.objects.all())
    first.qs, second.qs  # noqa: B018 - evaluating filters

    assert seen == [(first, "q", "a"), (second, "q", "b")]
    assert first.filters["q"] is not second.filters["q"]
    assert first.filters["q"].parent is first
    assert not hasattr(Recording.base_filters["q"], "parent")  # the class's own filter is left as declared


@pytest.mark.django_db
def test_the_form_class_is_made_once_and_each_form_has_its_own_fields():
    one = PregnancyFilterSet(None, queryset=Pregnancy.objects.all())
    other = PregnancyFilterSet(QueryDict("status=active"), queryset=Pregnancy.objects.all())

    one.form.fields["status"].choices = [("active", "Active")]
    one.form.fields["risk_color"]._choices.choices.append(("black", "Black"))  # django-filter's iterator

    assert type(one.form) is type(other.form)
    assert [value for value, _ in other.form.fields["status"].choices] == PregnancyStatus.values
    assert [value for value, _ in other.form.fields["risk_color"].choices] == RiskColor.values
    fresh = PregnancyFilterSet(None).form.fields["risk_color"]
    assert [value for value, _ in fresh.choices] == RiskColor.values
    risk = other.form.fields["risk_color"]
    assert risk._choices.field is risk  # the iterator is the field's own, as a deep copy makes it
    assert other.is_valid()


@pytest.mark.django_db
def test_a_filter_whose_choices_depend_on_the_request_is_refused():
    class PerRequest(LeanFilterSet):
        clinician = django_filters.ModelChoiceFilter(
            field_name="responsible_clinician", queryset=lambda request: User.objects.all()
        )

        class Meta:
            model = Pregnancy
            fields = ["clinician"]

    with pytest.raises(TypeError, match="clinician"):
        PerRequest(None, queryset=Pregnancy.objects.all()).form  # noqa: B018


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["status=nope", "ga_min=-3", "edd_after=2026-02-30", "q=" + "x" * 101])
def test_data_that_is_not_valid_selects_nothing(query, pregnancy):
    """django-filter would apply the valid filters and drop the invalid one: every open pregnancy here."""
    filterset = PregnancyFilterSet(QueryDict(query), queryset=Pregnancy.objects.all())

    assert not filterset.is_valid()
    assert list(filterset.qs) == []
    assert list(DjangoFilterTwin(QueryDict(query), queryset=Pregnancy.objects.all()).qs) == [pregnancy]


def test_a_label_taken_from_the_model_follows_the_language_of_each_request(monkeypatch):
    """A filter declared without a label shows its model field's verbose name. django-filter writes it
    out as text in the language of the moment; made once per class, the form kept the first request's
    language for everyone (the follow-up list said "Status" to Chinese users). Nor may reading the
    class's own filter first fix it."""
    from reminders.filtersets import FollowUpFilterSet

    monkeypatch.delattr(FollowUpFilterSet, "_form_class", raising=False)
    with translation.override("en"):  # whatever reads the class's own filter first (the OpenAPI schema)
        assert str(FollowUpFilterSet.base_filters["status"].label) == "Status"
        first = str(FollowUpFilterSet().form["status"].label)
    with translation.override("zh-hans"):
        chinese = str(FollowUpFilterSet().form["status"].label)
        expected = translation.gettext("Status")
    assert first == "Status"
    assert chinese == expected != "Status"
