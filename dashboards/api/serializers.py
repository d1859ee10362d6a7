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


class _Rate(serializers.Serializer):
    numerator = serializers.IntegerField(allow_null=True)
    denominator = serializers.IntegerField(allow_null=True)
    rate_pct = serializers.FloatField(
        allow_null=True,
        help_text="numerator ÷ denominator × 100, one decimal; null when the denominator is 0.",
    )


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
    early_booking = _Rate(
        help_text="Women delivering in the period whose first antenatal visit was before 13+0 weeks "
        "÷ live births × 100 (can exceed 100 with twins)."
    )
    anc_1_visit = _Rate(
        help_text="Women delivering in the period with ≥1 antenatal visit ÷ live births × 100."
    )
    anc_5_visits = _Rate(
        help_text="Women delivering in the period with ≥5 antenatal visits ÷ live births × 100."
    )
    postpartum_visit = _Rate(
        help_text="Women delivering in the period with a postpartum visit from the delivery to 28 days after "
        "discharge (after the delivery when no discharge is recorded) ÷ live births × 100."
    )
    on_time_reporting = _Rate(
        help_text="Orange and red grading reports due in the period (not cancelled) submitted by their "
        "deadline (orange 3 days, red 24 h) ÷ those reports × 100."
    )
    appropriate_tier_delivery = _Rate(
        help_text="Women orange or red when their delivery was recorded who delivered at a tertiary hospital "
        "or a critical maternal care centre ÷ orange and red women delivering × 100."
    )
    near_miss_ratio = serializers.FloatField(
        allow_null=True, help_text="Near-miss events per 1,000 live births; null without live births."
    )
    severe_maternal_outcome_ratio = serializers.FloatField(
        allow_null=True, help_text="(Near-miss events + maternal deaths) per 1,000 live births."
    )
    mortality_index = serializers.FloatField(
        allow_null=True, help_text="Maternal deaths ÷ (near-miss events + maternal deaths) × 100."
    )
    followups_due_7_days = serializers.IntegerField(
        allow_null=True,
        help_text="Open follow-up windows whose deadline falls from today to 6 days ahead (live, from the "
        "reminder rows).",
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


class _Week(serializers.Serializer):
    week = serializers.CharField(help_text="ISO week, e.g. 2026-W11.")
    start = serializers.DateField(help_text="Its Monday (Asia/Shanghai).")
    value = serializers.IntegerField(
        allow_null=True,
        help_text="Events of the week, or the census at the end of the week (the current week: now). Null: "
        "suppressed (1 to 4, aggregate-only) or no census snapshot that week.",
    )


class DashboardSeriesSerializer(serializers.Serializer):
    """A weekly series of one indicator for the scope, oldest week first, ending with the current week."""

    scope = _Scope()
    indicator = serializers.CharField()
    kind = serializers.ChoiceField(choices=["events", "census"])
    weeks = _Week(many=True)
    suppressed = serializers.ListField(
        child=serializers.DateField(), help_text="Mondays of the weeks whose value is suppressed."
    )
    as_of = serializers.DateTimeField()
