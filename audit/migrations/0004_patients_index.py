"""The audit search by woman on an index (issue #9); one index less on every audit row.

``patient_ids`` lists the women an event concerned (fifty for a list page): "who looked at her" is
``patient_ids @> ARRAY[her id]``, which without an index reads the whole audit trail, and the trail
gains a row on every read of patient data. The GIN index answers it from her entries alone; with
``fastupdate`` (PostgreSQL's default) new rows go to the index's pending list and are merged in
batches, so an audit insert costs about 0.02 ms more of the database's CPU (measured on the demo
database). Built concurrently: a running system keeps writing its audit rows while it is built.

The single-column index on ``actor_id`` that Django made for the foreign key goes: ``audit_actor_time``
(actor, -occurred_at) starts with the same column and serves every look-up by user.
"""

import django.contrib.postgres.indexes
import django.db.models.deletion
from django.conf import settings
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("audit", "0003_autovacuum_audit_events"),
        ("facilities", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # Django's AlterField would drop the foreign key and add it back, checking every audit row again
        # under lock: only the index goes, concurrently.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="auditevent",
                    name="actor",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="user",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX CONCURRENTLY IF EXISTS "audit_auditevent_actor_id_270bb4b7"',
                    'CREATE INDEX CONCURRENTLY IF NOT EXISTS "audit_auditevent_actor_id_270bb4b7" '
                    'ON "audit_auditevent" ("actor_id")',
                )
            ],
        ),
        AddIndexConcurrently(
            model_name="auditevent",
            index=django.contrib.postgres.indexes.GinIndex(fields=["patient_ids"], name="audit_patients"),
        ),
    ]
