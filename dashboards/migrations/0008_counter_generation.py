"""One generation for the dashboard counters that moves at the commit of any change to them.

See ``CounterGeneration``. Deferred (``INITIALLY DEFERRED``) row triggers on the census, monthly and
follow-up due counters, and on facilities (tier, designation and region decide which counters a summary
sums and how), run at commit. The first one of a transaction gives the row the next value of
``dashboards_generation_seq``; later ones see the transaction-local setting ``dashboards.bumped`` and
return. A statement that moves a thousand counter rows therefore writes the generation once.
"""

from django.db import migrations, models

COUNTER_TABLES = [
    "dashboards_censuscounter",
    "dashboards_monthlycounter",
    "dashboards_followupduecounter",
    "facilities_facility",
]

FUNCTIONS = """
CREATE SEQUENCE dashboards_generation_seq;

CREATE FUNCTION dashboards_generation_bump() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('dashboards.bumped', true) = 'on' THEN
        RETURN NULL;
    END IF;
    -- The value is taken once the row is locked (ON CONFLICT … UPDATE): in the order of the commits.
    INSERT INTO dashboards_countergeneration AS c (id, g)
    VALUES (1, nextval('dashboards_generation_seq'))
    ON CONFLICT (id) DO UPDATE SET g = nextval('dashboards_generation_seq');
    PERFORM set_config('dashboards.bumped', 'on', true);
    RETURN NULL;
END
$$;
"""

TRIGGERS = [
    f"""CREATE CONSTRAINT TRIGGER {table}_generation AFTER INSERT OR UPDATE OR DELETE ON {table}
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION dashboards_generation_bump();"""
    for table in COUNTER_TABLES
]

DROP = [
    *(f"DROP TRIGGER IF EXISTS {table}_generation ON {table};" for table in COUNTER_TABLES),
    "DROP FUNCTION IF EXISTS dashboards_generation_bump();",
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
                    "id",
                    models.PositiveSmallIntegerField(
                        default=1, primary_key=True, serialize=False, verbose_name="id"
                    ),
                ),
                ("g", models.BigIntegerField(verbose_name="generation")),
            ],
            options={
                "verbose_name": "counter generation",
                "verbose_name_plural": "counter generations",
                "constraints": [
                    models.CheckConstraint(condition=models.Q(("id", 1)), name="countergeneration_one_row")
                ],
            },
        ),
        migrations.RunSQL([FUNCTIONS, *TRIGGERS], DROP),
    ]
