"""The published shape of the dashboard summary (OpenAPI). The view returns the selector's dict as is."""

from rest_framework import serializers


class _Colors(serializers.Serializer):
    green = serializers.IntegerField(allow_null=True)
    yellow = serializers.IntegerField(allow_null=True)
    orange = serializers.IntegerField(allow_null=True)
    red = serializers.IntegerField(allow_null=True)
    ungraded = serializers.IntegerField(allow_null=True)


class _OffTier(serializers.Serializer):
    orange = serializers.IntegerField(
        allow_null=True,
        help_text="Orange women at neither a tertiary hospital nor a critical maternal care centre.",
    )
    red = serializers.IntegerField(allow_null=True, help_text="Red women not at a tertiary hospital.")


class _Referrals(serializers.Serializer):
    open = serializers.IntegerField(allow_null=True, help_text="Open referrals sent from the scope.")
    requested = serializers.IntegerField(allow_null=True)
    accepted = serializers.IntegerField(allow_null=True)
    in_transit = serializers.IntegerField(allow_null=True)
    arrived = serializers.IntegerField(allow_null=True)
    incoming_open = serializers.IntegerField(
        allow_null=True, help_text="Open referrals received by the scope."
    )
    requested_in_period = serializers.IntegerField(allow_null=True)


class _FollowUps(serializers.Serializer):
    upcoming = serializers.IntegerField(allow_null=True)
    due = serializers.IntegerField(allow_null=True, help_text="Windows open for a visit, reminders sent.")
    overdue = serializers.IntegerField(allow_null=True)
    tracing = serializers.IntegerField(allow_null=True)
    lost_proposed = serializers.IntegerField(allow_null=True)


class _Scope(serializers.Serializer):
    region = serializers.DictField(allow_null=True)
    facility = serializers.DictField(allow_null=True)
    aggregate_only = serializers.BooleanField()


class _Period(serializers.Serializer):
    code = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField(help_text="Last day of the period (inclusive).")


class DashboardSummarySerializer(serializers.Serializer):
    """Census now (open pregnancies = active or postpartum, by managing facility) and outcomes in the period.

    For aggregate-only viewers every count from 1 to 4 is null and named in ``suppressed``.
    """

    scope = _Scope()
    period = _Period()
    active_pregnancies = serializers.IntegerField(allow_null=True)
    antenatal = serializers.IntegerField(allow_null=True)
    postpartum = serializers.IntegerField(allow_null=True)
    by_color = _Colors()
    purple = serializers.IntegerField(allow_null=True)
    under_case_management = serializers.IntegerField(allow_null=True)
    needs_referral = serializers.IntegerField(allow_null=True)
    not_at_appropriate_tier = _OffTier()
    lost_to_follow_up = serializers.IntegerField(allow_null=True)
    overdue_followups = serializers.IntegerField(
        allow_null=True, help_text="Follow-up windows past their deadline: overdue + tracing + lost_proposed."
    )
    follow_ups = _FollowUps(help_text="Open follow-up windows by status, at their managing facility.")
    referrals = _Referrals()
    deliveries = serializers.IntegerField(allow_null=True)
    live_births = serializers.IntegerField(allow_null=True)
    maternal_deaths = serializers.IntegerField(allow_null=True, help_text="Deaths to day 42 in the period.")
    late_maternal_deaths = serializers.IntegerField(allow_null=True)
    near_miss_events = serializers.IntegerField(allow_null=True)
    mmr = serializers.FloatField(
        allow_null=True, help_text="Maternal deaths per 100,000 live births; null without live births."
    )
    suppressed = serializers.ListField(child=serializers.CharField())
    unavailable = serializers.ListField(child=serializers.CharField(), help_text="Figures not computed yet.")
    as_of = serializers.DateTimeField()


class _Timing(serializers.Serializer):
    n = serializers.IntegerField(allow_null=True, help_text="Events measured.")
    median_minutes = serializers.FloatField(allow_null=True)
    p90_minutes = serializers.FloatField(allow_null=True, help_text="90th percentile (linear interpolation).")
    within_target_pct = serializers.FloatField(allow_null=True, help_text="Share within the target, %.")
    target_minutes = serializers.IntegerField(allow_null=True, help_text="From settings; null: no target.")


class _ReferralTimings(serializers.Serializer):
    emergency = _Timing()
    urgent = _Timing()
    routine = _Timing()


class _ConsultTimings(serializers.Serializer):
    emergency = _Timing()
    routine = _Timing()
    scheduled = _Timing()


class _Escalations(serializers.Serializer):
    level_1 = serializers.IntegerField(allow_null=True)
    level_2 = serializers.IntegerField(allow_null=True)
    level_3 = serializers.IntegerField(allow_null=True)


class _Alerts(serializers.Serializer):
    delivered = serializers.IntegerField(allow_null=True)
    acknowledged_within_window_pct = serializers.FloatField(allow_null=True)
    escalated = _Escalations(help_text="Alerts that reached each escalation level (or a higher one).")


class DashboardTimelinessSerializer(serializers.Serializer):
    """Timeliness of referrals, consults and alerts of the period in the scope (dashboards/timeliness.py).

    For aggregate-only viewers a group of 1 to 4 events is null as a whole and named in ``suppressed``.
    """

    scope = _Scope()
    period = _Period()
    referral_acceptance = _ReferralTimings()
    referral_arrival = _ReferralTimings()
    consult_scheduling = _ConsultTimings()
    consult_conclusion = _ConsultTimings()
    alerts = _Alerts()
    suppressed = serializers.ListField(child=serializers.CharField())
