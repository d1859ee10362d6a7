"""Counter tables tuned for what they are: a few thousand rows, each updated by every change it counts.

- Indexes by period (``monthlycounter.month``, ``followupduecounter.due_on``): a region's summary reads
  one period over all its facilities; without them it scanned every month of every facility (at a
  million pregnancies the summary's one statement went from 3.0 ms to 0.9 ms with these and compact
  tables). They do not include ``n``, so the triggers' increments stay heap-only (HOT) updates.
- ``fillfactor = 50``: room on each page for the new version of a row, so an increment is a HOT update
  that touches no index.
- Autovacuum after 200 dead versions whatever the table's size (``scale_factor`` 0): every increment
  leaves one, and the defaults (20 % of a 1,200-row table plus 50) let a table of 1,200 live rows grow to
  3.9 MB of dead versions that every summary read scans. Reversible: ``RESET`` restores the defaults.
"""

from django.db import migrations, models

TABLES = [
    "dashboards_censuscounter",
    "dashboards_monthlycounter",
    "dashboards_weeklycounter",
    "dashboards_followupduecounter",
]
PARAMS = {
    "fillfactor": "50",
    "autovacuum_vacuum_scale_factor": "0",
    "autovacuum_vacuum_threshold": "200",
    "autovacuum_analyze_scale_factor": "0.05",
}


class Migration(migrations.Migration):
    dependencies = [
        ("dashboards", "0006_cohort_and_weekly_triggers"),
        ("facilities", "0001_initial"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="followupduecounter",
            index=models.Index(fields=["due_on"], name="followupduecounter_day"),
        ),
        migrations.AddIndex(
            model_name="monthlycounter",
            index=models.Index(fields=["month"], name="monthlycounter_month"),
        ),
        migrations.RunSQL(
            [f"ALTER TABLE {t} SET ({', '.join(f'{k} = {v}' for k, v in PARAMS.items())})" for t in TABLES],
            [f"ALTER TABLE {t} RESET ({', '.join(PARAMS)})" for t in TABLES],
        ),
    ]
