"""The granted pregnancy's ``created_at`` and ``managing_facility_id`` on each guardian grant, kept by the
database (issue #9): a list pages through a user's grants newest first, and counts those managed
elsewhere, on the grant table's own index (``cases.access.FacilityRest``).

- ``BEFORE INSERT OR UPDATE OF content_object_id`` on both grant tables copies the columns from the
  pregnancy, whoever inserts (guardian's ``assign_perm``, a bulk insert, ``COPY``);
- ``AFTER UPDATE OF created_at, managing_facility_id`` on the pregnancy (only when one of them changed:
  a transfer of care) copies them to her grants;
- the existing grants are filled once, here.
"""

from django.conf import settings
from django.db import migrations, models

GRANT_TABLES = ("cases_pregnancyuserobjectpermission", "cases_pregnancygroupobjectpermission")

FORWARD = [
    """
    CREATE FUNCTION cases_grant_copy_pregnancy() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        SELECT p.created_at, p.managing_facility_id
          INTO NEW.pregnancy_created_at, NEW.pregnancy_managing_facility_id
          FROM cases_pregnancy p WHERE p.id = NEW.content_object_id;
        RETURN NEW;
    END $$
    """,
    *(
        f"""
        CREATE TRIGGER {table}_copy BEFORE INSERT OR UPDATE OF content_object_id ON {table}
        FOR EACH ROW EXECUTE FUNCTION cases_grant_copy_pregnancy()
        """
        for table in GRANT_TABLES
    ),
    """
    CREATE FUNCTION cases_pregnancy_to_grants() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE cases_pregnancyuserobjectpermission
           SET pregnancy_created_at = NEW.created_at,
               pregnancy_managing_facility_id = NEW.managing_facility_id
         WHERE content_object_id = NEW.id;
        UPDATE cases_pregnancygroupobjectpermission
           SET pregnancy_created_at = NEW.created_at,
               pregnancy_managing_facility_id = NEW.managing_facility_id
         WHERE content_object_id = NEW.id;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER cases_pregnancy_to_grants
    AFTER UPDATE OF created_at, managing_facility_id ON cases_pregnancy
    FOR EACH ROW WHEN (
        OLD.created_at IS DISTINCT FROM NEW.created_at
        OR OLD.managing_facility_id IS DISTINCT FROM NEW.managing_facility_id
    ) EXECUTE FUNCTION cases_pregnancy_to_grants()
    """,
    *(
        f"""
        UPDATE {table} g
           SET pregnancy_created_at = p.created_at, pregnancy_managing_facility_id = p.managing_facility_id
          FROM cases_pregnancy p WHERE p.id = g.content_object_id
        """  # noqa: S608 - table names of this file
        for table in GRANT_TABLES
    ),
]

BACKWARD = [
    "DROP TRIGGER IF EXISTS cases_pregnancy_to_grants ON cases_pregnancy",
    "DROP FUNCTION IF EXISTS cases_pregnancy_to_grants()",
    *(f"DROP TRIGGER IF EXISTS {table}_copy ON {table}" for table in GRANT_TABLES),
    "DROP FUNCTION IF EXISTS cases_grant_copy_pregnancy()",
]


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("cases", "0006_pregnancy_newest_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="pregnancygroupobjectpermission",
            name="pregnancy_created_at",
            field=models.DateTimeField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="pregnancygroupobjectpermission",
            name="pregnancy_managing_facility_id",
            field=models.BigIntegerField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="pregnancyuserobjectpermission",
            name="pregnancy_created_at",
            field=models.DateTimeField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="pregnancyuserobjectpermission",
            name="pregnancy_managing_facility_id",
            field=models.BigIntegerField(editable=False, null=True),
        ),
        migrations.AddIndex(
            model_name="pregnancygroupobjectpermission",
            index=models.Index(
                fields=["group", "permission", "-pregnancy_created_at", "-content_object"],
                include=("pregnancy_managing_facility_id",),
                name="pregnancy_group_grant_newest",
            ),
        ),
        migrations.AddIndex(
            model_name="pregnancyuserobjectpermission",
            index=models.Index(
                fields=["user", "permission", "-pregnancy_created_at", "-content_object"],
                include=("pregnancy_managing_facility_id",),
                name="pregnancy_user_grant_newest",
            ),
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
    ]
