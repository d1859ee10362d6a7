"""The granted pregnancy's ``follow_up_facility_id`` on each guardian grant too, kept by the database like
the columns of ``0007`` (issue #9): a facility member's pregnancy list counts the women followed up at her
facility from the census counters (``dashboards/0009``) and the granted women from the grant tables'
index; a grant on a woman followed up at her facility is then counted once, without reading the woman.

The copy functions and the pregnancy's trigger of ``0007`` are replaced by ones that copy the third column
as well (and fire when it changes); the existing grants are filled; the two grant indexes carry it.
"""

from django.db import migrations, models

GRANT_TABLES = ("cases_pregnancyuserobjectpermission", "cases_pregnancygroupobjectpermission")
COPIED = ("created_at", "managing_facility_id", "follow_up_facility_id")


def copy_functions(columns: tuple[str, ...]) -> list[str]:
    """The two trigger functions of ``0007`` for the pregnancy's ``columns``."""
    into = ", ".join(f"NEW.pregnancy_{c}" for c in columns)
    sets = ", ".join(f"pregnancy_{c} = NEW.{c}" for c in columns)
    return [
        f"""
        CREATE OR REPLACE FUNCTION cases_grant_copy_pregnancy() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            SELECT {", ".join(f"p.{c}" for c in columns)} INTO {into}
              FROM cases_pregnancy p WHERE p.id = NEW.content_object_id;
            RETURN NEW;
        END $$
        """,
        f"""
        CREATE OR REPLACE FUNCTION cases_pregnancy_to_grants() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE cases_pregnancyuserobjectpermission SET {sets} WHERE content_object_id = NEW.id;
            UPDATE cases_pregnancygroupobjectpermission SET {sets} WHERE content_object_id = NEW.id;
            RETURN NULL;
        END $$
        """,
    ]


def pregnancy_trigger(columns: tuple[str, ...]) -> list[str]:
    changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in columns)
    return [
        "DROP TRIGGER IF EXISTS cases_pregnancy_to_grants ON cases_pregnancy",
        f"""
        CREATE TRIGGER cases_pregnancy_to_grants AFTER UPDATE OF {", ".join(columns)} ON cases_pregnancy
        FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION cases_pregnancy_to_grants()
        """,
    ]


FORWARD = [
    *copy_functions(COPIED),
    *pregnancy_trigger(COPIED),
    *(
        f"""
        UPDATE {table} g SET pregnancy_follow_up_facility_id = p.follow_up_facility_id
          FROM cases_pregnancy p WHERE p.id = g.content_object_id AND p.follow_up_facility_id IS NOT NULL
        """  # noqa: S608 - table names of this file
        for table in GRANT_TABLES
    ),
]
BACKWARD = [*copy_functions(COPIED[:2]), *pregnancy_trigger(COPIED[:2])]


def grant_index(model: str, grantee: str) -> list:
    name = f"pregnancy_{grantee}_grant_newest"
    return [
        migrations.RemoveIndex(model_name=model, name=name),
        migrations.AddIndex(
            model_name=model,
            index=models.Index(
                fields=[grantee, "permission", "-pregnancy_created_at", "-content_object"],
                include=("pregnancy_managing_facility_id", "pregnancy_follow_up_facility_id"),
                name=name,
            ),
        ),
    ]


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0007_grant_pregnancy_copy"),
    ]

    operations = [
        migrations.AddField(
            model_name="pregnancygroupobjectpermission",
            name="pregnancy_follow_up_facility_id",
            field=models.BigIntegerField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="pregnancyuserobjectpermission",
            name="pregnancy_follow_up_facility_id",
            field=models.BigIntegerField(editable=False, null=True),
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
        # after the fill: each index is built once, with the values
        *grant_index("pregnancygroupobjectpermission", "group"),
        *grant_index("pregnancyuserobjectpermission", "user"),
    ]
