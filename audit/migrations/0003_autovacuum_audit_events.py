"""Autovacuum for the audit trail (issue #9): storage parameters only, reversible.

``audit_auditevent`` is append-only (``audit/0002`` refuses UPDATE and DELETE) and gains a row on
every read of patient data, so it never has dead rows but grows faster than any other table. The
default insert-driven vacuum waits for 20 % new rows (two million at ten million events) before it
sets the visibility map and freezes; at 2 % the work comes in small steps and index-only scans of
the audit search stay on the index. Analyse at 2 % so recent time ranges have statistics.
"""

from django.db import migrations

PARAMS = ("autovacuum_vacuum_insert_scale_factor", "autovacuum_analyze_scale_factor")


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_auditevent_append_only")]

    operations = [
        migrations.RunSQL(
            "ALTER TABLE audit_auditevent SET "
            "(autovacuum_vacuum_insert_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02)",
            f"ALTER TABLE audit_auditevent RESET ({', '.join(PARAMS)})",
        )
    ]
