"""Pregnancies: registration, dating, lifecycle, infection status, care tasks."""

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.permissions import Action
from audit.choices import AuditAction
from audit.services import audit_record
from core.errors import Conflict, InvalidTransition, ValidationFailed
from core.rows import update_fields

from ..choices import (
    CareTaskKind,
    CareTaskStatus,
    DatingMethod,
    InfectionStatus,
    PregnancyOutcome,
    PregnancyStatus,
)
from ..dating import edd_from_art, edd_from_lmp, edd_from_ultrasound, should_redate_to_ultrasound
from ..models import CareTask, Patient, Pregnancy, PregnancyDating
from ..signals import pregnancy_schedule_changed
from ._common import NEXT_VISIT_HORIZON, Errors, require_action, require_facility

S = PregnancyStatus

# The lifecycle: (from, to) pairs a person may request. Deliveries, the 42-day check and deaths move
# the status through their own services, which use the same table.
TRANSITIONS: set[tuple[str, str]] = {
    (S.ACTIVE, S.POSTPARTUM),
    (S.ACTIVE, S.TRANSFERRED_OUT),
    (S.ACTIVE, S.LOST_TO_FOLLOW_UP),
    (S.ACTIVE, S.MATERNAL_DEATH),
    (S.POSTPARTUM, S.CLOSED),
    (S.POSTPARTUM, S.TRANSFERRED_OUT),
    (S.POSTPARTUM, S.LOST_TO_FOLLOW_UP),
    (S.POSTPARTUM, S.MATERNAL_DEATH),
    (S.LOST_TO_FOLLOW_UP, S.ACTIVE),
    (S.LOST_TO_FOLLOW_UP, S.POSTPARTUM),
    (S.LOST_TO_FOLLOW_UP, S.MATERNAL_DEATH),
    (S.TRANSFERRED_OUT, S.MATERNAL_DEATH),
    (S.CLOSED, S.MATERNAL_DEATH),
}
# Requested through pregnancy_transition; the others have dedicated services that record more.
MANUAL_TARGETS = {S.TRANSFERRED_OUT, S.LOST_TO_FOLLOW_UP, S.ACTIVE, S.POSTPARTUM}
MAX_GA_DAYS_AT_BOOKING = 44 * 7


def check_transition(pregnancy: Pregnancy, to_status: str) -> None:
    if (pregnancy.status, to_status) not in TRANSITIONS:
        raise InvalidTransition(
            _("A pregnancy cannot go from “%(from)s” to “%(to)s”.")
            % {"from": PregnancyStatus(pregnancy.status).label, "to": PregnancyStatus(to_status).label}
        )


def care_task_open(*, pregnancy: Pregnancy, kind: str, facility, due_at=None, details=None) -> CareTask:
    """Open a task unless one of the same kind is already open (idempotent)."""
    existing = CareTask.objects.filter(pregnancy=pregnancy, kind=kind, status=CareTaskStatus.OPEN).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return CareTask.objects.create(
                pregnancy=pregnancy, kind=kind, facility=facility, due_at=due_at, details=details or {}
            )
    except IntegrityError:
        return CareTask.objects.get(pregnancy=pregnancy, kind=kind, status=CareTaskStatus.OPEN)


@transaction.atomic
def care_task_complete(*, actor, task: CareTask, status: str = CareTaskStatus.DONE) -> CareTask:
    updated = CareTask.objects.filter(pk=task.pk, status=CareTaskStatus.OPEN).update(
        status=status, done_at=timezone.now(), done_by=actor, updated_at=timezone.now()
    )
    task.refresh_from_db()
    if updated:
        audit_record(
            actor=actor,
            action=AuditAction.TRANSITION,
            obj=task,
            patient_ids=[task.pregnancy.patient.external_id],
            changes={"status": status},
        )
    return task


def _pmtct_check(pregnancy: Pregnancy) -> None:
    """Any unknown HIV / syphilis / hepatitis B status opens a "tests pending" task (PMTCT: test at
    the first visit); all known closes it."""
    unknown = [
        name
        for name, value in (
            ("hiv", pregnancy.hiv_status),
            ("syphilis", pregnancy.syphilis_status),
            ("hbv", pregnancy.hbv_status),
        )
        if value == InfectionStatus.UNKNOWN
    ]
    if unknown and pregnancy.is_open:
        care_task_open(
            pregnancy=pregnancy,
            kind=CareTaskKind.PMTCT_TESTS_PENDING,
            facility=pregnancy.managing_facility,
            due_at=timezone.now() + dt.timedelta(hours=24),
            details={"unknown": unknown},
        )
    elif not unknown:
        CareTask.objects.filter(
            pregnancy=pregnancy, kind=CareTaskKind.PMTCT_TESTS_PENDING, status=CareTaskStatus.OPEN
        ).update(status=CareTaskStatus.DONE, done_at=timezone.now())


def _check_obstetric_history(errors: Errors, gravida, para, fetuses) -> None:
    if gravida is not None and not 1 <= gravida <= 30:
        errors.add("gravida", _("Gravida counts this pregnancy: between 1 and 30."))
    if para is not None and not 0 <= para <= 20:
        errors.add("para", _("Para is between 0 and 20."))
    if gravida is not None and para is not None and para >= gravida:
        errors.add(
            "para", _("Para (previous births) must be less than gravida (pregnancies including this one).")
        )
    if fetuses is not None and not 1 <= fetuses <= 8:
        errors.add("fetuses", _("Number of fetuses is between 1 and 8."))


def _initial_dating(errors: Errors, *, lmp, edd, cycle_length, today: dt.date) -> tuple[dt.date | None, str]:
    if cycle_length is not None and not 20 <= cycle_length <= 60:
        errors.add("cycle_length", _("Cycle length is between 20 and 60 days."))
        return None, ""
    if lmp is not None:
        if lmp > today:
            errors.add("lmp", _("The last menstrual period cannot be in the future."))
            return None, ""
        if (today - lmp).days > MAX_GA_DAYS_AT_BOOKING:
            errors.add("lmp", _("This LMP would mean more than 44 weeks of pregnancy."))
            return None, ""
        computed = edd_from_lmp(lmp, cycle_length or 28)
        if edd is not None and edd != computed:
            errors.add(
                "edd",
                _("The EDD does not match the LMP (%(edd)s); record an ultrasound to redate.")
                % {"edd": computed.isoformat()},
            )
        return computed, DatingMethod.LMP
    if edd is not None:
        if not today - dt.timedelta(days=60) <= edd <= today + dt.timedelta(days=280):
            errors.add("edd", _("The EDD must lie within the next 40 weeks (or at most 60 days past)."))
            return None, ""
        return edd, DatingMethod.ESTIMATE
    return None, ""


def pregnancy_register(
    *,
    actor,
    patient: Patient,
    lmp=None,
    edd=None,
    cycle_length: int | None = 28,
    gravida=None,
    para=None,
    fetuses: int | None = 1,
    booked_on=None,
    follow_up_facility=None,
    responsible_clinician=None,
    hiv_status: str = InfectionStatus.UNKNOWN,
    syphilis_status: str = InfectionStatus.UNKNOWN,
    hbv_status: str = InfectionStatus.UNKNOWN,
    is_emergency_registration: bool = False,
    arrived_at=None,
    chief_complaint: str = "",
    dating_method: str | None = None,
) -> Pregnancy:
    """Open a pregnancy managed and booked at the actor's facility. One open pregnancy per woman."""
    require_action(actor, Action.REGISTER_PATIENT)
    facility = require_facility(actor)
    today = timezone.localdate()
    errors = Errors()
    _check_obstetric_history(errors, gravida, para, fetuses)
    chosen_edd, method = _initial_dating(errors, lmp=lmp, edd=edd, cycle_length=cycle_length, today=today)
    if booked_on is not None and booked_on > today:
        errors.add("booked_on", _("The booking date cannot be in the future."))
    elif booked_on is not None and lmp is not None and booked_on < lmp:
        errors.add("booked_on", _("The booking date cannot be before the last menstrual period."))
    if patient.status != "active":
        errors.add("patient", _("This record was merged into another one."))
    errors.raise_if_any()
    if Pregnancy.objects.filter(patient=patient, status__in=["active", "postpartum"]).exists():
        raise Conflict(
            _("She already has an open pregnancy."), errors={"patient": [_("An open pregnancy exists.")]}
        )
    pregnancy = Pregnancy(
        patient=patient,
        booking_facility=facility,
        managing_facility=facility,
        follow_up_facility=follow_up_facility,
        responsible_clinician=responsible_clinician or (actor if actor.has_role("obstetrician") else None),
        booked_on=booked_on or today,
        lmp=lmp,
        cycle_length=cycle_length or 28,
        edd=chosen_edd,
        dating_method=dating_method or method,
        gravida=gravida,
        para=para,
        fetuses=fetuses or 1,
        hiv_status=hiv_status,
        syphilis_status=syphilis_status,
        hbv_status=hbv_status,
        is_emergency_registration=is_emergency_registration,
        arrived_at=arrived_at,
        chief_complaint=chief_complaint[:300],
    )
    try:
        with transaction.atomic():
            pregnancy.save(force_insert=True)
            if chosen_edd is not None:
                PregnancyDating.objects.create(
                    pregnancy=pregnancy,
                    method=pregnancy.dating_method,
                    lmp=lmp,
                    computed_edd=chosen_edd,
                    adopted=True,
                    recorded_by=actor,
                    reason=_("At booking"),
                )
            _pmtct_check(pregnancy)
            audit_record(
                actor=actor, action=AuditAction.CREATE, obj=pregnancy, patient_ids=[patient.external_id]
            )
            pregnancy_schedule_changed.send(sender=Pregnancy, pregnancy=pregnancy, cause="registered")
    except IntegrityError as exc:
        raise Conflict(_("She already has an open pregnancy.")) from exc
    return pregnancy


@transaction.atomic
def pregnancy_redate(
    *,
    actor,
    pregnancy: Pregnancy,
    method: str,
    scan_date=None,
    ga_days_at_scan=None,
    crl_mm=None,
    lmp=None,
    cycle_length=None,
    transfer_date=None,
    embryo_age_days=None,
    reason: str = "",
    adopt: bool | None = None,
) -> PregnancyDating:
    """Record a dating and decide whether it becomes the EDD.

    An ultrasound replaces an LMP dating when they differ by more than the ACOG threshold for the GA at
    the scan; otherwise it is recorded but the EDD stays (``adopt=True`` with a reason overrides).
    Any change of an EDD already set needs a reason.
    """
    pregnancy = Pregnancy.objects.select_for_update().get(pk=pregnancy.pk)
    if pregnancy.status != S.ACTIVE:
        raise InvalidTransition(_("Only an ongoing pregnancy can be redated."))
    today = timezone.localdate()
    errors = Errors()
    computed = None
    if method == DatingMethod.ULTRASOUND:
        if scan_date is None or ga_days_at_scan is None:
            errors.add("scan_date", _("Give the scan date and the gestational age it showed."))
        elif scan_date > today:
            errors.add("scan_date", _("The scan date cannot be in the future."))
        elif not 5 * 7 <= ga_days_at_scan <= 42 * 7:
            errors.add(
                "ga_days_at_scan", _("The gestational age at the scan must be between 5 and 42 weeks.")
            )
        else:
            computed = edd_from_ultrasound(scan_date, ga_days_at_scan)
    elif method == DatingMethod.LMP:
        if lmp is None or lmp > today:
            errors.add("lmp", _("Give a last menstrual period that is not in the future."))
        else:
            computed = edd_from_lmp(lmp, cycle_length or pregnancy.cycle_length)
    elif method == DatingMethod.ART:
        if transfer_date is None or embryo_age_days not in (3, 5):
            errors.add("transfer_date", _("Give the transfer date and the embryo age (day 3 or day 5)."))
        else:
            computed = edd_from_art(transfer_date, embryo_age_days)
    else:
        errors.add("method", _("Choose a dating method."))
    if computed is not None and 280 - (computed - today).days > MAX_GA_DAYS_AT_BOOKING:
        field = {DatingMethod.ULTRASOUND: "scan_date", DatingMethod.ART: "transfer_date"}.get(method, "lmp")
        errors.add(field, _("This dating would mean more than 44 weeks of pregnancy today."))
    errors.raise_if_any()
    assert computed is not None  # noqa: S101 - guaranteed by the checks above
    if adopt is None:
        if pregnancy.edd is None:
            adopt = True
        elif method == DatingMethod.ULTRASOUND and pregnancy.dating_method in (
            DatingMethod.LMP,
            DatingMethod.ESTIMATE,
        ):
            adopt = should_redate_to_ultrasound(pregnancy.edd, computed, ga_days_at_scan)
        else:
            adopt = False
    if adopt and pregnancy.edd is not None and computed != pregnancy.edd and not reason.strip():
        raise ValidationFailed(errors={"reason": [_("Changing the EDD needs a reason.")]})
    dating = PregnancyDating.objects.create(
        pregnancy=pregnancy,
        method=method,
        lmp=lmp,
        scan_date=scan_date,
        ga_days_at_scan=ga_days_at_scan,
        crl_mm=crl_mm,
        transfer_date=transfer_date,
        embryo_age_days=embryo_age_days,
        computed_edd=computed,
        adopted=adopt,
        reason=reason.strip()[:300],
        recorded_by=actor,
    )
    old_edd = pregnancy.edd
    if adopt and computed != old_edd:
        PregnancyDating.objects.filter(pregnancy=pregnancy, adopted=True).exclude(pk=dating.pk).update(
            adopted=False
        )
        pregnancy.edd, pregnancy.dating_method = computed, method
        if method == DatingMethod.LMP:
            pregnancy.lmp = lmp
        pregnancy.save(update_fields=["edd", "dating_method", "lmp", "updated_at"])
        pregnancy_schedule_changed.send(sender=Pregnancy, pregnancy=pregnancy, cause="dating")
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=pregnancy,
        patient_ids=[pregnancy.patient.external_id],
        reason=dating.reason,
        changes={
            "dating": method,
            "computed_edd": computed.isoformat(),
            "adopted": adopt,
            "edd": [
                old_edd.isoformat() if old_edd else None,
                pregnancy.edd.isoformat() if pregnancy.edd else None,
            ],
        },
    )
    return dating


def _set_status(
    actor, pregnancy: Pregnancy, to_status: str, *, reason: str = "", extra_fields=(), changes=None
) -> None:
    check_transition(pregnancy, to_status)
    old = pregnancy.status
    pregnancy.status = to_status
    pregnancy.save(update_fields=["status", *extra_fields, "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.TRANSITION,
        obj=pregnancy,
        patient_ids=[pregnancy.patient.external_id],
        reason=reason,
        changes={"status": [old, to_status], **(changes or {})},
    )
    pregnancy_schedule_changed.send(sender=Pregnancy, pregnancy=pregnancy, cause="status")


@transaction.atomic
def pregnancy_transition(*, actor, pregnancy: Pregnancy, to_status: str, reason: str = "") -> Pregnancy:
    """Status changes a person decides: transferred out, lost to follow-up (the system only proposes
    it), or back to active / postpartum when a lost woman is found. A reason is required."""
    pregnancy = Pregnancy.objects.select_for_update().select_related("patient").get(pk=pregnancy.pk)
    if to_status not in MANUAL_TARGETS:
        raise InvalidTransition(_("Record a delivery, a 42-day check or a death to reach this status."))
    if not (reason or "").strip():
        raise ValidationFailed(errors={"reason": [_("Give a reason for the status change.")]})
    if to_status in (S.ACTIVE, S.POSTPARTUM) and pregnancy.status != S.LOST_TO_FOLLOW_UP:
        raise InvalidTransition(_("Record a delivery or the end of the pregnancy to reach this status."))
    if pregnancy.status == S.LOST_TO_FOLLOW_UP and to_status in (S.ACTIVE, S.POSTPARTUM):
        expected = S.POSTPARTUM if pregnancy.outcome else S.ACTIVE
        if to_status != expected:
            raise InvalidTransition(_("She returns to “%(status)s”.") % {"status": expected.label})
    _set_status(actor, pregnancy, to_status, reason=reason.strip()[:1000])
    return pregnancy


@transaction.atomic
def pregnancy_end(*, actor, pregnancy: Pregnancy, outcome: str, ended_on, reason: str = "") -> Pregnancy:
    """A pregnancy that ends without a birth (miscarriage, termination, ectopic) becomes postpartum."""
    pregnancy = Pregnancy.objects.select_for_update().select_related("patient").get(pk=pregnancy.pk)
    if outcome not in (PregnancyOutcome.MISCARRIAGE, PregnancyOutcome.TERMINATION, PregnancyOutcome.ECTOPIC):
        raise ValidationFailed(errors={"outcome": [_("Record a birth as a delivery.")]})
    if ended_on is None or ended_on > timezone.localdate():
        raise ValidationFailed(errors={"ended_on": [_("Give the date, not in the future.")]})
    if pregnancy.lmp is not None and ended_on < pregnancy.lmp:
        raise ValidationFailed(
            errors={"ended_on": [_("The pregnancy cannot end before the last menstrual period.")]}
        )
    pregnancy.outcome, pregnancy.ended_on = outcome, ended_on
    _set_status(
        actor,
        pregnancy,
        S.POSTPARTUM,
        reason=reason,
        extra_fields=["outcome", "ended_on"],
        changes={"outcome": outcome},
    )
    return pregnancy


@transaction.atomic
def pregnancy_update(*, actor, pregnancy: Pregnancy, **fields) -> Pregnancy:
    """Change the care arrangements: responsible clinician, follow-up facility, next visit date,
    gravida / para / fetuses."""
    allowed = {"responsible_clinician", "follow_up_facility", "next_visit_date", "gravida", "para", "fetuses"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationFailed(
            errors={name: [_("This field cannot be changed here.")] for name in sorted(unknown)}
        )
    errors = Errors()
    _check_obstetric_history(
        errors,
        fields.get("gravida", pregnancy.gravida),
        fields.get("para", pregnancy.para),
        fields.get("fetuses", pregnancy.fetuses),
    )
    next_visit = fields.get("next_visit_date")
    if next_visit is not None and next_visit < timezone.localdate():
        errors.add("next_visit_date", _("The next visit cannot be in the past."))
    elif next_visit is not None and next_visit > timezone.localdate() + NEXT_VISIT_HORIZON:
        errors.add("next_visit_date", _("Plan the next visit within a year."))
    clinician = fields.get("responsible_clinician")
    if clinician is not None and not clinician.has_role("obstetrician", "midwife"):
        errors.add("responsible_clinician", _("Choose an obstetrician or midwife."))
    errors.raise_if_any()
    changed = [name for name, value in fields.items() if getattr(pregnancy, name) != value]
    for name in changed:
        setattr(pregnancy, name, fields[name])
    if changed:
        pregnancy.save(update_fields=[*changed, "updated_at"])
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=pregnancy,
            patient_ids=[pregnancy.patient.external_id],
            changes={"fields": sorted(changed)},
        )
    if {"next_visit_date", "follow_up_facility"} & set(changed):
        pregnancy_schedule_changed.send(sender=Pregnancy, pregnancy=pregnancy, cause="care")
    return pregnancy


@transaction.atomic
def pregnancy_set_infection_status(*, actor, pregnancy: Pregnancy, **statuses) -> Pregnancy:
    """Record HIV / syphilis / hepatitis B results (``hiv_status=``, ``syphilis_status=``, ``hbv_status=``).
    Sensitive: the audit row says which were recorded, not the results."""
    allowed = {"hiv_status", "syphilis_status", "hbv_status"}
    bad = {k for k, v in statuses.items() if k not in allowed or v not in InfectionStatus.values}
    if bad:
        raise ValidationFailed(errors={k: [_("Choose positive, negative or unknown.")] for k in sorted(bad)})
    changed = [k for k, v in statuses.items() if getattr(pregnancy, k) != v]
    for name in changed:
        setattr(pregnancy, name, statuses[name])
    if changed:
        pregnancy.save(update_fields=[*changed, "updated_at"])
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=pregnancy,
            patient_ids=[pregnancy.patient.external_id],
            changes={"fields": sorted(changed)},
        )
    _pmtct_check(pregnancy)
    return pregnancy


RISK_FIELDS = {
    "risk_color",
    "purple",
    "risk_provisional",
    "risk_assessed_at",
    "risk_proposed_color",
    "needs_referral",
    "under_case_management",
}


def pregnancy_set_risk(*, pregnancy: Pregnancy, **fields) -> Pregnancy:
    """Keep the grade summary on the pregnancy current (called by the risk services, inside their
    transaction and after their own audit rows; this writes no audit row of its own)."""
    unknown = set(fields) - RISK_FIELDS
    if unknown:
        raise ValueError(f"not risk fields: {sorted(unknown)}")
    changed = [name for name, value in fields.items() if getattr(pregnancy, name) != value]
    for name in changed:
        setattr(pregnancy, name, fields[name])
    if changed:
        pregnancy.save(update_fields=[*changed, "updated_at"])
    if {"risk_color", "purple", "needs_referral"} & set(changed):
        pregnancy_schedule_changed.send(sender=Pregnancy, pregnancy=pregnancy, cause="risk")
    return pregnancy


@transaction.atomic(savepoint=False)  # no savepoint in the referral's transaction, as grants
def pregnancy_transfer(
    *, actor, pregnancy: Pregnancy, managing_facility=None, follow_up_facility=None, reason: str = ""
) -> Pregnancy:
    """Move the responsibility for a pregnancy (a completed referral): the managing facility and/or the
    follow-up facility change; audited. Called by the referral services."""
    changed = []
    if managing_facility is not None and managing_facility.pk != pregnancy.managing_facility_id:
        pregnancy.managing_facility = managing_facility
        changed.append("managing_facility")
    if follow_up_facility is not None and follow_up_facility.pk != pregnancy.follow_up_facility_id:
        pregnancy.follow_up_facility = follow_up_facility
        changed.append("follow_up_facility")
    if changed:
        update_fields(pregnancy, [*changed, "updated_at"])
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=pregnancy,
            reason=reason,
            patient_ids=[pregnancy.patient.external_id],
            changes={name: str(getattr(pregnancy, name).external_id) for name in changed},
        )
        pregnancy_schedule_changed.send(sender=Pregnancy, pregnancy=pregnancy, cause="transfer")
    return pregnancy
