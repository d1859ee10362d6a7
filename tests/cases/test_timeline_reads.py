"""The case page's fixed reads (``core.rows.Joined.fetch_all``) give the rows, order and related objects
of the ORM queries they replaced: the timeline's visits (newest first, at most 200) and datings, and the
open care tasks (soonest due first, undated last)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import CareTask, PregnancyDating, Visit
from cases.selectors import case_timeline, open_care_tasks

pytestmark = pytest.mark.django_db

FIELDS = (
    "pk",
    "external_id",
    "kind",
    "visited_at",
    "sbp_mmhg",
    "weight_kg",
    "notes",
    "clinician_id",
    "facility_id",
)


def test_timeline_visits_and_datings_are_the_orm_rows_with_their_related_objects(
    pregnancy, home_facility, midwife, monkeypatch
):
    now = timezone.now()
    for n in range(6):
        Visit.objects.create(
            pregnancy=pregnancy,
            facility=home_facility,
            clinician=midwife if n % 2 else None,
            kind="antenatal",
            visited_at=now - dt.timedelta(days=n * 3),
            sbp_mmhg=110 + n,
            weight_kg=Decimal("60.5") if n == 2 else None,
            notes=f"visit {n}",
        )
    for n in range(2):
        PregnancyDating.objects.create(
            pregnancy=pregnancy,
            method="lmp",
            lmp=timezone.localdate() - dt.timedelta(days=100 + n),
            computed_edd=timezone.localdate() + dt.timedelta(days=180 - n),
            recorded_by=midwife,
        )
    monkeypatch.setattr("cases.selectors.TIMELINE_VISITS", 4)
    with CaptureQueriesContext(connection) as queries:
        items = case_timeline(pregnancy)
        visits = [item["object"] for item in items if item["kind"] == "visit"]
        datings = [item["object"] for item in items if item["kind"] == "dating"]
        related = [(v.facility.name, v.clinician.name if v.clinician_id else None) for v in visits]
        recorders = [d.recorded_by.name for d in datings]
    assert len(queries) == 3  # visits, datings, the probe for the rarer kinds: related objects came along

    expected = list(pregnancy.visits.select_related("facility", "clinician").order_by("-visited_at")[:4])
    assert [[getattr(v, f) for f in FIELDS] for v in visits] == [
        [getattr(v, f) for f in FIELDS] for v in expected
    ]
    assert related == [(v.facility.name, v.clinician.name if v.clinician_id else None) for v in expected]
    newest_first = sorted(pregnancy.datings.all(), key=lambda d: d.created_at, reverse=True)  # the timeline
    assert [d.pk for d in datings] == [d.pk for d in newest_first]
    assert recorders == [midwife.name, midwife.name]


def test_open_care_tasks_soonest_first_undated_last(pregnancy, home_facility, other_facility):
    now = timezone.now()
    kinds = ("pmtct_tests_pending", "merge_review", "backfill_record")
    dues = (now + dt.timedelta(days=2), None, now + dt.timedelta(hours=1))
    made = [
        CareTask.objects.create(pregnancy=pregnancy, kind=kind, facility=home_facility, due_at=due)
        for kind, due in zip(kinds, dues, strict=True)
    ]
    CareTask.objects.create(
        pregnancy=pregnancy, kind="merge_review", facility=other_facility, due_at=now, status="done"
    )
    tasks = open_care_tasks(pregnancy)
    expected = list(pregnancy.tasks.filter(status="open").select_related("facility"))
    assert [t.pk for t in tasks] == [t.pk for t in expected] == [made[2].pk, made[0].pk, made[1].pk]
    with CaptureQueriesContext(connection) as queries:
        assert [t.facility.name for t in tasks] == [home_facility.name] * 3
    assert len(queries) == 0


def test_worklist_rows_are_the_pages_pregnancies_in_its_order_with_open_tasks(
    home_facility, other_facility, midwife
):
    from django.db.models import Count, Q

    from cases.models import Pregnancy
    from cases.selectors import worklist_pregnancies
    from tests.factories import PregnancyFactory

    pregnancies = [
        PregnancyFactory(managing_facility=home_facility, responsible_clinician=midwife if n % 2 else None)
        for n in range(4)
    ]
    pregnancies.append(PregnancyFactory(managing_facility=other_facility, follow_up_facility=home_facility))
    for kind in ("pmtct_tests_pending", "merge_review"):
        CareTask.objects.create(pregnancy=pregnancies[1], kind=kind, facility=home_facility)
    CareTask.objects.create(
        pregnancy=pregnancies[2], kind="merge_review", facility=home_facility, status="done"
    )
    ids = [pregnancies[n].pk for n in (3, 0, 4, 1, 2)]  # the page's order, not the ids'

    with CaptureQueriesContext(connection) as queries:
        rows = worklist_pregnancies(ids)
        shown = [(p.patient.name, p.managing_facility.name, p.risk_color, p.edd) for p in rows]
    assert len(queries) == 1
    expected = {
        p.pk: p
        for p in Pregnancy.objects.filter(pk__in=ids)
        .select_related("patient", "managing_facility")
        .annotate(open_tasks=Count("tasks", filter=Q(tasks__status="open")))
    }
    assert [p.pk for p in rows] == ids
    assert [p.open_tasks for p in rows] == [expected[pk].open_tasks for pk in ids] == [0, 0, 0, 2, 0]
    assert shown == [
        (e.patient.name, e.managing_facility.name, e.risk_color, e.edd) for e in (expected[pk] for pk in ids)
    ]
    assert worklist_pregnancies([]) == []
