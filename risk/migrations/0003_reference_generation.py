"""One generation for the grading reference data (``ReferenceGeneration``).

Statement triggers (``FOR EACH STATEMENT``, not deferred) on catalogue versions, criteria, regional
policies and regions give the row the next value of ``risk_reference_seq`` after every statement that
inserts, updates, deletes or truncates any of them. Reference data change rarely (an administrator
editing a catalogue or a policy); a write of them locks the row until its transaction ends, which
serialises such writes and nothing else.
"""

from django.db import migrations, models

REFERENCE_TABLES = [
    "risk_catalogueversion",
    "risk_cataloguecriterion",
    "risk_riskpolicy",
    "facilities_region",
]

FUNCTIONS = """
CREATE SEQUENCE risk_reference_seq;

CREATE FUNCTION risk_reference_bump() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- An upsert, so that the row comes back after a TRUNCATE of every table (test flushes).
    INSERT INTO risk_referencegeneration AS r (id, g)
    VALUES (1, nextval('risk_reference_seq'))
    ON CONFLICT (id) DO UPDATE SET g = nextval('risk_reference_seq');
    RETURN NULL;
END
$$;

INSERT INTO risk_referencegeneration (id, g) VALUES (1, nextval('risk_reference_seq'));
"""

TRIGGERS = [
    f"""CREATE TRIGGER {table}_reference AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION risk_reference_bump();"""
    for table in REFERENCE_TABLES
]

DROP = [
    *(f"DROP TRIGGER IF EXISTS {table}_reference ON {table};" for table in REFERENCE_TABLES),
    "DROP FUNCTION IF EXISTS risk_reference_bump();",
    "DROP SEQUENCE IF EXISTS risk_reference_seq;",
]


class Migration(migrations.Migration):
    dependencies = [
        ("risk", "0002_load_national_catalogue"),
        ("facilities", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="ReferenceGeneration",
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
                "verbose_name": "reference data generation",
                "verbose_name_plural": "reference data generations",
                "constraints": [
                    models.CheckConstraint(condition=models.Q(("id", 1)), name="referencegeneration_one_row")
                ],
            },
        ),
        migrations.RunSQL([FUNCTIONS, *TRIGGERS], DROP),
    ]
