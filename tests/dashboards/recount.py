"""Independent recounts of the dashboard counters from the raw rows, in Python.

Written from the definitions (dashboards/models.py, DOMAIN.md §7), not from the trigger SQL, so that a
mistake in the SQL shows up as a difference instead of being repeated here.
"""

import datetime as dt
from collections import Counter

from django.db import connection
from django.utils import timezone

from cases.models import Delivery, MaternalDeath, NearMissEvent, Newborn, Pregnancy
from referrals.models import Referral
from reminders.models import FollowUp

OPEN = {"active", "postpartum"}
LIVE = {"live_birth", "neonatal_death"}


def month_of(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date().replace(day=1)  # Asia/Shanghai (settings.TIME_ZONE)


def census_recount() -> dict[tuple[int, str], int]:
    counts: Counter = Counter()
    for p in Pregnancy.objects.values(
        "managing_facility_id", "status", "risk_color", "purple", "under_case_management", "needs_referral"
    ):
        facility = p["managing_facility_id"]
        counts[facility, f"status:{p['status']}"] += 1
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


def monthly_recount() -> dict[tuple[int, str, dt.date], int]:
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
    return {key: n for key, n in counts.items() if n}


def stored_counters() -> tuple[dict, dict]:
    """The counter tables as dicts, without rows that went back to zero."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT facility_id, key, n FROM dashboards_censuscounter WHERE n <> 0")
        census = {(f, k): n for f, k, n in cursor.fetchall()}
        cursor.execute("SELECT facility_id, key, month, n FROM dashboards_monthlycounter WHERE n <> 0")
        monthly = {(f, k, m): n for f, k, m, n in cursor.fetchall()}
    return census, monthly
