"""Weekly event counters, the delivery cohort's indicators and on-time grading reports, kept by triggers.

What this adds to the triggers of ``0002_counter_triggers`` / ``0003_followup_counters``:

- **Weekly buckets.** Every event counted per month (deliveries, live births, deaths, near misses,
  referrals requested) is also counted per ISO week (Monday, Asia/Shanghai, ``dashboards_week``) in
  ``dashboards_weeklycounter``, by the same statement and from the same contributions (the monthly SQL
  with ``dashboards_month`` swapped for ``dashboards_week``).
- **The delivery cohort** (women delivering in the period, where the delivery is counted): early
  booking, at least 1 and at least 5 antenatal visits, a postpartum visit within 28 days, orange/red at
  delivery and of those, delivered at an appropriate facility. A delivery's keys depend on rows of other
  tables (her visits, her booking facility, the tier of the facility), so they are kept per delivery in
  ``dashboards_deliveryfact``: any change to one of those rows recomputes the affected deliveries' facts
  (``dashboards_refresh_delivery_facts``) and applies the difference (new keys +1, old keys −1, net
  zero untouched) to the monthly and weekly counters. The recomputation first locks the pregnancies
  (``FOR NO KEY UPDATE``, in id order), so that a visit and a delivery of the same woman written
  concurrently are counted one after the other, each seeing the other's committed row.
- **Follow-up windows by deadline day** (``dashboards_followupduecounter``): open windows per managing
  facility and ``due_by``, so that "due in the next 7 days" reads at most seven rows per facility.
- **Grading reports** (``risk_riskreport``): ``reports_due`` (orange or red reports, not cancelled, by
  the month/week of their deadline, at the reporting facility) and ``reports_on_time`` (of those,
  submitted no later than the deadline).

The rebuild function recounts everything (census, monthly, weekly, the facts) from the raw rows, keeping
only the recorded colour at delivery. Caveat as before: TRUNCATE fires no trigger (rebuild afterwards).
"""

import importlib

from django.db import migrations

base = importlib.import_module("dashboards.migrations.0002_counter_triggers")
followups = importlib.import_module("dashboards.migrations.0003_followup_counters")

union = base.union
HIGH_RISK = "('orange', 'red')"
EARLY_BOOKING_DAYS = 91  # 13+0 weeks
POSTPARTUM_VISIT_DAYS = 28


def weekly_upsert(source: str) -> str:
    return f"""
    INSERT INTO dashboards_weeklycounter AS c (facility_id, key, week, n)
    SELECT facility_id, key, month, SUM(delta) FROM ({source.replace("dashboards_month(", "dashboards_week(")}) AS d
    GROUP BY facility_id, key, month HAVING SUM(delta) <> 0
    ORDER BY facility_id, key, month
    ON CONFLICT (facility_id, key, week) DO UPDATE SET n = c.n + EXCLUDED.n;"""


def events_upsert(source: str) -> str:
    """Monthly then weekly (always in this order, so that concurrent statements lock in the same order)."""
    return base.monthly_upsert(source) + weekly_upsert(source)


def report_rows(rel: str, sign: int) -> str:
    return union(
        f"""SELECT facility_id, 'reports_due' AS key, dashboards_month(due_at) AS month, {sign} AS delta
        FROM {rel} WHERE color IN {HIGH_RISK} AND status <> 'cancelled'""",
        f"""SELECT facility_id, 'reports_on_time', dashboards_month(due_at), {sign}
        FROM {rel} WHERE color IN {HIGH_RISK} AND status <> 'cancelled'
        AND submitted_at IS NOT NULL AND submitted_at <= due_at""",
    )


def due_upsert(source: str) -> str:
    return f"""
    INSERT INTO dashboards_followupduecounter AS c (facility_id, due_on, n)
    SELECT facility_id, due_on, SUM(delta) FROM ({source}) AS d
    GROUP BY facility_id, due_on HAVING SUM(delta) <> 0
    ORDER BY facility_id, due_on
    ON CONFLICT (facility_id, due_on) DO UPDATE SET n = c.n + EXCLUDED.n;"""


def due_rows(rel: str, sign: int) -> str:
    """Open windows by managing facility and deadline day (the sweep's status changes net to zero)."""
    return f"""SELECT managing_facility_id AS facility_id, due_by AS due_on, {sign} AS delta
        FROM {rel} WHERE status <> 'closed'"""


# The follow-up trigger of 0003 (census by status) and the windows by deadline day.
FOLLOWUP_FUNCTION = base.trigger_function(
    "dashboards_followup_counters",
    insert=base.census_upsert(followups.followup_census("new_rows", 1)) + due_upsert(due_rows("new_rows", 1)),
    update=base.census_upsert(
        union(followups.followup_census("new_rows", 1), followups.followup_census("old_rows", -1))
    )
    + due_upsert(union(due_rows("new_rows", 1), due_rows("old_rows", -1))),
    delete=base.census_upsert(followups.followup_census("old_rows", -1)) + due_upsert(due_rows("old_rows", -1)),
)


def facts_select(where: str) -> str:
    """The facts of the deliveries matching ``where`` from the raw rows (colour: as recorded, else now)."""
    return f"""
    SELECT d.pregnancy_id, COALESCE(d.facility_id, p.booking_facility_id) AS facility_id,
        dashboards_month(d.delivered_at) AS month, dashboards_week(d.delivered_at) AS week, c.color,
        CASE WHEN a.first_ga < {EARLY_BOOKING_DAYS} THEN ARRAY['cohort:early_booking'] ELSE ARRAY[]::text[] END
        || CASE WHEN a.visits >= 1 THEN ARRAY['cohort:anc_1'] ELSE ARRAY[]::text[] END
        || CASE WHEN a.visits >= 5 THEN ARRAY['cohort:anc_5'] ELSE ARRAY[]::text[] END
        || CASE WHEN pp.visited THEN ARRAY['cohort:postpartum_visit'] ELSE ARRAY[]::text[] END
        || CASE WHEN c.color IN {HIGH_RISK} THEN ARRAY['cohort:high_risk'] ELSE ARRAY[]::text[] END
        || CASE WHEN c.color IN {HIGH_RISK} AND (f.tier = 'tertiary' OR f.critical_care_level IS NOT NULL)
           THEN ARRAY['cohort:appropriate_tier'] ELSE ARRAY[]::text[] END AS keys
    FROM cases_delivery d
    JOIN cases_pregnancy p ON p.id = d.pregnancy_id
    LEFT JOIN facilities_facility f ON f.id = d.facility_id
    LEFT JOIN dashboards_deliveryfact prev ON prev.pregnancy_id = d.pregnancy_id
    CROSS JOIN LATERAL (SELECT COALESCE(prev.color, NULLIF(p.risk_color, ''), '')) AS c (color)
    CROSS JOIN LATERAL (
        SELECT count(*) AS visits, (array_agg(v.ga_days ORDER BY v.visited_at, v.id))[1] AS first_ga
        FROM cases_visit v WHERE v.pregnancy_id = d.pregnancy_id AND v.kind = 'antenatal'
    ) AS a
    CROSS JOIN LATERAL (
        SELECT EXISTS (
            SELECT 1 FROM cases_visit v
            WHERE v.pregnancy_id = d.pregnancy_id AND v.kind IN ('postpartum', 'check_42d')
            AND v.visited_at >= d.delivered_at
            AND v.visited_at <= COALESCE(d.discharged_at, d.delivered_at) + interval '{POSTPARTUM_VISIT_DAYS} days'
        )
    ) AS pp (visited)
    WHERE {where}"""


def facts_upsert(source: str) -> str:
    return f"""
    INSERT INTO dashboards_deliveryfact AS f (pregnancy_id, facility_id, month, week, color, keys)
    {source}
    ON CONFLICT (pregnancy_id) DO UPDATE SET facility_id = EXCLUDED.facility_id, month = EXCLUDED.month,
        week = EXCLUDED.week, keys = EXCLUDED.keys;"""


def fact_rows(rel: str, sign: int, *, where: str = "TRUE") -> str:
    return f"""SELECT facility_id, unnest(keys) AS key, month, week, {sign} AS delta FROM {rel} AS x
        WHERE {where}"""


HELPERS = f"""
CREATE OR REPLACE FUNCTION dashboards_week(ts timestamptz) RETURNS date
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT date_trunc('week', ts AT TIME ZONE 'Asia/Shanghai')::date $$;

CREATE OR REPLACE FUNCTION dashboards_delivery_facts(ids bigint[])
    RETURNS TABLE (pregnancy_id bigint, facility_id bigint, month date, week date, color text, keys text[])
    LANGUAGE sql STABLE AS $$ {facts_select("d.pregnancy_id = ANY(ids)")} $$;

-- Recompute the facts of these pregnancies' deliveries and move the counters by the difference.
CREATE OR REPLACE FUNCTION dashboards_refresh_delivery_facts(ids bigint[]) RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
    IF ids IS NULL OR cardinality(ids) = 0 THEN
        RETURN;
    END IF;
    -- One woman's changes are counted one transaction after the other (see the module docstring).
    PERFORM 1 FROM cases_pregnancy WHERE id = ANY(ids) ORDER BY id FOR NO KEY UPDATE;
    -- Most visits are antenatal visits of women not delivered yet: nothing to count, nothing to write.
    IF NOT EXISTS (SELECT 1 FROM cases_delivery WHERE pregnancy_id = ANY(ids))
       AND NOT EXISTS (SELECT 1 FROM dashboards_deliveryfact WHERE pregnancy_id = ANY(ids)) THEN
        RETURN;
    END IF;
    WITH d AS MATERIALIZED (
        {fact_rows("dashboards_deliveryfact", -1, where="x.pregnancy_id = ANY(ids)")}
        UNION ALL
        {fact_rows("dashboards_delivery_facts(ids)", 1)}
    ), m AS (
        INSERT INTO dashboards_monthlycounter AS c (facility_id, key, month, n)
        SELECT facility_id, key, month, SUM(delta) FROM d
        GROUP BY facility_id, key, month HAVING SUM(delta) <> 0 ORDER BY facility_id, key, month
        ON CONFLICT (facility_id, key, month) DO UPDATE SET n = c.n + EXCLUDED.n
    )
    INSERT INTO dashboards_weeklycounter AS c (facility_id, key, week, n)
    SELECT facility_id, key, week, SUM(delta) FROM d
    GROUP BY facility_id, key, week HAVING SUM(delta) <> 0 ORDER BY facility_id, key, week
    ON CONFLICT (facility_id, key, week) DO UPDATE SET n = c.n + EXCLUDED.n;
    DELETE FROM dashboards_deliveryfact f WHERE f.pregnancy_id = ANY(ids)
        AND NOT EXISTS (SELECT 1 FROM cases_delivery d WHERE d.pregnancy_id = f.pregnancy_id);
    {facts_upsert("SELECT * FROM dashboards_delivery_facts(ids)")}
END
$fn$;
"""


def ids_of(*selects: str) -> str:
    return f"PERFORM dashboards_refresh_delivery_facts(ARRAY(SELECT DISTINCT pregnancy_id FROM ({union(*selects)}) AS r));"


def changed(columns: str) -> str:
    """Rows of an UPDATE whose ``columns`` changed, old and new (a row moved to another pregnancy counts
    for both)."""
    cols = ", ".join(f"n.{c}" for c in columns.split()), ", ".join(f"o.{c}" for c in columns.split())
    join = f"new_rows n JOIN old_rows o ON o.id = n.id WHERE ({cols[0]}) IS DISTINCT FROM ({cols[1]})"
    return union(f"SELECT n.pregnancy_id FROM {join}", f"SELECT o.pregnancy_id FROM {join}")


VISIT_COLUMNS = "pregnancy_id kind visited_at ga_days"
DELIVERY_COLUMNS = "pregnancy_id facility_id delivered_at discharged_at"

PREGNANCY_FUNCTION = base.trigger_function(
    "dashboards_pregnancy_counters",
    insert=base.census_upsert(base.pregnancy_census("new_rows", 1)),
    update=base.census_upsert(union(base.pregnancy_census("new_rows", 1), base.pregnancy_census("old_rows", -1)))
    + events_upsert(base.BOOKING_MOVES)
    + ids_of(
        "SELECT n.id AS pregnancy_id FROM new_rows n JOIN old_rows o ON o.id = n.id "
        "JOIN cases_delivery d ON d.pregnancy_id = n.id WHERE n.booking_facility_id <> o.booking_facility_id"
    ),
    delete=base.census_upsert(base.pregnancy_census("old_rows", -1)),
)


def events_function(name: str, *row_sets, update_ids: str | None = None, all_ids: bool = False) -> str:
    """Trigger function of an event table: monthly + weekly counters, and the facts of the deliveries
    it touches (``update_ids``: the columns whose change moves a fact; ``all_ids``: any row)."""

    def source(rel: str, sign: int) -> str:
        return union(*(rows(rel, sign) for rows in row_sets))

    def refresh(*rels: str) -> str:
        return ids_of(*(f"SELECT pregnancy_id FROM {rel}" for rel in rels)) if all_ids else ""

    return base.trigger_function(
        name,
        insert=events_upsert(source("new_rows", 1)) + refresh("new_rows"),
        update=events_upsert(union(source("new_rows", 1), source("old_rows", -1)))
        + (ids_of(changed(update_ids)) if update_ids else ""),
        delete=events_upsert(source("old_rows", -1)) + refresh("old_rows"),
    )


def visit_function() -> str:
    return base.trigger_function(
        "dashboards_visit_counters",
        insert=ids_of("SELECT pregnancy_id FROM new_rows"),
        update=ids_of(changed(VISIT_COLUMNS)),
        delete=ids_of("SELECT pregnancy_id FROM old_rows"),
    )


# The tier or critical-care designation of a facility changed: the deliveries there are re-evaluated.
FACILITY_FUNCTION = f"""
CREATE OR REPLACE FUNCTION dashboards_facility_counters() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    {ids_of('''SELECT d.pregnancy_id FROM new_rows n JOIN old_rows o ON o.id = n.id
        JOIN cases_delivery d ON d.facility_id = n.id
        WHERE (n.tier, n.critical_care_level) IS DISTINCT FROM (o.tier, o.critical_care_level)''')}
    RETURN NULL;
END
$fn$;
CREATE TRIGGER dashboards_counters_upd AFTER UPDATE ON facilities_facility
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION dashboards_facility_counters();"""

NEW_TABLES = {
    "cases_visit": "dashboards_visit_counters",
    "risk_riskreport": "dashboards_riskreport_counters",
}
SOURCE_TABLES = [*base.TABLES, "reminders_followup", *NEW_TABLES]


def rebuild_function() -> str:
    events = union(
        base.delivery_monthly("cases_delivery", 1),
        base.newborn_monthly("cases_newborn", 1),
        base.death_monthly("cases_maternaldeath", 1),
        base.near_miss_monthly("cases_nearmissevent", 1),
        base.referral_monthly("referrals_referral", 1),
        report_rows("risk_riskreport", 1),
    )
    census = union(
        base.pregnancy_census("cases_pregnancy", 1),
        base.referral_census("referrals_referral", 1),
        followups.followup_census("reminders_followup", 1),
    )
    facts = fact_rows("dashboards_deliveryfact", 1)
    return f"""
CREATE OR REPLACE FUNCTION dashboards_rebuild_counters() RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
    -- SHARE: readers go on, writers wait until the rebuild commits, so no change is counted twice or lost.
    LOCK TABLE {", ".join(SOURCE_TABLES)}, facilities_facility IN SHARE MODE;
    DELETE FROM dashboards_censuscounter;
    DELETE FROM dashboards_monthlycounter;
    DELETE FROM dashboards_weeklycounter;
    DELETE FROM dashboards_followupduecounter;
    {base.census_upsert(census)}
    {due_upsert(due_rows("reminders_followup", 1))}
    DELETE FROM dashboards_deliveryfact f
        WHERE NOT EXISTS (SELECT 1 FROM cases_delivery d WHERE d.pregnancy_id = f.pregnancy_id);
    {facts_upsert(facts_select("TRUE"))}
    {base.monthly_upsert(union(events, f"SELECT facility_id, key, month, delta FROM ({facts}) AS x"))}
    {weekly_upsert(union(events, f"SELECT facility_id, key, week, delta FROM ({facts}) AS x"))}
END
$fn$;"""


FORWARD = "\n".join(
    [
        HELPERS,
        PREGNANCY_FUNCTION,
        events_function(
            "dashboards_delivery_counters",
            base.delivery_monthly,
            base.delivery_births_monthly,
            update_ids=DELIVERY_COLUMNS,
            all_ids=True,
        ),
        events_function("dashboards_newborn_counters", base.newborn_monthly),
        events_function("dashboards_maternaldeath_counters", base.death_monthly),
        events_function("dashboards_nearmiss_counters", base.near_miss_monthly),
        base.trigger_function(
            "dashboards_referral_counters",
            insert=base.census_upsert(base.referral_census("new_rows", 1))
            + events_upsert(base.referral_monthly("new_rows", 1)),
            update=base.census_upsert(
                union(base.referral_census("new_rows", 1), base.referral_census("old_rows", -1))
            )
            + events_upsert(union(base.referral_monthly("new_rows", 1), base.referral_monthly("old_rows", -1))),
            delete=base.census_upsert(base.referral_census("old_rows", -1))
            + events_upsert(base.referral_monthly("old_rows", -1)),
        ),
        events_function("dashboards_riskreport_counters", report_rows),
        visit_function(),
        FOLLOWUP_FUNCTION,
        FACILITY_FUNCTION,
        *(base.triggers(table, function) for table, function in NEW_TABLES.items()),
        rebuild_function(),
        # Counters, weeks and facts for the rows that exist already (an upgrade of a populated database).
        "SELECT dashboards_rebuild_counters();",
    ]
)

REVERSE = "\n".join(
    [
        *(
            f"DROP TRIGGER IF EXISTS dashboards_counters_{op} ON {table};"
            for table in NEW_TABLES
            for op in ("ins", "upd", "del")
        ),
        "DROP TRIGGER IF EXISTS dashboards_counters_upd ON facilities_facility;",
        "DROP FUNCTION IF EXISTS dashboards_facility_counters();",
        *(f"DROP FUNCTION IF EXISTS {function}();" for function in NEW_TABLES.values()),
        # the functions of 0002/0003 as they were (monthly only), then their rebuild
        base.PREGNANCY_FUNCTION,
        base.monthly_function("dashboards_delivery_counters", base.delivery_monthly, base.delivery_births_monthly),
        base.monthly_function("dashboards_newborn_counters", base.newborn_monthly),
        base.monthly_function("dashboards_maternaldeath_counters", base.death_monthly),
        base.monthly_function("dashboards_nearmiss_counters", base.near_miss_monthly),
        base.REFERRAL_FUNCTION,
        followups.FOLLOWUP_FUNCTION,
        followups.rebuild_function(with_followups=True),
        "DROP FUNCTION IF EXISTS dashboards_refresh_delivery_facts(bigint[]);",
        "DROP FUNCTION IF EXISTS dashboards_delivery_facts(bigint[]);",
        "DROP FUNCTION IF EXISTS dashboards_week(timestamptz);",
        "SELECT dashboards_rebuild_counters();",
    ]
)


class Migration(migrations.Migration):
    dependencies = [
        ("dashboards", "0005_indicators_and_weeks"),
        ("cases", "0003_pregnancy_grant_ledger"),
        ("risk", "0002_load_national_catalogue"),
        ("reminders", "0001_initial"),
    ]

    operations = [migrations.RunSQL(FORWARD, REVERSE)]
