"""The home page's follow-up block walks each of her facility's arms in deadline order.

Partial indexes over the windows that need someone (due, overdue, tracing, proposed lost), by managing
facility and by follow-up facility, then deadline and id: ``reminders.selectors.followup_worklist_first``
reads the first ten of each instead of sorting every such window of the facility (11,000 at the largest
hospital of a million-pregnancy region). Built concurrently: the table is written by every visit and by
the sweep.
"""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models

WORKLIST = models.Q(("status__in", ["due", "overdue", "tracing", "lost_proposed"]))


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("reminders", "0001_initial"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="followup",
            index=models.Index(
                condition=WORKLIST, fields=["managing_facility", "due_by", "id"], name="followup_managing_due"
            ),
        ),
        AddIndexConcurrently(
            model_name="followup",
            index=models.Index(
                condition=WORKLIST, fields=["facility", "due_by", "id"], name="followup_facility_due"
            ),
        ),
    ]
