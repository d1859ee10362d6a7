"""The pregnancy's managing and follow-up facility on each referral, kept by the database (``cases.copies``):
who may see a referral through her woman is then a condition on the referral table's own indexes (issue #9).
The triggers are installed and the existing rows filled before the indexes are built, once, with the values.
"""

from django.conf import settings
from django.db import migrations, models

from cases.copies import copy_sql

FORWARD, BACKWARD = copy_sql("referrals_referral")


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0008_grant_follow_up_copy'),
        ('facilities', '0001_initial'),
        ('referrals', '0002_risk_color_at_request_and_translation_contexts'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='referral',
            name='pregnancy_follow_up_facility_id',
            field=models.BigIntegerField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name='referral',
            name='pregnancy_managing_facility_id',
            field=models.BigIntegerField(editable=False, null=True),
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
        migrations.AddIndex(
            model_name='referral',
            index=models.Index(fields=['pregnancy_managing_facility_id'], name='referral_woman_managed'),
        ),
        migrations.AddIndex(
            model_name='referral',
            index=models.Index(condition=models.Q(('pregnancy_follow_up_facility_id__isnull', False)), fields=['pregnancy_follow_up_facility_id'], name='referral_woman_followed'),
        ),
    ]
