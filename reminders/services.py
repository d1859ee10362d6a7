"""Follow-up windows: recomputed when their cause changes (in the cause's transaction), advanced by
time in set-based batches, and closed by a visit, by the end of the pregnancy, or by a person who
confirms a lost-to-follow-up proposal.

The sweep never loops over all windows in Python: each state step is an indexed batch (lock a batch
with SKIP LOCKED, one UPDATE, one bulk INSERT of its alerts, one of the women's text messages), so
its query count depends on the number of batches, not on the number of pregnancies.
"""

from __future__ import annotations

import datetime as dt
import logging
from functools import cache

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from accounts.permissions import Action, has_action
from audit.choices import AuditAction
from audit.services import audit_record
from cases.choices import PregnancyStatus, VisitKind
from cases.models import Delivery, Pregnancy, Visit
from cases.services import pregnancy_transition
from core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from core.prepared import prepared_cursor
from core.rows import Joined, update_fields
from notifications import channels
from notifications.choices import AlertKind, Severity
from notifications.models import Alert
from notifications.services import alert_resolve, alerts_resolve
from risk.selectors import policy_for

from . import schedule
from .choices import CloseReason, FollowUpStatus, MessageStatus
from .models import FollowUp, ReminderMessage

log = logging.getLogger(__name__)
S = FollowUpStatus
ANTENATAL_CONTACTS = (VisitKind.ANTENATAL, VisitKind.EMERGENCY, VisitKind.ADMISSION)
POSTPARTUM_CONTACTS = (VisitKind.POSTPARTUM,)
HIGH_RISK = ("orange", "red")
MESSAGE_LEASE = dt.timedelta(minutes=5)
MESSAGE_MAX_ATTEMPTS = 6

# One step per state: (from, to, the threshold column that becomes next_step_on, alert kind).
STEPS: tuple[tuple[str, str, str | None, str], ...] = (
    (S.UPCOMING, S.DUE, "overdue_on", AlertKind.FOLLOW_UP_DUE),
    (S.DUE, S.OVERDUE, "trace_on", AlertKind.FOLLOW_UP_OVERDUE),
    (S.OVERDUE, S.TRACING, "lost_on", AlertKind.FOLLOW_UP_TRACING),
    (S.TRACING, S.LOST_PROPOSED, None, AlertKind.LOST_TO_FOLLOW_UP_PROPOSED),
)
ALERT_SUFFIX = {
    AlertKind.FOLLOW_UP_DUE: "due",
    AlertKind.FOLLOW_UP_OVERDUE: "overdue",
    AlertKind.FOLLOW_UP_TRACING: "tracing",
    AlertKind.LOST_TO_FOLLOW_UP_PROPOSED: "lost",
}


def followup_dedup_key(follow_up_external_id, kind: str, lost_on: dt.date | None = None) -> str:
    """Stable: one alert per window and step, whoever or whatever runs the step (twice). A proposal
    turned down may come again later: its key carries the day it was proposed from."""
    key = f"followup:{follow_up_external_id}:{ALERT_SUFFIX[kind]}"
    return f"{key}:{lost_on.isoformat()}" if kind == AlertKind.LOST_TO_FOLLOW_UP_PROPOSED else key


def sms_dedup_key(follow_up_external_id) -> str:
    """One text message per window, whoever queues it (the sweep or the backfill)."""
    return f"followup:{follow_up_external_id}:sms"


def rules_for(region_code: str | None) -> schedule.Rules:
    """Settings' thresholds with the regional policy's visit intervals by colour."""
    config = dict(settings.FOLLOWUP_RULES)
    intervals = {**config.pop("interval_days", {}), **policy_for(region_code).visit_interval_days}
    return schedule.Rules(interval_days=intervals, **config)


# --- computing ------------------------------------------------------------------------------------------


def facts_from(
    *,
    status: str,
    color: str | None,
    purple: bool,
    edd: dt.date | None,
    booked_on: dt.date | None,
    created_at: dt.datetime | None,
    next_visit_date: dt.date | None,
    ended_on: dt.date | None,
    last_contact: dt.datetime | None,
    discharged_at: dt.datetime | None,
) -> schedule.Facts:
    """The schedule's facts from a pregnancy's fields, her last contact of the kind that counts for her
    status (antenatal contacts while active, postpartum visits after) and her discharge. Shared by the
    recomputation (one pregnancy) and the backfill (a batch read in one query), so both open the same
    window for the same record."""
    postpartum = status == PregnancyStatus.POSTPARTUM
    return schedule.Facts(
        status=status,
        color=color,
        purple=purple,
        edd=edd,
        # registration is a contact: without a booking date, the day the record was opened
        booked_on=booked_on or (timezone.localdate(created_at) if created_at else None),
        last_visit_on=timezone.localdate(last_contact) if last_contact else None,
        clinician_date=None if postpartum else next_visit_date,
        ended_on=ended_on,
        discharged_on=timezone.localdate(discharged_at) if discharged_at else None,
        postpartum_visit_done=postpartum and last_contact is not None,
    )


@cache
def _contact_sql() -> str:
    """Her last contact of the given kinds and, when asked, the discharge of her delivery (the first one
    recorded): one fixed statement, prepared per connection, run at every visit (issue #9)."""
    quote = connection.ops.quote_name
    visit, delivery = (quote(m._meta.db_table) for m in (Visit, Delivery))

    def column(model, name):
        return quote(model._meta.get_field(name).column)

    return (
        f"SELECT (SELECT MAX({column(Visit, 'visited_at')}) FROM {visit} "  # noqa: S608 - metadata only
        f"WHERE {column(Visit, 'pregnancy')} = %s AND {column(Visit, 'kind')} = ANY(%s)), "
        f"(SELECT {column(Delivery, 'discharged_at')} FROM {delivery} "
        f"WHERE {column(Delivery, 'pregnancy')} = %s AND %s ORDER BY {column(Delivery, 'id')} LIMIT 1)"
    )


def _facts(pregnancy: Pregnancy) -> schedule.Facts:
    """One query: the last contact of the relevant kind and, after the birth, the delivery's discharge."""
    postpartum = pregnancy.status == PregnancyStatus.POSTPARTUM
    kinds = POSTPARTUM_CONTACTS if postpartum else ANTENATAL_CONTACTS
    with prepared_cursor() as cursor:
        cursor.execute(
            _contact_sql(), [pregnancy.pk, [str(kind) for kind in kinds], pregnancy.pk, postpartum]
        )
        last, discharged = cursor.fetchone()
    return facts_from(
        status=pregnancy.status,
        color=pregnancy.risk_color,
        purple=pregnancy.purple,
        edd=pregnancy.edd,
        booked_on=pregnancy.booked_on,
        created_at=pregnancy.created_at,
        next_visit_date=pregnancy.next_visit_date,
        ended_on=pregnancy.ended_on,
        last_contact=last,
        discharged_at=discharged,
    )


def _close_rows(rows, *, reason: str, now: dt.datetime, actor=None, note: str = "") -> int:
    """Close open windows, resolve their alerts and cancel their unsent messages."""
    ids = [row.pk for row in rows]
    if not ids:
        return 0
    closed = (
        FollowUp.objects.filter(pk__in=ids)
        .exclude(status=S.CLOSED)
        .update(
            status=S.CLOSED,
            next_step_on=None,
            closed_at=now,
            close_reason=reason,
            closed_by=actor,
            close_note=note[:1000],
            updated_at=now,
        )
    )
    alerts_resolve(
        dedup_keys=[
            followup_dedup_key(row.external_id, kind, row.lost_on) for row in rows for kind in ALERT_SUFFIX
        ]
    )
    ReminderMessage.objects.filter(
        follow_up_id__in=ids, status__in=[MessageStatus.PENDING, MessageStatus.FAILED]
    ).update(status=MessageStatus.CANCELLED, updated_at=now)
    return closed


def _close_reason(cause: str, pregnancy: Pregnancy) -> str:
    if cause == "visit":
        return CloseReason.VISIT_DONE
    if cause == "status" and pregnancy.status == PregnancyStatus.POSTPARTUM:
        return CloseReason.DELIVERED
    return CloseReason.RESCHEDULED


# Her open window, locked: one fixed statement (``core.rows.Joined``), run at every visit (issue #9).
_OPEN_WINDOW = Joined(FollowUp)


def followup_recompute(*, pregnancy: Pregnancy, cause: str = "other", now: dt.datetime | None = None):
    """Bring the pregnancy's open window in line with her record; return it (None when she has none).

    Called inside the transaction of whatever changed (a visit, a dating, a delivery, a new colour, a
    status), so the window and its cause commit together. A window whose dates did not change is
    kept; otherwise the open one closes (visit done / delivered / rescheduled) and the next opens.
    A window opening at or after its reminder day takes its steps (and raises its alerts) at once.
    """
    now = now or timezone.now()
    # Inside the caller's transaction no savepoint is taken: an error here fails the whole change (the
    # signal is sent with ``send``, nothing catches it to carry on), and the pair of statements cost a
    # visit entry two round trips (issue #9). Called on its own, this is its own transaction.
    with transaction.atomic(savepoint=False):
        found = _OPEN_WINDOW.fetch(
            "t0.pregnancy_id = %s AND t0.status <> %s",
            [pregnancy.pk, S.CLOSED.value],
            order_by="t0.due_by, t0.id",
            lock=("t0",),
        )
        current = found[0] if found else None
        if cause == "check_42d" and current is not None:
            # The 42-day check closes the window it answers; the pregnancy closes right after.
            _close_rows([current], reason=CloseReason.VISIT_DONE, now=now)
            return None
        if pregnancy.status not in (PregnancyStatus.ACTIVE, PregnancyStatus.POSTPARTUM):
            if current is not None:
                _close_rows([current], reason=CloseReason.PREGNANCY_CLOSED, now=now)
            return None
        window = schedule.compute_window(
            _facts(pregnancy), rules_for(pregnancy.managing_facility.region_code)
        )
        facility_id = pregnancy.follow_up_facility_id or pregnancy.managing_facility_id
        if current is not None and window is not None and window.same_dates(current):
            if (current.facility_id, current.managing_facility_id) != (
                facility_id,
                pregnancy.managing_facility_id,
            ):
                current.facility_id, current.managing_facility_id = (
                    facility_id,
                    pregnancy.managing_facility_id,
                )
                update_fields(current, ["facility", "managing_facility", "updated_at"])
            return current
        if current is not None:
            _close_rows([current], reason=_close_reason(cause, pregnancy), now=now)
        if window is None:
            return None
        row = FollowUp.objects.create(
            pregnancy=pregnancy,
            facility_id=facility_id,
            managing_facility_id=pregnancy.managing_facility_id,
            kind=window.kind,
            source=window.source,
            color=pregnancy.risk_color or "",
            purple=pregnancy.purple,
            remind_on=window.remind_on,
            due_from=window.due_from,
            due_by=window.due_by,
            overdue_on=window.overdue_on,
            trace_on=window.trace_on,
            lost_on=window.lost_on,
            next_step_on=window.remind_on,
        )
        if row.remind_on <= timezone.localdate(now):
            _advance(now=now, only_pk=row.pk)
            row.refresh_from_db()
        return row


# --- the sweep --------------------------------------------------------------------------------------


def _targets(row: dict, kind: str) -> tuple[int | None, str]:
    """(target user, target role): the case manager for tracing and proposals when there is one, the
    responsible clinician when she works where the woman is followed up, else the midwives there
    (with the department head / medical director as the fallback of the delivery)."""
    if kind in (AlertKind.FOLLOW_UP_TRACING, AlertKind.LOST_TO_FOLLOW_UP_PROPOSED) and row["manager_id"]:
        return row["manager_id"], ""
    if row["clinician_id"] and row["facility_id"] == row["managing_facility_id"]:
        return row["clinician_id"], ""
    return None, "midwife"


def _severity(row: dict, kind: str) -> str:
    high = row["color"] in HIGH_RISK or row["purple"]
    if kind == AlertKind.FOLLOW_UP_DUE:
        return Severity.INFO
    if kind == AlertKind.FOLLOW_UP_OVERDUE:
        return Severity.WARNING if high else Severity.INFO
    return Severity.WARNING


def _alert(row: dict, kind: str, now: dt.datetime) -> Alert:
    user_id, role = _targets(row, kind)
    return Alert(
        kind=kind,
        dedup_key=followup_dedup_key(row["external_id"], kind, row["lost_on"]),
        due_at=now,
        severity=_severity(row, kind),
        pregnancy_id=row["pregnancy_id"],
        facility_id=row["facility_id"],
        target_user_id=user_id,
        target_role=role,
        payload={
            "follow_up": str(row["external_id"]),
            "window": row["kind"],
            "due_from": row["due_from"].isoformat(),
            "due_by": row["due_by"].isoformat(),
        },
    )


def _send_after(today: dt.date, now: dt.datetime) -> dt.datetime:
    hour = dt.time(settings.FOLLOWUP_SMS_HOUR, 0)
    return max(now, dt.datetime.combine(today, hour, tzinfo=timezone.get_current_timezone()))


def _step(
    from_status: str, to_status: str, next_column: str | None, kind: str, *, now, today, batch, only_pk
):
    """Move every row of ``from_status`` whose step day has come, batch by batch. Per batch: lock and
    read (1 query, with the case manager as a subquery), UPDATE (1), INSERT alerts (1) and, for the
    reminder step, INSERT the women's messages (1). Returns how many rows moved."""
    manager = Subquery(
        _open_case_managers().filter(pregnancy_id=OuterRef("pregnancy_id")).values("manager_id")[:1]
    )
    moved = 0
    while True:
        with transaction.atomic():
            qs = FollowUp.objects.filter(status=from_status, next_step_on__lte=today)
            if only_pk is not None:
                qs = qs.filter(pk=only_pk)
            rows = list(
                qs.select_for_update(skip_locked=True, of=("self",))
                .annotate(
                    manager_id=manager,
                    clinician_id=F("pregnancy__responsible_clinician_id"),
                    phone=F("pregnancy__patient__phone"),
                )
                .order_by()
                .values(
                    "id",
                    "external_id",
                    "pregnancy_id",
                    "facility_id",
                    "managing_facility_id",
                    "kind",
                    "color",
                    "purple",
                    "due_from",
                    "due_by",
                    "lost_on",
                    "manager_id",
                    "clinician_id",
                    "phone",
                )[:batch]
            )
            if not rows:
                return moved
            changes = {"status": to_status, "updated_at": now}
            changes["next_step_on"] = F(next_column) if next_column else None
            if to_status == S.TRACING:
                changes["traced_on"] = today
            FollowUp.objects.filter(pk__in=[r["id"] for r in rows]).update(**changes)
            Alert.objects.bulk_create([_alert(r, kind, now) for r in rows], ignore_conflicts=True)
            if to_status == S.DUE:
                send_after = _send_after(today, now)
                ReminderMessage.objects.bulk_create(
                    [
                        ReminderMessage(
                            follow_up_id=r["id"],
                            dedup_key=sms_dedup_key(r["external_id"]),
                            send_after=send_after,
                        )
                        for r in rows
                        if r["phone"] and r["due_by"] >= today
                    ],
                    ignore_conflicts=True,
                )
            moved += len(rows)
        if len(rows) < batch:
            return moved


def _open_case_managers():
    from risk.models import CaseManagement

    return CaseManagement.objects.filter(status="open", manager__isnull=False)


def _advance(*, now: dt.datetime, batch: int | None = None, only_pk: int | None = None) -> dict:
    today = timezone.localdate(now)
    batch = batch or settings.FOLLOWUP_SWEEP_BATCH
    return {
        to_status: _step(
            from_status, to_status, column, kind, now=now, today=today, batch=batch, only_pk=only_pk
        )
        for from_status, to_status, column, kind in STEPS
    }


def followups_sweep(*, now: dt.datetime | None = None, batch: int | None = None) -> dict:
    """What beat runs hourly: every open window whose step day has come moves on — upcoming → due
    (alert to the clinic, text to the woman), due → overdue, overdue → tracing (the case manager),
    tracing → lost to follow-up *proposed* (a person decides). Steps run in order, so a window the
    sweep missed for days catches up in one run. Idempotent: a second run moves nothing."""
    from .rules import needs_referral_sweep

    now = now or timezone.now()
    counts = _advance(now=now, batch=batch)
    counts["needs_referral_resolved"] = needs_referral_sweep(now=now)
    return counts


# --- the women's text messages -----------------------------------------------------------------------


def reminder_text(*, clinic: str, due_from: dt.date, due_by: dt.date) -> str:
    """Only the clinic's name and the dates: no diagnosis, no colour, not even her name."""
    with override(settings.LANGUAGE_CODE):
        return _("%(clinic)s: your next check-up is due between %(from)s and %(by)s. Please come.") % {
            "clinic": clinic,
            "from": due_from.isoformat(),
            "by": due_by.isoformat(),
        }


def _clinic_name(facility) -> str:
    with override(settings.LANGUAGE_CODE):
        return facility.name


def reminder_messages_send(*, now: dt.datetime | None = None, limit: int = 500) -> dict:
    """Send due messages (claimed with a lease, so two senders never send one twice); a message whose
    window has closed meanwhile is cancelled; gateway failures are retried with backoff."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            ReminderMessage.objects.filter(
                status__in=[MessageStatus.PENDING, MessageStatus.FAILED],
                send_after__lte=now,
                attempts__lt=MESSAGE_MAX_ATTEMPTS,
            )
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
            .select_for_update(skip_locked=True)
            .values_list("id", flat=True)[:limit]
        )
        ReminderMessage.objects.filter(pk__in=ids).update(claimed_until=now + MESSAGE_LEASE)
    counts = {"sent": 0, "failed": 0, "cancelled": 0}
    messages = ReminderMessage.objects.filter(pk__in=ids).select_related(
        "follow_up__facility", "follow_up__pregnancy__patient"
    )
    for message in messages:
        counts[_send_one(message, now)] += 1
    return counts


def _send_one(message: ReminderMessage, now: dt.datetime) -> str:
    window = message.follow_up
    phone = window.pregnancy.patient.phone
    if not window.is_open or not phone:
        message.status = MessageStatus.CANCELLED
    else:
        text = reminder_text(
            clinic=_clinic_name(window.facility), due_from=window.due_from, due_by=window.due_by
        )
        message.attempts += 1
        try:
            channels.sms_gateway().send(phone=phone, text=text)
        except channels.TransientDeliveryError as exc:
            message.status, message.last_error = MessageStatus.FAILED, str(exc)[:500]
            message.send_after = now + dt.timedelta(minutes=2 ** min(message.attempts, 6))
        else:
            message.status, message.sent_at, message.last_error = MessageStatus.SENT, now, ""
    message.claimed_until = None
    message.save(
        update_fields=[
            "status",
            "attempts",
            "last_error",
            "sent_at",
            "send_after",
            "claimed_until",
            "updated_at",
        ]
    )
    return {MessageStatus.SENT: "sent", MessageStatus.FAILED: "failed"}.get(message.status, "cancelled")


# --- a person decides ---------------------------------------------------------------------------------


def _require_change(actor, follow_up: FollowUp) -> Pregnancy:
    """404 without sight of her record, 403 without change access or the role, then 409 when the
    window is not (or no longer) a proposal — before the caller checks its input (400)."""
    from cases.access import access_pregnancy_by_id

    pregnancy = access_pregnancy_by_id(actor, follow_up.pregnancy.external_id, perm="change", audit=False)
    if not has_action(actor, Action.RECORD_CLINICAL):
        raise PermissionDenied(_("Your role does not allow this."))
    if follow_up.status != S.LOST_PROPOSED:
        raise InvalidTransition(_("Only a window proposed as lost to follow-up can be decided on."))
    return pregnancy


@transaction.atomic
def followup_confirm_lost(
    *, actor, follow_up: FollowUp, reason: str, now: dt.datetime | None = None
) -> FollowUp:
    """A person confirms the system's proposal: the window closes as ``confirmed_lost`` and the
    pregnancy becomes lost to follow-up (both audited). Only a proposed window can be confirmed."""
    now = now or timezone.now()
    pregnancy = _require_change(actor, follow_up)
    if not (reason or "").strip():
        raise ValidationFailed(
            errors={"reason": [_("Say what tracing found (calls, visits) before confirming.")]}
        )
    updated = FollowUp.objects.filter(pk=follow_up.pk, status=S.LOST_PROPOSED).update(
        status=S.CLOSED,
        next_step_on=None,
        closed_at=now,
        close_reason=CloseReason.CONFIRMED_LOST,
        closed_by=actor,
        close_note=reason.strip()[:1000],
        updated_at=now,
    )
    if not updated:
        raise InvalidTransition(_("Only a window proposed as lost to follow-up can be confirmed."))
    follow_up.refresh_from_db()
    _close_rows([follow_up], reason=CloseReason.CONFIRMED_LOST, now=now)
    audit_record(
        actor=actor,
        action=AuditAction.TRANSITION,
        obj=follow_up,
        reason=follow_up.close_note,
        patient_ids=[pregnancy.patient.external_id],
        changes={"status": [S.LOST_PROPOSED, S.CLOSED], "close_reason": CloseReason.CONFIRMED_LOST},
    )
    pregnancy_transition(
        actor=actor, pregnancy=pregnancy, to_status=PregnancyStatus.LOST_TO_FOLLOW_UP, reason=reason
    )
    return follow_up


@transaction.atomic
def followup_keep_tracing(
    *, actor, follow_up: FollowUp, reason: str, now: dt.datetime | None = None
) -> FollowUp:
    """A person turns the proposal down (she was reached, she moved within the region…): the window
    goes back to tracing and is proposed again only after another lost-to-follow-up period."""
    now = now or timezone.now()
    pregnancy = _require_change(actor, follow_up)
    if not (reason or "").strip():
        raise ValidationFailed(errors={"reason": [_("Say why tracing goes on.")]})
    today = timezone.localdate(now)
    proposed_key = followup_dedup_key(
        follow_up.external_id, AlertKind.LOST_TO_FOLLOW_UP_PROPOSED, follow_up.lost_on
    )
    period = follow_up.lost_on - follow_up.trace_on
    updated = FollowUp.objects.filter(pk=follow_up.pk, status=S.LOST_PROPOSED).update(
        status=S.TRACING,
        lost_on=max(today, follow_up.lost_on) + max(period, dt.timedelta(days=1)),
        updated_at=now,
    )
    if not updated:
        raise InvalidTransition(_("Only a window proposed as lost to follow-up can be turned down."))
    FollowUp.objects.filter(pk=follow_up.pk).update(next_step_on=F("lost_on"))
    alert_resolve(dedup_key=proposed_key)
    follow_up.refresh_from_db()
    audit_record(
        actor=actor,
        action=AuditAction.TRANSITION,
        obj=follow_up,
        reason=reason.strip()[:1000],
        patient_ids=[pregnancy.patient.external_id],
        changes={"status": [S.LOST_PROPOSED, S.TRACING], "lost_on": follow_up.lost_on.isoformat()},
    )
    return follow_up
