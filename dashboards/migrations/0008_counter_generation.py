"""A generation per province that moves at the commit of any change to its summary's counters.

See ``CounterGeneration``. Deferred (``INITIALLY DEFERRED``) row triggers on the census, monthly and
follow-up due counters, and on facilities (tier, designation and region decide which counters a summary
sums and how), run at commit. The first one of a transaction for a province takes the next value of
``dashboards_generation_seq`` for it; later ones see the transaction-local setting
``dashboards.bumped_<province>`` and return. A statement that moves a thousand counter rows therefore
writes the province's row once.
"""

from django.db import migrations, models

COUNTER_TABLES = [
    "dashboards_censuscounter",
    "dashboards_monthlycounter",
    "dashboards_followupduecounter",
]

FUNCTIONS = """
CREATE SEQUENCE dashboards_generation_seq;

CREATE FUNCTION dashboards_generation_bump(code text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF code IS NULL OR current_setting('dashboards.bumped_' || code, true) = 'on' THEN
        RETURN;
    END IF;
    -- The value is taken once the row is locked (ON CONFLICT … UPDATE): in the order of the commits.
    INSERT INTO dashboards_countergeneration AS c (province, g)
    VALUES (code, nextval('dashboards_generation_seq'))
    ON CONFLICT (province) DO UPDATE SET g = nextval('dashboards_generation_seq');
    PERFORM set_config('dashboards.bumped_' || code, 'on', true);
END
$$;

-- A counter row of a facility changed: its province.
CREATE FUNCTION dashboards_counter_committed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    facility bigint := CASE WHEN TG_OP = 'DELETE' THEN OLD.facility_id ELSE NEW.facility_id END;
BEGIN
    PERFORM dashboards_generation_bump(left(f.region_code, 2))
        FROM facilities_facility f WHERE f.id = facility;
    IF TG_OP = 'UPDATE' AND OLD.facility_id IS DISTINCT FROM NEW.facility_id THEN
        PERFORM dashboards_generation_bump(left(f.region_code, 2))
            FROM facilities_facility f WHERE f.id = OLD.facility_id;
    END IF;
    RETURN NULL;
END
$$;

-- A facility changed: its province, before and after (a facility may move).
CREATE FUNCTION dashboards_facility_committed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM dashboards_generation_bump(left(OLD.region_code, 2));
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM dashboards_generation_bump(left(NEW.region_code, 2));
    END IF;
    RETURN NULL;
END
$$;
"""

TRIGGERS = [
    f"""CREATE CONSTRAINT TRIGGER {table}_generation AFTER INSERT OR UPDATE OR DELETE ON {table}
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION dashboards_counter_committed();"""
    for table in COUNTER_TABLES
] + [
    """CREATE CONSTRAINT TRIGGER facilities_facility_generation AFTER INSERT OR UPDATE OR DELETE
    ON facilities_facility DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    EXECUTE FUNCTION dashboards_facility_committed();"""
]

DROP = [
    *(f"DROP TRIGGER IF EXISTS {table}_generation ON {table};" for table in COUNTER_TABLES),
    "DROP TRIGGER IF EXISTS facilities_facility_generation ON facilities_facility;",
    "DROP FUNCTION IF EXISTS dashboards_facility_committed();",
    "DROP FUNCTION IF EXISTS dashboards_counter_committed();",
    "DROP FUNCTION IF EXISTS dashboards_generation_bump(text);",
    "DROP SEQUENCE IF EXISTS dashboards_generation_seq;",
]


class Migration(migrations.Migration):
    dependencies = [
        ("dashboards", "0007_period_indexes_counter_storage"),
        ("facilities", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="CounterGeneration",
            fields=[
                (
                    "province",
                    models.CharField(
                        max_length=2, primary_key=True, serialize=False, verbose_name="province code"
                    ),
                ),
                ("g", models.BigIntegerField(verbose_name="generation")),
            ],
            options={
                "verbose_name": "counter generation",
                "verbose_name_plural": "counter generations",
            },
        ),
        migrations.RunSQL([FUNCTIONS, *TRIGGERS], DROP),
    ]
