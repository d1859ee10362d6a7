"""``seed_demo --pregnancies N --jobs J`` outside a transaction: worker connections commit batch by batch.

A transactional test (real commits, the database is flushed afterwards): the workers' connections can only
see what is committed. The rest of the cohort's properties are tested in ``test_seed_pregnancies``.
"""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from cases.identity import parse_resident_id
from cases.models import Delivery, Patient, Pregnancy, PregnancyDating, Visit


def seed(tmp_path, **options) -> tuple[dict, str]:
    path = tmp_path / "summary.json"
    out = io.StringIO()
    call_command(
        "seed_demo",
        "--no-progress",
        "--no-stories",  # the cohort alone: the curated stories are tested in test_seed_stories
        summary_json=str(path),
        stdout=out,
        stderr=io.StringIO(),
        **options,
    )
    return json.loads(path.read_text(encoding="utf-8")), out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_parallel_jobs_load_every_batch_and_leave_no_work_tables(tmp_path, monkeypatch):
    monkeypatch.setattr("demo.builders.pregnancies.BATCH_WOMEN", 40)  # several batches for two workers
    summary, output = seed(tmp_path, pregnancies=230, jobs=2)
    assert "with 2 jobs" in output  # the parallel path, not the single-transaction one
    assert summary["pregnancies"]["total"] == Pregnancy.objects.count() == 230
    assert PregnancyDating.objects.count() == 230
    assert set(Delivery.objects.values_list("pregnancy_id", flat=True)) == set(
        Pregnancy.objects.filter(outcome="delivery").values_list("pk", flat=True)
    )
    assert Visit.objects.values("pregnancy_id").distinct().count() == 230
    numbers = [n for n in Patient.objects.values_list("id_number", flat=True) if n]
    assert len(numbers) == len(set(numbers)) and all(parse_resident_id(n).number == n for n in numbers)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT to_regclass('demo_seed_w'), to_regclass('demo_seed_p'), to_regclass('demo_care_p'),"
            " to_regclass('demo_care_fac')"
        )
        assert cursor.fetchone() == (None, None, None, None)
    assert Pregnancy.objects.filter(risk_color__isnull=False).count() > 150  # graded by the care step too

    again, output = seed(tmp_path, pregnancies=230, jobs=2)
    assert again["pregnancies"]["total"] == Pregnancy.objects.count() == 230
    assert "none added" in output


@pytest.mark.parametrize(("option", "value"), [("pregnancies", -1), ("jobs", 0)])
def test_impossible_numbers_are_refused(option, value, db):
    with pytest.raises(CommandError, match=f"--{option}"):
        call_command("seed_demo", "--no-progress", stdout=io.StringIO(), **{option: value})
