"""MEOWS: per-parameter levels at the chart's boundaries, the trigger rule, and the urgent alert."""

import pytest
from django.conf import settings

from notifications.models import Alert
from risk.meows import score

T = settings.MEOWS_THRESHOLDS


@pytest.mark.parametrize(
    ("parameter", "value", "level"),
    [
        ("temperature_c", 34.9, "red"),
        ("temperature_c", 35.0, "yellow"),
        ("temperature_c", 36.0, "yellow"),
        ("temperature_c", 36.1, "normal"),
        ("temperature_c", 38.0, "normal"),
        ("temperature_c", 38.1, "red"),
        ("sbp_mmhg", 89, "red"),
        ("sbp_mmhg", 90, "yellow"),
        ("sbp_mmhg", 100, "yellow"),
        ("sbp_mmhg", 101, "normal"),
        ("sbp_mmhg", 149, "normal"),
        ("sbp_mmhg", 150, "yellow"),
        ("sbp_mmhg", 160, "yellow"),
        ("sbp_mmhg", 161, "red"),
        ("dbp_mmhg", 89, "normal"),
        ("dbp_mmhg", 90, "yellow"),
        ("dbp_mmhg", 100, "yellow"),
        ("dbp_mmhg", 101, "red"),
        ("pulse_bpm", 39, "red"),
        ("pulse_bpm", 40, "yellow"),
        ("pulse_bpm", 50, "yellow"),
        ("pulse_bpm", 51, "normal"),
        ("pulse_bpm", 99, "normal"),
        ("pulse_bpm", 100, "yellow"),
        ("pulse_bpm", 120, "yellow"),
        ("pulse_bpm", 121, "red"),
        ("respiratory_rate", 9, "red"),
        ("respiratory_rate", 10, "normal"),
        ("respiratory_rate", 20, "normal"),
        ("respiratory_rate", 21, "yellow"),
        ("respiratory_rate", 30, "yellow"),
        ("respiratory_rate", 31, "red"),
        ("spo2_pct", 94, "red"),
        ("spo2_pct", 95, "normal"),
        ("pain_score", 1, "normal"),
        ("pain_score", 2, "yellow"),
        ("pain_score", 3, "yellow"),
        ("pain_score", 4, "normal"),
        ("consciousness", "alert", "normal"),
        ("consciousness", "voice", "yellow"),
        ("consciousness", "pain", "red"),
        ("consciousness", "unresponsive", "red"),
    ],
)
def test_parameter_levels_at_the_boundaries(parameter, value, level):
    assert score({parameter: value}, T).levels == {parameter: level}


def test_one_red_or_two_yellows_trigger_one_yellow_does_not():
    assert not score({"pulse_bpm": 105}, T).triggered
    two_yellows = score({"pulse_bpm": 105, "respiratory_rate": 24}, T)
    assert two_yellows.triggered and two_yellows.level == "yellow"
    one_red = score({"spo2_pct": 92}, T)
    assert one_red.triggered and one_red.level == "red" and one_red.fired == ["spo2_pct"]


def test_missing_values_are_not_scored():
    assert score({"pulse_bpm": None, "consciousness": ""}, T).levels == {}


@pytest.mark.django_db
def test_observation_trigger_raises_an_urgent_alert(api, midwife, pregnancy):
    url = f"/api/v1/pregnancies/{pregnancy.external_id}/observations/"
    calm = api.as_user(midwife).post(url, {"pulse_bpm": 88, "sbp_mmhg": 118, "dbp_mmhg": 74}, format="json")
    assert calm.status_code == 201 and calm.json()["triggered"] is False
    assert not Alert.objects.exists()
    response = api.post(url, {"sbp_mmhg": 170, "dbp_mmhg": 112, "pulse_bpm": 124}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert (body["triggered"], body["level"], body["red_count"]) == (True, "red", 3)
    alert = Alert.objects.get(kind="meows_trigger")
    assert (alert.severity, alert.pregnancy_id, alert.target_role) == (
        "critical",
        pregnancy.pk,
        "responsible_team",
    )
    assert set(alert.payload["fired"]) == {"sbp_mmhg", "dbp_mmhg", "pulse_bpm"}
    chart = api.get(url).json()
    assert [row["level"] for row in chart] == ["red", "normal"]


@pytest.mark.django_db
def test_observation_input_is_checked(api, midwife, pregnancy, supervisor):
    url = f"/api/v1/pregnancies/{pregnancy.external_id}/observations/"
    assert api.as_user(midwife).post(url, {}, format="json").status_code == 400
    response = api.post(url, {"pulse_bpm": 900, "pain_score": 15}, format="json")
    assert response.status_code == 400
    assert {"pulse_bpm", "pain_score"} <= set(response.json()["errors"])
    assert api.as_user(supervisor).post(url, {"pulse_bpm": 80}, format="json").status_code == 403
