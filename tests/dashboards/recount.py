"""Independent recounts of the dashboard counters from the raw rows, in Python.

Written from the definitions (dashboards/models.py, DOMAIN.md §7), not from the trigger SQL, so that a
mistake in the SQL shows up as a difference instead of being repeated here.
"""

import datetime as dt
from collections import Counter

from django.db import connection
from django.utils import timezone

from cases.models import Delivery, MaternalDeath, NearMissEvent, Newborn, Pregnancy, Visit
from dashboards.models import DeliveryFact
from facilities.models import Facility
from referrals.models import Referral
from reminders.models import FollowUp
from risk.models import RiskReport

OPEN = {"active", "postpartum"}
LIVE = {"live_birth", "neonatal_death"}
HIGH_RISK = {"orange", "red"}


def month_of(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date().replace(day=1)  # Asia/Shanghai (settings.TIME_ZONE)


def week_of(moment: dt.datetime) -> dt.date:
    """The Monday of the ISO week of ``moment`` in Asia/Shanghai."""
    day = timezone.localtime(moment).date()
    return day - dt.timedelta(days=day.weekday())


def census_recount() -> dict[tuple[int, str], int]:
    counts: Counter = Counter()
    for p in Pregnancy.objects.values(
        "managing_facility_id",
        "follow_up_facility_id",
        "status",
        "risk_color",
        "purple",
        "under_case_management",
        "needs_referral",
    ):
        facility = p["managing_facility_id"]
        counts[facility, f"status:{p['status']}"] += 1
        if p["follow_up_facility_id"] not in (None, facility):  # followed up there, managed here
            counts[p["follow_up_facility_id"], f"followed_here:{p['status']}"] += 1
        if p["status"] in OPEN:
            counts[facility, f"color:{p['risk_color'] or 'ungraded'}"] += 1
            counts[facility, "purple"] += p["purple"]
            counts[facility, "case_management"] += p["under_case_management"]
            counts[facility, "needs_referral"] += p["needs_referral"]
    for r in Referral.objects.values("from_facility_id", "to_facility_id", "status"):
        counts[r["from_facility_id"], f"referral_out:{r['status']}"] += 1
        counts[r["to_facility_id"], f"referral_in:{r['status']}"] += 1
    for w in FollowUp.objects.exclude(status="closed").values("managing_facility_id", "status"):
        counts[w["managing_facility_id"], f"followup:{w['status']}"] += 1
    return {key: n for key, n in counts.items() if n}


def monthly_recount(bucket=month_of) -> dict[tuple[int, str, dt.date], int]:
    """Events per facility, key and month (``bucket=week_of``: per ISO week), cohort figures included."""
    month_of = bucket  # noqa: N806 (the same definitions, another bucket)
    counts: Counter = Counter()
    booking = dict(Pregnancy.objects.values_list("id", "booking_facility_id"))
    deliveries = {}
    for d in Delivery.objects.values("id", "pregnancy_id", "facility_id", "delivered_at"):
        where = d["facility_id"] or booking[d["pregnancy_id"]]
        deliveries[d["id"]] = (where, month_of(d["delivered_at"]))
        counts[where, "deliveries", month_of(d["delivered_at"])] += 1
    for nb in Newborn.objects.values("delivery_id", "outcome"):
        if nb["outcome"] in LIVE:
            where, month = deliveries[nb["delivery_id"]]
            counts[where, "live_births", month] += 1
    for md in MaternalDeath.objects.values("pregnancy_id", "facility_id", "died_at", "is_late"):
        key = "late_maternal_deaths" if md["is_late"] else "maternal_deaths"
        counts[md["facility_id"] or booking[md["pregnancy_id"]], key, month_of(md["died_at"])] += 1
    for nm in NearMissEvent.objects.values("facility_id", "occurred_at"):
        counts[nm["facility_id"], "near_miss_events", month_of(nm["occurred_at"])] += 1
    for r in Referral.objects.values("from_facility_id", "requested_at"):
        counts[r["from_facility_id"], "referrals_requested", month_of(r["requested_at"])] += 1
    for report in (
        RiskReport.objects.filter(color__in=HIGH_RISK)
        .exclude(status="cancelled")
        .values("facility_id", "due_at", "submitted_at", "status")
    ):
        counts[report["facility_id"], "reports_due", month_of(report["due_at"])] += 1
        if report["submitted_at"] is not None and report["submitted_at"] <= report["due_at"]:
            counts[report["facility_id"], "reports_on_time", month_of(report["due_at"])] += 1
    for facility, moment, keys in cohort_recount():
        for key in keys:
            counts[facility, key, month_of(moment)] += 1
    return {key: n for key, n in counts.items() if n}


def cohort_recount() -> list[tuple[int, dt.datetime, list[str]]]:
    """The delivery cohort's keys per delivery, from the definitions (indicators.py), in Python.

    Input besides the raw rows: the colour each woman had when her delivery was recorded, which only the
    delivery facts keep (``DeliveryFact.color``; a later grade must not change it).
    """
    colors = dict(DeliveryFact.objects.values_list("pregnancy_id", "color"))
    visits: dict[int, list] = {}
    for v in Visit.objects.order_by("visited_at", "id").values(
        "pregnancy_id", "kind", "visited_at", "ga_days"
    ):
        visits.setdefault(v["pregnancy_id"], []).append(v)
    tiers = {f.id: (f.tier, f.critical_care_level) for f in Facility.objects.all()}
    out: list[tuple[int, dt.datetime, list[str]]] = []
    for d in Delivery.objects.select_related("pregnancy"):
        own = visits.get(d.pregnancy_id, [])
        antenatal = [v for v in own if v["kind"] == "antenatal"]
        reference = d.discharged_at or d.delivered_at
        keys = []
        if antenatal and antenatal[0]["ga_days"] is not None and antenatal[0]["ga_days"] < 91:
            keys.append("cohort:early_booking")
        if len(antenatal) >= 1:
            keys.append("cohort:anc_1")
        if len(antenatal) >= 5:
            keys.append("cohort:anc_5")
        if any(
            v["kind"] in ("postpartum", "check_42d")
            and d.delivered_at <= v["visited_at"] <= reference + dt.timedelta(days=28)
            for v in own
        ):
            keys.append("cohort:postpartum_visit")
        if colors[d.pregnancy_id] in HIGH_RISK:
            keys.append("cohort:high_risk")
            tier, centre = tiers.get(d.facility_id, (None, None))
            if tier == "tertiary" or centre is not None:
                keys.append("cohort:appropriate_tier")
        out.append((d.facility_id or d.pregnancy.booking_facility_id, d.delivered_at, keys))
    return out


def stored_counters() -> tuple[dict, dict]:
    """The counter tables as dicts, without rows that went back to zero."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT facility_id, key, n FROM dashboards_censuscounter WHERE n <> 0")
        census = {(f, k): n for f, k, n in cursor.fetchall()}
        cursor.execute("SELECT facility_id, key, month, n FROM dashboards_monthlycounter WHERE n <> 0")
        monthly = {(f, k, m): n for f, k, m, n in cursor.fetchall()}
    return census, monthly


def stored_weekly() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT facility_id, key, week, n FROM dashboards_weeklycounter WHERE n <> 0")
        return {(f, k, w): n for f, k, w, n in cursor.fetchall()}


def due_recount() -> dict[tuple[int, dt.date], int]:
    """Open follow-up windows per managing facility and deadline day."""
    counts: Counter = Counter()
    for w in FollowUp.objects.exclude(status="closed").values("managing_facility_id", "due_by"):
        counts[w["managing_facility_id"], w["due_by"]] += 1
    return dict(counts)


def stored_due() -> dict[tuple[int, dt.date], int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT facility_id, due_on, n FROM dashboards_followupduecounter WHERE n <> 0")
        return {(f, d): n for f, d, n in cursor.fetchall()}
