"""A pregnancy's managing and follow-up facility copied onto the rows of another table that belong to her
(referrals, consults), kept by the database, so that who may see those rows is a condition on their own
indexes (``cases.access.pregnancy_scope_arms(..., on="pregnancy_")``) instead of the set of every woman
the reader may see (issue #9: 32,000 women for a county hospital at a million pregnancies, 150 ms before a
list of 25,000 referrals could be counted).

The table has ``pregnancy_id`` and two nullable ``bigint`` columns ``pregnancy_managing_facility_id`` and
``pregnancy_follow_up_facility_id``. Two triggers keep them:

- before every INSERT of one of its rows, and every UPDATE that sets ``pregnancy_id`` or a copy, the copies
  are read from her pregnancy row: a row written whole by the ORM (``save()`` sends every field, the
  copies as the instance last read them) cannot write a stale copy, and a row moved to another pregnancy
  (a merge) takes the new one's. An UPDATE of other columns only (a status) does not read her row;
- after a pregnancy's managing or follow-up facility changes (a transfer, a follow-up facility set or
  cleared), her rows in the table are updated.

Under READ COMMITTED a row written while her pregnancy is being transferred ends with the new values
either way: the row trigger reads the pregnancy with a fresh snapshot, and the pregnancy's trigger
updates the row after the writer's lock is released.

Migrations call ``copy_sql``: what it returns is their history. Change the triggers with a new
migration that replaces them, not by editing this function.
"""

COPIED = ("managing_facility_id", "follow_up_facility_id")


def copy_sql(table: str) -> tuple[list[str], list[str]]:
    """(forward, backward) SQL that installs the two triggers on ``table``, fills its copies and removes
    them again. Names are ``<table>_copy_pregnancy`` (the row trigger) and ``<table>_from_pregnancy``."""
    into = ", ".join(f"NEW.pregnancy_{c}" for c in COPIED)
    sets = ", ".join(f"pregnancy_{c} = NEW.{c}" for c in COPIED)
    fill = ", ".join(f"pregnancy_{c} = p.{c}" for c in COPIED)
    changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in COPIED)
    row, pregnancy = f"{table}_copy_pregnancy", f"{table}_from_pregnancy"
    copies = [f"pregnancy_{c}" for c in COPIED]
    # Table and column names of this project only, never input.
    forward = [
        f"""
        CREATE FUNCTION {row}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            SELECT {", ".join(f"p.{c}" for c in COPIED)} INTO {into}
              FROM cases_pregnancy p WHERE p.id = NEW.pregnancy_id;
            RETURN NEW;
        END $$
        """,  # noqa: S608
        f"""
        CREATE TRIGGER {row} BEFORE INSERT OR UPDATE OF pregnancy_id, {", ".join(copies)} ON {table}
        FOR EACH ROW EXECUTE FUNCTION {row}()
        """,
        f"""
        CREATE FUNCTION {pregnancy}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE {table} SET {sets} WHERE pregnancy_id = NEW.id;
            RETURN NULL;
        END $$
        """,  # noqa: S608
        f"""
        CREATE TRIGGER {pregnancy} AFTER UPDATE OF {", ".join(COPIED)} ON cases_pregnancy
        FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION {pregnancy}()
        """,
        f"UPDATE {table} t SET {fill} FROM cases_pregnancy p WHERE p.id = t.pregnancy_id",  # noqa: S608
    ]
    backward = [
        f"DROP TRIGGER {pregnancy} ON cases_pregnancy",
        f"DROP FUNCTION {pregnancy}()",
        f"DROP TRIGGER {row} ON {table}",
        f"DROP FUNCTION {row}()",
    ]
    return forward, backward
