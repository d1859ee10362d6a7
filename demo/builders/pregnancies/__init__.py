"""Step (``--pregnancies N``): a synthetic cohort of N pregnancies in the demo region, in bulk SQL.

Women, pregnancies, datings, visits, deliveries, newborns, near misses, maternal deaths and PMTCT tasks
are computed in PostgreSQL (``generate_series`` plus hash-based draws, see ``reference.py``) and inserted
with one ``INSERT ... SELECT`` per table and batch of women: no row passes through Python, so a million
pregnancies and their ~5.6 million visits load in minutes.

Rows are loaded in batches of women, by parallel worker connections when the command runs on its own
(``--jobs``, see ``run.py``), or in the caller's transaction when one is open (tests).

Which rows are "seeded": every pregnancy of a woman registered at a demo facility (the demo region is
synthetic, so anything registered there is demo data). Idempotence: if the region already has N or more
pregnancies nothing is added; otherwise only the missing ones are, so re-running with the same N adds
nothing and a larger N tops up.

No audit rows are written: an audit row records what a real user did to a real woman's record; a bulk
seed of fictitious women is neither, and millions of fake events would drown the demo's audit trail.
Risk colours are left empty: grading creates real assessments (a later step).
"""

import os
import time
from collections import Counter

from django.core.management.base import CommandError
from django.db import connection, transaction

from ..context import SeedContext
from . import load, mix, plan
from .reference import create_reference, drop_work_tables
from .run import load_parallel, load_serial, prepare_session

BATCH_WOMEN = 20_000
DEFAULT_JOBS = min(4, os.cpu_count() or 1)
LOCK_KEY = 24_468_330  # pg_advisory_lock key: one cohort load at a time (the work tables have fixed names)


def demo_pregnancy_counts(facility_ids: list[int]) -> tuple[int, int, dict[str, int]]:
    """(women, pregnancies, pregnancies by status) registered at the given (demo) facilities."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM cases_patient WHERE registered_facility_id = ANY(%s)", [facility_ids]
        )
        (women,) = cursor.fetchone()
        cursor.execute(
            "SELECT p.status, count(*) FROM cases_pregnancy AS p"
            " JOIN cases_patient AS w ON w.id = p.patient_id"
            " WHERE w.registered_facility_id = ANY(%s) GROUP BY 1 ORDER BY 1",
            [facility_ids],
        )
        by_status = dict(cursor.fetchall())
    return women, sum(by_status.values()), by_status


def _load_params(ctx: SeedContext) -> dict:
    return {
        "now": ctx.now,
        "unidentified_name": mix.UNIDENTIFIED_NAME,
        "dating_reason": mix.DATING_REASON,
        "missed": mix.MISSED_VISIT_SHARE,
        "male": mix.MALE_SHARE,
        "stillbirth": mix.STILLBIRTH_SHARE,
        "neonatal_death": mix.NEONATAL_DEATH_SHARE,
        "causes_postpartum": [cause for cause, _ in mix.DEATH_CAUSES_POSTPARTUM],
        "icd_postpartum": [icd for _, icd in mix.DEATH_CAUSES_POSTPARTUM],
        "causes_antenatal": [cause for cause, _ in mix.DEATH_CAUSES_ANTENATAL],
        "icd_antenatal": [icd for _, icd in mix.DEATH_CAUSES_ANTENATAL],
        "causes_postpartum_n": len(mix.DEATH_CAUSES_POSTPARTUM),
        "causes_antenatal_n": len(mix.DEATH_CAUSES_ANTENATAL),
    }


def _statements(ctx: SeedContext) -> list[tuple[str, str, dict]]:
    params = _load_params(ctx)
    statements = []
    for label, model, columns, select in load.STATEMENTS:
        sql, defaults = load.insert_statement(model, columns, select)
        statements.append((label, sql, {**params, **defaults}))
    return statements


def _plan(cursor, ctx: SeedContext, kind: str, *, women: int, two: int, women_before: int) -> None:
    """Create the work tables (``kind``: TEMP or UNLOGGED): reference data and the plan."""
    today = ctx.local_today
    county_cum = create_reference(cursor, ctx, kind)
    cursor.execute(
        "SELECT array_agg(code ORDER BY county_i), pg_get_serial_sequence('cases_patient', 'id'),"
        " pg_get_serial_sequence('cases_pregnancy', 'id') FROM demo_seed_county"
    )
    county_codes, patient_sequence, pregnancy_sequence = cursor.fetchone()
    women_params = plan.women_params(
        women=women,
        two=two,
        wbase=women_before,
        today=today,
        county_cum=county_cum,
        county_codes=county_codes,
    )
    women_params["patient_sequence"] = patient_sequence  # ids are taken now, so the plan can link rows
    cursor.execute(f"CREATE {kind} TABLE demo_seed_w AS {plan.WOMEN_SQL}", women_params)
    cursor.execute("CREATE INDEX ON demo_seed_w (w)")
    pregnancies_params = plan.pregnancies_params(today=today, now=ctx.now, earlier_share=two / (women + two))
    pregnancies_params["pregnancy_sequence"] = pregnancy_sequence
    cursor.execute(f"CREATE {kind} TABLE demo_seed_p AS {plan.PREGNANCIES_SQL}", pregnancies_params)
    cursor.execute("CREATE INDEX ON demo_seed_p (w)")
    cursor.execute("ANALYZE demo_seed_w, demo_seed_p")


def _load(ctx: SeedContext, *, women: int, two: int, women_before: int, jobs: int) -> tuple[Counter, int]:
    """Plan and load; return (seconds per table and for planning, number of jobs used)."""
    started = time.monotonic()
    jobs = jobs if not connection.in_atomic_block else 1  # workers could not see an uncommitted region
    kind = "UNLOGGED" if jobs > 1 else "TEMP"
    batches = [(lo, min(lo + BATCH_WOMEN - 1, women)) for lo in range(1, women + 1, BATCH_WOMEN)]
    statements = _statements(ctx)
    desc = f"pregnancies ({len(batches)} batches of up to {BATCH_WOMEN:,} women, {jobs} jobs)"
    seconds = Counter()
    with connection.cursor() as cursor:
        drop_work_tables(cursor)
        try:
            with transaction.atomic():  # parallel: the plan commits here, so that the workers can read it
                prepare_session(cursor, ctx, local=True)
                _plan(cursor, ctx, kind, women=women, two=two, women_before=women_before)
                seconds["planning"] = time.monotonic() - started
                if jobs == 1:  # the whole cohort in this transaction (or savepoint)
                    for rows, spent in ctx.progress(load_serial(statements, batches), desc):
                        _tally(ctx, seconds, rows, spent)
            if jobs > 1:
                for rows, spent in ctx.progress(load_parallel(ctx, statements, batches, jobs), desc):
                    _tally(ctx, seconds, rows, spent)
        finally:
            drop_work_tables(cursor)
    return seconds, jobs


def _tally(ctx: SeedContext, seconds: Counter, rows: Counter, spent: Counter) -> None:
    for label, n in rows.items():
        ctx.count(label, "created", n)
    seconds.update(spent)


def build_pregnancies(ctx: SeedContext) -> None:
    target = ctx.options["pregnancies"]
    jobs = ctx.options.get("jobs") or DEFAULT_JOBS
    started = time.monotonic()
    facility_ids = [f.pk for f in ctx.facilities.values()]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
        if not cursor.fetchone()[0]:
            raise CommandError("Another seed_demo --pregnancies is running on this database.")
    try:
        women_before, existing, _ = demo_pregnancy_counts(facility_ids)
        missing = target - existing
        if missing <= 0:
            ctx.count("pregnancies", "unchanged", existing)
            ctx.note(
                f"The demo region already has {existing:,} pregnancies (--pregnancies {target:,}): "
                "none added."
            )
            return
        two = round(missing / (mix.WOMEN_PER_EARLIER_PREGNANCY + 1))  # women with an earlier pregnancy too
        women = missing - two
        seconds, jobs = _load(ctx, women=women, two=two, women_before=women_before, jobs=jobs)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])
    ctx.analyze_tables.update(load.TABLES)
    spent = ", ".join(f"{label} {s:.0f} s" for label, s in seconds.items())
    ctx.note(
        f"Added {missing:,} pregnancies of {women:,} women in {time.monotonic() - started:.1f} s with {jobs} "
        f"job{'s' if jobs > 1 else ''} (time in statements, summed over jobs: {spent})."
    )
