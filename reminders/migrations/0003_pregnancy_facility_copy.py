"""The pregnancy's managing and follow-up facility on each follow-up window, kept by the database (``cases.copies``):
who may see a follow-up window through her woman is then a condition on its own row (issue #9). The triggers are
installed and the existing rows filled before any index on the copies is built.
"""

from django.db import migrations, models

from cases.copies import copy_sql

FORWARD, BACKWARD = copy_sql("reminders_followup")


class Migration(migrations.Migration):

    dependencies = [
        ('reminders', '0002_worklist_due_indexes'),
    ]

    operations = [
        migrations.AddField(
            model_name='followup',
            name='pregnancy_follow_up_facility_id',
            field=models.BigIntegerField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name='followup',
            name='pregnancy_managing_facility_id',
            field=models.BigIntegerField(editable=False, null=True),
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
    ]
