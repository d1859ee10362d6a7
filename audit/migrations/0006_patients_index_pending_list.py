"""The women's GIN index of the audit trail flushes its pending list in small steps (issue #9).

Every audited list page adds some fifty women's ids to ``audit_patients``. With ``fastupdate`` (the
default) new entries wait in a pending list until it reaches ``gin_pending_list_limit`` (4 MB by
default, about 3,700 list pages) or a vacuum runs; then the insert that overflows it merges the whole
list into the index, in the foreground: 300-400 ms for that request, measured on the bench machine
(``bench/results/20261129T144132.md``: visit entry's p99 274 ms against a p95 of 67, autovacuum off).
At 256 kB the merge comes sixteen times as often and took at most 27 ms, the mean insert unchanged
within noise (6,000 audit rows of 52 ids: 0.64 / 0.73 ms with 4 MB / 256 kB, 0.68 with ``fastupdate``
off, whose every insert walks the index for each id, which on a trail of millions of rows means as many
random pages). A storage parameter: no rebuild of the index, reversible.
"""

from django.contrib.postgres.indexes import GinIndex
from django.db import migrations

INDEX = "audit_patients"


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_audit_actor_without_db_constraint")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f"ALTER INDEX {INDEX} SET (gin_pending_list_limit = 256)",
                    f"ALTER INDEX {INDEX} RESET (gin_pending_list_limit)",
                )
            ],
            state_operations=[
                migrations.RemoveIndex(model_name="auditevent", name=INDEX),
                migrations.AddIndex(
                    model_name="auditevent",
                    index=GinIndex(fields=["patient_ids"], name=INDEX, gin_pending_list_limit=256),
                ),
            ],
        )
    ]
