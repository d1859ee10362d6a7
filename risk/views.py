"""Five-colour grading pages: the HTML face of ``risk.services`` and ``risk.api``.

Views are thin: ``access`` fetches the pregnancy (404 without view, 403 without change), a form checks
input types, one service call does the work and its ``ApplicationError`` is shown on the page. The live
preview runs the pure engine on the record merged with the form and stores nothing.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.db.models import Case, F, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.permissions import Action, has_action
from audit.choices import AuditAction
from audit.services import audit_record
from cases.access import access_pregnancy_by_id, can_change_pregnancy, pregnancies_visible_to, pregnancy_scope
from cases.choices import Consciousness, PregnancyStatus
from cases.models import Pregnancy, Visit
from cases.selectors import gestational_age, postpartum_days
from core.errors import ApplicationError, NotFound
from core.errors import PermissionDenied as ServicePermissionDenied
from core.ids import parse_uuid
from core.sensitive import can_view_sensitive
from facilities.choices import Tier

from . import engine, services
from .choices import AssessmentStatus, ReportStatus, Stage
from .forms import (
    COMMON_FIELDS,
    FIELD_LABELS,
    CaseManagementForm,
    CosignForm,
    GradingForm,
    ObservationForm,
    ReportSubmitForm,
    category_label,
    changed_measurements,
    field_label,
    field_unit,
    manager_candidates,
)
from .models import CatalogueCriterion, ObservationSet, RiskAssessment
from .selectors import (
    case_management_list,
    catalogue_for_actor,
    current_assessment,
    measurements_from_record,
    report_list,
)

RANK = engine.COLOR_RANK
PAGE_SIZE = 50
FIELD_ORDER = {name: i for i, name in enumerate(dict.fromkeys([*COMMON_FIELDS, *FIELD_LABELS]))}

# --- helpers --------------------------------------------------------------------------------------


def _pregnancy(request: HttpRequest, pregnancy_id, *, change: bool = False, audit: bool = True) -> Pregnancy:
    try:
        return access_pregnancy_by_id(
            request.user, pregnancy_id, perm="change" if change else "view", audit=audit and not change
        )
    except NotFound as exc:
        raise Http404 from exc
    except ServicePermissionDenied as exc:
        raise DjangoPermissionDenied from exc


def _forbidden(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    """The service's refusal, in words, with status 403."""
    return render(request, "risk/forbidden.html", {"message": str(exc.message)}, status=403)


def _zh() -> bool:
    return (get_language() or "").lower().startswith("zh")


def _rank(color: str | None) -> int:
    return RANK.get(color or "", -1)


@dataclass
class Item:
    """A criterion as a page shows it: names in both languages, or "restricted"."""

    code: str
    color: str
    name: str
    other_name: str = ""
    restricted: bool = False
    why: str = ""
    extra: dict = field(default_factory=dict)


def criterion_item(criterion, user, *, can_see: bool | None = None) -> Item:
    """``criterion`` is a ``CatalogueCriterion`` row or an engine ``Criterion``."""
    can_see = can_view_sensitive(user) if can_see is None else can_see
    color = criterion.color or ""
    if criterion.sensitive and not can_see:
        return Item(code="", color=color, name=_("Restricted"), restricted=True)
    zh, en = criterion.name_zh, criterion.name_en
    return Item(code=criterion.code, color=color, name=zh if _zh() else en, other_name=en if _zh() else zh)


# --- rules in words -------------------------------------------------------------------------------

_OPS = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
    "in": lambda a, b: a in b,
}
_SYMBOLS = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "==": "=", "!=": "≠", "in": "∈"}


def _number(value) -> str:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list | tuple):
        return ", ".join(_number(v) for v in value)
    return str(value)


def _comparison(rule: dict, actual=None) -> str:
    name, op, value = rule["field"], rule["op"], rule["value"]
    label, unit = field_label(name), field_unit(name)
    if isinstance(value, bool) and op in ("==", "!="):
        return f"{label}: {_number(value if op == '==' else not value)}"
    if op == "==" and actual is not None:  # "NYHA class = 2", not "NYHA class 2 = 2"
        return f"{label} = {_number(value)}{' ' + unit if unit else ''}"
    left = label if actual is None else f"{label} {_number(actual)}"
    return f"{left} {_SYMBOLS.get(op, op)} {_number(value)}{' ' + unit if unit else ''}"


def _explain(rule: dict, values: dict) -> tuple[bool | None, str]:
    """Three-valued truth of ``rule`` on ``values`` and the words for it; for ``any`` only the parts that
    are true are named."""
    if "field" in rule:
        actual = values.get(rule["field"])
        if actual is None:
            return None, _comparison(rule)
        return bool(_OPS[rule["op"]](actual, rule["value"])), _comparison(rule, actual)
    if "not" in rule:
        truth, text = _explain(rule["not"], values)
        negation = _("not")
        return (None if truth is None else not truth), f"{negation} ({text})"
    key = "all" if "all" in rule else "any"
    parts = [(*_explain(part, values), "field" not in part) for part in rule[key]]
    truths = [truth for truth, _text, _nested in parts]
    if key == "all":
        truth = False if False in truths else (None if None in truths else True)
        shown = parts
    else:
        truth = True if True in truths else (None if None in truths else False)
        shown = [p for p in parts if p[0]] if truth else parts
    word = _("and") if key == "all" else _("or")
    joiner = f" {word} "
    return truth, joiner.join(
        f"({text})" if nested and len(shown) > 1 else text for _t, text, nested in shown
    )


def rule_text(rule: dict | None) -> str:
    return _explain(rule, {})[1] if rule else ""


def why_fired(criterion, ticked: set[str], values: dict) -> str:
    """ "Ticked by the clinician", or the rule with the values that made it true."""
    rule_words = ""
    if criterion.rule:
        truth, text = _explain(criterion.rule, values)
        rule_words = text if truth else ""
    if criterion.code in ticked:
        return _("Ticked by the clinician") + (f" · {rule_words}" if rule_words else "")
    return rule_words or _("Ticked by the clinician")


def _source_labels(sources: dict) -> dict[str, str]:
    """``{"pasp_mmhg": "entered at grading", "hb_g_l": "from visit 2026-11-20", ...}`` (one query)."""
    visit_ids = {s.split(":", 1)[1] for s in sources.values() if str(s).startswith("visit:")}
    dates = {}
    if visit_ids:
        dates = {
            str(uid): timezone.localdate(at)
            for uid, at in Visit.objects.filter(external_id__in=visit_ids).values_list(
                "external_id", "visited_at"
            )
        }
    labels = {}
    for name, source in sources.items():
        if str(source).startswith("visit:"):
            day = dates.get(source.split(":", 1)[1])
            labels[name] = _("from visit %(date)s") % {"date": day.isoformat()} if day else _("from a visit")
        elif source == "request":
            labels[name] = _("entered at grading")
        else:
            labels[name] = _("from the record")
    return labels


# --- the grading form and its live preview --------------------------------------------------------


@dataclass
class Grading:
    """What the grading form of one pregnancy is built from."""

    pregnancy: Pregnancy
    stage: str
    version: object
    compiled: engine.Catalogue
    rows: list
    categories: list[str]
    fields_spec: dict
    record: dict
    sources: dict
    previous: RiskAssessment | None
    previous_codes: list[str]  # fired last time (pre-ticked)
    reason_codes: list[str]  # fired last time and un-tickable: a reason is needed if dropped
    locked_codes: list[str]  # fired last time but restricted for this user: kept ticked, not shown
    postpartum: bool


def _grading(request: HttpRequest, pregnancy: Pregnancy, stage: str) -> Grading:
    version, compiled = catalogue_for_actor(request.user)
    postpartum = pregnancy.status == PregnancyStatus.POSTPARTUM
    rows = [
        row
        for row in CatalogueCriterion.objects.filter(version=version, stage=stage, enabled=True)
        .exclude(category=engine.GREEN_PSEUDO_CATEGORY)
        .order_by("position")
        if postpartum or row.period != "postpartum"
    ]
    categories = list(dict.fromkeys(row.category for row in rows))
    hidden = {"postpartum_days"} if not postpartum else {"ga_weeks"}
    fields_spec = {k: v for k, v in version.fields_spec.items() if k not in hidden}
    record, sources = measurements_from_record(pregnancy)
    previous = current_assessment(pregnancy)
    codes = {row.code for row in rows}
    previous_codes = [
        c for c in (previous.triggered if previous and previous.stage == stage else []) if c in codes
    ]
    sensitive = {row.code for row in rows if row.sensitive}
    locked = [] if can_view_sensitive(request.user) else [c for c in previous_codes if c in sensitive]
    reason_codes = [c for c in previous_codes if c not in locked] if stage == Stage.ASSESSMENT else []
    return Grading(
        pregnancy,
        stage,
        version,
        compiled,
        rows,
        categories,
        fields_spec,
        record,
        sources,
        previous,
        previous_codes,
        reason_codes,
        locked,
        postpartum,
    )


def _grading_form(setup: Grading, data=None) -> GradingForm:
    return GradingForm(
        data,
        fields_spec=setup.fields_spec,
        codes=[r.code for r in setup.rows],
        categories=setup.categories,
        previous=setup.reason_codes,
        initial_values=setup.record,
        initial_ticked=setup.previous_codes,
    )


def _evaluate(request: HttpRequest, setup: Grading, form: GradingForm) -> dict:
    """Grade the record merged with the form (pure engine, nothing stored): the preview's context."""
    user = request.user
    if form.is_bound and not form.is_valid():
        return {
            "invalid": True,
            "form_errors": [
                f"{form[name].label}: {' '.join(errs)}"
                for name, errs in form.errors.items()
                if name in form.fields
            ],
        }
    data = form.cleaned_data if form.is_bound else {}
    ticked = set(data.get("criteria", setup.previous_codes)) | set(setup.locked_codes)
    values = {**setup.record, **(form.measurement_values() if form.is_bound else {})}
    values = {k: v for k, v in values.items() if k in setup.compiled.fields}
    try:
        result = engine.grade(setup.compiled, ticked, values, postpartum=setup.postpartum)
    except engine.InputError as exc:
        return {"invalid": True, "form_errors": [f"{k}: {'; '.join(v)}" for k, v in exc.errors.items()]}
    reviewed = set(data.get("reviewed", []))
    all_categories = {
        c.criterion.category
        for c in setup.compiled.criteria
        if c.criterion.stage == Stage.ASSESSMENT and c.criterion.category != engine.GREEN_PSEUDO_CATEGORY
    }
    if "all" in reviewed:
        reviewed = all_categories
    override = data.get("override_color", "")
    final = override or result.color
    assessment = setup.stage == Stage.ASSESSMENT
    pregnancy = setup.pregnancy
    downgrade = _rank(final) < _rank(pregnancy.risk_color) or (pregnancy.purple and not result.purple)
    fired = {c.code for c in result.triggered}
    can_see = can_view_sensitive(user)

    def items(criteria, with_why=False):
        out = []
        for c in criteria:
            item = criterion_item(c, user, can_see=can_see)
            if with_why and not item.restricted:
                item.why = why_fired(c, ticked, values)
            out.append(item)
        return out

    return {
        "stage": setup.stage,
        "computed": result.color,
        "override": override if override != result.color else "",
        "final": final if assessment else "",
        "purple": result.purple,
        "screening_positive": result.screening_positive,
        "triggered": items(result.triggered if assessment else result.screening_triggered, with_why=True),
        "proposed": items(result.proposed),
        "unknown": items(result.unknown),
        "complete": result.complete and all_categories <= reviewed,
        "unreviewed": [category_label(c) for c in sorted(all_categories - reviewed)] if assessment else [],
        "needs_cosign": assessment and (downgrade or _rank(final) < _rank(result.color)),
        "current": pregnancy.risk_color,
        "dropped": [
            criterion_item(setup.compiled.by_code[c], user, can_see=can_see)
            for c in setup.previous_codes
            if c not in fired
        ]
        if assessment
        else [],
        "catalogue_version": setup.version,
    }


def _criteria_groups(setup: Grading, form: GradingForm, errors: dict) -> list[dict]:
    """The criteria by category, each with its ticked state and (if it fired before) its reason field."""
    ticked = set(form.data.getlist("criteria")) if form.is_bound else set(setup.previous_codes)
    reviewed = set(form.data.getlist("reviewed")) if form.is_bound else set()
    missing = set(errors.get("unticked", []))
    groups: dict[str, dict] = {}
    for row in setup.rows:
        if row.code in setup.locked_codes:
            continue
        group = groups.setdefault(
            row.category,
            {
                "key": row.category,
                "label": category_label(row.category),
                "rows": [],
                "reviewed": row.category in reviewed or "all" in reviewed,
            },
        )
        zh = _zh()
        group["rows"].append(
            {
                "code": row.code,
                "color": row.color or "",
                "name": row.name_zh if zh else row.name_en,
                "other_name": row.name_en if zh else row.name_zh,
                "confirm": row.confirm,
                "rule": rule_text(row.rule),
                "ticked": row.code in ticked,
                "previous": row.code in setup.previous_codes,
                "reason": form[f"untick_{row.code}"] if row.code in setup.reason_codes else None,
                "reason_missing": row.code in missing,
                "search": f"{row.code} {row.name_zh} {row.name_en}".lower(),
            }
        )
    return list(groups.values())


def _measure_rows(setup: Grading, form: GradingForm) -> tuple[list[dict], list[dict]]:
    labels = _source_labels(setup.sources)
    rows = [
        {"field": form[f"m_{name}"], "unit": field_unit(name), "source": labels.get(name, ""), "name": name}
        for name in setup.fields_spec
    ]
    common = [r for r in rows if r["name"] in COMMON_FIELDS]
    common.sort(key=lambda r: COMMON_FIELDS.index(r["name"]))
    return common, [r for r in rows if r["name"] not in COMMON_FIELDS]


def _may_confirm(user, stage: str) -> bool:
    """For the page only (the service decides): obstetricians at secondary or tertiary facilities grade;
    clinicians screen."""
    if stage == Stage.SCREENING:
        return has_action(user, Action.RECORD_CLINICAL)
    return (
        has_action(user, Action.CONFIRM_GRADE)
        and user.facility is not None
        and user.facility.tier != Tier.PRIMARY
    )


def _stage(request: HttpRequest) -> str:
    value = request.POST.get("stage") or request.GET.get("stage")
    return Stage.SCREENING if value == Stage.SCREENING else Stage.ASSESSMENT


def _service_errors(form: GradingForm, exc: ApplicationError) -> list[str]:
    """Put the service's field errors on the form; return the messages shown above it."""
    general = [str(exc.message)] if str(exc.message) != str(exc.default_message) or not exc.errors else []
    for key, texts in (exc.errors or {}).items():
        if key == "unticked":
            for code in texts:
                if f"untick_{code}" in form.fields:
                    form.add_error(f"untick_{code}", _("Give a reason."))
            general.append(_("Give a reason for every criterion that no longer applies (marked below)."))
        elif key in ("reason", "override_color"):
            for text in texts:
                form.add_error(key, text)
        elif f"m_{key}" in form.fields:
            for text in texts:
                form.add_error(f"m_{key}", text)
        else:
            general.extend(str(t) for t in texts)
    return general


def _saved_message(assessment: RiskAssessment) -> str:
    if assessment.stage == Stage.SCREENING:
        if assessment.screening_positive:
            return _(
                "Screening saved: positive. Grading at a secondary or higher hospital is due within 2 weeks."
            )
        return _("Screening saved: negative.")
    colour = {"green": _("Green"), "yellow": _("Yellow"), "orange": _("Orange"), "red": _("Red")}.get(
        assessment.color
    )
    if assessment.purple:
        colour = _("%(colour)s + purple") % {"colour": colour}
    if assessment.status == AssessmentStatus.PENDING_COSIGN:
        return _(
            "Grade saved as %(colour)s, awaiting senior co-signature. The current grade stays until then."
        ) % {"colour": colour}
    return _("Grade confirmed: %(colour)s.") % {"colour": colour}


@login_required
@require_http_methods(["GET", "POST"])
def grade(request: HttpRequest, pregnancy_id) -> HttpResponse:
    pregnancy = _pregnancy(request, pregnancy_id, change=True)
    if request.method == "GET":
        audit_record(
            actor=request.user,
            action=AuditAction.READ,
            obj=pregnancy,
            patient_ids=[pregnancy.patient.external_id],
        )
    stage = _stage(request)
    setup = _grading(request, pregnancy, stage)
    form = _grading_form(setup, request.POST if request.method == "POST" else None)
    general: list[str] = []
    errors: dict = {}
    preview = _evaluate(request, setup, form)  # before the service's errors are put on the form
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            assessment = services.risk_assessment_create(
                actor=request.user,
                pregnancy=pregnancy,
                criteria=sorted(set(data["criteria"]) | set(setup.locked_codes)),
                measurements=changed_measurements(form.measurement_values(), setup.record),
                override_color=data["override_color"] if stage == Stage.ASSESSMENT else "",
                reason=data["reason"],
                unticked_reasons=form.untick_reasons(),
                reviewed_categories=data["reviewed"],
                stage=stage,
            )
        except ServicePermissionDenied as exc:
            return _forbidden(request, exc)
        except ApplicationError as exc:
            errors = exc.errors or {}
            general = _service_errors(form, exc)
        else:
            level = messages.SUCCESS if assessment.status == AssessmentStatus.CONFIRMED else messages.WARNING
            messages.add_message(request, level, _saved_message(assessment))
            return redirect("cases:pregnancy_detail", pregnancy_id=pregnancy.external_id)
    common, more = _measure_rows(setup, form)
    return render(
        request,
        "risk/riskassessment_form.html",
        {
            "pregnancy": pregnancy,
            "gestational_age": gestational_age(pregnancy),
            "postpartum_day": postpartum_days(pregnancy),
            "stage": stage,
            "form": form,
            "general_errors": general,
            "groups": _criteria_groups(setup, form, errors),
            "common_fields": common,
            "more_fields": more,
            "more_open": any(r["field"].errors or r["field"].value() not in (None, "") for r in more),
            "locked_codes": setup.locked_codes,
            "version": setup.version,
            "previous": setup.previous,
            "preview": preview,
            "may_confirm": _may_confirm(request.user, stage),
            "reviewed_all": form.is_bound and "all" in form.data.getlist("reviewed"),
        },
        status=400 if general or form.errors else 200,
    )


@login_required
@require_POST
def grade_preview(request: HttpRequest, pregnancy_id) -> HttpResponse:
    """The live colour for what the form holds. Needs view access; writes nothing (not even a read row:
    the form page has written it)."""
    pregnancy = _pregnancy(request, pregnancy_id, audit=False)
    setup = _grading(request, pregnancy, _stage(request))
    return render(
        request,
        "risk/partials/grade_preview.html",
        {"preview": _evaluate(request, setup, _grading_form(setup, request.POST))},
    )


# --- an assessment explained, and its co-signature ------------------------------------------------


def _assessment(user, assessment_id) -> RiskAssessment:
    uuid = parse_uuid(assessment_id)
    found = (
        RiskAssessment.objects.filter(external_id=uuid, pregnancy__in=pregnancies_visible_to(user))
        .select_related("pregnancy", "catalogue_version", "assessed_by", "cosigned_by", "facility")
        .first()
        if uuid
        else None
    )
    if found is None:
        raise Http404
    return found


def explain_assessment(assessment: RiskAssessment, user) -> dict:
    """Each triggered criterion with why it fired (ticked, or the rule with the stored values), the
    proposed and un-ticked ones, and the measurements with their sources; sensitive ones restricted."""
    codes = {*assessment.triggered, *assessment.proposed, *assessment.unticked, *assessment.unknown}
    rows = {
        r.code: r
        for r in CatalogueCriterion.objects.filter(version_id=assessment.catalogue_version_id, code__in=codes)
    }
    can_see = can_view_sensitive(user)
    ticked, values = set(assessment.ticked), assessment.measurements or {}

    def item(code, why=False):
        row = rows.get(code)
        if row is None:
            return Item(code=code, color="", name=code)
        shown = criterion_item(row, user, can_see=can_see)
        if why and not shown.restricted:
            shown.why = why_fired(row, ticked, values)
        return shown

    unticked = []
    for code, reason in (assessment.unticked or {}).items():
        shown = item(code)
        shown.why = reason if not shown.restricted else _("Restricted")
        unticked.append(shown)
    labels = _source_labels(assessment.measurement_sources or {})
    measurements = [
        {"label": field_label(k), "value": _number(v), "unit": field_unit(k), "source": labels.get(k, "")}
        for k, v in sorted(values.items(), key=lambda kv: FIELD_ORDER.get(kv[0], len(FIELD_ORDER)))
    ]
    return {
        "triggered": [item(c, why=True) for c in assessment.triggered],
        "proposed": [item(c) for c in assessment.proposed],
        "unknown": [item(c) for c in assessment.unknown],
        "unticked": unticked,
        "measurements": measurements,
    }


def _detail_context(request, assessment, pregnancy, form=None) -> dict:
    can_cosign = assessment.status == AssessmentStatus.PENDING_COSIGN and can_change_pregnancy(
        request.user, pregnancy
    )
    return {
        "assessment": assessment,
        "pregnancy": pregnancy,
        "explanation": explain_assessment(assessment, request.user),
        "gestational_age": gestational_age(pregnancy),
        "postpartum_day": postpartum_days(pregnancy),
        "cosign_form": (form or CosignForm()) if can_cosign else None,
        "is_senior": has_action(request.user, Action.CONFIRM_GRADE) and request.user.is_senior,
    }


@login_required
def assessment_detail(request: HttpRequest, assessment_id) -> HttpResponse:
    assessment = _assessment(request.user, assessment_id)
    pregnancy = _pregnancy(request, assessment.pregnancy.external_id)
    return render(request, "risk/riskassessment_detail.html", _detail_context(request, assessment, pregnancy))


@login_required
@require_POST
def assessment_cosign(request: HttpRequest, assessment_id) -> HttpResponse:
    assessment = _assessment(request.user, assessment_id)
    pregnancy = _pregnancy(request, assessment.pregnancy.external_id, change=True)
    form = CosignForm(request.POST)
    if form.is_valid():
        try:
            services.risk_assessment_cosign(
                actor=request.user,
                assessment=assessment,
                approve=form.cleaned_data["approve"],
                note=form.cleaned_data["note"],
            )
        except ServicePermissionDenied as exc:
            return _forbidden(request, exc)
        except ApplicationError as exc:
            for key, texts in (exc.errors or {"__all__": [str(exc.message)]}).items():
                for text in texts:
                    form.add_error(key if key in form.fields else None, text)
        else:
            if form.cleaned_data["approve"]:
                messages.success(request, _("Co-signed: the grade is confirmed."))
            else:
                messages.warning(request, _("The grade was refused; the previous grade stays."))
            return redirect("risk:assessment_detail", assessment_id=assessment.external_id)
    return render(
        request,
        "risk/riskassessment_detail.html",
        _detail_context(request, assessment, pregnancy, form),
        status=400,
    )


# --- colour history -------------------------------------------------------------------------------


def color_history(pregnancy: Pregnancy, user) -> list[RiskAssessment]:
    """The pregnancy's assessments newest first, each with ``added`` / ``removed`` criteria compared with
    the previous one of the same stage that took effect (refused grades never did). Two queries.

    For the case page: ``{% include "risk/partials/color_history.html" with assessments=... %}``.
    """
    assessments = list(
        RiskAssessment.objects.filter(pregnancy=pregnancy)
        .select_related("assessed_by", "cosigned_by")
        .order_by("-created_at", "-id")
    )
    codes = {c for a in assessments for c in a.triggered}
    rows = {
        (r.version_id, r.code): r
        for r in CatalogueCriterion.objects.filter(
            version_id__in={a.catalogue_version_id for a in assessments}, code__in=codes
        )
    }
    can_see = can_view_sensitive(user)
    previous_by_stage: dict[str, RiskAssessment] = {}
    for assessment in reversed(assessments):
        before = previous_by_stage.get(assessment.stage)
        old = set(before.triggered) if before else set()
        new = set(assessment.triggered)

        def shown(code, _a=assessment):
            row = rows.get((_a.catalogue_version_id, code))
            return criterion_item(row, user, can_see=can_see) if row else Item(code=code, color="", name=code)

        assessment.added = [shown(c) for c in assessment.triggered if c not in old]
        assessment.removed = [shown(c) for c in (before.triggered if before else []) if c not in new]
        assessment.is_first = before is None
        if assessment.status != AssessmentStatus.REJECTED:
            previous_by_stage[assessment.stage] = assessment
    return assessments


@login_required
def history(request: HttpRequest, pregnancy_id) -> HttpResponse:
    pregnancy = _pregnancy(request, pregnancy_id)
    context = {
        "pregnancy": pregnancy,
        "assessments": color_history(pregnancy, request.user),
        "gestational_age": gestational_age(pregnancy),
        "postpartum_day": postpartum_days(pregnancy),
    }
    if getattr(request, "htmx", False):
        return render(request, "risk/partials/color_history.html", context)
    return render(request, "risk/riskassessment_history.html", context)


# --- case management ------------------------------------------------------------------------------


def _changeable(user, pregnancy_ids) -> set[int]:
    """Which of these pregnancies the user may change (one query for the whole page)."""
    return set(
        Pregnancy.objects.filter(pregnancy_scope(user, "change"), pk__in=pregnancy_ids).values_list(
            "pk", flat=True
        )
    )


@login_required
def case_management(request: HttpRequest) -> HttpResponse:
    """Open case managements the user may see; "mine" keeps hers.

    Queries: count, one page of rows (woman, managing facility and manager joined), the pregnancies she
    may change, the candidate managers of the facilities on the page, the list audit row.
    """
    user = request.user
    mine = request.GET.get("mine") == "1"
    qs = case_management_list(actor=user)
    if mine:
        qs = qs.filter(manager=user)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    cases = list(page.object_list)
    changeable = _changeable(user, [c.pregnancy_id for c in cases])
    candidates: dict[int, list] = {}
    for person in manager_candidates(
        {c.pregnancy.managing_facility_id for c in cases if c.pregnancy_id in changeable}
    ):
        candidates.setdefault(person.facility_id, []).append(person)
    rows = [
        {
            "case": c,
            "pregnancy": c.pregnancy,
            "ga": gestational_age(c.pregnancy),
            "postpartum_day": postpartum_days(c.pregnancy),
            "can_change": c.pregnancy_id in changeable,
            "candidates": candidates.get(c.pregnancy.managing_facility_id, []),
        }
        for c in cases
    ]
    audit_record(
        actor=user,
        action=AuditAction.LIST,
        obj=("risk.casemanagement", ""),
        patient_ids=[c.pregnancy.patient.external_id for c in cases],
        changes={"count": len(cases), "page": "case_management", "mine": mine},
    )
    return render(request, "risk/casemanagement_list.html", {"page": page, "rows": rows, "mine": mine})


@login_required
@require_POST
def case_management_update(request: HttpRequest, case_id) -> HttpResponse:
    uuid = parse_uuid(case_id)
    case = case_management_list(actor=request.user).filter(external_id=uuid).first() if uuid else None
    if case is None:
        raise Http404
    _pregnancy(request, case.pregnancy.external_id, change=True)
    form = CaseManagementForm(request.POST, facility_id=case.pregnancy.managing_facility_id)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    else:
        # Only what changed is sent, so the audit row names the fields really changed.
        plan = form.cleaned_data["plan"]
        plan = plan if "plan" in request.POST and plan.strip() != case.plan else None
        manager = form.cleaned_data["manager"]
        manager = manager if manager is not None and manager.pk != case.manager_id else None
        try:
            services.case_management_update(actor=request.user, case=case, manager=manager, plan=plan)
        except ServicePermissionDenied as exc:
            return _forbidden(request, exc)
        except ApplicationError as exc:
            for texts in (exc.errors or {"": [str(exc.message)]}).values():
                for text in texts:
                    messages.error(request, text)
        else:
            messages.success(
                request, _("Case management of %(name)s updated.") % {"name": case.pregnancy.patient.name}
            )
    return redirect(
        request.POST.get("next")
        if str(request.POST.get("next", "")).startswith("/risk/")
        else "risk:case_management"
    )


# --- supervisor reports ---------------------------------------------------------------------------


@login_required
def reports(request: HttpRequest) -> HttpResponse:
    """Supervisors: the reports of their region. Facility staff: their facility's, with the submit form.

    Queries: count, one page of rows (woman, facility, county and submitter joined), the list audit row.
    """
    user = request.user
    status = request.GET.get("status", "")
    qs = report_list(actor=user)
    if status in (ReportStatus.DUE, ReportStatus.SUBMITTED):
        qs = qs.filter(status=status)
    # Due reports first (the most urgent deadline on top), then the others, latest deadline first.
    qs = qs.order_by(
        Case(When(status=ReportStatus.DUE, then=0), default=1),
        Case(When(status=ReportStatus.DUE, then=F("due_at"))).asc(nulls_last=True),
        F("due_at").desc(),
        "-id",
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    may_submit = has_action(user, Action.RECORD_CLINICAL) and user.facility_id is not None
    rows = [
        {
            "report": r,
            "pregnancy": r.pregnancy,
            "overdue": r.status == ReportStatus.DUE and r.due_at < now,
            "hours": None if r.timeliness_hours is None else round(r.timeliness_hours, 1),
            "can_submit": may_submit and r.status == ReportStatus.DUE and r.facility_id == user.facility_id,
        }
        for r in page.object_list
    ]
    audit_record(
        actor=user,
        action=AuditAction.LIST,
        obj=("risk.riskreport", ""),
        patient_ids=[row["pregnancy"].patient.external_id for row in rows],
        changes={"count": len(rows), "page": "reports", "status": status},
    )
    return render(
        request,
        "risk/riskreport_list.html",
        {
            "page": page,
            "rows": rows,
            "status": status,
            "form": ReportSubmitForm(),
            "is_supervisor": user.has_role("regional_supervisor"),
        },
    )


@login_required
@require_POST
def report_submit(request: HttpRequest, report_id) -> HttpResponse:
    uuid = parse_uuid(report_id)
    report = report_list(actor=request.user).filter(external_id=uuid).first() if uuid else None
    if report is None:
        raise Http404
    form = ReportSubmitForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write the report summary."))
        return redirect("risk:reports")
    try:
        services.risk_report_submit(actor=request.user, report=report, **form.cleaned_data)
    except ServicePermissionDenied as exc:
        return _forbidden(request, exc)
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request, _("Report submitted for %(name)s.") % {"name": report.pregnancy.patient.name}
        )
    return redirect("risk:reports")


# --- early-warning observations -------------------------------------------------------------------

OBSERVATION_COLUMNS = (
    ("temperature_c", _("Temp. °C")),
    ("sbp_mmhg", _("SBP")),
    ("dbp_mmhg", _("DBP")),
    ("pulse_bpm", _("HR")),
    ("respiratory_rate", _("RR")),
    ("spo2_pct", _("SpO2 %")),
    ("pain_score", _("Pain")),
    ("consciousness", _("AVPU")),
)


def _observation_rows(observations) -> list[dict]:
    rows = []
    for obs in observations:
        cells = []
        for name, _label in OBSERVATION_COLUMNS:
            value = getattr(obs, name)
            if name == "consciousness":
                value = (
                    Consciousness(obs.consciousness).label
                    if obs.consciousness in Consciousness.values
                    else None
                )
            cells.append(
                {"value": value, "level": obs.scores.get(name, "normal") if value not in (None, "") else ""}
            )
        shown = {name: cell["value"] for (name, _label), cell in zip(OBSERVATION_COLUMNS, cells, strict=True)}
        fired = [
            {"label": str(dict(OBSERVATION_COLUMNS)[p]), "value": shown.get(p), "level": lvl}
            for p, lvl in sorted(obs.scores.items(), key=lambda kv: kv[1] != "red")
            if lvl != "normal"
        ]
        rows.append({"obs": obs, "cells": cells, "fired": fired})
    return rows


@login_required
@require_http_methods(["GET", "POST"])
def observations(request: HttpRequest, pregnancy_id) -> HttpResponse:
    change = request.method == "POST"
    pregnancy = _pregnancy(request, pregnancy_id, change=change)
    form = ObservationForm(request.POST if change else None)
    if change and form.is_valid():
        try:
            services.observation_record(
                actor=request.user,
                pregnancy=pregnancy,
                values=form.values(),
                taken_at=form.cleaned_data["taken_at"],
            )
        except ServicePermissionDenied as exc:
            return _forbidden(request, exc)
        except ApplicationError as exc:
            for key, texts in (exc.errors or {"__all__": [str(exc.message)]}).items():
                for text in texts:
                    form.add_error(key if key in form.fields else None, text)
        else:
            messages.success(request, _("Observations recorded."))
            return redirect("risk:observations", pregnancy_id=pregnancy.external_id)
    rows = _observation_rows(
        ObservationSet.objects.filter(pregnancy=pregnancy)
        .select_related("recorded_by")
        .order_by("-taken_at", "-id")[:200]
    )
    return render(
        request,
        "risk/observationset_list.html",
        {
            "pregnancy": pregnancy,
            "gestational_age": gestational_age(pregnancy),
            "postpartum_day": postpartum_days(pregnancy),
            "form": form,
            "rows": rows,
            "columns": [label for _name, label in OBSERVATION_COLUMNS],
            "alarm": rows[0] if rows and rows[0]["obs"].triggered else None,
            "can_change": change or can_change_pregnancy(request.user, pregnancy),
        },
        status=400 if change else 200,
    )
