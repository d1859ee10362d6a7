"""Grading writes: assessments (confirm, override, co-sign, supersede) and what a grade sets in motion —
case management, supervisor reports, the tier check, alerts — plus proposals at every contact and
early-warning observations. Every service owns its transaction and writes its audit rows."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.permissions import Action, has_action
from audit.choices import AuditAction
from audit.services import audit_record
from cases.choices import CareTaskKind, CareTaskStatus, PregnancyStatus
from cases.models import CareTask, Pregnancy
from cases.services import care_task_complete, care_task_open, pregnancy_set_risk
from cases.services.encounters import check_measurements
from core.errors import Conflict, InvalidTransition, PermissionDenied, ValidationFailed
from facilities.choices import Capability, CriticalCareLevel, Tier
from notifications.choices import AlertKind, Severity
from notifications.services import alert_raise, alert_resolve, alerts_resolve

from . import engine, meows
from .choices import AssessmentStatus, CaseManagementStatus, ReportStatus, Stage
from .models import CaseManagement, ObservationSet, RiskAssessment, RiskReport
from .plausibility import implausible_measurements
from .selectors import (
    catalogue_for_actor,
    catalogue_version_for,
    compiled_catalogue,
    current_assessment,
    measurements_from_record,
    policy_for,
)

RANK = engine.COLOR_RANK
HIGH_RISK = ("orange", "red")
SCREENING_GRADING_WINDOW_DAYS = 14


def _rank(color: str | None) -> int:
    return RANK.get(color or "", -1)


def _input_error(exc: engine.InputError) -> ValidationFailed:
    return ValidationFailed(errors=exc.errors)


def _refuse_implausible(measurements) -> None:
    errors = implausible_measurements(measurements)
    if errors:
        raise ValidationFailed(errors=errors)


# --- stateless grading -------------------------------------------------------------------------------


def risk_grade(*, actor, criteria: list, measurements: dict):
    """Grade from exactly what the caller sends; nothing is stored. Returns (version, result)."""
    version, compiled = catalogue_for_actor(actor)
    _refuse_implausible(measurements)
    try:
        result = engine.grade(compiled, criteria, measurements)
    except engine.InputError as exc:
        raise _input_error(exc) from exc
    return version, result


# --- the tier check ------------------------------------------------------------------------------------


def tier_satisfies(facility, color: str | None, purple: bool) -> bool:
    """Whether the managing facility is of the tier the grade needs (the issue's "needs referral"):
    red → tertiary city/province centre; orange → any critical care centre; yellow → secondary or
    tertiary; purple → isolation / PMTCT capability. Recorded tertiary decisions to continue care at a
    county centre come with the referral issue."""
    ok = True
    if color == "red":
        ok = facility.tier == Tier.TERTIARY and facility.critical_care_level in (
            CriticalCareLevel.CITY,
            CriticalCareLevel.PROVINCE,
        )
    elif color == "orange":
        ok = facility.critical_care_level is not None
    elif color == "yellow":
        ok = facility.tier in (Tier.SECONDARY, Tier.TERTIARY)
    if purple:
        ok = ok and Capability.ISOLATION_PMTCT in (facility.capabilities or [])
    return ok


# --- reporting deadlines --------------------------------------------------------------------------------


def report_due_at(*, color: str, purple: bool, confirmed_at: dt.datetime, region_code: str) -> dt.datetime:
    """Red and purple: within N hours of confirmation. Orange: by the end of the Nth calendar day after
    the day of confirmation (Asia/Shanghai). The earliest deadline wins when both apply."""
    policy = policy_for(region_code)
    deadlines = []
    if color == "red":
        deadlines.append(confirmed_at + dt.timedelta(hours=policy.report_red_hours))
    if purple:
        deadlines.append(confirmed_at + dt.timedelta(hours=policy.report_purple_hours))
    if color == "orange":
        last_day = timezone.localdate(confirmed_at) + dt.timedelta(days=policy.report_orange_days)
        end = dt.datetime.combine(last_day, dt.time(23, 59, 59), tzinfo=timezone.get_current_timezone())
        deadlines.append(end)
    return min(deadlines)


def _needs_report(pregnancy: Pregnancy, color: str, purple: bool) -> bool:
    """A first orange / red / purple grade, or a rise in colour, or purple newly present."""
    previous = RiskReport.objects.filter(pregnancy=pregnancy).exclude(status=ReportStatus.CANCELLED)
    highest = max((_rank(r.color) for r in previous), default=-1)
    purple_reported = any(r.purple for r in previous)
    rises = color in HIGH_RISK and _rank(color) > highest
    return rises or (purple and not purple_reported)


# --- confirming and its effects -------------------------------------------------------------------------


def _apply_confirmed(
    actor, assessment: RiskAssessment, pregnancy: Pregnancy, previous: RiskAssessment | None
):
    now = timezone.now()
    assessment.status = AssessmentStatus.CONFIRMED
    assessment.confirmed_at = now
    assessment.save(update_fields=["status", "confirmed_at", "cosigned_by", "cosigned_at", "updated_at"])
    if previous is not None and previous.pk != assessment.pk:
        previous.status = AssessmentStatus.SUPERSEDED
        previous.superseded_by = assessment
        previous.save(update_fields=["status", "superseded_by", "updated_at"])
    if assessment.stage == Stage.SCREENING:
        _apply_screening(actor, assessment, pregnancy)
        return
    # A five-colour grade answers a positive screening: the 14-day grading alert stops here, and the
    # grading task is done (by the grader, audited), in this transaction.
    alert_resolve(dedup_key=f"grading_due:{pregnancy.external_id}")
    grading_task = CareTask.objects.filter(
        pregnancy=pregnancy, kind=CareTaskKind.GRADING_DUE, status=CareTaskStatus.OPEN
    ).first()
    if grading_task is not None:
        care_task_complete(actor=actor, task=grading_task)
    color, purple = assessment.color, assessment.purple
    facility = pregnancy.managing_facility
    needs_referral = not tier_satisfies(facility, color, purple)
    proposed = pregnancy.risk_proposed_color if _rank(pregnancy.risk_proposed_color) > _rank(color) else ""
    high_risk = color in HIGH_RISK or purple
    case = CaseManagement.objects.filter(pregnancy=pregnancy, status=CaseManagementStatus.OPEN).first()
    if high_risk and case is None:
        case = CaseManagement.objects.create(
            pregnancy=pregnancy,
            manager=pregnancy.responsible_clinician,
            opened_at=now,
            reasons=[c for c in (color if color in HIGH_RISK else None, "purple" if purple else None) if c],
        )
        audit_record(
            actor=actor, action=AuditAction.CREATE, obj=case, patient_ids=[pregnancy.patient.external_id]
        )
        if case.manager is None:
            alert_raise(
                kind=AlertKind.ASSIGN_CASE_MANAGER,
                dedup_key=f"assign_case_manager:{case.external_id}",
                pregnancy=pregnancy,
                facility=facility,
                target_role="facility_admin",
                severity=Severity.WARNING,
            )
    pregnancy_set_risk(
        pregnancy=pregnancy,
        risk_color=color,
        purple=purple,
        risk_provisional=assessment.provisional,
        risk_assessed_at=now,
        risk_proposed_color=proposed,
        needs_referral=needs_referral,
        under_case_management=case is not None,
    )
    if not proposed:
        alerts_resolve(
            dedup_keys=[f"grade_proposed:{pregnancy.external_id}:{candidate}" for candidate in RANK]
        )
    if high_risk:
        alert_raise(
            kind=AlertKind.HIGH_RISK_GRADE,
            dedup_key=f"high_risk_grade:{assessment.external_id}",
            pregnancy=pregnancy,
            facility=facility,
            target_user=case.manager if case else None,
            target_role="" if case and case.manager else "obstetrician",
            severity=Severity.URGENT if color == "red" else Severity.WARNING,
            payload={"color": color, "purple": purple},
        )
    if _needs_report(pregnancy, color, purple):
        report = RiskReport.objects.create(
            pregnancy=pregnancy,
            assessment=assessment,
            color=color,
            purple=purple,
            region=facility.region,
            facility=facility,
            confirmed_at=now,
            due_at=report_due_at(
                color=color, purple=purple, confirmed_at=now, region_code=facility.region_code
            ),
        )
        alert_raise(
            kind=AlertKind.REPORT_DUE,
            dedup_key=f"report_due:{report.external_id}",
            pregnancy=pregnancy,
            facility=facility,
            target_role="obstetrician",
            due_at=report.due_at,
            severity=Severity.WARNING,
            payload={"report": str(report.external_id)},
        )
        audit_record(
            actor=actor, action=AuditAction.CREATE, obj=report, patient_ids=[pregnancy.patient.external_id]
        )
    if needs_referral and color in HIGH_RISK:
        alert_raise(
            kind=AlertKind.NEEDS_REFERRAL,
            dedup_key=f"needs_referral:{pregnancy.external_id}:{color}",
            pregnancy=pregnancy,
            facility=facility,
            target_role="obstetrician",
            due_at=now + dt.timedelta(hours=24),
            severity=Severity.URGENT,
        )


def _apply_screening(actor, assessment: RiskAssessment, pregnancy: Pregnancy) -> None:
    now = timezone.now()
    if assessment.screening_positive:
        due = now + dt.timedelta(days=SCREENING_GRADING_WINDOW_DAYS)
        care_task_open(
            pregnancy=pregnancy,
            kind=CareTaskKind.GRADING_DUE,
            facility=pregnancy.managing_facility,
            due_at=due,
            details={"screening": str(assessment.external_id)},
        )
        alert_raise(
            kind=AlertKind.GRADING_DUE,
            dedup_key=f"grading_due:{pregnancy.external_id}",
            due_at=due,
            pregnancy=pregnancy,
            facility=pregnancy.managing_facility,
            target_role="obstetrician",
        )
    elif pregnancy.risk_color is None:
        pregnancy_set_risk(
            pregnancy=pregnancy, risk_color="green", risk_assessed_at=now, risk_provisional=False
        )


def _check_unticked(previous: RiskAssessment | None, fired: set[str], reasons: dict, compiled) -> dict:
    """Previously fired criteria that no longer fire need a reason each (no silent downgrades)."""
    if previous is None or previous.stage != Stage.ASSESSMENT:
        return {}
    dropped = sorted(code for code in set(previous.triggered) - fired if code in compiled.by_code)
    missing = [code for code in dropped if not str(reasons.get(code, "")).strip()]
    if missing:
        raise ValidationFailed(
            _("Criteria that fired before are no longer ticked: give a reason for each."),
            errors={"unticked": [f"{code}" for code in missing]},
        )
    return {code: str(reasons[code]).strip()[:500] for code in dropped}


def _require_assessor(actor, stage: str) -> None:
    if stage == Stage.SCREENING:
        if not has_action(actor, Action.RECORD_CLINICAL):
            raise PermissionDenied(_("Your role does not allow screening."))
        return
    if not has_action(actor, Action.CONFIRM_GRADE):
        raise PermissionDenied(_("Only obstetricians confirm five-colour grades."))
    if actor.facility is None or actor.facility.tier == Tier.PRIMARY:
        raise PermissionDenied(
            _("Five-colour grades are confirmed at secondary and tertiary facilities; primary care screens.")
        )


@transaction.atomic
def risk_assessment_create(
    *,
    actor,
    pregnancy: Pregnancy,
    criteria: list,
    measurements: dict | None = None,
    override_color: str = "",
    reason: str = "",
    unticked_reasons: dict | None = None,
    reviewed_categories=(),
    stage: str = Stage.ASSESSMENT,
) -> RiskAssessment:
    """Grade a pregnancy from its record plus what the request adds, then confirm it — or, for a
    downgrade or an override below the triggered criteria, leave it awaiting a senior co-signature."""
    _require_assessor(actor, stage)
    pregnancy = (
        Pregnancy.objects.select_for_update(of=("self",))
        .select_related("patient", "managing_facility", "responsible_clinician")
        .get(pk=pregnancy.pk)
    )
    if pregnancy.status not in (PregnancyStatus.ACTIVE, PregnancyStatus.POSTPARTUM):
        raise InvalidTransition(_("Only an ongoing or postpartum pregnancy is graded."))
    if RiskAssessment.objects.filter(pregnancy=pregnancy, status=AssessmentStatus.PENDING_COSIGN).exists():
        raise Conflict(_("A grade for this woman is awaiting a senior co-signature; resolve it first."))
    _refuse_implausible(measurements)
    region_code = actor.facility.region_code
    version = catalogue_version_for(region_code=region_code)
    compiled = compiled_catalogue(version)
    values, sources = measurements_from_record(pregnancy)
    for name, value in (measurements or {}).items():
        values[name], sources[name] = value, "request"
    values = {k: v for k, v in values.items() if k in compiled.fields or k in (measurements or {})}
    postpartum = pregnancy.status == PregnancyStatus.POSTPARTUM
    try:
        result = engine.grade(compiled, criteria, values, postpartum=postpartum)
    except engine.InputError as exc:
        raise _input_error(exc) from exc
    fired = {c.code for c in result.triggered}
    previous = current_assessment(pregnancy, stage=stage)
    unticked = (
        _check_unticked(previous, fired, unticked_reasons or {}, compiled)
        if stage == Stage.ASSESSMENT
        else {}
    )
    computed = result.color
    errors: dict[str, list[str]] = {}
    if override_color and override_color not in RANK:
        errors["override_color"] = [_("Choose green, yellow, orange or red.")]
    final = override_color or computed
    if override_color and override_color != computed and not reason.strip():
        errors["reason"] = [_("An override needs a reason.")]
    all_categories = {
        c.criterion.category
        for c in compiled.criteria
        if c.criterion.stage == Stage.ASSESSMENT and c.criterion.category != "overall"
    }
    reviewed = set(reviewed_categories or ())
    if "all" in reviewed:
        reviewed = set(all_categories)
    complete = result.complete and all_categories <= reviewed
    provisional = pregnancy.is_emergency_registration and previous is None
    if stage == Stage.ASSESSMENT and final == "green" and not complete:
        errors["complete"] = [_("Green needs every criterion evaluated and every category reviewed.")]
    if errors:
        raise ValidationFailed(errors=errors)
    below_criteria = stage == Stage.ASSESSMENT and _rank(final) < _rank(computed)
    downgrade = stage == Stage.ASSESSMENT and (
        _rank(final) < _rank(pregnancy.risk_color) or (pregnancy.purple and not result.purple)
    )
    status = AssessmentStatus.PENDING_COSIGN if (below_criteria or downgrade) else AssessmentStatus.CONFIRMED
    assessment = RiskAssessment.objects.create(
        pregnancy=pregnancy,
        catalogue_version=version,
        stage=stage,
        status=status,
        proposed_color=computed,
        override_color=override_color if override_color != computed else "",
        color=final if stage == Stage.ASSESSMENT else ("green" if not result.screening_positive else ""),
        purple=result.purple,
        screening_positive=result.screening_positive,
        triggered=[
            c.code for c in (result.triggered if stage == Stage.ASSESSMENT else result.screening_triggered)
        ],
        proposed=[c.code for c in result.proposed],
        unknown=[c.code for c in result.unknown],
        ticked=sorted(set(criteria)),
        unticked=unticked,
        measurements=_jsonable(values),
        measurement_sources=sources,
        reviewed_categories=sorted(reviewed),
        complete=complete,
        provisional=provisional,
        reason=reason.strip()[:2000],
        facility=actor.facility,
        assessed_by=actor,
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=assessment,
        patient_ids=[pregnancy.patient.external_id],
        reason=assessment.reason,
        changes={
            "color": assessment.color,
            "purple": assessment.purple,
            "computed": computed,
            "status": status,
            "catalogue": version.key,
        },
    )
    if status == AssessmentStatus.PENDING_COSIGN:
        alert_raise(
            kind=AlertKind.COSIGN_NEEDED,
            dedup_key=f"cosign:{assessment.external_id}",
            pregnancy=pregnancy,
            facility=actor.facility,
            target_role="obstetrician",
            severity=Severity.WARNING,
            payload={"senior": True},
        )
    else:
        _apply_confirmed(actor, assessment, pregnancy, previous)
    return assessment


@transaction.atomic
def risk_assessment_cosign(
    *, actor, assessment: RiskAssessment, approve: bool, note: str = ""
) -> RiskAssessment:
    """A second, senior obstetrician (associate chief or above) confirms or refuses a pending grade."""
    if not has_action(actor, Action.CONFIRM_GRADE) or not actor.is_senior:
        raise PermissionDenied(_("A co-signature needs an associate chief physician or above."))
    if actor.pk == assessment.assessed_by_id:
        raise PermissionDenied(_("The co-signature must come from a second clinician."))
    if not approve and not (note or "").strip():
        raise ValidationFailed(errors={"note": [_("Say why the grade is refused.")]})
    updated = RiskAssessment.objects.filter(pk=assessment.pk, status=AssessmentStatus.PENDING_COSIGN).update(
        status=AssessmentStatus.CONFIRMED if approve else AssessmentStatus.REJECTED,
        cosigned_by=actor,
        cosigned_at=timezone.now(),
        updated_at=timezone.now(),
    )
    if not updated:
        raise InvalidTransition(_("This grade is not awaiting a co-signature."))
    assessment.refresh_from_db()
    pregnancy = (
        Pregnancy.objects.select_for_update(of=("self",))
        .select_related("patient", "managing_facility", "responsible_clinician")
        .get(pk=assessment.pregnancy_id)
    )
    audit_record(
        actor=actor,
        action=AuditAction.TRANSITION,
        obj=assessment,
        reason=(note or "").strip()[:2000],
        patient_ids=[pregnancy.patient.external_id],
        changes={"cosign": "approved" if approve else "refused"},
    )
    alert_resolve(dedup_key=f"cosign:{assessment.external_id}")
    if approve:
        previous = current_assessment(pregnancy, stage=assessment.stage)
        _apply_confirmed(actor, assessment, pregnancy, previous)
    return assessment


def _jsonable(values: dict) -> dict:
    from decimal import Decimal

    return {k: float(v) if isinstance(v, Decimal) else v for k, v in values.items()}


# --- proposals at every contact -------------------------------------------------------------------------


def risk_propose(*, pregnancy: Pregnancy) -> str | None:
    """Run the engine on the record (previous criteria kept ticked). A colour above the current one is
    shown as "↑ proposed" and becomes an alert if nobody confirms it within the policy's delay."""
    if pregnancy.status not in (PregnancyStatus.ACTIVE, PregnancyStatus.POSTPARTUM):
        return None
    version = catalogue_version_for(region_code=pregnancy.managing_facility.region_code)
    compiled = compiled_catalogue(version)
    values, _sources = measurements_from_record(pregnancy)
    previous = current_assessment(pregnancy)
    postpartum = pregnancy.status == PregnancyStatus.POSTPARTUM
    ticked = [
        code
        for code in (previous.triggered if previous and previous.stage == Stage.ASSESSMENT else [])
        if code in compiled.by_code and (postpartum or compiled.by_code[code].period != "postpartum")
    ]
    values = {k: v for k, v in values.items() if k in compiled.fields}
    result = engine.grade(compiled, ticked, values, postpartum=postpartum, validate=False)
    floor = _rank(pregnancy.risk_color) if pregnancy.risk_color else RANK["green"]
    proposed = result.color if _rank(result.color) > floor else ""
    if proposed != pregnancy.risk_proposed_color:
        pregnancy_set_risk(pregnancy=pregnancy, risk_proposed_color=proposed)
    if proposed:
        hours = policy_for(pregnancy.managing_facility.region_code).proposal_alert_hours
        alert_raise(
            kind=AlertKind.GRADE_PROPOSED,
            dedup_key=f"grade_proposed:{pregnancy.external_id}:{proposed}",
            pregnancy=pregnancy,
            facility=pregnancy.managing_facility,
            target_role="obstetrician",
            due_at=timezone.now() + dt.timedelta(hours=hours),
            severity=Severity.WARNING,
            payload={"color": proposed, "criteria": [c.code for c in result.triggered]},
        )
    return proposed or None


# --- case management and reports -----------------------------------------------------------------------


@transaction.atomic
def case_management_update(
    *, actor, case: CaseManagement, manager=None, plan: str | None = None
) -> CaseManagement:
    if not has_action(actor, Action.RECORD_CLINICAL):
        raise PermissionDenied(_("Your role does not allow this."))
    fields = []
    if manager is not None:
        if not manager.has_role("obstetrician", "midwife") or not manager.is_active:
            raise ValidationFailed(errors={"manager": [_("Choose an active obstetrician or midwife.")]})
        case.manager = manager
        fields.append("manager")
        alert_resolve(dedup_key=f"assign_case_manager:{case.external_id}")
    if plan is not None:
        case.plan = plan.strip()[:10000]
        fields.append("plan")
    if fields:
        case.save(update_fields=[*fields, "updated_at"])
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=case,
            changes={"fields": fields},
            patient_ids=[case.pregnancy.patient.external_id],
        )
    return case


@transaction.atomic
def case_management_close(*, actor, case: CaseManagement) -> CaseManagement:
    """Closed only after the 42-day check (or death, or transfer out of the region)."""
    if case.pregnancy.status not in (
        PregnancyStatus.CLOSED,
        PregnancyStatus.MATERNAL_DEATH,
        PregnancyStatus.TRANSFERRED_OUT,
    ):
        raise InvalidTransition(_("Case management closes after the 42-day postpartum check."))
    updated = CaseManagement.objects.filter(pk=case.pk, status=CaseManagementStatus.OPEN).update(
        status=CaseManagementStatus.CLOSED, closed_at=timezone.now(), updated_at=timezone.now()
    )
    if not updated:
        raise InvalidTransition(_("This case management is already closed."))
    case.refresh_from_db()
    pregnancy_set_risk(pregnancy=case.pregnancy, under_case_management=False)
    audit_record(
        actor=actor,
        action=AuditAction.TRANSITION,
        obj=case,
        changes={"status": "closed"},
        patient_ids=[case.pregnancy.patient.external_id],
    )
    return case


@transaction.atomic
def risk_report_submit(*, actor, report: RiskReport, summary: str, management_plan: str = "") -> RiskReport:
    """The reporting facility completes and submits the report; timeliness = submitted − confirmed."""
    if not has_action(actor, Action.RECORD_CLINICAL) or actor.facility_id != report.facility_id:
        raise PermissionDenied(_("Only staff of the reporting facility submit this report."))
    if not (summary or "").strip():
        raise ValidationFailed(errors={"summary": [_("Write the report summary.")]})
    updated = RiskReport.objects.filter(pk=report.pk, status=ReportStatus.DUE).update(
        status=ReportStatus.SUBMITTED,
        submitted_at=timezone.now(),
        submitted_by=actor,
        summary=summary.strip()[:10000],
        management_plan=(management_plan or "").strip()[:10000],
        updated_at=timezone.now(),
    )
    if not updated:
        raise InvalidTransition(_("This report has already been submitted."))
    report.refresh_from_db()
    alert_resolve(dedup_key=f"report_due:{report.external_id}")
    audit_record(
        actor=actor,
        action=AuditAction.TRANSITION,
        obj=report,
        patient_ids=[report.pregnancy.patient.external_id],
        changes={"status": "submitted", "on_time": report.on_time},
    )
    return report


# --- early-warning observations -------------------------------------------------------------------------

OBSERVATION_FIELDS = ("temperature_c", "sbp_mmhg", "dbp_mmhg", "pulse_bpm", "respiratory_rate", "spo2_pct")


@transaction.atomic
def observation_record(*, actor, pregnancy: Pregnancy, values: dict, taken_at=None) -> ObservationSet:
    """Record one set of vital signs, score it (MEOWS) and raise an urgent alert on a trigger."""
    if not has_action(actor, Action.RECORD_CLINICAL):
        raise PermissionDenied(_("Your role does not allow this."))
    from cases.services._common import Errors

    errors = Errors()
    taken_at = taken_at or timezone.now()
    if taken_at > timezone.now() + dt.timedelta(minutes=10):
        errors.add("taken_at", _("This time is in the future."))
    vitals = {k: values.get(k) for k in OBSERVATION_FIELDS if values.get(k) not in (None, "")}
    clean, _unusual = check_measurements(vitals, confirmed=True, errors=errors)
    pain = values.get("pain_score")
    if pain not in (None, "") and (
        not isinstance(pain, int) or isinstance(pain, bool) or not 0 <= pain <= 10
    ):
        errors.add("pain_score", _("Pain score is 0 to 10."))
    consciousness = values.get("consciousness") or ""
    if consciousness and consciousness not in ("alert", "voice", "pain", "unresponsive"):
        errors.add("consciousness", _("Choose alert, voice, pain or unresponsive."))
    if not clean and pain in (None, "") and not consciousness:
        errors.add("non_field_errors", _("Record at least one observation."))
    errors.raise_if_any()
    scored = meows.score(
        {**clean, "pain_score": pain, "consciousness": consciousness}, settings.MEOWS_THRESHOLDS
    )
    observation = ObservationSet.objects.create(
        pregnancy=pregnancy,
        taken_at=taken_at,
        pain_score=pain if pain not in (None, "") else None,
        consciousness=consciousness,
        scores=scored.levels,
        yellow_count=scored.yellow_count,
        red_count=scored.red_count,
        triggered=scored.triggered,
        level=scored.level,
        recorded_by=actor,
        **clean,
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=observation,
        patient_ids=[pregnancy.patient.external_id],
        changes={"level": scored.level, "triggered": scored.triggered},
    )
    if scored.triggered:
        minutes = settings.MEOWS_RESPONSE_MINUTES["red" if scored.red_count else "yellow"]
        alert_raise(
            kind=AlertKind.MEOWS_TRIGGER,
            dedup_key=f"meows:{observation.external_id}",
            pregnancy=pregnancy,
            facility=pregnancy.managing_facility,
            target_role="responsible_team",
            due_at=taken_at + dt.timedelta(minutes=minutes),
            severity=Severity.CRITICAL if scored.red_count else Severity.URGENT,
            payload={"fired": scored.fired, "levels": scored.levels},
        )
    return observation
