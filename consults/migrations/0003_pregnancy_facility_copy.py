"""The pregnancy's managing and follow-up facility on each consult, kept by the database (``cases.copies``):
who may see a consult through her woman is then a condition on the consult table's own indexes (issue #9).
The triggers are installed and the existing rows filled before the indexes are built, once, with the values.
"""

from django.conf import settings
from django.db import migrations, models

from cases.copies import copy_sql

FORWARD, BACKWARD = copy_sql("consults_consult")


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0008_grant_follow_up_copy'),
        ('consults', '0002_calendar_sequence_invitation_round'),
        ('facilities', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='consult',
            name='pregnancy_follow_up_facility_id',
            field=models.BigIntegerField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name='consult',
            name='pregnancy_managing_facility_id',
            field=models.BigIntegerField(editable=False, null=True),
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
        migrations.AddIndex(
            model_name='consult',
            index=models.Index(fields=['pregnancy_managing_facility_id'], name='consult_woman_managed'),
        ),
        migrations.AddIndex(
            model_name='consult',
            index=models.Index(condition=models.Q(('pregnancy_follow_up_facility_id__isnull', False)), fields=['pregnancy_follow_up_facility_id'], name='consult_woman_followed'),
        ),
    ]
