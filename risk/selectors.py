"""Reads for grading: the applicable catalogue (compiled and cached), the policy, measurements from the
record, case-management and report lists scoped to the actor."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import cache
from threading import Lock

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.choices import Role
from cases.access import pregnancy_scope
from cases.choices import PregnancyStatus
from cases.dating import gestational_age
from cases.models import Pregnancy, Visit
from core.prepared import prepared_cursor
from core.rows import Joined
from facilities.models import Facility, Region

from . import engine, reference
from .catalogue import criterion_from_item, field_specs
from .choices import AssessmentStatus
from .models import (
    CaseManagement,
    CatalogueCriterion,
    CatalogueVersion,
    RiskAssessment,
    RiskPolicy,
    RiskReport,
)

_compiled: dict[tuple[int, str], engine.Catalogue] = {}
_lock = Lock()


def _region_prefixes(region_code: str) -> list[str]:
    """``450102`` → [``450102``, ``450100``, ``450000``]: county, city, province codes."""
    return [region_code, region_code[:4] + "00", region_code[:2] + "0000"]


def catalogue_version_for(*, region_code: str | None, on: dt.date | None = None) -> CatalogueVersion:
    """The active version for a place and date: the most specific region (county, city, province,
    national) whose latest version is already in effect. Kept per process while the reference data are
    unchanged (``risk.reference``)."""
    on = on or timezone.localdate()
    return reference.kept(
        ("catalogue_version", region_code, on), lambda: _read_catalogue_version(region_code, on)
    )


def _read_catalogue_version(region_code: str | None, on: dt.date) -> CatalogueVersion:
    versions = CatalogueVersion.objects.filter(is_active=True, effective_from__lte=on).select_related(
        "region"
    )
    codes = _region_prefixes(region_code) if region_code else []
    candidates = list(versions.filter(Q(region__isnull=True) | Q(region__code__in=codes)))
    if not candidates:
        raise CatalogueVersion.DoesNotExist("no active catalogue version")

    def specificity(version: CatalogueVersion) -> tuple[int, dt.date]:
        rank = len(codes) - codes.index(version.region.code) if version.region else 0
        return rank, version.effective_from

    return max(candidates, key=specificity)


def compiled_catalogue(version: CatalogueVersion) -> engine.Catalogue:
    """The engine catalogue for a version, compiled once per process and version state."""
    cache_key = (version.pk, version.updated_at.isoformat())
    found = _compiled.get(cache_key)
    if found is not None:
        return found
    rows = CatalogueCriterion.objects.filter(version=version).order_by("position")
    criteria = []
    for row in rows:
        item = {
            "code": row.code,
            "stage": row.stage,
            "color": row.color or None,
            "category": row.category,
            "name_en": row.name_en,
            "name_zh": row.name_zh,
            "rule": row.rule,
            "confirm": row.confirm or None,
            "period": row.period or None,
        }
        criterion = criterion_from_item(item, enabled=row.enabled)
        criteria.append(criterion.__class__(**{**criterion.__dict__, "sensitive": row.sensitive}))
    compiled = engine.compile_catalogue(version.key, criteria, field_specs({"fields": version.fields_spec}))
    with _lock:
        _compiled[cache_key] = compiled
    return compiled


def catalogue_for_actor(actor) -> tuple[CatalogueVersion, engine.Catalogue]:
    region_code = (
        actor.facility.region_code if actor.facility_id else (actor.region.code if actor.region_id else None)
    )
    version = catalogue_version_for(region_code=region_code)
    return version, compiled_catalogue(version)


def policy_for(region_code: str | None) -> RiskPolicy:
    """The regional policy of the most specific region containing ``region_code``, else the default.
    Kept per process while the reference data are unchanged (``risk.reference``)."""
    return reference.kept(("policy", region_code), lambda: _read_policy(region_code))


def _read_policy(region_code: str | None) -> RiskPolicy:
    codes = _region_prefixes(region_code) if region_code else []
    policies = {
        p.region.code if p.region else None: p
        for p in RiskPolicy.objects.filter(Q(region__isnull=True) | Q(region__code__in=codes)).select_related(
            "region"
        )
    }
    for code in codes:
        if code in policies:
            return policies[code]
    return policies.get(None) or RiskPolicy(
        region=None, visit_interval_days={"yellow": 28, "orange": 14, "red": 7}
    )


def county_of(facility: Facility) -> Region:
    """The county-level region containing a facility (city and provincial hospitals report to their own
    region's supervisors when they sit directly in a city or province region)."""
    return facility.region


def _number(value) -> float | int | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return float(value)
    return value


def measurements_from_record(pregnancy: Pregnancy, *, on: dt.date | None = None) -> tuple[dict, dict]:
    """Age, BMI, height, GA or postpartum days, fetal count and the latest vitals and labs.

    Returns ``(values, sources)``; ``sources`` names where each value came from (``patient``,
    ``pregnancy``, ``visit:<id>``). Only what the record holds: nothing is guessed.
    """
    on = on or timezone.localdate()
    values: dict = {}
    sources: dict = {}
    patient = pregnancy.patient
    if patient.birth_date:
        age = (
            on.year
            - patient.birth_date.year
            - ((on.month, on.day) < (patient.birth_date.month, patient.birth_date.day))
        )
        values["age_years"], sources["age_years"] = age, "patient"
    values["fetal_count"], sources["fetal_count"] = pregnancy.fetuses, "pregnancy"
    if pregnancy.status == PregnancyStatus.ACTIVE and pregnancy.edd:
        ga = gestational_age(pregnancy.edd, on)
        if ga.total_days >= 0:
            values["ga_weeks"], sources["ga_weeks"] = round(ga.total_days / 7, 1), "pregnancy"
    elif pregnancy.ended_on:
        values["postpartum_days"], sources["postpartum_days"] = (on - pregnancy.ended_on).days, "pregnancy"
    latest: dict[str, tuple] = {}
    recent, booking_weight = _visit_measurements(pregnancy.pk)
    for visit in recent:
        for source_field, target in _MEASURED.items():
            if target not in latest and visit[source_field] is not None:
                latest[target] = (_number(visit[source_field]), f"visit:{visit['external_id']}")
    for target, (value, source) in latest.items():
        if target == "weight_kg":
            continue
        values[target], sources[target] = value, source
    # BMI from the earliest visit that has both weight and height (booking BMI).
    height = latest.get("height_cm", (None,))[0]
    if booking_weight and height:
        bmi = float(booking_weight["weight_kg"]) / (float(height) / 100) ** 2
        values["bmi_kg_m2"], sources["bmi_kg_m2"] = round(bmi, 1), f"visit:{booking_weight['external_id']}"
    return values, sources


# Visit field → measurement name of the catalogue's rules.
_MEASURED = {
    "sbp_mmhg": "sbp_mmhg",
    "dbp_mmhg": "dbp_mmhg",
    "hb_g_l": "hb_g_l",
    "platelets_10e9_l": "plt_10e9_l",
    "spo2_pct": "spo2_pct",
    "height_cm": "height_cm",
    "weight_kg": "weight_kg",
}
_RECENT_VISITS = 20


@cache
def _visit_measurements_sql() -> str:
    """The last ``_RECENT_VISITS`` visits' measurements, newest first, then (flagged) the earliest visit
    with a weight: one fixed statement, prepared per connection, instead of two ORM queries compiled on
    every visit and grade (issue #9). Columns come from the model's metadata."""
    quote = connection.ops.quote_name
    table = quote(Visit._meta.db_table)
    column = {name: quote(Visit._meta.get_field(name).column) for name in ("external_id", *_MEASURED)}
    pregnancy, visited_at = (quote(Visit._meta.get_field(n).column) for n in ("pregnancy", "visited_at"))
    recent_columns = ", ".join(column[name] for name in ("external_id", *_MEASURED))
    booking_columns = ", ".join(column[name] if name == "weight_kg" else "NULL" for name in _MEASURED)
    return (
        f"(SELECT false, {visited_at}, {recent_columns} FROM {table} WHERE {pregnancy} = %s "  # noqa: S608
        f"ORDER BY {visited_at} DESC LIMIT {_RECENT_VISITS}) "
        f"UNION ALL (SELECT true, {visited_at}, {column['external_id']}, {booking_columns} FROM {table} "
        f"WHERE {pregnancy} = %s AND {column['weight_kg']} IS NOT NULL ORDER BY {visited_at} ASC LIMIT 1)"
    )


def _visit_measurements(pregnancy_id: int) -> tuple[list[dict], dict | None]:
    """(the recent visits' measurements newest first, the earliest visit with a weight or None) as dicts
    of field name → value, as ``values()`` gives them."""
    names = ["external_id", *_MEASURED]
    with prepared_cursor() as cursor:
        cursor.execute(_visit_measurements_sql(), [pregnancy_id, pregnancy_id])
        rows = cursor.fetchall()
    # newest first, whatever order the two parts of the statement come back in
    recent = sorted((row for row in rows if not row[0]), key=lambda row: row[1], reverse=True)
    booking = next((row for row in rows if row[0]), None)
    return (
        [dict(zip(names, row[2:], strict=True)) for row in recent],
        dict(zip(names, booking[2:], strict=True)) if booking else None,
    )


_ASSESSMENT = Joined(RiskAssessment)


def current_assessment(pregnancy: Pregnancy, *, stage: str = "assessment") -> RiskAssessment | None:
    """The confirmed assessment in force for ``stage``: a screening never replaces a five-colour grade.
    One fixed statement (``core.rows.Joined``): read on every visit and grade (issue #9)."""
    found = _ASSESSMENT.fetch(
        "t0.pregnancy_id = %s AND t0.status = %s AND t0.stage = %s",
        [pregnancy.pk, AssessmentStatus.CONFIRMED.value, stage],
        order_by="t0.confirmed_at DESC, t0.id DESC",
    )
    return found[0] if found else None


def case_management_list(*, actor) -> QuerySet[CaseManagement]:
    """Open case managements of pregnancies the actor may see: hers first."""
    return (
        CaseManagement.objects.filter(pregnancy_scope(actor, "view", on="pregnancy_"), status="open")
        .select_related("pregnancy__patient", "pregnancy__managing_facility", "manager")
        .order_by("-opened_at")
    )


def report_list(*, actor) -> QuerySet[RiskReport]:
    """Supervisors: the reports of their region. Facility staff: their facility's reports."""
    qs = RiskReport.objects.select_related("pregnancy__patient", "facility", "region", "submitted_by")
    if actor.has_role(Role.REGIONAL_SUPERVISOR) and actor.region_id:
        return qs.filter(region__code__startswith=actor.region.code_prefix)
    if actor.facility_id and actor.has_role(Role.OBSTETRICIAN, Role.MIDWIFE, Role.FACILITY_ADMIN):
        return qs.filter(facility_id=actor.facility_id)
    return qs.none()


def sensitive_codes() -> set[str]:
    """Codes of sensitive criteria in any catalogue version (infection details, psychiatric, drugs)."""
    return set(CatalogueCriterion.objects.filter(sensitive=True).values_list("code", flat=True).distinct())


def redact_summary(summary: dict, user, context: dict | None = None) -> dict:
    """A case summary (referral, consult) with sensitive criterion codes shown as restricted to users
    without view_sensitive; the purple flag stays. ``context`` (a serializer's, shared by the rows of a
    list) keeps the sensitive codes read for the first row: one query a list, not one a row."""
    from core.sensitive import RESTRICTED, can_view_sensitive

    if not summary or can_view_sensitive(user):
        return summary
    if context is None:
        hidden = sensitive_codes()
    else:
        if "sensitive_codes" not in context:
            context["sensitive_codes"] = sensitive_codes()
        hidden = context["sensitive_codes"]
    return {**summary, "criteria": [RESTRICTED if c in hidden else c for c in summary.get("criteria") or []]}
