"""Statement-level triggers that keep the dashboard counters current in the same transaction.

Design (see dashboards/models.py):

- One AFTER trigger per table and event (PostgreSQL allows transition tables on single-event triggers
  only), FOR EACH STATEMENT with transition tables: a bulk insert of a million pregnancies runs the
  trigger once, with one aggregated upsert, not a million times.
- Each trigger computes the rows' contributions (``+1`` for new rows, ``-1`` for old rows), sums them
  per counter, drops the ones that cancel out (an update that moves no figure touches no counter
  row) and applies the rest with ``INSERT … ON CONFLICT DO UPDATE SET n = n + delta``, in
  (facility, key, month) order so that concurrent statements lock counter rows in the same order.
- The contributions are defined once, as SQL below; ``dashboards_rebuild_counters()`` recomputes every
  counter from the raw rows with the same definitions (``manage.py dashboard_counters --rebuild``),
  under a SHARE lock on the source tables so that no change slips in between.
- Month buckets are calendar months in Asia/Shanghai (``dashboards_month``).

Caveats: TRUNCATE fires no row trigger (rebuild after restoring or truncating source tables); a later
migration that renames one of the columns used here must replace these functions.
"""

from django.db import migrations

LIVE = "('live_birth', 'neonatal_death')"  # born alive, whatever happened later (WHO definition)


def census_upsert(source: str) -> str:
    return f"""
    INSERT INTO dashboards_censuscounter AS c (facility_id, key, n)
    SELECT facility_id, key, SUM(delta) FROM ({source}) AS d
    GROUP BY facility_id, key HAVING SUM(delta) <> 0
    ORDER BY facility_id, key
    ON CONFLICT (facility_id, key) DO UPDATE SET n = c.n + EXCLUDED.n;"""


def monthly_upsert(source: str) -> str:
    return f"""
    INSERT INTO dashboards_monthlycounter AS c (facility_id, key, month, n)
    SELECT facility_id, key, month, SUM(delta) FROM ({source}) AS d
    GROUP BY facility_id, key, month HAVING SUM(delta) <> 0
    ORDER BY facility_id, key, month
    ON CONFLICT (facility_id, key, month) DO UPDATE SET n = c.n + EXCLUDED.n;"""


def union(*parts: str) -> str:
    return "\nUNION ALL\n".join(parts)


# --- contributions of one relation's rows (rel = the table itself or a transition table) -------------


def pregnancy_census(rel: str, sign: int) -> str:
    return f"""SELECT managing_facility_id AS facility_id,
        unnest(dashboards_pregnancy_keys(status, risk_color, purple, under_case_management, needs_referral)) AS key,
        {sign} AS delta FROM {rel}"""


def referral_census(rel: str, sign: int) -> str:
    return union(
        f"SELECT from_facility_id AS facility_id, 'referral_out:' || status AS key, {sign} AS delta FROM {rel}",
        f"SELECT to_facility_id, 'referral_in:' || status, {sign} FROM {rel}",
    )


def referral_monthly(rel: str, sign: int) -> str:
    return f"""SELECT from_facility_id AS facility_id, 'referrals_requested' AS key,
        dashboards_month(requested_at) AS month, {sign} AS delta FROM {rel}"""


def delivery_monthly(rel: str, sign: int) -> str:
    return f"""SELECT COALESCE(d.facility_id, p.booking_facility_id) AS facility_id, 'deliveries' AS key,
        dashboards_month(d.delivered_at) AS month, {sign} AS delta
        FROM {rel} d JOIN cases_pregnancy p ON p.id = d.pregnancy_id"""


def delivery_births_monthly(rel: str, sign: int) -> str:
    """Live births counted where and when the delivery happened: moved when the delivery changes."""
    return f"""SELECT COALESCE(d.facility_id, p.booking_facility_id) AS facility_id, 'live_births' AS key,
        dashboards_month(d.delivered_at) AS month, {sign} AS delta
        FROM {rel} d JOIN cases_pregnancy p ON p.id = d.pregnancy_id
        JOIN cases_newborn nb ON nb.delivery_id = d.id AND nb.outcome IN {LIVE}"""


def newborn_monthly(rel: str, sign: int) -> str:
    return f"""SELECT COALESCE(d.facility_id, p.booking_facility_id) AS facility_id, 'live_births' AS key,
        dashboards_month(d.delivered_at) AS month, {sign} AS delta
        FROM {rel} nb JOIN cases_delivery d ON d.id = nb.delivery_id
        JOIN cases_pregnancy p ON p.id = d.pregnancy_id
        WHERE nb.outcome IN {LIVE}"""


def death_monthly(rel: str, sign: int) -> str:
    return f"""SELECT COALESCE(md.facility_id, p.booking_facility_id) AS facility_id,
        CASE WHEN md.is_late THEN 'late_maternal_deaths' ELSE 'maternal_deaths' END AS key,
        dashboards_month(md.died_at) AS month, {sign} AS delta
        FROM {rel} md JOIN cases_pregnancy p ON p.id = md.pregnancy_id"""


def near_miss_monthly(rel: str, sign: int) -> str:
    return f"""SELECT facility_id, 'near_miss_events' AS key, dashboards_month(occurred_at) AS month,
        {sign} AS delta FROM {rel}"""


# Events without a facility count at the booking facility: when that changes, they move with it.
BOOKING_MOVES = f"""
    SELECT x.facility_id, e.key, e.month, x.sign AS delta
    FROM (
        SELECT n.id, n.booking_facility_id AS facility_id, 1 AS sign
        FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE n.booking_facility_id <> o.booking_facility_id
        UNION ALL
        SELECT o.id, o.booking_facility_id, -1
        FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE n.booking_facility_id <> o.booking_facility_id
    ) x
    CROSS JOIN LATERAL (
        SELECT 'deliveries' AS key, dashboards_month(d.delivered_at) AS month
        FROM cases_delivery d WHERE d.pregnancy_id = x.id AND d.facility_id IS NULL
        UNION ALL
        SELECT 'live_births', dashboards_month(d.delivered_at)
        FROM cases_delivery d JOIN cases_newborn nb ON nb.delivery_id = d.id AND nb.outcome IN {LIVE}
        WHERE d.pregnancy_id = x.id AND d.facility_id IS NULL
        UNION ALL
        SELECT CASE WHEN md.is_late THEN 'late_maternal_deaths' ELSE 'maternal_deaths' END,
               dashboards_month(md.died_at)
        FROM cases_maternaldeath md WHERE md.pregnancy_id = x.id AND md.facility_id IS NULL
    ) e"""


def trigger_function(name: str, *, insert: str, update: str, delete: str) -> str:
    return f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    IF TG_OP = 'INSERT' THEN {insert}
    ELSIF TG_OP = 'UPDATE' THEN {update}
    ELSE {delete}
    END IF;
    RETURN NULL;
END
$fn$;"""


def triggers(table: str, function: str) -> str:
    return f"""
CREATE TRIGGER dashboards_counters_ins AFTER INSERT ON {table}
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}();
CREATE TRIGGER dashboards_counters_upd AFTER UPDATE ON {table}
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}();
CREATE TRIGGER dashboards_counters_del AFTER DELETE ON {table}
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}();"""


def census_function(name: str, rows) -> str:
    return trigger_function(
        name,
        insert=census_upsert(rows("new_rows", 1)),
        update=census_upsert(union(rows("new_rows", 1), rows("old_rows", -1))),
        delete=census_upsert(rows("old_rows", -1)),
    )


def monthly_function(name: str, *row_sets, extra_update: str = "") -> str:
    def source(rel: str, sign: int) -> str:
        return union(*(rows(rel, sign) for rows in row_sets))

    return trigger_function(
        name,
        insert=monthly_upsert(source("new_rows", 1)),
        update=monthly_upsert(union(source("new_rows", 1), source("old_rows", -1))) + extra_update,
        delete=monthly_upsert(source("old_rows", -1)),
    )


TABLES = {
    "cases_pregnancy": "dashboards_pregnancy_counters",
    "cases_delivery": "dashboards_delivery_counters",
    "cases_newborn": "dashboards_newborn_counters",
    "cases_maternaldeath": "dashboards_maternaldeath_counters",
    "cases_nearmissevent": "dashboards_nearmiss_counters",
    "referrals_referral": "dashboards_referral_counters",
}

HELPERS = """
CREATE OR REPLACE FUNCTION dashboards_month(ts timestamptz) RETURNS date
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT date_trunc('month', ts AT TIME ZONE 'Asia/Shanghai')::date $$;

-- The census keys of one pregnancy row (see dashboards.models.CensusCounter).
CREATE OR REPLACE FUNCTION dashboards_pregnancy_keys(
    status text, risk_color text, purple boolean, under_case_management boolean, needs_referral boolean
) RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ARRAY['status:' || status] || CASE WHEN status IN ('active', 'postpartum') THEN
        ARRAY['color:' || COALESCE(NULLIF(risk_color, ''), 'ungraded')]
        || CASE WHEN purple THEN ARRAY['purple'] ELSE ARRAY[]::text[] END
        || CASE WHEN under_case_management THEN ARRAY['case_management'] ELSE ARRAY[]::text[] END
        || CASE WHEN needs_referral THEN ARRAY['needs_referral'] ELSE ARRAY[]::text[] END
    ELSE ARRAY[]::text[] END
$$;
"""

PREGNANCY_FUNCTION = trigger_function(
    "dashboards_pregnancy_counters",
    insert=census_upsert(pregnancy_census("new_rows", 1)),
    update=census_upsert(union(pregnancy_census("new_rows", 1), pregnancy_census("old_rows", -1)))
    + monthly_upsert(BOOKING_MOVES),
    delete=census_upsert(pregnancy_census("old_rows", -1)),
)

REFERRAL_FUNCTION = trigger_function(
    "dashboards_referral_counters",
    insert=census_upsert(referral_census("new_rows", 1)) + monthly_upsert(referral_monthly("new_rows", 1)),
    update=census_upsert(union(referral_census("new_rows", 1), referral_census("old_rows", -1)))
    + monthly_upsert(union(referral_monthly("new_rows", 1), referral_monthly("old_rows", -1))),
    delete=census_upsert(referral_census("old_rows", -1)) + monthly_upsert(referral_monthly("old_rows", -1)),
)

REBUILD_FUNCTION = f"""
CREATE OR REPLACE FUNCTION dashboards_rebuild_counters() RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
    -- SHARE: readers go on, writers wait until the rebuild commits, so no change is counted twice or lost.
    LOCK TABLE {", ".join(TABLES)} IN SHARE MODE;
    DELETE FROM dashboards_censuscounter;
    DELETE FROM dashboards_monthlycounter;
    {census_upsert(union(pregnancy_census("cases_pregnancy", 1), referral_census("referrals_referral", 1)))}
    {monthly_upsert(union(
        delivery_monthly("cases_delivery", 1),
        newborn_monthly("cases_newborn", 1),
        death_monthly("cases_maternaldeath", 1),
        near_miss_monthly("cases_nearmissevent", 1),
        referral_monthly("referrals_referral", 1),
    ))}
END
$fn$;"""

FORWARD = "\n".join(
    [
        HELPERS,
        PREGNANCY_FUNCTION,
        monthly_function("dashboards_delivery_counters", delivery_monthly, delivery_births_monthly),
        monthly_function("dashboards_newborn_counters", newborn_monthly),
        monthly_function("dashboards_maternaldeath_counters", death_monthly),
        monthly_function("dashboards_nearmiss_counters", near_miss_monthly),
        REFERRAL_FUNCTION,
        REBUILD_FUNCTION,
        *(triggers(table, function) for table, function in TABLES.items()),
        # Counters for the rows that exist already (an upgrade of a populated database).
        "SELECT dashboards_rebuild_counters();",
    ]
)

REVERSE = "\n".join(
    [
        *(
            f"DROP TRIGGER IF EXISTS dashboards_counters_{op} ON {table};"
            for table in TABLES
            for op in ("ins", "upd", "del")
        ),
        *(f"DROP FUNCTION IF EXISTS {function}();" for function in TABLES.values()),
        "DROP FUNCTION IF EXISTS dashboards_rebuild_counters();",
        "DROP FUNCTION IF EXISTS dashboards_pregnancy_keys(text, text, boolean, boolean, boolean);",
        "DROP FUNCTION IF EXISTS dashboards_month(timestamptz);",
        "DELETE FROM dashboards_censuscounter;",
        "DELETE FROM dashboards_monthlycounter;",
    ]
)


class Migration(migrations.Migration):
    dependencies = [
        ("dashboards", "0001_counters"),
        ("cases", "0002_pregnancy_risk_summary"),
        ("referrals", "0001_initial"),
    ]

    operations = [migrations.RunSQL(FORWARD, REVERSE)]
