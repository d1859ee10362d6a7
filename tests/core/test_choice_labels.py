"""``get_<field>_display()`` with labels translated once per field and language (``core.models.ChoiceLabels``)
gives what Django's own gives: in each language, for every choice, a blank, a value that is not a choice."""

import pytest
from django.db.models import Model
from django.utils import translation

from accounts.models import User
from cases.models import Pregnancy, Visit

pytestmark = pytest.mark.django_db


def django_display(obj, name: str):
    return Model._get_FIELD_display(obj, obj._meta.get_field(name))


@pytest.mark.parametrize(
    ("model", "name"),
    [(Pregnancy, "status"), (Pregnancy, "risk_color"), (Visit, "consciousness"), (User, "specialty")],
)
def test_display_is_djangos_in_each_language(model, name):
    field = model._meta.get_field(name)
    values = [choice for choice, _label in field.flatchoices] + ["", None, "not-a-choice"]
    seen = {}
    for language in ("zh-hans", "en"):
        with translation.override(language):
            for value in values:
                obj = model(**{field.attname: value})
                got = getattr(obj, f"get_{name}_display")()
                assert got == django_display(obj, name), (language, value)
                assert type(got) is type(django_display(obj, name))
                seen[language, value] = got
    first = field.flatchoices[0][0]
    assert seen["zh-hans", first] != seen["en", first]  # each language its own labels
    assert seen["en", "not-a-choice"] == "not-a-choice"
