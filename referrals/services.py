"""The referral state machine. Every step is one service: it checks the side and the role, settles
concurrency in the database (a conditional UPDATE on the status), moves the access grants, writes
its audit row and its alert rows, all in one transaction."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.permissions import Action, has_action
from audit.choices import AuditAction
from audit.services import audit_record
from cases.choices import GrantLevel, PregnancyStatus
from cases.models import Pregnancy, Visit
from cases.selectors import gestational_age, postpartum_days
from cases.services import pregnancy_access_grant, pregnancy_access_revoke, pregnancy_transfer
from core.errors import Conflict, InvalidTransition, PermissionDenied, ValidationFailed
from core.prepared import prepared_cursor
from core.rows import Joined, update_returning
from facilities.choices import TIER_RANK
from notifications.choices import AlertKind, Severity
from notifications.services import alert_raise, alert_resolve, alerts_resolve
from risk.models import ObservationSet, RiskAssessment
from risk.selectors import current_assessment

from .choices import OPEN_STATUSES, Direction, Purpose, ReferralStatus, Urgency
from .models import Referral, ReferralComment
from .signals import referral_closed

S = ReferralStatus
HIGH_RISK = ("orange", "red")


def direction_between(from_facility, to_facility) -> str:
    a, b = TIER_RANK[from_facility.tier], TIER_RANK[to_facility.tier]
    return Direction.UP if b > a else Direction.DOWN if b < a else Direction.LATERAL


def _source(referral: Referral) -> tuple[str, str]:
    return ("referrals.referral", str(referral.external_id))


def _require(actor, action: str, side_facility_id: int, wrong_side_message: str) -> None:
    if actor.facility_id != side_facility_id:
        raise PermissionDenied(wrong_side_message)
    if not has_action(actor, action):
        raise PermissionDenied(_("Your role does not allow this step."))


def _sender(actor, referral: Referral) -> None:
    _require(
        actor,
        Action.REQUEST_REFERRAL,
        referral.from_facility_id,
        _("Only the sending facility can do this."),
    )


def _receiver(actor, referral: Referral) -> None:
    _require(
        actor,
        Action.ACCEPT_REFERRAL,
        referral.to_facility_id,
        _("Only the receiving facility can do this."),
    )


def _move(referral: Referral, from_statuses, to_status: str, **fields) -> None:
    """Conditional UPDATE: of concurrent attempts exactly one moves the referral; the others get 409.
    The referral then holds its row as it now stands, with the woman, facilities and people it was read
    with (``core.rows.update_returning``: one statement, where the ORM's update and reload were two)."""
    moved = update_returning(
        referral,
        {"status": to_status, "updated_at": timezone.now(), **fields},
        only_if={"status": list(from_statuses)},
    )
    if not moved:
        current = Referral.objects.values_list("status", flat=True).get(pk=referral.pk)
        raise InvalidTransition(
            _("This referral is “%(status)s”: the step is no longer possible.") % {"status": S(current).label}
        )


def _audit(actor, referral: Referral, action: str = AuditAction.TRANSITION, **changes) -> None:
    audit_record(
        actor=actor,
        action=action,
        obj=referral,
        patient_ids=[referral.pregnancy.patient.external_id],
        reason=changes.pop("reason", ""),
        changes=changes,
    )


VITAL_SIGNS = ("sbp_mmhg", "dbp_mmhg", "pulse_bpm", "respiratory_rate", "spo2_pct", "temperature_c")
LABS = ("hb_g_l", "platelets_10e9_l", "proteinuria")


def _values(row, names) -> dict:
    out = {}
    for name in names:
        value = getattr(row, name, None)
        if value not in (None, ""):
            out[name] = float(value) if hasattr(value, "quantize") else value
    return out


# Her newest visit and observation set, as the summary reads them: fixed statements (``core.rows.Joined``),
# where the ORM compiled two queries on every request and departure (issue #9).
_LATEST_VISIT = Joined(Visit, only={"": ("visited_at", *VITAL_SIGNS, *LABS)})
_LATEST_OBSERVATION = Joined(
    ObservationSet,
    only={"": ("taken_at", *VITAL_SIGNS, "level", "triggered", "yellow_count", "red_count")},
)


def clinical_summary(pregnancy: Pregnancy) -> dict:
    """The snapshot that travels with her: grade and criteria, GA or postpartum day, EDD, the latest
    vital signs and labs, the latest early-warning score.

    Vital signs come from the newest reading: an observation set (MEOWS chart) taken after her last
    visit replaces the visit's vital signs (``vitals_source`` says which one, ``vitals_at`` when); labs
    are only recorded at visits (``labs_at``)."""
    assessment = current_assessment(pregnancy)
    visit = _LATEST_VISIT.fetch(
        "t0.pregnancy_id = %s", [pregnancy.pk], order_by="t0.visited_at DESC, t0.id DESC"
    )
    observation = _LATEST_OBSERVATION.fetch(
        "t0.pregnancy_id = %s", [pregnancy.pk], order_by="t0.taken_at DESC, t0.id DESC"
    )
    visit = visit[0] if visit else None
    observation = observation[0] if observation else None
    vitals, vitals_at, source = {}, None, None
    if visit is not None:
        vitals, vitals_at, source = _values(visit, VITAL_SIGNS), visit.visited_at, "visit"
    if observation is not None and (visit is None or observation.taken_at >= visit.visited_at):
        vitals, vitals_at, source = _values(observation, VITAL_SIGNS), observation.taken_at, "observation"
    labs = _values(visit, LABS) if visit is not None else {}
    return {
        "risk_color": pregnancy.risk_color,
        "purple": pregnancy.purple,
        "criteria": list(assessment.triggered) if assessment else [],
        "gestational_age": gestational_age(pregnancy),
        "postpartum_days": postpartum_days(pregnancy),
        "edd": pregnancy.edd.isoformat() if pregnancy.edd else None,
        "fetuses": pregnancy.fetuses,
        "vitals": {**vitals, **labs},
        "vitals_at": vitals_at.isoformat() if vitals_at else None,
        "vitals_source": source,
        "labs_at": visit.visited_at.isoformat() if labs else None,
        "meows": {
            "level": observation.level,
            "triggered": observation.triggered,
            "yellow_count": observation.yellow_count,
            "red_count": observation.red_count,
            "at": observation.taken_at.isoformat(),
        }
        if observation
        else None,
    }


def _accept_minutes(urgency: str) -> int:
    return settings.REFERRAL_ACCEPT_MINUTES[urgency]


def _severity(urgency: str) -> str:
    return {Urgency.EMERGENCY: Severity.CRITICAL, Urgency.URGENT: Severity.URGENT}.get(
        urgency, Severity.WARNING
    )


def _open_request(
    actor,
    *,
    pregnancy,
    from_facility,
    to_facility,
    urgency,
    reason,
    purpose,
    transfers_management,
    clock_started_at,
    sending_clinician,
    **extra,
) -> Referral:
    now = timezone.now()
    try:
        # No savepoint: a refused insert (another open referral) ends the request with a 409 and rolls
        # back the caller's transaction (``referral_request``, ``referral_redirect``), which nothing
        # carries on with; the savepoint cost every request two round trips (issue #9).
        with transaction.atomic(savepoint=False):
            referral = Referral.objects.create(
                pregnancy=pregnancy,
                from_facility=from_facility,
                to_facility=to_facility,
                direction=direction_between(from_facility, to_facility),
                urgency=urgency,
                purpose=purpose,
                transfers_management=transfers_management,
                reason=reason,
                sending_clinician=sending_clinician,
                requested_at=now,
                clock_started_at=clock_started_at or now,
                clinical_summary=clinical_summary(pregnancy),
                risk_color_at_request=pregnancy.risk_color,
                **extra,
            )
    except IntegrityError as exc:
        raise Conflict(
            _("She already has an open referral."), errors={"pregnancy": [_("An open referral exists.")]}
        ) from exc
    pregnancy_access_grant(
        actor=actor,
        pregnancy=pregnancy,
        facility=to_facility,
        level=GrantLevel.READ,
        reason=_("Referral requested"),
        source=_source(referral),
    )
    alert_raise(
        kind=AlertKind.REFERRAL_REQUESTED,
        dedup_key=f"referral_requested:{referral.external_id}",
        pregnancy=pregnancy,
        facility=to_facility,
        target_role="on_call_lead",
        severity=_severity(urgency),
        due_at=now,
        payload={"referral": str(referral.external_id), "urgency": urgency},
    )
    return referral


# Her row, locked for the request, with the woman: a fixed statement (the ORM compiled it on every request).
_LOCKED_PREGNANCY = Joined(Pregnancy, "patient")


def _has_open_referral(pregnancy_id: int) -> bool:
    """Whether she has a referral under way: one prepared statement (``referral_one_open_per_pregnancy``
    keeps it to at most one; this check gives the clear 409 before the insert would)."""
    table = connection.ops.quote_name(Referral._meta.db_table)
    with prepared_cursor() as cursor:
        cursor.execute(
            f"SELECT EXISTS (SELECT 1 FROM {table} WHERE pregnancy_id = %s AND status = ANY(%s))",  # noqa: S608
            [pregnancy_id, [str(status) for status in OPEN_STATUSES]],
        )
        return cursor.fetchone()[0]


# The decision-to-request interval is a quality indicator; a decision older than this is a typing error.
DECISION_MAX_AGE = dt.timedelta(days=30)


@transaction.atomic
def referral_request(
    *,
    actor,
    pregnancy: Pregnancy,
    to_facility,
    urgency: str,
    reason: str,
    purpose: str = Purpose.CARE,
    transfers_management: bool | None = None,
    transport: str = "",
    escort: str = "",
    sender_contact: str = "",
    treatments_given: str = "",
    discharge_summary: str = "",
    decided_at=None,
) -> Referral:
    """Refer a pregnancy from the actor's facility. The receiving facility may read her record at once."""
    if not has_action(actor, Action.REQUEST_REFERRAL) or actor.facility_id is None:
        raise PermissionDenied(_("Your role does not allow referring."))
    locked = _LOCKED_PREGNANCY.fetch("t0.id = %s", [pregnancy.pk], lock=("t0",))
    if locked is None:
        raise Pregnancy.DoesNotExist
    pregnancy = locked[0]
    errors: dict[str, list[str]] = {}
    if not (reason or "").strip():
        errors["reason"] = [_("Give the reason for the referral.")]
    if urgency not in Urgency.values:
        errors["urgency"] = [_("Choose emergency, urgent or routine.")]
    if to_facility.pk == actor.facility_id:
        errors["to_facility"] = [_("Choose another facility.")]
    elif not to_facility.is_active:
        errors["to_facility"] = [_("This facility is not active.")]
    if decided_at is not None and decided_at > timezone.now() + dt.timedelta(minutes=10):
        errors["decided_at"] = [_("This time is in the future.")]
    elif decided_at is not None and decided_at < timezone.now() - DECISION_MAX_AGE:
        errors["decided_at"] = [_("The decision to refer cannot be more than 30 days old.")]
    if errors:
        raise ValidationFailed(errors=errors)
    if pregnancy.status not in (PregnancyStatus.ACTIVE, PregnancyStatus.POSTPARTUM):
        raise InvalidTransition(_("Only an ongoing or postpartum pregnancy can be referred."))
    if _has_open_referral(pregnancy.pk):
        raise Conflict(
            _("She already has an open referral."), errors={"pregnancy": [_("An open referral exists.")]}
        )
    direction = direction_between(actor.facility, to_facility)
    if (
        direction == Direction.DOWN
        and pregnancy.status == PregnancyStatus.POSTPARTUM
        and pregnancy.risk_color in HIGH_RISK
    ):
        reassessed = RiskAssessment.objects.filter(
            pregnancy=pregnancy, status="confirmed", confirmed_at__date__gte=pregnancy.ended_on
        ).exists()
        if not reassessed:
            raise Conflict(
                _("An orange or red woman goes back down only after a confirmed postpartum reassessment.")
            )
    if transfers_management is None:
        transfers_management = purpose != Purpose.GRADING
    referral = _open_request(
        actor,
        pregnancy=pregnancy,
        from_facility=actor.facility,
        to_facility=to_facility,
        urgency=urgency,
        reason=reason.strip()[:5000],
        purpose=purpose,
        transfers_management=transfers_management,
        clock_started_at=None,
        sending_clinician=actor,
        transport=transport,
        escort=escort[:200],
        sender_contact=sender_contact[:40],
        treatments_given=treatments_given[:5000],
        discharge_summary=discharge_summary[:10000],
        decided_at=decided_at,
    )
    _audit(
        actor,
        referral,
        AuditAction.CREATE,
        to=str(to_facility.external_id),
        urgency=urgency,
        direction=direction,
    )
    return referral


def may_refuse(referral: Referral) -> bool:
    """Critical care centres may not refuse an emergency, or any up-referral of a woman who is orange or
    red — when she was referred or now: a later downgrade does not release the centre, and a woman
    graded red while the referral waits is not sent back to be referred again."""
    if referral.to_facility.critical_care_level is None:
        return True
    if referral.urgency == Urgency.EMERGENCY:
        return False
    colours = {referral.risk_color_at_request, referral.pregnancy.risk_color}
    return not (referral.direction == Direction.UP and colours & set(HIGH_RISK))


def _resolve_clock_alerts(referral: Referral) -> None:
    alerts_resolve(
        dedup_keys=[
            f"{kind}:{referral.external_id}" for kind in ("referral_requested", "referral_accept_missed")
        ]
    )


@transaction.atomic
def referral_accept(*, actor, referral: Referral) -> Referral:
    _receiver(actor, referral)
    _move(referral, [S.REQUESTED], S.ACCEPTED, accepted_at=timezone.now(), accepted_by=actor)
    pregnancy_access_grant(
        actor=actor,
        pregnancy=referral.pregnancy,
        facility=referral.to_facility,
        level=GrantLevel.WRITE,
        reason=_("Referral accepted"),
        source=_source(referral),
    )
    _resolve_clock_alerts(referral)
    _audit(actor, referral, status="accepted")
    return referral


@transaction.atomic
def referral_decline(*, actor, referral: Referral, reason: str) -> Referral:
    _receiver(actor, referral)
    if not (reason or "").strip():
        raise ValidationFailed(errors={"reason": [_("Give the reason for declining.")]})
    if not may_refuse(referral):
        raise Conflict(
            _(
                "A critical care centre may not refuse this referral; redirect it to another capable "
                "centre instead."
            )
        )
    _move(
        referral,
        [S.REQUESTED],
        S.DECLINED,
        closed_at=timezone.now(),
        closed_by=actor,
        close_reason=reason.strip()[:5000],
    )
    pregnancy_access_revoke(
        actor=actor,
        pregnancy=referral.pregnancy,
        facility=referral.to_facility,
        reason=_("Referral declined"),
        source=_source(referral),
    )
    _resolve_clock_alerts(referral)
    _audit(actor, referral, status="declined", reason=referral.close_reason)
    referral_closed.send(sender=Referral, referral=referral)
    return referral


@transaction.atomic
def referral_redirect(*, actor, referral: Referral, to_facility, reason: str) -> Referral:
    """The receiver proposes another facility: a linked referral is requested there; the acceptance
    clock keeps running from the first request."""
    _receiver(actor, referral)
    errors = {}
    if not (reason or "").strip():
        errors["reason"] = [_("Give the reason for redirecting.")]
    if to_facility.pk in (referral.to_facility_id, referral.from_facility_id):
        errors["to_facility"] = [_("Choose a third facility.")]
    if errors:
        raise ValidationFailed(errors=errors)
    _move(
        referral,
        [S.REQUESTED],
        S.REDIRECTED,
        closed_at=timezone.now(),
        closed_by=actor,
        close_reason=reason.strip()[:5000],
    )
    pregnancy_access_revoke(
        actor=actor,
        pregnancy=referral.pregnancy,
        facility=referral.to_facility,
        reason=_("Referral redirected"),
        source=_source(referral),
    )
    _resolve_clock_alerts(referral)
    linked = _open_request(
        actor,
        pregnancy=referral.pregnancy,
        to_facility=to_facility,
        urgency=referral.urgency,
        reason=referral.reason,
        purpose=referral.purpose,
        transfers_management=referral.transfers_management,
        clock_started_at=referral.clock_started_at,
        from_facility=referral.from_facility,
        sending_clinician=referral.sending_clinician,
        transport=referral.transport,
        escort=referral.escort,
        sender_contact=referral.sender_contact,
        treatments_given=referral.treatments_given,
        discharge_summary=referral.discharge_summary,
        decided_at=referral.decided_at,
    )
    update_returning(referral, {"redirected_to": linked})
    _audit(
        actor,
        referral,
        status="redirected",
        reason=referral.close_reason,
        to=str(to_facility.external_id),
        linked=str(linked.external_id),
    )
    return referral


@transaction.atomic
def referral_cancel(*, actor, referral: Referral, reason: str) -> Referral:
    _sender(actor, referral)
    if not (reason or "").strip():
        raise ValidationFailed(errors={"reason": [_("Give the reason for cancelling.")]})
    _move(
        referral,
        [S.REQUESTED, S.ACCEPTED],
        S.CANCELLED,
        closed_at=timezone.now(),
        closed_by=actor,
        close_reason=reason.strip()[:5000],
    )
    pregnancy_access_revoke(
        actor=actor,
        pregnancy=referral.pregnancy,
        facility=referral.to_facility,
        reason=_("Referral cancelled"),
        source=_source(referral),
    )
    _resolve_clock_alerts(referral)
    _audit(actor, referral, status="cancelled", reason=referral.close_reason)
    referral_closed.send(sender=Referral, referral=referral)
    return referral


@transaction.atomic
def referral_depart(*, actor, referral: Referral, transport: str = "", escort: str = "") -> Referral:
    _sender(actor, referral)
    fields = {"departed_at": timezone.now(), "clinical_summary": clinical_summary(referral.pregnancy)}
    if transport:
        fields["transport"] = transport
    if escort:
        fields["escort"] = escort[:200]
    _move(referral, [S.ACCEPTED], S.DEPARTED, **fields)
    _audit(actor, referral, status="departed")
    return referral


@transaction.atomic
def referral_arrive(*, actor, referral: Referral) -> Referral:
    _receiver(actor, referral)
    _move(referral, [S.DEPARTED], S.ARRIVED, arrived_at=timezone.now())
    alert_resolve(dedup_key=f"referral_arrival_missed:{referral.external_id}")
    _audit(actor, referral, status="arrived")
    return referral


@transaction.atomic
def referral_complete(
    *,
    actor,
    referral: Referral,
    findings: str,
    disposition: str,
    treatment: str = "",
    recommendations: str = "",
) -> Referral:
    """The receiver closes the loop with the return summary; management moves if the referral says so;
    the sender keeps read access to see the outcome. A down-referral hands the postpartum follow-up
    to the receiving facility."""
    _receiver(actor, referral)
    errors = {}
    if not (findings or "").strip():
        errors["findings"] = [_("Record your findings for the sender.")]
    if not (disposition or "").strip():
        errors["disposition"] = [_("Record the disposition.")]
    if errors:
        raise ValidationFailed(errors=errors)
    _move(
        referral,
        [S.ARRIVED],
        S.COMPLETED,
        completed_at=timezone.now(),
        completed_by=actor,
        return_findings=findings.strip()[:10000],
        return_disposition=disposition.strip()[:5000],
        return_treatment=(treatment or "").strip()[:10000],
        return_recommendations=(recommendations or "").strip()[:10000],
    )
    pregnancy = referral.pregnancy
    follow_up = (
        referral.to_facility
        if referral.direction == Direction.DOWN or (referral.purpose == Purpose.POSTPARTUM_FOLLOW_UP)
        else None
    )
    managing = referral.to_facility if referral.transfers_management else None
    pregnancy_transfer(
        actor=actor,
        pregnancy=pregnancy,
        managing_facility=managing,
        follow_up_facility=follow_up,
        reason=_("Referral completed"),
    )
    pregnancy_access_grant(
        actor=actor,
        pregnancy=pregnancy,
        facility=referral.from_facility,
        level=GrantLevel.READ,
        reason=_("Sender follows the outcome"),
        source=_source(referral),
    )
    _audit(actor, referral, status="completed")
    return referral


CLOSED_STATUSES = (S.COMPLETED, S.DECLINED, S.CANCELLED, S.REDIRECTED)


@transaction.atomic
def referral_comment_add(*, actor, referral: Referral, text: str) -> ReferralComment:
    """A message in the thread between the two facilities, while the referral is open. Check order: the
    caller fetched the referral (404); the wrong people → 403; a closed referral → 409."""
    if actor.facility_id not in (referral.from_facility_id, referral.to_facility_id):
        raise PermissionDenied(_("Only the two facilities discuss a referral."))
    # Locks the row: a transition closing the referral at the same moment waits for this message.
    status = Referral.objects.select_for_update().values_list("status", flat=True).get(pk=referral.pk)
    if status in CLOSED_STATUSES:
        raise Conflict(
            _("This referral is closed (“%(status)s”): no more messages can be added.")
            % {"status": S(status).label}
        )
    text = (text or "").strip()
    if not text or len(text) > 5000:
        raise ValidationFailed(errors={"text": [_("Write a message (at most 5000 characters).")]})
    comment = ReferralComment.objects.create(referral=referral, author=actor, text=text)
    _audit(actor, referral, AuditAction.CREATE, comment=str(comment.external_id))
    return comment


def referral_clocks_sweep(*, now: dt.datetime | None = None) -> int:
    """Make sure every referral whose acceptance or arrival clock has run out has its escalation alert
    (idempotent: one alert per referral and clock). Returns the number of overdue clocks."""
    now = now or timezone.now()
    overdue = 0
    for urgency, minutes in settings.REFERRAL_ACCEPT_MINUTES.items():
        late = Referral.objects.filter(
            status=S.REQUESTED, urgency=urgency, clock_started_at__lte=now - dt.timedelta(minutes=minutes)
        )
        for referral in late.select_related("pregnancy", "to_facility"):
            alert_raise(
                kind=AlertKind.REFERRAL_ACCEPT_MISSED,
                dedup_key=f"referral_accept_missed:{referral.external_id}",
                pregnancy=referral.pregnancy,
                facility=referral.to_facility,
                target_role="on_call_lead",
                severity=Severity.CRITICAL if urgency == Urgency.EMERGENCY else Severity.URGENT,
                payload={"referral": str(referral.external_id), "minutes": minutes},
            )
            overdue += 1
    for urgency, minutes in settings.REFERRAL_ARRIVAL_MINUTES.items():
        late = Referral.objects.filter(
            status=S.DEPARTED, urgency=urgency, departed_at__lte=now - dt.timedelta(minutes=minutes)
        )
        for referral in late.select_related("pregnancy", "to_facility"):
            alert_raise(
                kind=AlertKind.REFERRAL_ARRIVAL_MISSED,
                dedup_key=f"referral_arrival_missed:{referral.external_id}",
                pregnancy=referral.pregnancy,
                facility=referral.to_facility,
                target_role="on_call_lead",
                severity=Severity.URGENT,
                payload={"referral": str(referral.external_id), "minutes": minutes},
            )
            overdue += 1
    return overdue
