"""The pregnancy list of a regional supervisor of no facility: her region's pregnancies newest first
(issue #9). Without it a province supervisor's page sorted every pregnancy of the province.

Built concurrently, as ``0005``: a plain ``CREATE INDEX`` would block visit entry while it builds.
"""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("cases", "0005_pregnancy_list_indexes")]

    operations = [
        AddIndexConcurrently(
            model_name="pregnancy",
            index=models.Index(fields=["-created_at", "-id"], name="pregnancy_newest"),
        ),
    ]
