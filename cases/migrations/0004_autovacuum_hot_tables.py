"""Autovacuum tuned for the hot tables (issue #9). Storage parameters only: no lock beyond a brief
``SHARE UPDATE EXCLUSIVE``, no rewrite, reversible (``RESET`` restores the server defaults).

PostgreSQL's defaults vacuum a table once 20 % of it is dead (``autovacuum_vacuum_scale_factor`` 0.2)
and analyse it once 10 % changed. At a million pregnancies that is 200,000 dead row versions before a
vacuum: index-only scans (the census and worklist counts) go back to the heap for every page the
visibility map no longer marks all-visible — 25,000 updates without a vacuum made the live census
3.3x slower on this hardware — and the planner's row estimates for ``status`` / ``risk_color`` lag a
day of work. Per table:

- ``cases_pregnancy`` (≈1 row per woman; every visit updates ``next_visit_date``, grading the risk
  summary): vacuum at 2 % dead (≈20,000 versions at a million, about a day of visits of a region),
  analyse at 1 % so colour and status estimates follow the day's grading.
- ``cases_visit`` (append-mostly, ≈8 per pregnancy): an insert-driven vacuum at 2 % new rows instead
  of 20 % (``autovacuum_vacuum_insert_scale_factor``, PostgreSQL 13+) keeps the visibility map current
  and spreads freezing; analyse at 2 %; the rare corrections (dead versions) vacuum at 5 %.
- ``notifications_alert`` (claimed, delivered, acknowledged by conditional UPDATEs; the sweeps read
  the small set of open rows): vacuum and analyse at 2 %, so the open-row index stays free of dead
  versions that every sweep would skip over.
- ``reminders_followup`` (≈1 window per open pregnancy; the daily sweep moves ≈4 % of them): vacuum
  and analyse at 2 %, i.e. after every daily sweep rather than every five days.

The audit trail (append-only, one row per request) is tuned in ``audit/0003``. Alerts and follow-up
windows are listed here (with a dependency on their apps) so that the hot-table policy is one file.
"""

from django.db import migrations

SETTINGS = {
    "cases_pregnancy": {"autovacuum_vacuum_scale_factor": "0.02", "autovacuum_analyze_scale_factor": "0.01"},
    "cases_visit": {
        "autovacuum_vacuum_scale_factor": "0.05",
        "autovacuum_vacuum_insert_scale_factor": "0.02",
        "autovacuum_analyze_scale_factor": "0.02",
    },
    "notifications_alert": {
        "autovacuum_vacuum_scale_factor": "0.02",
        "autovacuum_analyze_scale_factor": "0.02",
    },
    "reminders_followup": {
        "autovacuum_vacuum_scale_factor": "0.02",
        "autovacuum_analyze_scale_factor": "0.02",
    },
}


def _forward() -> list[str]:
    return [
        f"ALTER TABLE {table} SET ({', '.join(f'{k} = {v}' for k, v in params.items())})"
        for table, params in SETTINGS.items()
    ]


def _backward() -> list[str]:
    return [f"ALTER TABLE {table} RESET ({', '.join(params)})" for table, params in SETTINGS.items()]


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0003_pregnancy_grant_ledger"),
        ("notifications", "0006_deliveryattempt_lease"),
        ("reminders", "0001_initial"),
    ]

    operations = [migrations.RunSQL(_forward(), _backward())]
