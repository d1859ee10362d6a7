"""The open windows' indexes per facility end their key with the id: a page of the follow-up list walks
one status of a facility in (due_by, id) order, which they now give exactly. Without the id PostgreSQL
preferred ``followup_open_due`` (every facility's open windows in that order) and filtered it: about
200 ms for a page at a facility of the bench region, 3 ms on these. Rebuilt in about two seconds each at
900,000 open windows."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0012_unidentified_name_bilingual'),
        ('facilities', '0001_initial'),
        ('reminders', '0005_followup_open_due'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='followup',
            name='followup_facility',
        ),
        migrations.RemoveIndex(
            model_name='followup',
            name='followup_managing',
        ),
        migrations.AddIndex(
            model_name='followup',
            index=models.Index(condition=models.Q(('status__in', ['upcoming', 'due', 'overdue', 'tracing', 'lost_proposed'])), fields=['facility', 'status', 'due_by', 'id'], include=('managing_facility', 'pregnancy_managing_facility_id', 'pregnancy_follow_up_facility_id', 'pregnancy'), name='followup_facility'),
        ),
        migrations.AddIndex(
            model_name='followup',
            index=models.Index(condition=models.Q(('status__in', ['upcoming', 'due', 'overdue', 'tracing', 'lost_proposed'])), fields=['managing_facility', 'status', 'due_by', 'id'], include=('pregnancy_managing_facility_id', 'pregnancy_follow_up_facility_id', 'pregnancy'), name='followup_managing'),
        ),
    ]
