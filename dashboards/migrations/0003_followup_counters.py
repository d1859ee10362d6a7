"""Census counters of the open follow-up windows per managing facility and status, kept by triggers.

Why: the summary's overdue follow-ups were a live ``COUNT`` over the reminder rows. At a million
pregnancies a region has ~27,000 windows past their deadline, spread over as many heap pages (the sweep
rewrites them every day, so the visibility map rarely lets an index-only scan skip the heap): 20–30 ms,
more than the whole summary's budget. The figures still come from the reminder rows — the status the
follow-up sweep records there when a window's dates pass — not from clinical transactions: these
counters are those rows' statuses summed per facility, in the same transaction as every write to them
(the sweep's bulk UPDATEs, the backfill's INSERTs, a visit closing a window), and
``dashboards_rebuild_counters()`` recounts them with the rest.

Keys: ``followup:<status>`` for every window not closed (upcoming, due, overdue, tracing,
lost_proposed), at its managing facility.
"""

import importlib

from django.db import migrations

base = importlib.import_module("dashboards.migrations.0002_counter_triggers")


def followup_census(rel: str, sign: int) -> str:
    return f"""SELECT managing_facility_id AS facility_id, 'followup:' || status AS key, {sign} AS delta
        FROM {rel} WHERE status <> 'closed'"""


FOLLOWUP_FUNCTION = base.census_function("dashboards_followup_counters", followup_census)


def rebuild_function(*, with_followups: bool) -> str:
    tables = [*base.TABLES, *(["reminders_followup"] if with_followups else [])]
    census = [base.pregnancy_census("cases_pregnancy", 1), base.referral_census("referrals_referral", 1)]
    if with_followups:
        census.append(followup_census("reminders_followup", 1))
    return f"""
CREATE OR REPLACE FUNCTION dashboards_rebuild_counters() RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
    -- SHARE: readers go on, writers wait until the rebuild commits, so no change is counted twice or lost.
    LOCK TABLE {", ".join(tables)} IN SHARE MODE;
    DELETE FROM dashboards_censuscounter;
    DELETE FROM dashboards_monthlycounter;
    {base.census_upsert(base.union(*census))}
    {
        base.monthly_upsert(
            base.union(
                base.delivery_monthly("cases_delivery", 1),
                base.newborn_monthly("cases_newborn", 1),
                base.death_monthly("cases_maternaldeath", 1),
                base.near_miss_monthly("cases_nearmissevent", 1),
                base.referral_monthly("referrals_referral", 1),
            )
        )
    }
END
$fn$;"""


FORWARD = "\n".join(
    [
        FOLLOWUP_FUNCTION,
        base.triggers("reminders_followup", "dashboards_followup_counters"),
        rebuild_function(with_followups=True),
        # Counters for the windows that exist already (an upgrade of a populated database).
        base.census_upsert(followup_census("reminders_followup", 1)),
    ]
)

REVERSE = "\n".join(
    [
        *(
            f"DROP TRIGGER IF EXISTS dashboards_counters_{op} ON reminders_followup;"
            for op in ("ins", "upd", "del")
        ),
        "DROP FUNCTION IF EXISTS dashboards_followup_counters();",
        rebuild_function(with_followups=False),
        "DELETE FROM dashboards_censuscounter WHERE key LIKE 'followup:%';",
    ]
)


class Migration(migrations.Migration):
    dependencies = [
        ("dashboards", "0002_counter_triggers"),
        ("reminders", "0001_initial"),
    ]

    operations = [migrations.RunSQL(FORWARD, REVERSE)]
