"""MDT consultation workflow. Each step is one service that checks who may do it, settles the state in
the database, moves record access for invited participants, writes audit and alert rows."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.permissions import Action, has_action
from audit.choices import AuditAction
from audit.services import audit_record
from cases.choices import GrantLevel
from cases.models import Pregnancy
from cases.services import (
    pregnancy_access_grant,
    pregnancy_access_grant_user,
    pregnancy_access_revoke,
    pregnancy_access_revoke_user,
)
from core.errors import Conflict, InvalidTransition, PermissionDenied, ValidationFailed
from facilities.choices import Specialty
from notifications.choices import AlertKind, Severity
from notifications.services import alert_raise, alert_resolve, alerts_resolve
from referrals.services import clinical_summary

from .access import TAKING_PART, is_consult_coordinator, may_cancel, may_conclude, may_record_opinion
from .choices import ActionStatus, ConsultStatus, ConsultUrgency, DecisionKind, InvitationStatus
from .mail import calendar_emails_on_commit
from .models import ActionItem, Addendum, Consult, Opinion, Participant, Signature

C = ConsultStatus
REMINDER_BEFORE = dt.timedelta(minutes=30)


def _source(consult: Consult) -> tuple[str, str]:
    return ("consults.consult", str(consult.external_id))


def _audit(actor, consult: Consult, action=AuditAction.TRANSITION, reason: str = "", **changes) -> None:
    audit_record(
        actor=actor,
        action=action,
        obj=consult,
        patient_ids=[consult.pregnancy.patient.external_id],
        reason=reason,
        changes=changes,
    )


def _move(consult: Consult, from_statuses, to_status: str, **fields) -> None:
    updated = Consult.objects.filter(pk=consult.pk, status__in=list(from_statuses)).update(
        status=to_status, updated_at=timezone.now(), **fields
    )
    if not updated:
        current = Consult.objects.values_list("status", flat=True).get(pk=consult.pk)
        raise InvalidTransition(
            _("This consultation is “%(status)s”: the step is not possible.") % {"status": C(current).label}
        )
    consult.refresh_from_db()


def digest(text: str) -> str:
    return hashlib.sha256(" ".join((text or "").split()).encode()).hexdigest()


# --- request and schedule -------------------------------------------------------------------------


@transaction.atomic
def consult_request(
    *,
    actor,
    pregnancy: Pregnancy,
    urgency: str,
    question: str,
    specialties: list[str],
    coordinating_facility=None,
) -> Consult:
    if not has_action(actor, Action.REQUEST_CONSULT) or actor.facility_id is None:
        raise PermissionDenied(_("Your role does not allow requesting a consultation."))
    errors: dict[str, list[str]] = {}
    if urgency not in ConsultUrgency.values:
        errors["urgency"] = [_("Choose emergency, routine or scheduled.")]
    if not (question or "").strip():
        errors["question"] = [_("State the clinical question.")]
    bad = [s for s in specialties or [] if s not in Specialty.values]
    if not specialties or bad:
        errors["specialties"] = [_("Choose the specialties needed.")]
    if errors:
        raise ValidationFailed(errors=errors)
    coordinating = coordinating_facility or actor.facility
    consult = Consult.objects.create(
        pregnancy=pregnancy,
        requested_by=actor,
        requesting_facility=actor.facility,
        coordinating_facility=coordinating,
        urgency=urgency,
        question=question.strip()[:5000],
        specialties=sorted(set(specialties)),
        case_summary=clinical_summary(pregnancy),
        requested_at=timezone.now(),
    )
    if coordinating.pk not in (pregnancy.managing_facility_id, pregnancy.follow_up_facility_id):
        pregnancy_access_grant(
            actor=actor,
            pregnancy=pregnancy,
            facility=coordinating,
            level=GrantLevel.READ,
            reason=_("MDT consultation requested"),
            source=_source(consult),
        )
    target = settings.CONSULT_SCHEDULE_MINUTES.get(urgency)
    alert_raise(
        kind=AlertKind.CONSULT_REQUESTED,
        dedup_key=f"consult_requested:{consult.external_id}",
        pregnancy=pregnancy,
        facility=coordinating,
        target_role="mdt_coordinator",
        severity=Severity.CRITICAL if urgency == ConsultUrgency.EMERGENCY else Severity.WARNING,
        payload={"consult": str(consult.external_id), "target_minutes": target},
    )
    _audit(actor, consult, AuditAction.CREATE, urgency=urgency, specialties=consult.specialties)
    return consult


# --- who may take which step, in which state ----------------------------------------------------------
#
# Every step checks, in this order: the role and taking part (403), then the state (409). Only then does it
# look at its input (400). The consult itself was fetched through ``access_consult_by_id`` (404 without
# view). Views call ``consult_check`` before validating their input so that the order holds end to end.

OPEN = (C.SCHEDULED, C.IN_PROGRESS)
CANCELLABLE = (C.REQUESTED, C.SCHEDULED, C.IN_PROGRESS)


def _check_schedule(actor, consult: Consult) -> None:
    if not is_consult_coordinator(actor, consult):
        raise PermissionDenied(_("Only an MDT coordinator of the coordinating facility schedules."))
    if consult.status not in (C.REQUESTED, C.SCHEDULED):
        raise InvalidTransition(_("Only a requested or scheduled consultation can be scheduled."))


def _check_opinion(actor, consult: Consult) -> None:
    if not may_record_opinion(actor, consult):
        raise PermissionDenied(_("Only participants record opinions."))
    if consult.status not in OPEN:
        raise InvalidTransition(
            _(
                "Opinions are recorded while the consultation is scheduled or in progress; "
                "add an addendum to a concluded record."
            )
        )


def _check_sign(actor, consult: Consult) -> None:
    if not may_conclude(actor, consult):
        raise PermissionDenied(_("Only physicians taking part sign the decision."))
    if consult.status not in OPEN:
        raise InvalidTransition(_("Only an open consultation's decision can be signed."))


def _check_conclude(actor, consult: Consult) -> None:
    if not may_conclude(actor, consult):
        raise PermissionDenied(_("The lead physician of the consultation concludes it."))
    if consult.status not in OPEN:
        raise InvalidTransition(_("Only a scheduled or ongoing consultation can be concluded."))
    if not consult.opinions.exists():
        raise Conflict(_("Record at least one specialty opinion before concluding."))


def _check_cancel(actor, consult: Consult) -> None:
    if not may_cancel(actor, consult):
        raise PermissionDenied(_("The requester or the coordinator cancels."))
    if consult.status not in CANCELLABLE:
        raise InvalidTransition(
            _("This consultation is “%(status)s”: the step is not possible.")
            % {"status": C(consult.status).label}
        )


def _check_addendum(actor, consult: Consult) -> None:
    if not may_record_opinion(actor, consult):
        raise PermissionDenied(_("Only participants add to the record."))
    if consult.status != C.CONCLUDED:
        raise InvalidTransition(_("Addenda are for concluded records; edit the consultation instead."))


CHECKS = {
    "schedule": _check_schedule,
    "opinion": _check_opinion,
    "sign": _check_sign,
    "conclude": _check_conclude,
    "cancel": _check_cancel,
    "addendum": _check_addendum,
}


def consult_check(*, actor, consult: Consult, step: str) -> None:
    """Raise what ``step`` would raise before looking at its input: 403 (role, not taking part), then 409
    (state). The step's service runs the same check itself."""
    CHECKS[step](actor, consult)


def participant_conflicts(*, users, start: dt.datetime, end: dt.datetime, exclude_consult=None) -> list[dict]:
    """Other scheduled or ongoing consults of these people overlapping [start, end)."""
    qs = Participant.objects.filter(
        user__in=users,
        status__in=[InvitationStatus.INVITED, InvitationStatus.ACCEPTED],
        consult__status__in=[C.SCHEDULED, C.IN_PROGRESS],
        consult__scheduled_start__lt=end,
        consult__scheduled_end__gt=start,
    ).select_related("user", "consult")
    if exclude_consult is not None:
        qs = qs.exclude(consult=exclude_consult)
    return [
        {
            "user": str(p.user.external_id),
            "name": p.user.name,
            "consult": p.consult.reference,
            "start": p.consult.scheduled_start.isoformat(),
            "end": p.consult.scheduled_end.isoformat(),
        }
        for p in qs
    ]


def _invitation_key(participant: Participant) -> str:
    return f"consult_invitation:{participant.external_id}:{participant.invitation_round}"


def _reminder_key(participant: Participant, start: dt.datetime) -> str:
    return f"consult_reminder:{participant.external_id}:{start.isoformat()}"


MEETING_MAX_LENGTH = dt.timedelta(hours=24)


def _validate_schedule(start, end, participants, location: str, meeting_url: str) -> None:
    errors: dict[str, list[str]] = {}
    if start is None or end is None or end <= start:
        errors["end"] = [_("The end must be after the start.")]
    elif start < timezone.now() - dt.timedelta(hours=1):
        errors["start"] = [_("The start is in the past.")]
    elif start.date() > _latest_plannable_day():
        errors["start"] = [_("The date is more than a year ahead.")]
    elif end - start > MEETING_MAX_LENGTH:
        errors["end"] = [_("A meeting lasts at most 24 hours.")]
    if not participants:
        errors["participants"] = [_("Invite at least one participant.")]
    if not location.strip() and not meeting_url.strip():
        errors["location"] = [_("Give a place or a remote meeting link.")]
    if any(not user.is_active for user, _s in participants):
        errors["participants"] = [_("Inactive users cannot be invited.")]
    if errors:
        raise ValidationFailed(errors=errors)


@transaction.atomic
def consult_schedule(
    *,
    actor,
    consult: Consult,
    start: dt.datetime,
    end: dt.datetime,
    participants: list,
    location: str = "",
    meeting_url: str = "",
    allow_double_booking: bool = False,
) -> Consult:
    """The coordinator sets time, place or link, and the participants (``[(user, specialty), ...]``; an
    empty specialty keeps the one already recorded, or takes the user's own).

    Rescheduling re-runs the double-booking check, invites the new people, withdraws the removed ones (their
    record access ends, their calendar gets a CANCEL) and, when the *time* changes, asks everyone again
    (answers reset to "invited", declined people included). A new time or place raises the calendar
    SEQUENCE and sends everyone the updated event; after commit, each invitee with an e-mail address gets
    the .ics."""
    _check_schedule(actor, consult)
    location, meeting_url = (location or "").strip()[:200], (meeting_url or "").strip()
    _validate_schedule(start, end, participants, location, meeting_url)
    users = [user for user, _specialty in participants]
    conflicts = participant_conflicts(users=users, start=start, end=end, exclude_consult=consult)
    if conflicts and not allow_double_booking:
        raise Conflict(
            _("Some participants are already booked at that time."),
            errors={"participants": sorted({c["name"] for c in conflicts})},
            extra={"conflicts": conflicts},
        )
    before = Consult.objects.select_for_update().get(pk=consult.pk)  # concurrent reschedules queue here
    was_scheduled = before.status == C.SCHEDULED
    time_changed = was_scheduled and (before.scheduled_start, before.scheduled_end) != (start, end)
    place_changed = was_scheduled and (before.location, before.meeting_url) != (location, meeting_url)
    fields: dict = {}
    if time_changed or place_changed:
        fields["calendar_sequence"] = F("calendar_sequence") + 1
    _move(
        consult,
        [C.REQUESTED, C.SCHEDULED],
        C.SCHEDULED,
        scheduled_start=start,
        scheduled_end=end,
        location=location,
        meeting_url=meeting_url,
        scheduled_by=actor,
        scheduled_at=timezone.now(),
        **fields,
    )
    alerts_resolve(
        dedup_keys=[f"{key}:{consult.external_id}" for key in ("consult_requested", "consult_not_scheduled")]
    )
    keep = {user.pk for user in users}
    cancels = []
    removed = consult.participants.exclude(user_id__in=keep).exclude(status=InvitationStatus.WITHDRAWN)
    for participant in removed.select_related("user"):
        if was_scheduled and participant.status in TAKING_PART:
            cancels.append(participant.pk)
        _withdraw(actor, consult, participant, start=before.scheduled_start)
    requests = [
        participant.pk
        for user, specialty in participants
        if (participant := _invite(actor, consult, user, specialty, time_changed, before.scheduled_start))
    ]
    if time_changed or place_changed:
        requests += list(consult.participants.filter(status__in=TAKING_PART).values_list("pk", flat=True))
    calendar_emails_on_commit(consult=consult, requests=requests, cancels=cancels)
    _audit(
        actor,
        consult,
        status="scheduled",
        start=start.isoformat(),
        end=end.isoformat(),
        participants=[str(u.external_id) for u in users],
        double_booked=bool(conflicts),
        rescheduled=was_scheduled,
        calendar_sequence=consult.calendar_sequence,
    )
    return consult


def _invite(
    actor, consult: Consult, user, specialty: str, time_changed: bool, old_start
) -> Participant | None:
    """Invite ``user`` or keep her invitation. Returns the participant when she must get the calendar
    invitation (new, re-invited, or asked again because the time changed), else None."""
    participant, created = Participant.objects.get_or_create(
        consult=consult, user=user, defaults={"specialty": specialty or user.specialty}
    )
    asked_again = not created and (
        participant.status == InvitationStatus.WITHDRAWN
        or (time_changed and participant.status in (InvitationStatus.ACCEPTED, InvitationStatus.DECLINED))
    )
    updates = []
    if specialty and participant.specialty != specialty:
        participant.specialty = specialty
        updates.append("specialty")
    if asked_again:
        participant.status = InvitationStatus.INVITED
        participant.responded_at, participant.decline_reason = None, ""
        participant.invitation_round += 1
        updates += ["status", "responded_at", "decline_reason", "invitation_round"]
    if updates:
        participant.save(update_fields=[*updates, "updated_at"])
    if participant.status not in TAKING_PART:
        return None  # she declined and the time did not change: her answer stands
    if created or participant.grant_revoked_at is not None:
        _grant(actor, consult, participant)
    if time_changed and old_start is not None:
        alert_resolve(dedup_key=_reminder_key(participant, old_start))
    if participant.status == InvitationStatus.INVITED:
        alert_raise(
            kind=AlertKind.CONSULT_INVITATION,
            dedup_key=_invitation_key(participant),
            pregnancy=consult.pregnancy,
            target_user=user,
            severity=Severity.WARNING,
            payload={"consult": str(consult.external_id)},
        )
    alert_raise(
        kind=AlertKind.CONSULT_REMINDER,
        dedup_key=_reminder_key(participant, consult.scheduled_start),
        pregnancy=consult.pregnancy,
        target_user=user,
        due_at=consult.scheduled_start - REMINDER_BEFORE,
        payload={"consult": str(consult.external_id)},
    )
    return participant if created or asked_again else None


def _grant(actor, consult: Consult, participant: Participant) -> None:
    """A personal read grant for the consult (sourced, so revoking it leaves other grants alone). Staff of
    the woman's own facilities read her record anyway and get none."""
    pregnancy, user = consult.pregnancy, participant.user
    own = {pregnancy.managing_facility_id, pregnancy.follow_up_facility_id} - {None}
    if user.facility_id not in own:
        pregnancy_access_grant_user(
            actor=actor,
            pregnancy=pregnancy,
            user=user,
            reason=_("Invited to an MDT consultation"),
            source=_source(consult),
        )
    if participant.grant_revoked_at is not None or participant.grant_expires_at is not None:
        participant.grant_revoked_at = participant.grant_expires_at = None
        participant.save(update_fields=["grant_revoked_at", "grant_expires_at", "updated_at"])


def _withdraw(actor, consult: Consult, participant: Participant, *, start) -> None:
    participant.status = InvitationStatus.WITHDRAWN
    participant.save(update_fields=["status", "updated_at"])
    _close_alerts(participant, start)
    _end_grant(actor, consult, participant, reason=_("Removed from the MDT consultation"))


def _close_alerts(participant: Participant, start) -> None:
    alert_resolve(dedup_key=_invitation_key(participant))
    if start is not None:
        alert_resolve(dedup_key=_reminder_key(participant, start))


def _end_grant(actor, consult: Consult, participant: Participant, *, reason: str) -> None:
    if participant.grant_revoked_at is None:
        pregnancy_access_revoke_user(
            actor=actor,
            pregnancy=consult.pregnancy,
            user=participant.user,
            reason=reason,
            source=_source(consult),
        )
        participant.grant_revoked_at = timezone.now()
        participant.save(update_fields=["grant_revoked_at", "updated_at"])


@transaction.atomic
def invitation_respond(*, actor, participant: Participant, accept: bool, reason: str = "") -> Participant:
    if participant.user_id != actor.pk:
        raise PermissionDenied(_("Only the invited person answers an invitation."))
    if participant.consult.status not in OPEN:
        raise InvalidTransition(_("This consultation is not scheduled."))
    updated = Participant.objects.filter(pk=participant.pk, status=InvitationStatus.INVITED).update(
        status=InvitationStatus.ACCEPTED if accept else InvitationStatus.DECLINED,
        responded_at=timezone.now(),
        decline_reason="" if accept else (reason or "").strip()[:500],
        updated_at=timezone.now(),
    )
    if not updated:
        raise InvalidTransition(_("This invitation has already been answered."))
    participant.refresh_from_db()
    consult = participant.consult
    if accept:
        alert_resolve(dedup_key=_invitation_key(participant))
    else:
        _close_alerts(participant, consult.scheduled_start)
        _end_grant(actor, consult, participant, reason=_("Invitation declined"))
    _audit(
        actor,
        consult,
        invitation=str(participant.external_id),
        answer="accepted" if accept else "declined",
    )
    return participant


def _accept_implicitly(actor, consult: Consult) -> None:
    """An invitee who records an opinion, signs or concludes takes part: her open invitation is accepted."""
    participant = consult.participants.filter(user=actor, status=InvitationStatus.INVITED).first()
    if participant is None:
        return
    now = timezone.now()
    if Participant.objects.filter(pk=participant.pk, status=InvitationStatus.INVITED).update(
        status=InvitationStatus.ACCEPTED, responded_at=now, updated_at=now
    ):
        alert_resolve(dedup_key=_invitation_key(participant))
        _audit(actor, consult, invitation=str(participant.external_id), answer="accepted", implicit=True)


# --- the meeting ----------------------------------------------------------------------------------


@transaction.atomic
def opinion_record(*, actor, consult: Consult, specialty: str, text: str, attendance: str = "") -> Opinion:
    """A participant's opinion (an invitee who has not answered accepts by giving it). The first opinion
    starts the meeting (scheduled → in progress)."""
    _check_opinion(actor, consult)
    errors = {}
    if specialty not in Specialty.values:
        errors["specialty"] = [_("Choose the specialty.")]
    if not (text or "").strip():
        errors["text"] = [_("Write the opinion.")]
    if errors:
        raise ValidationFailed(errors=errors)
    if consult.status == C.SCHEDULED:
        _move(consult, [C.SCHEDULED], C.IN_PROGRESS, started_at=timezone.now())
    _accept_implicitly(actor, consult)
    opinion = Opinion.objects.create(
        consult=consult, author=actor, specialty=specialty, text=text.strip()[:20000]
    )
    if attendance:
        consult.participants.filter(user=actor).update(attendance=attendance, updated_at=timezone.now())
    _audit(actor, consult, AuditAction.CREATE, opinion=str(opinion.external_id), specialty=specialty)
    return opinion


@transaction.atomic
def consult_sign(*, actor, consult: Consult, decision_kind: str, decision: str) -> Signature:
    """A physician taking part signs the decision text as it stands; a changed text needs new signatures."""
    _check_sign(actor, consult)
    if decision_kind not in DecisionKind.values or not (decision or "").strip():
        raise ValidationFailed(errors={"decision": [_("Give the decision and its kind.")]})
    _accept_implicitly(actor, consult)
    signature, _created = Signature.objects.get_or_create(
        consult=consult,
        signer=actor,
        decision_digest=digest(decision),
        defaults={"decision_kind": decision_kind, "is_senior": actor.is_senior},
    )
    _audit(actor, consult, AuditAction.CREATE, signature=decision_kind, senior=actor.is_senior)
    return signature


# Action items and follow-ups belong to this pregnancy and its puerperium: a date further ahead is a
# typing mistake (and year 9999 would overflow the participants' access expiry).
PLANNING_HORIZON = dt.timedelta(days=366)


def _latest_plannable_day() -> dt.date:
    return timezone.localdate() + PLANNING_HORIZON


def _clean_follow_up_on(follow_up_on, errors: dict) -> None:
    if follow_up_on is None:
        return
    if follow_up_on < timezone.localdate():
        errors["follow_up_on"] = [_("The follow-up date cannot be in the past.")]
    elif follow_up_on > _latest_plannable_day():
        errors["follow_up_on"] = [_("The date is more than a year ahead.")]


def _clean_actions(actions: list[dict], errors: dict) -> list[dict]:
    out = []
    for index, item in enumerate(actions or []):
        owner, due, text = item.get("owner"), item.get("due"), (item.get("text") or "").strip()
        if owner is None or not getattr(owner, "is_active", False):
            errors[f"actions.{index}.owner"] = [_("Choose an active owner.")]
        if due is None or due < timezone.localdate():
            errors[f"actions.{index}.due"] = [_("The due date cannot be in the past.")]
        elif due > _latest_plannable_day():
            errors[f"actions.{index}.due"] = [_("The date is more than a year ahead.")]
        if not text:
            errors[f"actions.{index}.text"] = [_("Describe the action.")]
        out.append({"owner": owner, "due": due, "text": text[:5000]})
    return out


@transaction.atomic
def consult_conclude(
    *,
    actor,
    consult: Consult,
    recommendations: str,
    decision_kind: str,
    decision: str,
    womans_choice: str = "",
    actions: list[dict] | None = None,
    follow_up_on=None,
) -> Consult:
    """The lead physician (a physician taking part) concludes: at least one opinion recorded (409
    otherwise), the senior signatures the decision kind needs (configurable; the lead's own counts), action
    items with owner and due date. The record is immutable afterwards; corrections are addenda."""
    _check_conclude(actor, consult)
    errors: dict[str, list[str]] = {}
    if not (recommendations or "").strip():
        errors["recommendations"] = [_("Record the agreed recommendations.")]
    if decision_kind not in DecisionKind.values or not (decision or "").strip():
        errors["decision"] = [_("Record the decision and its kind.")]
    items = _clean_actions(actions or [], errors)
    _clean_follow_up_on(follow_up_on, errors)
    if errors:
        raise ValidationFailed(errors=errors)
    lead, _created = Signature.objects.get_or_create(
        consult=consult,
        signer=actor,
        decision_digest=digest(decision),
        defaults={"decision_kind": decision_kind, "is_senior": actor.is_senior, "is_lead": True},
    )
    if not lead.is_lead:
        Signature.objects.filter(pk=lead.pk).update(is_lead=True)
    needed = settings.CONSULT_SENIOR_SIGNATURES.get(decision_kind, 0)
    seniors = consult.signatures.filter(decision_digest=digest(decision), is_senior=True).count()
    if seniors < needed:
        raise Conflict(
            _("This decision needs %(needed)d senior signatures on the same text; %(have)d so far.")
            % {"needed": needed, "have": seniors}
        )
    now = timezone.now()
    _move(
        consult,
        [C.SCHEDULED, C.IN_PROGRESS],
        C.CONCLUDED,
        recommendations=recommendations.strip()[:20000],
        decision_kind=decision_kind,
        decision=decision.strip()[:20000],
        womans_choice=(womans_choice or "").strip()[:5000],
        follow_up_on=follow_up_on,
        concluded_at=now,
        concluded_by=actor,
        started_at=consult.started_at or now,
    )
    _accept_implicitly(actor, consult)
    # the meeting is over: nothing to answer
    alerts_resolve(
        dedup_keys=[
            _invitation_key(participant)
            for participant in consult.participants.filter(status=InvitationStatus.INVITED)
        ]
    )
    created = ActionItem.objects.bulk_create([ActionItem(consult=consult, **item) for item in items])
    for action in created:
        alert_raise(
            kind=AlertKind.CONSULT_ACTION_DUE,
            dedup_key=f"consult_action_due:{action.external_id}",
            pregnancy=consult.pregnancy,
            target_user=action.owner,
            payload={"consult": str(consult.external_id), "due": action.due.isoformat()},
        )
    last_due = max([a.due for a in created], default=timezone.localdate())
    until = dt.datetime.combine(last_due, dt.time(23, 59), tzinfo=timezone.get_current_timezone())
    until = max(until, now) + dt.timedelta(days=settings.CONSULT_GRANT_DAYS_AFTER)
    consult.participants.filter(grant_revoked_at__isnull=True).update(grant_expires_at=until, updated_at=now)
    _audit(actor, consult, status="concluded", decision_kind=decision_kind, actions=len(created))
    return consult


@transaction.atomic
def consult_cancel(*, actor, consult: Consult, reason: str) -> Consult:
    """The requester or the coordinator cancels a requested, scheduled or ongoing consult, with a reason.
    Participants lose their record access and, after commit, get a calendar CANCEL by e-mail."""
    _check_cancel(actor, consult)
    if not (reason or "").strip():
        raise ValidationFailed(errors={"reason": [_("Give the reason for cancelling.")]})
    fields = {"calendar_sequence": F("calendar_sequence") + 1} if consult.scheduled_start else {}
    _move(
        consult,
        CANCELLABLE,
        C.CANCELLED,
        cancelled_at=timezone.now(),
        cancel_reason=reason.strip()[:5000],
        **fields,
    )
    cancels = []
    for participant in consult.participants.select_related("user"):
        if participant.status in TAKING_PART:
            cancels.append(participant.pk)
        _close_alerts(participant, consult.scheduled_start)
        _end_grant(actor, consult, participant, reason=_("MDT consultation cancelled"))
    coordinating = consult.coordinating_facility
    if coordinating.pk not in (
        consult.pregnancy.managing_facility_id,
        consult.pregnancy.follow_up_facility_id,
    ):
        pregnancy_access_revoke(
            actor=actor,
            pregnancy=consult.pregnancy,
            facility=coordinating,
            reason=_("MDT consultation cancelled"),
            source=_source(consult),
        )
    alerts_resolve(
        dedup_keys=[f"{key}:{consult.external_id}" for key in ("consult_requested", "consult_not_scheduled")]
    )
    if consult.scheduled_start is not None:
        calendar_emails_on_commit(consult=consult, requests=[], cancels=cancels)
    _audit(actor, consult, status="cancelled", reason=consult.cancel_reason)
    return consult


ADDENDUM_MAX_LENGTH = 20000


@transaction.atomic
def addendum_add(*, actor, consult: Consult, text: str) -> Addendum:
    _check_addendum(actor, consult)
    text = (text or "").strip()
    if not text:
        raise ValidationFailed(errors={"text": [_("Write the addendum.")]})
    if len(text) > ADDENDUM_MAX_LENGTH:  # refused, never cut: a truncated correction says something else
        raise ValidationFailed(
            errors={"text": [_("At most %(limit)d characters.") % {"limit": ADDENDUM_MAX_LENGTH}]}
        )
    addendum = Addendum.objects.create(consult=consult, author=actor, text=text)
    _audit(actor, consult, AuditAction.CREATE, addendum=str(addendum.external_id))
    return addendum


@transaction.atomic
def action_complete(*, actor, action: ActionItem, note: str = "") -> ActionItem:
    if action.owner_id != actor.pk:
        raise PermissionDenied(_("Only the owner completes an action item."))
    updated = ActionItem.objects.filter(pk=action.pk, status=ActionStatus.OPEN).update(
        status=ActionStatus.DONE,
        done_at=timezone.now(),
        done_note=(note or "").strip()[:5000],
        updated_at=timezone.now(),
    )
    if not updated:
        raise InvalidTransition(_("This action item is already closed."))
    action.refresh_from_db()
    alerts_resolve(
        dedup_keys=[f"{key}:{action.external_id}" for key in ("consult_action_due", "consult_action_overdue")]
    )
    _audit(actor, action.consult, action_item=str(action.external_id), status="done")
    return action


def consult_sweep(*, now: dt.datetime | None = None) -> dict:
    """Escalate emergency consults not scheduled in time and overdue action items; end participants'
    record access when it expires. Idempotent. Returns counts."""
    now = now or timezone.now()
    counts = {"not_scheduled": 0, "overdue_actions": 0, "grants_ended": 0}
    for urgency, minutes in settings.CONSULT_SCHEDULE_MINUTES.items():
        late = Consult.objects.filter(
            status=C.REQUESTED, urgency=urgency, requested_at__lte=now - dt.timedelta(minutes=minutes)
        )
        for consult in late.select_related("pregnancy", "coordinating_facility"):
            alert_raise(
                kind=AlertKind.CONSULT_NOT_SCHEDULED,
                dedup_key=f"consult_not_scheduled:{consult.external_id}",
                pregnancy=consult.pregnancy,
                facility=consult.coordinating_facility,
                target_role="mdt_coordinator",
                severity=Severity.CRITICAL if urgency == ConsultUrgency.EMERGENCY else Severity.URGENT,
                payload={"consult": str(consult.external_id), "minutes": minutes},
            )
            counts["not_scheduled"] += 1
    overdue = ActionItem.objects.filter(status=ActionStatus.OPEN, due__lt=timezone.localdate(now))
    for action in overdue.select_related("consult__pregnancy", "owner"):
        alert_raise(
            kind=AlertKind.CONSULT_ACTION_OVERDUE,
            dedup_key=f"consult_action_overdue:{action.external_id}",
            pregnancy=action.consult.pregnancy,
            target_user=action.owner,
            severity=Severity.URGENT,
            payload={"consult": str(action.consult.external_id), "due": action.due.isoformat()},
        )
        counts["overdue_actions"] += 1
    expired = Participant.objects.filter(grant_revoked_at__isnull=True, grant_expires_at__lte=now)
    for participant in expired.select_related("consult__pregnancy__patient", "user"):
        with transaction.atomic():
            _end_grant(None, participant.consult, participant, reason=_("MDT consultation access expired"))
        counts["grants_ended"] += 1
    return counts


def consult_has_open_actions(consult: Consult) -> bool:
    return consult.actions.filter(Q(status=ActionStatus.OPEN)).exists()
