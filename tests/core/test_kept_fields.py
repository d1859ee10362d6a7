"""``core.api.serializers.FieldsKeptPerThread``: fields built once per thread, validation unchanged."""

import importlib
import importlib.util
import threading
from pathlib import Path

from django.apps import apps
from django.utils import translation
from rest_framework import serializers

from cases.api.serializers import VisitInputSerializer
from core.api.serializers import FieldsKeptPerThread

ROOT = str(Path(__file__).resolve().parents[2])


def _kept_classes() -> set[type]:
    """Every subclass of the mixin, after importing each project app's ``api.serializers``."""
    for config in apps.get_app_configs():
        package = importlib.util.find_spec(f"{config.name}.api") if config.path.startswith(ROOT) else None
        module = f"{config.name}.api.serializers"
        if package is not None and package.submodule_search_locations and importlib.util.find_spec(module):
            importlib.import_module(module)
    found, todo = set(), [FieldsKeptPerThread]
    while todo:
        for sub in todo.pop().__subclasses__():
            found.add(sub)
            todo.append(sub)
    return found


def test_the_fields_are_built_once_per_thread_and_follow_the_newest_instance():
    first = VisitInputSerializer(data={})
    first_fields = dict(first.fields)
    second = VisitInputSerializer(data={"sbp_mmhg": 120}, context={"marker": 2})
    assert all(second.fields[name] is field for name, field in first_fields.items())
    assert all(field.parent is second and field.root is second for field in second.fields.values())
    assert second.fields["sbp_mmhg"].context == {"marker": 2}
    other: dict = {}
    thread = threading.Thread(target=lambda: other.update(VisitInputSerializer(data={}).fields))
    thread.start()
    thread.join()
    assert set(other) == set(first_fields)
    assert not any(other[name] is first_fields[name] for name in first_fields)


def test_validation_in_turn_keeps_nothing_from_the_body_before():
    """A valid body, a bad one (Chinese), a valid one (English): each gets its own values and errors."""
    good = VisitInputSerializer(data={"sbp_mmhg": 118, "kind": "antenatal", "notes": "ok"})
    assert good.is_valid(), good.errors
    with translation.override("zh-hans"):
        bad = VisitInputSerializer(data={"sbp_mmhg": "high", "kind": "nonsense", "confirm_unusual": "x"})
        assert not bad.is_valid()
        assert set(bad.errors) == {"sbp_mmhg", "kind", "confirm_unusual"}
        assert "整数" in str(bad.errors["sbp_mmhg"][0])  # "A valid integer is required." in Chinese
    again = VisitInputSerializer(data={"dbp_mmhg": 70})
    assert again.is_valid(), again.errors
    assert again.measurements() == {"dbp_mmhg": 70}
    assert again.validated_data["kind"] == "antenatal" and again.validated_data["notes"] == ""
    assert again.validated_data["confirm_unusual"] == []
    assert good.validated_data["sbp_mmhg"] == 118 and good.measurements() == {"sbp_mmhg": 118}


def _reads_context(field) -> bool:
    default = getattr(field, "default", serializers.empty)
    if getattr(default, "requires_context", False):
        return True
    if any(getattr(validator, "requires_context", False) for validator in field.validators):
        return True
    if isinstance(field, serializers.HiddenField):
        return True
    child = getattr(field, "child", None)
    return child is not None and _reads_context(child)


def test_no_kept_serializer_has_a_field_that_reads_the_context():
    """While two instances of a kept serializer are alive on one thread, the fields point at the newer:
    a field reading ``context`` (the request, the user) could read the other's. None may."""
    kept = _kept_classes()
    assert VisitInputSerializer in kept
    for cls in kept:
        fields = cls().get_fields()  # built afresh: the class's declared fields
        offending = [name for name, field in fields.items() if _reads_context(field)]
        assert offending == [], f"{cls.__name__}: {offending}"
