"""Visits, deliveries, near misses and maternal deaths."""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.permissions import Action
from audit.choices import AuditAction
from audit.services import audit_record
from core.errors import Conflict, InvalidTransition
from core.rows import Joined, insert, update_fields

from ..choices import (
    Consciousness,
    DeliveryComplication,
    DeliveryMode,
    NearMissCriterion,
    NewbornOutcome,
    PregnancyOutcome,
    PregnancyStatus,
    Presentation,
    Proteinuria,
    Sex,
    VisitKind,
)
from ..dating import gestational_age
from ..models import Delivery, MaternalDeath, NearMissEvent, Newborn, Pregnancy, Visit
from ..signals import pregnancy_schedule_changed, visit_recorded
from ._common import NEXT_VISIT_HORIZON, Errors, clean_text, require_action
from .pregnancies import _set_status, check_transition

S = PregnancyStatus

# field: (hard minimum, hard maximum, usual minimum, usual maximum, label)
# Outside the hard range the value is impossible and refused; outside the usual range it is possible
# but unusual and must be confirmed (a typo of 1800 for 180 should not slip through).
MEASUREMENT_RANGES: dict[str, tuple[Decimal, Decimal, Decimal, Decimal, object]] = {
    "sbp_mmhg": (Decimal(40), Decimal(300), Decimal(80), Decimal(180), gettext_lazy("systolic BP")),
    "dbp_mmhg": (Decimal(20), Decimal(200), Decimal(40), Decimal(120), gettext_lazy("diastolic BP")),
    "pulse_bpm": (Decimal(20), Decimal(250), Decimal(45), Decimal(140), gettext_lazy("pulse")),
    "temperature_c": (
        Decimal(30),
        Decimal(45),
        Decimal("35.0"),
        Decimal("39.5"),
        gettext_lazy("temperature"),
    ),
    "respiratory_rate": (Decimal(3), Decimal(80), Decimal(8), Decimal(35), gettext_lazy("respiratory rate")),
    "spo2_pct": (Decimal(30), Decimal(100), Decimal(88), Decimal(100), gettext_lazy("SpO2")),
    "weight_kg": (Decimal(25), Decimal(250), Decimal(38), Decimal(130), gettext_lazy("weight")),
    "height_cm": (Decimal(100), Decimal(220), Decimal(135), Decimal(190), gettext_lazy("height")),
    "hb_g_l": (Decimal(15), Decimal(250), Decimal(60), Decimal(170), gettext_lazy("haemoglobin")),
    "platelets_10e9_l": (Decimal(1), Decimal(2000), Decimal(50), Decimal(500), gettext_lazy("platelets")),
    "glucose_mmol_l": (Decimal("0.5"), Decimal(60), Decimal("2.8"), Decimal(20), gettext_lazy("glucose")),
    "fundal_height_cm": (Decimal(5), Decimal(60), Decimal(10), Decimal(45), gettext_lazy("fundal height")),
    "fetal_heart_rate": (
        Decimal(40),
        Decimal(250),
        Decimal(100),
        Decimal(180),
        gettext_lazy("fetal heart rate"),
    ),
}
INTEGER_FIELDS = {
    "sbp_mmhg",
    "dbp_mmhg",
    "pulse_bpm",
    "respiratory_rate",
    "spo2_pct",
    "hb_g_l",
    "platelets_10e9_l",
    "fundal_height_cm",
    "fetal_heart_rate",
}
CHOICE_FIELDS = {"proteinuria": Proteinuria, "consciousness": Consciousness, "presentation": Presentation}
FUTURE_TOLERANCE = dt.timedelta(minutes=10)
ANTENATAL_KINDS = {VisitKind.ANTENATAL, VisitKind.EMERGENCY, VisitKind.ADMISSION}
POSTPARTUM_KINDS = {VisitKind.POSTPARTUM, VisitKind.CHECK_42D}


def check_measurements(values: dict, *, confirmed: set[str] | bool, errors: Errors) -> tuple[dict, list[str]]:
    """Parse and range-check measurements. Returns (clean values, unusual fields that were confirmed).

    Impossible values are errors; unusual ones are errors unless confirmed (``confirmed`` is a set of
    field names, or True for all). Diastolic must be below systolic.
    """
    clean: dict = {}
    unusual_confirmed: list[str] = []
    for field, raw in values.items():
        if raw in (None, ""):
            continue
        if field in CHOICE_FIELDS:
            if raw not in CHOICE_FIELDS[field].values:
                errors.add(field, _("Choose one of the listed values."))
            else:
                clean[field] = raw
            continue
        hard_min, hard_max, usual_min, usual_max, label = MEASUREMENT_RANGES[field]
        try:
            number = Decimal(str(raw))
        except (InvalidOperation, ValueError):
            errors.add(field, _("Enter a number."))
            continue
        if not number.is_finite() or (field in INTEGER_FIELDS and number != number.to_integral_value()):
            errors.add(field, _("Enter a whole number.") if field in INTEGER_FIELDS else _("Enter a number."))
            continue
        if not hard_min <= number <= hard_max:
            errors.add(
                field,
                _("%(value)s is impossible for %(label)s (%(min)s–%(max)s).")
                % {"value": raw, "label": label, "min": hard_min, "max": hard_max},
            )
            continue
        if not usual_min <= number <= usual_max:
            if confirmed is True or field in (confirmed or set()):
                unusual_confirmed.append(field)
            else:
                errors.add(
                    field,
                    _("%(value)s is unusual for %(label)s: check it and confirm.")
                    % {"value": raw, "label": label},
                )
                errors.add("confirm_unusual", field)
                continue
        clean[field] = int(number) if field in INTEGER_FIELDS else number.quantize(Decimal("0.1"))
    if "sbp_mmhg" in clean and "dbp_mmhg" in clean and clean["dbp_mmhg"] >= clean["sbp_mmhg"]:
        errors.add("dbp_mmhg", _("Diastolic must be lower than systolic."))
    return clean, unusual_confirmed


def _check_moment(errors: Errors, field: str, moment, *, not_before=None) -> None:
    if moment is None:
        return
    if moment > timezone.now() + FUTURE_TOLERANCE:
        errors.add(field, _("This time is in the future."))
    elif not_before is not None and moment < not_before:
        errors.add(field, _("This is before the pregnancy was registered."))


# The pregnancy with her woman (both locked) and managing facility (not locked), in one fixed statement
# (``core.rows.Joined``): compiled by the ORM on every visit before (issue #9).
_LOCKED = Joined(Pregnancy, "patient", "managing_facility")


def visit_record(
    *,
    actor,
    pregnancy: Pregnancy,
    kind: str = VisitKind.ANTENATAL,
    visited_at=None,
    facility=None,
    measurements: dict | None = None,
    confirm_unusual: set[str] | bool = False,
    notes: str = "",
    next_visit_date=None,
    locked: bool = False,
) -> Visit:
    """Record one contact. The caller has checked ``change`` access to the pregnancy.

    Antenatal, emergency and admission visits need an ongoing pregnancy; postpartum visits and the
    42-day check need a postpartum one, and the 42-day check closes the pregnancy.

    ``locked``: the caller read ``pregnancy`` (with her woman and managing facility) ``FOR UPDATE`` in
    the transaction this runs in (``access_pregnancy_by_id(lock=True)`` inside ``transaction.atomic``),
    so it is not read again, and runs in that transaction without a savepoint of its own: the caller
    lets an error roll the whole transaction back.
    """
    if locked and not transaction.get_connection().in_atomic_block:
        raise transaction.TransactionManagementError("locked=True needs the caller's transaction.")
    with transaction.atomic(savepoint=not locked):
        require_action(actor, Action.RECORD_CLINICAL)
        if not locked:
            # The managing facility comes along for grading (its region picks the catalogue) without being
            # locked: ``of`` keeps the lock on the pregnancy and the woman, as before.
            found = _LOCKED.fetch("t0.id = %s", [pregnancy.pk], lock=("t0", "t1"))
            if found is None:
                raise Pregnancy.DoesNotExist
            pregnancy = found[0]
        errors = Errors()
        visited_at = visited_at or timezone.now()
        if kind not in VisitKind.values:
            errors.add("kind", _("Choose the kind of visit."))
        not_before = pregnancy.created_at - dt.timedelta(days=300)
        _check_moment(errors, "visited_at", visited_at, not_before=not_before)
        clean, unusual = check_measurements(measurements or {}, confirmed=confirm_unusual, errors=errors)
        try:
            notes = clean_text(notes, max_length=5000)
        except ValueError:
            errors.add("notes", _("Keep notes under 5000 characters."))
        visit_day = timezone.localdate(visited_at)
        if next_visit_date is not None and next_visit_date < visit_day:
            errors.add("next_visit_date", _("The next visit must be after this one."))
        elif next_visit_date is not None and next_visit_date > visit_day + NEXT_VISIT_HORIZON:
            errors.add("next_visit_date", _("Plan the next visit within a year."))
        errors.raise_if_any()
        if kind in ANTENATAL_KINDS and kind != VisitKind.EMERGENCY and pregnancy.status != S.ACTIVE:
            raise InvalidTransition(_("Antenatal visits need an ongoing pregnancy."))
        if kind == VisitKind.EMERGENCY and not pregnancy.is_open:
            raise InvalidTransition(_("This pregnancy is no longer open."))
        if kind in POSTPARTUM_KINDS and pregnancy.status != S.POSTPARTUM:
            raise InvalidTransition(_("Postpartum visits are recorded after the pregnancy has ended."))
        if kind == VisitKind.DELIVERY:
            raise InvalidTransition(_("Record the delivery itself with the delivery form."))
        ga_days = None
        if pregnancy.status == S.ACTIVE and pregnancy.edd is not None:
            ga = gestational_age(pregnancy.edd, timezone.localdate(visited_at))
            ga_days = ga.total_days if ga.total_days >= 0 else None
        visit = Visit(
            pregnancy=pregnancy,
            kind=kind,
            visited_at=visited_at,
            facility=facility or actor.facility,
            clinician=actor,
            ga_days=ga_days,
            notes=notes,
            next_visit_date=next_visit_date,
            unusual_confirmed=unusual,
            **clean,
        )
        insert(visit)  # Visit.objects.create without the ORM's insert compiler (core.rows.insert)
        pregnancy.next_visit_date = next_visit_date
        update_fields(pregnancy, ["next_visit_date", "updated_at"])  # save(update_fields=…), core.rows
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            obj=visit,
            patient_ids=[pregnancy.patient.external_id],
            changes={"kind": kind, "unusual_confirmed": unusual},
        )
        visit_recorded.send(sender=Visit, visit=visit, pregnancy=pregnancy, actor=actor)
        if kind == VisitKind.CHECK_42D:
            pregnancy.closed_on = timezone.localdate(visited_at)
            _set_status(
                actor, pregnancy, S.CLOSED, reason=_("42-day check recorded"), extra_fields=["closed_on"]
            )
        return visit


def _clean_newborns(newborns: list[dict], errors: Errors) -> list[dict]:
    if not newborns:
        errors.add("newborns", _("Record at least one baby."))
        return []
    if len(newborns) > 8:
        errors.add("newborns", _("At most 8 babies."))
        return []
    out = []
    for index, baby in enumerate(newborns, start=1):
        prefix = f"newborns.{index - 1}"
        outcome = baby.get("outcome")
        if outcome not in NewbornOutcome.values:
            errors.add(f"{prefix}.outcome", _("Choose live birth, stillbirth or neonatal death."))
        sex = baby.get("sex") or ""
        if sex and sex not in Sex.values:
            errors.add(f"{prefix}.sex", _("Choose female, male or undetermined."))
        weight = baby.get("weight_g")
        if weight is not None and not (200 <= int(weight) <= 7000):
            errors.add(f"{prefix}.weight_g", _("Birth weight must be between 200 and 7000 g."))
        for key in ("apgar_1", "apgar_5"):
            score = baby.get(key)
            if score is not None and not 0 <= int(score) <= 10:
                errors.add(f"{prefix}.{key}", _("Apgar scores are 0 to 10."))
        out.append(
            {
                "order": index,
                "outcome": outcome,
                "sex": sex,
                "weight_g": weight,
                "apgar_1": baby.get("apgar_1"),
                "apgar_5": baby.get("apgar_5"),
                "died_at": baby.get("died_at"),
            }
        )
    return out


@transaction.atomic
def delivery_record(
    *,
    actor,
    pregnancy: Pregnancy,
    delivered_at,
    mode: str,
    facility=None,
    blood_loss_ml=None,
    complications=(),
    newborns: list[dict],
    near_miss_criteria=(),
    discharged_at=None,
    notes: str = "",
) -> Delivery:
    """Record the birth: the pregnancy becomes postpartum with outcome ``delivery``."""
    require_action(actor, Action.RECORD_CLINICAL)
    pregnancy = Pregnancy.objects.select_for_update().select_related("patient").get(pk=pregnancy.pk)
    if pregnancy.status != S.ACTIVE:
        raise InvalidTransition(_("A delivery can only be recorded for an ongoing pregnancy."))
    if Delivery.objects.filter(pregnancy=pregnancy).exists():
        raise Conflict(_("A delivery is already recorded for this pregnancy."))
    errors = Errors()
    _check_moment(errors, "delivered_at", delivered_at)
    if mode not in DeliveryMode.values:
        errors.add("mode", _("Choose the mode of delivery."))
    if blood_loss_ml is not None and not 0 <= blood_loss_ml <= 20000:
        errors.add("blood_loss_ml", _("Blood loss must be between 0 and 20000 mL."))
    bad = [c for c in complications if c not in DeliveryComplication.values]
    if bad:
        errors.add("complications", _("Unknown complication codes: %(codes)s") % {"codes": ", ".join(bad)})
    bad = [c for c in near_miss_criteria if c not in NearMissCriterion.values]
    if bad:
        errors.add("near_miss_criteria", _("Unknown near-miss codes: %(codes)s") % {"codes": ", ".join(bad)})
    if discharged_at is not None and delivered_at is not None and discharged_at < delivered_at:
        errors.add("discharged_at", _("Discharge cannot be before the birth."))
    babies = _clean_newborns(list(newborns or []), errors)
    errors.raise_if_any()
    ga_days = None
    if pregnancy.edd is not None:
        ga_days = max(gestational_age(pregnancy.edd, timezone.localdate(delivered_at)).total_days, 0)
    delivery = Delivery.objects.create(
        pregnancy=pregnancy,
        delivered_at=delivered_at,
        facility=facility,
        ga_days=ga_days,
        mode=mode,
        blood_loss_ml=blood_loss_ml,
        complications=sorted(set(complications)),
        attended_by=actor,
        discharged_at=discharged_at,
        notes=notes[:5000],
    )
    Newborn.objects.bulk_create([Newborn(delivery=delivery, **baby) for baby in babies])
    if near_miss_criteria:
        NearMissEvent.objects.create(
            pregnancy=pregnancy,
            occurred_at=delivered_at,
            criteria=sorted(set(near_miss_criteria)),
            facility=facility or actor.facility,
            recorded_by=actor,
        )
    pregnancy.outcome, pregnancy.ended_on = PregnancyOutcome.DELIVERY, timezone.localdate(delivered_at)
    pregnancy.next_visit_date = None
    _set_status(
        actor,
        pregnancy,
        S.POSTPARTUM,
        extra_fields=["outcome", "ended_on", "next_visit_date"],
        changes={"outcome": "delivery"},
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=delivery,
        patient_ids=[pregnancy.patient.external_id],
        changes={"newborns": len(babies), "near_miss": bool(near_miss_criteria)},
    )
    return delivery


@transaction.atomic
def delivery_discharge(*, actor, delivery: Delivery, discharged_at) -> Delivery:
    """Postpartum windows count from discharge."""
    require_action(actor, Action.RECORD_CLINICAL)
    errors = Errors()
    _check_moment(errors, "discharged_at", discharged_at)
    if discharged_at < delivery.delivered_at:
        errors.add("discharged_at", _("Discharge cannot be before the birth."))
    errors.raise_if_any()
    delivery.discharged_at = discharged_at
    delivery.save(update_fields=["discharged_at", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=delivery,
        patient_ids=[delivery.pregnancy.patient.external_id],
        changes={"fields": ["discharged_at"]},
    )
    pregnancy_schedule_changed.send(sender=Pregnancy, pregnancy=delivery.pregnancy, cause="discharge")
    return delivery


@transaction.atomic
def near_miss_record(*, actor, pregnancy: Pregnancy, occurred_at, criteria, notes: str = "") -> NearMissEvent:
    """A near miss can be recorded at any time during pregnancy or up to a year after its end."""
    require_action(actor, Action.RECORD_CLINICAL)
    errors = Errors()
    criteria = sorted(set(criteria or []))
    if not criteria:
        errors.add("criteria", _("Tick at least one near-miss criterion."))
    bad = [c for c in criteria if c not in NearMissCriterion.values]
    if bad:
        errors.add("criteria", _("Unknown near-miss codes: %(codes)s") % {"codes": ", ".join(bad)})
    _check_moment(errors, "occurred_at", occurred_at)
    ended = pregnancy.ended_on
    if ended is not None and timezone.localdate(occurred_at) > ended + dt.timedelta(days=365):
        errors.add("occurred_at", _("More than a year after the end of the pregnancy."))
    errors.raise_if_any()
    event = NearMissEvent.objects.create(
        pregnancy=pregnancy,
        occurred_at=occurred_at,
        criteria=criteria,
        facility=actor.facility,
        notes=notes[:5000],
        recorded_by=actor,
    )
    audit_record(
        actor=actor, action=AuditAction.CREATE, obj=event, patient_ids=[pregnancy.patient.external_id]
    )
    return event


@transaction.atomic
def maternal_death_record(
    *, actor, pregnancy: Pregnancy, died_at, cause: str, icd10: str = "", facility=None
) -> MaternalDeath:
    """Record a death at any time up to one year after the end of the pregnancy (late after day 42)."""
    require_action(actor, Action.RECORD_CLINICAL)
    pregnancy = Pregnancy.objects.select_for_update().select_related("patient").get(pk=pregnancy.pk)
    errors = Errors()
    _check_moment(errors, "died_at", died_at)
    if not (cause or "").strip():
        errors.add("cause", _("Record the cause of death."))
    ended = pregnancy.ended_on or pregnancy.closed_on
    died_on = timezone.localdate(died_at) if died_at else None
    if ended is not None and died_on is not None and died_on > ended + dt.timedelta(days=365):
        errors.add("died_at", _("More than a year after the end of the pregnancy: not a maternal death."))
    errors.raise_if_any()
    if MaternalDeath.objects.filter(pregnancy=pregnancy).exists():
        raise Conflict(_("A death is already recorded for this pregnancy."))
    check_transition(pregnancy, S.MATERNAL_DEATH)
    is_late = ended is not None and died_on is not None and died_on > ended + dt.timedelta(days=42)
    death = MaternalDeath.objects.create(
        pregnancy=pregnancy,
        died_at=died_at,
        facility=facility,
        cause=cause.strip()[:5000],
        icd10=(icd10 or "").strip().upper()[:10],
        is_late=is_late,
        recorded_by=actor,
    )
    _set_status(actor, pregnancy, S.MATERNAL_DEATH, changes={"late": is_late})
    audit_record(
        actor=actor, action=AuditAction.CREATE, obj=death, patient_ids=[pregnancy.patient.external_id]
    )
    _report_death(pregnancy, death)
    return death


def _report_death(pregnancy: Pregnancy, death: MaternalDeath) -> None:
    """Rule: a maternal death is reported at once to the regional supervisors above the managing
    facility (county, city, province), to be received within ``MATERNAL_DEATH_REPORT_HOURS``; while
    nobody acknowledges it, it climbs the escalation chain. Written in the death's transaction."""
    from django.conf import settings

    from notifications.choices import AlertKind, Severity
    from notifications.services import alert_raise

    report_by = death.died_at + dt.timedelta(hours=settings.MATERNAL_DEATH_REPORT_HOURS)
    alert_raise(
        kind=AlertKind.MATERNAL_DEATH_REPORT,
        dedup_key=f"maternal_death:{pregnancy.external_id}",
        pregnancy=pregnancy,
        facility=pregnancy.managing_facility,
        target_role="regional_supervisor",
        severity=Severity.URGENT,
        payload={"death": str(death.external_id), "report_by": report_by.isoformat(), "late": death.is_late},
    )
