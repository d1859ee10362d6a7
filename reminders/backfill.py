"""Opening the current follow-up window of every open pregnancy that has none: records registered
before the reminders app existed, and the demo's bulk-loaded cohort (``seed_demo --pregnancies N``),
which never went through the services that recompute windows.

Set-based in keyset batches: per batch one query reads the pregnancies (her last contact and her
discharge as sub-selects), the windows are computed in Python with the same pure
``schedule.compute_window`` (and the same ``facts_from``) as a recomputation, and one INSERT writes them
— so the work grows with the number of batches, not of queries per pregnancy, and the windows are the
ones a recomputation would open. Idempotent: a pregnancy that has an open window is skipped, and a
window opened concurrently by a recomputation wins (``ON CONFLICT DO NOTHING`` on the one-open-window
constraint).

A backfilled window starts in the state its dates give today, **without the alerts of the steps it
skipped**: a deployment's backlog of missed visits would otherwise raise (and escalate to medical
directors and supervisors) one alert per woman and step at once. The windows show on the clinics'
follow-up worklists at once, and their next steps raise alerts as usual. A window found already past
its lost-to-follow-up day starts tracing today and is proposed only after one full tracing period,
since nobody has traced her yet. A window that is due today queues the woman's text message, as the
sweep would.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Subquery
from django.utils import timezone

from cases.choices import PregnancyStatus
from cases.models import Delivery, Pregnancy, Visit

from . import schedule
from .choices import FollowUpStatus
from .models import FollowUp, ReminderMessage
from .services import (
    ANTENATAL_CONTACTS,
    POSTPARTUM_CONTACTS,
    _send_after,
    facts_from,
    rules_for,
    sms_dedup_key,
)

S = FollowUpStatus
OPEN_PREGNANCY = (PregnancyStatus.ACTIVE, PregnancyStatus.POSTPARTUM)
FIELDS = (
    "id",
    "status",
    "risk_color",
    "purple",
    "edd",
    "booked_on",
    "created_at",
    "next_visit_date",
    "ended_on",
    "follow_up_facility_id",
    "managing_facility_id",
    "region_code",
    "phone",
    "last_antenatal",
    "last_postpartum",
    "discharged_at",
)


@dataclass
class BackfillResult:
    """What one run did: windows opened by the state they start in, text messages queued, pregnancies
    seen without enough known to compute a window (no EDD, no contact), batches and seconds."""

    opened: dict[str, int] = field(default_factory=lambda: {s: 0 for s in S.values if s != S.CLOSED})
    messages: int = 0
    without_window: int = 0
    batches: int = 0
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.opened.values())


def _candidates(after_id: int, batch: int) -> list[dict]:
    """One query: the next ``batch`` open pregnancies (by id) without an open window, with what the
    schedule needs. The last contacts use the ``visit_pregnancy_time`` index; the anti-join uses
    the ``followup_one_open_per_pregnancy`` unique index."""
    last_visit = (
        Visit.objects.filter(pregnancy_id=OuterRef("pk")).order_by("-visited_at").values("visited_at")
    )
    open_window = FollowUp.objects.filter(pregnancy_id=OuterRef("pk")).exclude(status=S.CLOSED)
    return list(
        Pregnancy.objects.filter(pk__gt=after_id, status__in=OPEN_PREGNANCY)
        .filter(~Exists(open_window))
        .annotate(
            region_code=F("managing_facility__region_code"),
            phone=F("patient__phone"),
            last_antenatal=Subquery(last_visit.filter(kind__in=ANTENATAL_CONTACTS)[:1]),
            last_postpartum=Subquery(last_visit.filter(kind__in=POSTPARTUM_CONTACTS)[:1]),
            discharged_at=Subquery(
                Delivery.objects.filter(pregnancy_id=OuterRef("pk")).values("discharged_at")[:1]
            ),
        )
        .order_by("pk")
        .values(*FIELDS)[:batch]
    )


def initial_state(window: schedule.Window, today: dt.date) -> tuple[str, dt.date | None, dt.date | None]:
    """(status, next_step_on, traced_on) of a window opened today without its past steps' alerts."""
    if today < window.remind_on:
        return S.UPCOMING, window.remind_on, None
    if today < window.overdue_on:
        return S.DUE, window.overdue_on, None
    if today < window.trace_on:
        return S.OVERDUE, window.trace_on, None
    if today < window.lost_on:
        return S.TRACING, window.lost_on, today
    # Past the lost-to-follow-up day, but nobody has traced her: a full tracing period from today.
    return S.TRACING, today + (window.lost_on - window.trace_on), today


def _window_row(row: dict, rules_cache: dict, today: dt.date) -> FollowUp | None:
    postpartum = row["status"] == PregnancyStatus.POSTPARTUM
    facts = facts_from(
        status=row["status"],
        color=row["risk_color"],
        purple=row["purple"],
        edd=row["edd"],
        booked_on=row["booked_on"],
        created_at=row["created_at"],
        next_visit_date=row["next_visit_date"],
        ended_on=row["ended_on"],
        last_contact=row["last_postpartum"] if postpartum else row["last_antenatal"],
        discharged_at=row["discharged_at"] if postpartum else None,
    )
    region = row["region_code"]
    if region not in rules_cache:
        rules_cache[region] = rules_for(region)
    window = schedule.compute_window(facts, rules_cache[region])
    if window is None:
        return None
    status, next_step_on, traced_on = initial_state(window, today)
    return FollowUp(
        external_id=uuid.uuid4(),
        pregnancy_id=row["id"],
        facility_id=row["follow_up_facility_id"] or row["managing_facility_id"],
        managing_facility_id=row["managing_facility_id"],
        kind=window.kind,
        source=window.source,
        status=status,
        color=row["risk_color"] or "",
        purple=row["purple"],
        remind_on=window.remind_on,
        due_from=window.due_from,
        due_by=window.due_by,
        overdue_on=window.overdue_on,
        trace_on=window.trace_on,
        lost_on=window.lost_on,
        next_step_on=next_step_on,
        traced_on=traced_on,
    )


def _open_batch(rows: list[dict], rules_cache: dict, now: dt.datetime, result: BackfillResult) -> None:
    """One transaction: INSERT the windows (a concurrent recomputation's window wins), then the text
    messages of the windows due today that were actually inserted."""
    today = timezone.localdate(now)
    windows, phones = [], {}
    for row in rows:
        window = _window_row(row, rules_cache, today)
        if window is None:
            result.without_window += 1
            continue
        windows.append(window)
        if window.status == S.DUE and row["phone"] and window.due_by >= today:
            phones[window.external_id] = row["phone"]
    with transaction.atomic():
        FollowUp.objects.bulk_create(windows, ignore_conflicts=True)
        inserted = dict(
            FollowUp.objects.filter(external_id__in=[w.external_id for w in windows]).values_list(
                "external_id", "id"
            )
        )
        send_after = _send_after(today, now)
        messages = [
            ReminderMessage(follow_up_id=inserted[ext], dedup_key=sms_dedup_key(ext), send_after=send_after)
            for ext in phones
            if ext in inserted
        ]
        ReminderMessage.objects.bulk_create(messages, ignore_conflicts=True)
    for window in windows:
        if window.external_id in inserted:
            result.opened[window.status] += 1
    result.messages += len(messages)


def followups_backfill(
    *, now: dt.datetime | None = None, batch: int | None = None, progress=None
) -> BackfillResult:
    """Open the current window of every open (active or postpartum) pregnancy that has none.

    Batches of ``batch`` pregnancies (``FOLLOWUP_SWEEP_BATCH`` by default), each in its own
    transaction, so a million pregnancies never sit in one transaction and a run can be interrupted
    and started again. Queries per batch: the read, the INSERT of windows, the look-up of their ids and
    the INSERT of messages. ``progress(result)`` is called after every batch. Writes no audit rows: no
    person did anything to a woman's record (the windows are derived data, like a recomputation's).
    """
    now = now or timezone.now()
    batch = batch or settings.FOLLOWUP_SWEEP_BATCH
    started = time.monotonic()
    result = BackfillResult()
    rules_cache: dict = {}
    after_id = 0
    while True:
        rows = _candidates(after_id, batch)
        if not rows:
            break
        _open_batch(rows, rules_cache, now, result)
        result.batches += 1
        after_id = rows[-1]["id"]
        if progress is not None:
            progress(result)
        if len(rows) < batch:
            break
    result.seconds = time.monotonic() - started
    return result
