"""What each figure on the dashboard means: label and definition (numerator, denominator, period,
geography), shown on the page and in the CSV export. DOMAIN.md §7 is the source of the formulas."""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Indicator:
    key: str  # dotted name in the summary (``by_color.red``)
    label: Promise
    definition: Promise


_CENSUS = _("Now; pregnancies counted at their managing facility.")

INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "active_pregnancies",
        _("Pregnancies in care"),
        _("Open pregnancies: antenatal (active) or postpartum up to the 42-day check. %(census)s"),
    ),
    Indicator("antenatal", _("Antenatal"), _("Open pregnancies not yet ended. %(census)s")),
    Indicator("postpartum", _("Postpartum"), _("Pregnancies ended, before the 42-day check. %(census)s")),
    Indicator("by_color.green", _("Green"), _("Open pregnancies whose confirmed grade is green. %(census)s")),
    Indicator(
        "by_color.yellow", _("Yellow"), _("Open pregnancies whose confirmed grade is yellow. %(census)s")
    ),
    Indicator(
        "by_color.orange", _("Orange"), _("Open pregnancies whose confirmed grade is orange. %(census)s")
    ),
    Indicator("by_color.red", _("Red"), _("Open pregnancies whose confirmed grade is red. %(census)s")),
    Indicator(
        "by_color.ungraded", _("Not graded"), _("Open pregnancies with no confirmed grade yet. %(census)s")
    ),
    Indicator(
        "purple",
        _("Purple"),
        _("Open pregnancies with the infectious-disease flag (combinable with any colour). %(census)s"),
    ),
    Indicator(
        "under_case_management",
        _("Under case management"),
        _(
            "Open pregnancies with a named case manager (opened when orange, red or purple is confirmed). "
            "%(census)s"
        ),
    ),
    Indicator(
        "needs_referral",
        _("Needs referral"),
        _("Open pregnancies whose grade calls for a higher-tier facility than the managing one. %(census)s"),
    ),
    Indicator(
        "not_at_appropriate_tier.orange",
        _("Orange not at an appropriate facility"),
        _(
            "Orange women managed neither at a critical maternal care centre nor at a tertiary hospital. "
            "%(census)s"
        ),
    ),
    Indicator(
        "not_at_appropriate_tier.red",
        _("Red not at a tertiary hospital"),
        _("Red women managed at a primary or secondary facility. %(census)s"),
    ),
    Indicator(
        "lost_to_follow_up",
        _("Lost to follow-up"),
        _("Pregnancies whose status is lost to follow-up (set by a person). %(census)s"),
    ),
    Indicator(
        "overdue_followups",
        _("Overdue follow-ups"),
        _(
            "Open follow-up windows past their deadline (overdue, being traced, lost proposed), "
            "from the reminder rows. %(census)s"
        ),
    ),
    Indicator(
        "referrals.open",
        _("Open referrals sent"),
        _("Referrals sent from the scope, not yet completed or closed. Now."),
    ),
    Indicator(
        "referrals.requested", _("Awaiting acceptance"), _("Open referrals sent, not yet accepted. Now.")
    ),
    Indicator(
        "referrals.accepted",
        _("Accepted, not departed"),
        _("Open referrals accepted, woman not yet on her way. Now."),
    ),
    Indicator("referrals.in_transit", _("In transit"), _("Open referrals whose woman has departed. Now.")),
    Indicator(
        "referrals.arrived", _("Arrived, not completed"), _("Open referrals whose woman arrived. Now.")
    ),
    Indicator(
        "referrals.incoming_open",
        _("Open referrals received"),
        _("Referrals to a facility of the scope, still open. Now."),
    ),
    Indicator(
        "referrals.requested_in_period",
        _("Referrals requested"),
        _("Referrals sent from the scope, by the date requested, in the period."),
    ),
    Indicator(
        "deliveries",
        _("Deliveries"),
        _("Deliveries in the period, where they happened (outside a facility: at the booking facility)."),
    ),
    Indicator(
        "live_births",
        _("Live births"),
        _("Babies born alive in the period (including those who died later), where the delivery happened."),
    ),
    Indicator(
        "maternal_deaths",
        _("Maternal deaths"),
        _("Deaths during pregnancy or within 42 days of its end, in the period, where they happened."),
    ),
    Indicator(
        "late_maternal_deaths",
        _("Late maternal deaths"),
        _("Deaths from day 43 to one year after the end of pregnancy, in the period."),
    ),
    Indicator(
        "near_miss_events",
        _("Near-miss events"),
        _("Maternal near misses (WHO 2011 criteria) recorded in the period."),
    ),
    Indicator(
        "mmr",
        _("Maternal mortality ratio"),
        _("Maternal deaths ÷ live births × 100,000, same period and geography; empty without live births."),
    ),
)

_COHORT = _(
    "Women delivering in the period, counted where the delivery happened (outside a facility: at the booking "
    "facility)"
)

INDICATORS += (
    Indicator(
        "early_booking.rate_pct",
        _("Early booking rate"),
        _(
            "%(cohort)s whose first antenatal visit was before 13+0 weeks (the gestational age recorded at "
            "that visit) ÷ live births × 100 (live births as the denominator, as in the national reports; "
            "twins can take it above 100)."
        ),
    ),
    Indicator(
        "anc_1_visit.rate_pct",
        _("Antenatal care coverage (≥1 visit)"),
        _("%(cohort)s with at least one antenatal visit recorded ÷ live births × 100."),
    ),
    Indicator(
        "anc_5_visits.rate_pct",
        _("≥5 antenatal visits rate"),
        _("%(cohort)s with at least five antenatal visits recorded ÷ live births × 100."),
    ),
    Indicator(
        "postpartum_visit.rate_pct",
        _("Postpartum visit rate"),
        _(
            "%(cohort)s with a postpartum visit or 42-day check recorded after the delivery and at most 28 "
            "days after discharge (after the delivery when no discharge is recorded), whenever it was "
            "entered ÷ live births × 100."
        ),
    ),
    Indicator(
        "on_time_reporting.rate_pct",
        _("On-time grading reports"),
        _(
            "Orange and red grading reports whose deadline falls in the period (orange: 3 calendar days, "
            "red: 24 hours after confirmation; cancelled reports excluded), at the reporting facility: "
            "submitted by the deadline ÷ reports due × 100. A report not yet submitted counts as not on time."
        ),
    ),
    Indicator(
        "appropriate_tier_delivery.rate_pct",
        _("Appropriate-tier delivery"),
        _(
            "%(cohort)s who were orange or red when the delivery was recorded (a later grade does not change "
            "it): delivered at a tertiary hospital or a critical maternal care centre ÷ those women × 100."
        ),
    ),
    Indicator(
        "near_miss_ratio",
        _("Maternal near-miss ratio"),
        _("Near-miss events ÷ live births × 1,000, same period and geography; empty without live births."),
    ),
    Indicator(
        "severe_maternal_outcome_ratio",
        _("Severe maternal outcome ratio"),
        _("(Near-miss events + maternal deaths) ÷ live births × 1,000; empty without live births."),
    ),
    Indicator(
        "mortality_index",
        _("Mortality index"),
        _("Maternal deaths ÷ (near-miss events + maternal deaths) × 100; empty when both are zero."),
    ),
    Indicator(
        "followups_due_7_days",
        _("Follow-ups due in the next 7 days"),
        _(
            "Open follow-up windows whose deadline falls from today to 6 days ahead, from the reminder rows "
            "(live). %(census)s"
        ),
    ),
)

BY_KEY = {indicator.key: indicator for indicator in INDICATORS}

# The timeliness section (``timeliness.py``): one indicator per family of durations and per alert figure,
# and the columns of its tables. Not in the CSV export, hence not in ``INDICATORS``.
_TIMELINESS_PERIOD = _("Events of the period in the scope; median and 90th percentile of the durations.")

TIMELINESS: tuple[Indicator, ...] = (
    Indicator(
        "referral_acceptance",
        _("Referral time to acceptance"),
        _(
            "Referrals sent from the scope, requested in the period and accepted: time from the start of "
            "the acceptance clock (the first request of a redirect chain) to acceptance, by urgency. "
            "%(timeliness)s"
        ),
    ),
    Indicator(
        "referral_arrival",
        _("Referral time to arrival"),
        _(
            "The same referrals whose woman departed and arrived: time from departure to arrival, "
            "by urgency. %(timeliness)s"
        ),
    ),
    Indicator(
        "consult_scheduling",
        _("Consult time to scheduling"),
        _(
            "MDT consultations requested by a facility of the scope in the period: time from the request "
            "to its scheduling, by urgency. %(timeliness)s"
        ),
    ),
    Indicator(
        "consult_conclusion",
        _("Consult time to conclusion"),
        _(
            "The same consultations, concluded: time from the request to the conclusion, by urgency "
            "(no national target). %(timeliness)s"
        ),
    ),
    Indicator(
        "timeliness.n",
        _("Events"),
        _("How many events of the group have both times recorded (the denominator of the group)."),
    ),
    Indicator(
        "timeliness.target_minutes",
        _("Target"),
        _("The national target for the urgency (settings); none for some groups."),
    ),
    Indicator(
        "timeliness.median_minutes",
        _("Median"),
        _("Half of the durations were at most this long (interpolated between the nearest events)."),
    ),
    Indicator(
        "timeliness.p90_minutes",
        _("90th percentile"),
        _("Nine durations in ten were at most this long (interpolated between the nearest events)."),
    ),
    Indicator(
        "timeliness.within_target_pct",
        _("Within target"),
        _("Events whose duration was at most the target ÷ events of the group × 100."),
    ),
    Indicator(
        "alerts.delivered",
        _("Alerts delivered"),
        _(
            "Alerts for a facility of the scope delivered in the period whose severity has an escalation "
            "window (critical, urgent, warning)."
        ),
    ),
    Indicator(
        "alerts.acknowledged_within_window_pct",
        _("Acknowledged within the window"),
        _(
            "Those alerts acknowledged within the escalation window of their severity, counted from "
            "delivery ÷ alerts delivered × 100."
        ),
    ),
    Indicator(
        "alerts.escalated.level_1",
        _("Escalated to level 1"),
        _("Alerts delivered that reached at least escalation level 1 (on-call lead or department head)."),
    ),
    Indicator(
        "alerts.escalated.level_2",
        _("Escalated to level 2"),
        _("Alerts delivered that reached at least escalation level 2 (the facility's medical director)."),
    ),
    Indicator(
        "alerts.escalated.level_3",
        _("Escalated to level 3"),
        _(
            "Alerts delivered that reached at least escalation level 3 (the regional maternal-health "
            "supervisors)."
        ),
    ),
)

TIMELINESS_BY_KEY = {indicator.key: indicator for indicator in TIMELINESS}


def definition(key: str) -> str:
    indicator = BY_KEY.get(key) or TIMELINESS_BY_KEY[key]
    return str(indicator.definition) % {
        "census": _CENSUS,
        "timeliness": _TIMELINESS_PERIOD,
        "cohort": _COHORT,
    }


def value(figures: dict, key: str):
    """The figure named by a dotted key (``by_color.red``)."""
    head, _dot, tail = key.partition(".")
    return figures[head][tail] if tail else figures[head]
