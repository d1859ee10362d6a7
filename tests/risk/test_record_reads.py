"""The fixed statements read at every visit and grade give what the ORM queries they replaced gave:
``measurements_from_record`` (latest values of the last 20 visits, booking weight), ``current_assessment``
(the latest confirmed one of a stage) and the follow-up facts (last contact, discharge)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import Delivery, Visit
from reminders.services import POSTPARTUM_CONTACTS, _facts
from risk.models import CatalogueVersion, RiskAssessment
from risk.selectors import current_assessment, measurements_from_record

pytestmark = pytest.mark.django_db

MEASURED = {
    "sbp_mmhg": "sbp_mmhg",
    "dbp_mmhg": "dbp_mmhg",
    "hb_g_l": "hb_g_l",
    "platelets_10e9_l": "plt_10e9_l",
    "spo2_pct": "spo2_pct",
    "height_cm": "height_cm",
}


def visit(pregnancy, facility, days_ago: int, **measurements) -> Visit:
    return Visit.objects.create(
        pregnancy=pregnancy,
        facility=facility,
        kind="antenatal",
        visited_at=timezone.now() - dt.timedelta(days=days_ago),
        **measurements,
    )


def test_measurements_are_the_latest_of_the_last_twenty_visits_and_the_booking_weight(
    pregnancy, home_facility
):
    # the earliest weight (booking BMI) is 40 visits back, outside the last twenty
    booking = visit(pregnancy, home_facility, 300, weight_kg=Decimal("55.00"), height_cm=Decimal("160.0"))
    for n in range(40):
        visit(pregnancy, home_facility, 200 - n, sbp_mmhg=100 + n, weight_kg=Decimal("60.00"))
    old_hb = visit(pregnancy, home_facility, 250, hb_g_l=90)  # older than the last twenty: not read
    latest_plt = visit(pregnancy, home_facility, 5, platelets_10e9_l=140, spo2_pct=97)
    latest_height = visit(pregnancy, home_facility, 3, height_cm=Decimal("161.0"))
    latest = visit(pregnancy, home_facility, 1, sbp_mmhg=150, dbp_mmhg=95)

    with CaptureQueriesContext(connection) as queries:
        values, sources = measurements_from_record(pregnancy)
    assert len(queries) == 1

    # what the ORM gives: the last twenty visits newest first, the first value of each
    recent = list(Visit.objects.filter(pregnancy=pregnancy).order_by("-visited_at")[:20])
    assert old_hb not in recent
    for field, name in MEASURED.items():
        found = next((v for v in recent if getattr(v, field) is not None), None)
        if found is None:
            assert name not in values
            continue
        value = getattr(found, field)
        assert values[name] == (float(value) if isinstance(value, Decimal) else value), name
        assert sources[name] == f"visit:{found.external_id}", name
    assert (values["sbp_mmhg"], values["dbp_mmhg"]) == (150, 95)
    assert sources["dbp_mmhg"] == f"visit:{latest.external_id}"
    assert sources["plt_10e9_l"] == f"visit:{latest_plt.external_id}"
    assert values["height_cm"] == 161.0 and sources["height_cm"] == f"visit:{latest_height.external_id}"
    assert "hb_g_l" not in values and "weight_kg" not in values
    assert values["bmi_kg_m2"] == round(55 / 1.61**2, 1)
    assert sources["bmi_kg_m2"] == f"visit:{booking.external_id}"


def test_a_record_without_visits_has_no_measurements(pregnancy):
    values, sources = measurements_from_record(pregnancy)
    assert not {"sbp_mmhg", "bmi_kg_m2", "height_cm"} & set(values)
    assert set(values) == set(sources)


def _assessment(pregnancy, obstetrician, *, color, stage="assessment", status="confirmed", hours_ago=0):
    version = CatalogueVersion.objects.get(region__isnull=True)
    return RiskAssessment.objects.create(
        pregnancy=pregnancy,
        catalogue_version=version,
        stage=stage,
        status=status,
        proposed_color=color,
        color=color,
        facility=pregnancy.managing_facility,
        assessed_by=obstetrician,
        confirmed_at=None if status != "confirmed" else timezone.now() - dt.timedelta(hours=hours_ago),
        triggered=["a1"],
    )


def test_the_current_assessment_is_the_latest_confirmed_of_its_stage(pregnancy, obstetrician):
    assert current_assessment(pregnancy) is None
    _assessment(pregnancy, obstetrician, color="yellow", hours_ago=5)
    orange = _assessment(pregnancy, obstetrician, color="orange", hours_ago=2)
    _assessment(pregnancy, obstetrician, color="red", status="pending_cosign")
    screening = _assessment(pregnancy, obstetrician, color="", stage="screening", hours_ago=1)
    found = current_assessment(pregnancy)
    assert found == orange
    assert (found.color, found.triggered, found.catalogue_version_id) == (
        "orange",
        ["a1"],
        orange.catalogue_version_id,
    )
    assert found.confirmed_at == RiskAssessment.objects.get(pk=orange.pk).confirmed_at
    assert current_assessment(pregnancy, stage="screening") == screening
    # as the ORM orders it (the same confirmed time: the newest row)
    tie = _assessment(pregnancy, obstetrician, color="green", hours_ago=0)
    RiskAssessment.objects.filter(pk=tie.pk).update(confirmed_at=orange.confirmed_at)
    expected = (
        RiskAssessment.objects.filter(pregnancy=pregnancy, status="confirmed", stage="assessment")
        .order_by("-confirmed_at", "-id")
        .first()
    )
    assert current_assessment(pregnancy) == expected == tie


def test_follow_up_facts_read_the_last_contact_of_the_kind_and_the_discharge(pregnancy, home_facility):
    visit(pregnancy, home_facility, 10)
    emergency = visit(pregnancy, home_facility, 4)
    Visit.objects.filter(pk=emergency.pk).update(kind="emergency")
    after_birth = visit(pregnancy, home_facility, 2)
    Visit.objects.filter(pk=after_birth.pk).update(kind="postpartum")
    facts = _facts(pregnancy)
    assert facts.last_visit_on == timezone.localdate(Visit.objects.get(pk=emergency.pk).visited_at)
    assert facts.discharged_on is None

    discharged_at = timezone.now() - dt.timedelta(days=1)
    Delivery.objects.create(
        pregnancy=pregnancy,
        delivered_at=timezone.now() - dt.timedelta(days=3),
        facility=home_facility,
        mode="spontaneous_vaginal",
        discharged_at=discharged_at,
    )
    pregnancy.status, pregnancy.ended_on = "postpartum", timezone.localdate() - dt.timedelta(days=3)
    facts = _facts(pregnancy)
    last_postpartum = Visit.objects.filter(pregnancy=pregnancy, kind__in=POSTPARTUM_CONTACTS).latest(
        "visited_at"
    )
    assert facts.last_visit_on == timezone.localdate(last_postpartum.visited_at)
    assert facts.discharged_on == timezone.localdate(discharged_at)
    assert facts.postpartum_visit_done is True
