"""A facility's grants of women it neither manages nor follows up, on an index of their own (issue #9).

A facility member's list counts the women granted to her facility beyond those it manages or follows up
(``cases.access.FacilityRest``). Read from ``pregnancy_group_grant_newest``, that count went through every
grant the facility ever received: a county hospital keeps the grant of each woman referred to it, and
once her management moved there the grant stays, so on the bench database 8,165 of the hospital's 8,505
view grants were of its own women and the count cost 1.6 ms of PostgreSQL CPU on every list.

- ``grantee_facility_id`` on each group grant: the facility of the access group (``facility:<external
  id>``, ``facilities.services.facility_access_group``), set by a ``BEFORE INSERT OR UPDATE OF group_id``
  trigger whoever inserts (guardian, the grant ledger's single statement, a bulk insert); NULL for a
  group that is no facility's;
- ``pregnancy_group_grant_foreign``: (group, permission) of the grants whose woman is neither managed
  nor followed up at that facility, with her and her facilities (an index-only count); the copies of her facilities are kept by ``cases/0007``–``0008``, so
  a transfer moves a grant in or out of the index;
- the existing grants are filled once, here.
"""

from django.db import migrations, models

PREFIX = "facility:"  # facilities.services.ACCESS_GROUP_PREFIX, as it stands at this migration
TABLE = "cases_pregnancygroupobjectpermission"
# The facility of a group by its name; a name that is not "facility:<uuid>" gives NULL (no cast error).
GRANTEE = f"""
    SELECT f.id FROM auth_group ag JOIN facilities_facility f ON f.external_id = (
        CASE WHEN ag.name ~ '^{PREFIX}[0-9a-fA-F-]{{36}}$' THEN substr(ag.name, {len(PREFIX) + 1})::uuid END
    ) WHERE ag.id = {{group}}
"""
FOREIGN = (
    "pregnancy_managing_facility_id IS DISTINCT FROM grantee_facility_id "
    "AND pregnancy_follow_up_facility_id IS DISTINCT FROM grantee_facility_id"
)

FORWARD = [
    f"""
    CREATE FUNCTION cases_group_grant_grantee() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.grantee_facility_id := ({GRANTEE.replace("{group}", "NEW.group_id")});
        RETURN NEW;
    END $$
    """,
    f"""
    CREATE TRIGGER {TABLE}_grantee BEFORE INSERT OR UPDATE OF group_id ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION cases_group_grant_grantee()
    """,
    f"UPDATE {TABLE} g SET grantee_facility_id = ({GRANTEE.replace('{group}', 'g.group_id')})",  # noqa: S608
    f"""
    CREATE INDEX pregnancy_group_grant_foreign ON {TABLE} (group_id, permission_id)
    INCLUDE (content_object_id, pregnancy_managing_facility_id, pregnancy_follow_up_facility_id)
    WHERE {FOREIGN}
    """,
]

BACKWARD = [
    "DROP INDEX IF EXISTS pregnancy_group_grant_foreign",
    f"DROP TRIGGER IF EXISTS {TABLE}_grantee ON {TABLE}",
    "DROP FUNCTION IF EXISTS cases_group_grant_grantee()",
]


class Migration(migrations.Migration):
    dependencies = [("cases", "0010_follow_up_index_managing")]

    operations = [
        migrations.AddField(
            model_name="pregnancygroupobjectpermission",
            name="grantee_facility_id",
            field=models.BigIntegerField(editable=False, null=True),
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
    ]
