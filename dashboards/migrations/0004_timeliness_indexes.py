"""Covering indexes for the timeliness indicators (``dashboards/timeliness.py``) on the event tables.

Each lets the timeliness query read one facility's events of a period from the index alone: referrals
by sender and request time, consults by requesting facility and request time, delivered alerts by
facility and delivery time, with the columns the durations need. Created concurrently (large tables,
no write lock), hence a non-atomic migration; owned by the dashboards because only they query this way.
"""

from django.db import migrations

INDEXES = {
    "dashboards_referral_sent_time": (
        "referrals_referral (from_facility_id, requested_at) "
        "INCLUDE (urgency, clock_started_at, accepted_at, departed_at, arrived_at)"
    ),
    "dashboards_consult_requested_time": (
        "consults_consult (requesting_facility_id, requested_at) INCLUDE (urgency, scheduled_at, concluded_at)"
    ),
    "dashboards_alert_delivered_time": (
        "notifications_alert (facility_id, delivered_at) INCLUDE (severity, acknowledged_at, escalation_level) "
        "WHERE delivered_at IS NOT NULL"
    ),
}


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("dashboards", "0003_followup_counters"),
        ("referrals", "0002_risk_color_at_request_and_translation_contexts"),
        ("consults", "0002_calendar_sequence_invitation_round"),
        ("notifications", "0006_deliveryattempt_lease"),
    ]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {definition};",
            f"DROP INDEX CONCURRENTLY IF EXISTS {name};",
        )
        for name, definition in INDEXES.items()
    ]
