"""The pregnancy's managing and follow-up facility on each case management, kept by the database (``cases.copies``):
who may see a case management through her woman is then a condition on its own row (issue #9). The triggers are
installed and the existing rows filled before any index on the copies is built.
"""

from django.conf import settings
from django.db import migrations, models

from cases.copies import copy_sql

FORWARD, BACKWARD = copy_sql("risk_casemanagement")


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0009_pregnancy_facility_copy'),
        ('risk', '0003_reference_generation'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='casemanagement',
            name='pregnancy_follow_up_facility_id',
            field=models.BigIntegerField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name='casemanagement',
            name='pregnancy_managing_facility_id',
            field=models.BigIntegerField(editable=False, null=True),
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
        migrations.AddIndex(
            model_name='casemanagement',
            index=models.Index(fields=['pregnancy_managing_facility_id'], name='casemanagement_woman_managed'),
        ),
        migrations.AddIndex(
            model_name='casemanagement',
            index=models.Index(condition=models.Q(('pregnancy_follow_up_facility_id__isnull', False)), fields=['pregnancy_follow_up_facility_id'], name='casemanagement_woman_followed'),
        ),
    ]
