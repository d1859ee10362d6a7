"""Indexes for the pregnancy list (newest first) and the worklist (open pregnancies by next visit),
per arm of the access scope (issue #9).

Built concurrently: the pregnancy table is the largest hot table (a million rows in a region) and a
plain ``CREATE INDEX`` would block visit entry while it builds.
"""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models
from django.db.models import Q


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("cases", "0004_autovacuum_hot_tables")]

    operations = [
        AddIndexConcurrently(
            model_name="pregnancy",
            index=models.Index(
                fields=["managing_facility", "-created_at", "-id"], name="pregnancy_facility_newest"
            ),
        ),
        AddIndexConcurrently(
            model_name="pregnancy",
            index=models.Index(
                condition=Q(follow_up_facility__isnull=False),
                fields=["follow_up_facility", "-created_at", "-id"],
                name="pregnancy_follow_up_newest",
            ),
        ),
        AddIndexConcurrently(
            model_name="pregnancy",
            index=models.Index(
                condition=Q(status__in=["active", "postpartum"]),
                fields=["managing_facility", "next_visit_date"],
                name="pregnancy_worklist_open",
            ),
        ),
        AddIndexConcurrently(
            model_name="pregnancy",
            index=models.Index(
                condition=Q(status__in=["active", "postpartum"], follow_up_facility__isnull=False),
                fields=["follow_up_facility", "next_visit_date"],
                name="pregnancy_follow_up_open",
            ),
        ),
    ]
