"""``pregnancy_follow_up`` carries the managing facility: a status-filtered list of a facility that follows
up women managed elsewhere counts them from the index alone (issue #9)."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0009_pregnancy_facility_copy'),
        ('facilities', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='pregnancy',
            name='pregnancy_follow_up',
        ),
        migrations.AddIndex(
            model_name='pregnancy',
            index=models.Index(condition=models.Q(('follow_up_facility__isnull', False)), fields=['follow_up_facility', 'status'], include=('managing_facility',), name='pregnancy_follow_up'),
        ),
    ]
