"""The view_sensitive mechanism: restricted for roles without it, in Python, API fields and templates."""

import pytest
from django.template import Context, Template
from django.utils import translation
from rest_framework import serializers
from rest_framework.test import APIRequestFactory

from core.sensitive import RESTRICTED, SensitiveField, redact

pytestmark = pytest.mark.django_db


class DiagnosisSerializer(serializers.Serializer):
    infection = SensitiveField(serializers.CharField())
    purple = serializers.BooleanField()


def _render(user, value):
    request = APIRequestFactory().get("/")
    request.user = user
    return DiagnosisSerializer({"infection": value, "purple": True}, context={"request": request}).data


def test_obstetrician_sees_the_detail_midwife_sees_restricted_flag_stays(obstetrician, midwife):
    assert _render(obstetrician, "HIV") == {"infection": "HIV", "purple": True}
    assert _render(midwife, "HIV") == {"infection": RESTRICTED, "purple": True}


def test_empty_values_stay_empty(midwife):
    assert redact("", midwife) == ""
    assert redact(None, midwife) is None


def test_template_filter_is_translated(obstetrician, midwife):
    template = Template("{% load sensitive %}{{ value|sensitive:user }}")
    assert template.render(Context({"value": "syphilis", "user": obstetrician})) == "syphilis"
    with translation.override("en"):
        assert template.render(Context({"value": "syphilis", "user": midwife})) == "Restricted"
    with translation.override("zh-hans"):
        assert template.render(Context({"value": "syphilis", "user": midwife})) != "syphilis"
