"""Census counters of the pregnancies a facility follows up for another facility: ``followed_here:<status>``.

A pregnancy managed at one facility is often followed up at another (a community health centre visits
the women its district hospital manages). Those women are the second arm of a facility member's access
scope and of her worklist. Counting them for every list meant reading and de-duplicating every such
pregnancy: 74,000 at a community health centre of the bench region, 130-150 ms of server CPU for each
pregnancy list and worklist of its clinicians (issue #9). These counters hold the same number: one per
follow-up facility and status, for each pregnancy whose ``follow_up_facility`` is set and is not its
managing facility, kept by the pregnancy census trigger in the transaction that changes the pregnancy and
recounted by ``dashboards_rebuild_counters`` (``manage.py dashboard_counters --check`` compares both).

Both functions are those of ``0006`` with one more part in the pregnancy census, so the rest of their
text is unchanged (the replacements are checked to happen).
"""

import importlib

from django.db import migrations

base = importlib.import_module("dashboards.migrations.0002_counter_triggers")
m6 = importlib.import_module("dashboards.migrations.0006_cohort_and_weekly_triggers")

KEY = "followed_here:"


def followed_census(rel: str, sign: int) -> str:
    """The follow-up facility's contribution of ``rel``'s pregnancies (rel: the table or a transition
    table), as ``base.pregnancy_census`` gives the managing facility's."""
    return f"""SELECT follow_up_facility_id AS facility_id, '{KEY}' || status AS key, {sign} AS delta
        FROM {rel} WHERE follow_up_facility_id IS NOT NULL AND follow_up_facility_id <> managing_facility_id"""


def with_followed(sql: str, rels: list[tuple[str, int]]) -> str:
    """``sql`` with each ``base.pregnancy_census(rel, sign)`` of ``rels`` followed by the follow-up part."""
    for rel, sign in rels:
        census = base.pregnancy_census(rel, sign)
        count = sql.count(census)
        if count == 0:
            raise ValueError(f"no pregnancy census of {rel} in the function")
        sql = sql.replace(census, base.union(census, followed_census(rel, sign)))
    return sql


PREGNANCY_FUNCTION = with_followed(m6.PREGNANCY_FUNCTION, [("new_rows", 1), ("old_rows", -1)])
REBUILD_FUNCTION = with_followed(m6.rebuild_function(), [("cases_pregnancy", 1)])

FORWARD = "\n".join(
    [
        PREGNANCY_FUNCTION,
        REBUILD_FUNCTION,
        # The pregnancies there are: no pregnancy changes between this count and the commit (SHARE: the
        # writers wait), so none is counted by both or by neither.
        "LOCK TABLE cases_pregnancy IN SHARE MODE;",
        base.census_upsert(followed_census("cases_pregnancy", 1)),
    ]
)

REVERSE = "\n".join(
    [
        m6.PREGNANCY_FUNCTION,
        m6.rebuild_function(),
        f"DELETE FROM dashboards_censuscounter WHERE key LIKE '{KEY}%';",
    ]
)


class Migration(migrations.Migration):
    dependencies = [
        ("dashboards", "0008_counter_generation"),
        ("cases", "0007_grant_pregnancy_copy"),
    ]

    operations = [migrations.RunSQL(FORWARD, REVERSE)]
