"""Case registry pages: the HTML face of the case services.

Views are thin: a form checks input types, ``access`` fetches the record (404 without view, 403 without
change), one service call does the work, and its ``ApplicationError`` is mapped back onto the form.
"""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.permissions import Action, has_action
from audit.choices import AuditAction
from audit.services import audit_record
from core.errors import ApplicationError, NotFound
from core.errors import PermissionDenied as ServicePermissionDenied
from core.ids import id_url_maker

from . import services
from .access import _emergency_access_used, access_pregnancy_by_id, can_change_pregnancy
from .choices import (
    OPEN_STATUSES,
    DatingMethod,
    DeliveryComplication,
    NearMissCriterion,
    PregnancyStatus,
)
from .filtersets import PregnancyFilterSet
from .forms import (
    BreakGlassForm,
    BreakGlassReviewForm,
    DatingForm,
    DeliveryForm,
    EmergencyForm,
    NewbornFormSet,
    RegistrationForm,
    RevealForm,
    TransitionForm,
    VisitForm,
    apply_service_errors,
)
from .identity import InvalidIdNumber, parse_resident_id
from .models import Pregnancy
from .selectors import (
    break_glass_review_list,
    care_task_list,
    case_timeline,
    gestational_age,
    open_care_tasks,
    patient_list,
    postpartum_days,
    pregnancy_list,
    worklist_pregnancies,
    worklist_rows,
)
from .services import break_glass_open, break_glass_review

WORKLIST_PAGE_SIZE = 50


# --- helpers ------------------------------------------------------------------------------------------


def _age(birth: dt.date | None, today: dt.date) -> int | None:
    if birth is None:
        return None
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def _get_pregnancy(
    request: HttpRequest, pregnancy_id, *, change: bool = False, audit: bool = True
) -> Pregnancy:
    """The pregnancy through the access choke point: 404 without view; 403 without change when asked."""
    try:
        pregnancy = access_pregnancy_by_id(request.user, pregnancy_id, audit=audit)
    except NotFound as exc:
        raise Http404 from exc
    if change and not can_change_pregnancy(request.user, pregnancy):
        raise DjangoPermissionDenied
    return pregnancy


def _require_registration(request: HttpRequest) -> None:
    """Registering is for clinicians of a facility (they register at their own facility)."""
    if not has_action(request.user, Action.REGISTER_PATIENT) or request.user.facility_id is None:
        raise DjangoPermissionDenied


def _banner(pregnancy: Pregnancy) -> dict:
    """What the banner above every entry form shows."""
    return {
        "pregnancy": pregnancy,
        "gestational_age": gestational_age(pregnancy),
        "postpartum_day": postpartum_days(pregnancy),
    }


def _ga_dict(days: int | None) -> dict | None:
    return None if days is None else {"weeks": days // 7, "days": days % 7}


# --- worklist (the clinicians' home page) -------------------------------------------------------------


def _case_url_maker():
    """``external_id`` → the case page's URL (``core.ids.id_url_maker``)."""
    return id_url_maker("cases:pregnancy_detail")


def worklist_context(request: HttpRequest) -> dict:
    """The facility's open pregnancies, filtered and paginated, the user's open MDT action items and the
    soonest follow-up visits that need someone; one audit row naming the women shown (in any of them).

    Queries: count, the page's ids (each arm of the facility's scope walked in index order), the page's
    rows (woman, managing facility, clinician joined and the open-task count sub-selected), the action
    items (consult and woman joined), the follow-up windows (woman and facilities joined), the audit
    insert — whatever the number of rows or items.
    """
    user = request.user
    today = timezone.localdate()
    filterset = PregnancyFilterSet(request.GET or None, queryset=Pregnancy.objects.all())
    filterset.form.fields["status"].choices = [(s.value, s.label) for s in OPEN_STATUSES]
    # The page as ids (unfiltered: SQL kept per process, ``ScopedRows.sql_key``), then its rows in one
    # fixed statement (``worklist_pregnancies``).
    # (An invalid search's ``qs`` selects nothing: no row, no statement.)
    rows_in_scope = worklist_rows(actor=user, queryset=filterset.qs, outer=lambda page: page.values("pk"))
    page = Paginator(rows_in_scope, WORKLIST_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = []
    pregnancies = worklist_pregnancies([row["pk"] for row in page.object_list])
    case_url = _case_url_maker()
    for pregnancy in pregnancies:
        rows.append(
            {
                "pregnancy": pregnancy,
                "url": case_url(pregnancy.external_id),
                "age": _age(pregnancy.patient.birth_date, today),
                "ga": gestational_age(pregnancy, today),
                "postpartum_day": postpartum_days(pregnancy, today),
                "overdue": pregnancy.next_visit_date is not None and pregnancy.next_visit_date < today,
                "elsewhere": pregnancy.managing_facility_id != user.facility_id,
            }
        )
    # The owner's open MDT action items (one query); consults builds on cases, so imported here.
    from consults.views import my_actions_context

    actions = my_actions_context(user, audit=False)
    # The soonest follow-up windows that need someone (one query); reminders builds on cases, too.
    from reminders.views import followup_home_context

    followups = followup_home_context(user)
    women = [row["pregnancy"].patient.external_id for row in rows]
    women += [w for w in actions["action_item_women"] if w not in women]
    women += [w for w in followups["followup_women"] if w not in women]
    audit_record(
        actor=user,
        action=AuditAction.LIST,
        obj=("cases.pregnancy", ""),
        patient_ids=women,
        changes={
            "count": len(rows),
            "query": request.GET.dict(),
            "page": "worklist",
            "action_items": len(actions["action_items"]),
            "follow_ups": len(followups["followups"]),
        },
    )
    return {
        "filter": filterset,
        "page": page,
        "rows": rows,
        "filtered": any(v for k, v in request.GET.items() if k != "page"),
        "can_register": has_action(user, Action.REGISTER_PATIENT),
        **actions,
        **followups,
    }


# --- registration -------------------------------------------------------------------------------------


def _near_duplicates(user, form: RegistrationForm) -> list[dict]:
    data = form.cleaned_data
    birth = data.get("birth_date")
    if birth is None and data.get("id_number"):
        try:
            birth = parse_resident_id(data["id_number"]).birth_date
        except InvalidIdNumber:
            birth = None
    found = services.patient_find_duplicates(
        actor=user, name=data["name"], birth_date=birth, phone=data.get("phone") or ""
    )
    if not found:
        return []
    latest = {}
    for pregnancy in pregnancy_list(actor=user).filter(patient__in=found):
        latest.setdefault(pregnancy.patient_id, pregnancy)
    audit_record(
        actor=user,
        action=AuditAction.LIST,
        obj=("cases.patient", ""),
        patient_ids=[p.external_id for p in found],
        changes={"count": len(found), "page": "duplicates"},
    )
    return [{"patient": p, "pregnancy": latest.get(p.pk)} for p in found]


def _existing_record(user, existing_id) -> dict | None:
    """The record a duplicate ID number belongs to, if the user may see it (with her latest pregnancy)."""
    if not existing_id:
        return None
    patient = patient_list(actor=user).filter(external_id=existing_id).first()
    if patient is None:
        return None
    pregnancy = pregnancy_list(actor=user).filter(patient=patient).first()
    return {"patient": patient, "pregnancy": pregnancy}


@login_required
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    _require_registration(request)
    user = request.user
    form = RegistrationForm(request.POST or None, user=user)
    duplicates: list[dict] = []
    existing = None
    duplicate_elsewhere = False
    if request.method == "POST" and form.is_valid():
        if not form.cleaned_data["confirm_different"]:
            duplicates = _near_duplicates(user, form)
        if not duplicates:
            try:
                with transaction.atomic():  # a refused pregnancy leaves no patient behind
                    patient = services.patient_register(actor=user, **form.patient_data())
                    pregnancy = services.pregnancy_register(
                        actor=user, patient=patient, **form.pregnancy_data()
                    )
            except services.DuplicatePatient as exc:
                existing = _existing_record(user, exc.extra.get("existing"))
                duplicate_elsewhere = existing is None
                apply_service_errors(form, exc)
            except ApplicationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(
                    request, _("Registered: record number %(number)s.") % {"number": patient.record_number}
                )
                return redirect("cases:pregnancy_detail", pregnancy_id=pregnancy.external_id)
    return render(
        request,
        "cases/pregnancy_register.html",
        {
            "form": form,
            "duplicates": duplicates,
            "existing": existing,
            "duplicate_elsewhere": duplicate_elsewhere,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def emergency(request: HttpRequest) -> HttpResponse:
    _require_registration(request)
    form = EmergencyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            patient, pregnancy, possible_duplicate = services.emergency_register(
                actor=request.user,
                name=data["name"],
                estimated_age_years=data["estimated_age_years"],
                estimated_ga_weeks=data["estimated_ga_weeks"],
                vitals=form.vitals(),
                chief_complaint=data["chief_complaint"],
                companion_phone=data["companion_phone"],
                id_number=data["id_number"],
            )
        except ApplicationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Emergency arrival registered. Temporary record number: %(number)s")
                % {"number": patient.record_number},
            )
            if possible_duplicate:
                messages.warning(
                    request,
                    _(
                        "A registered record with this ID number exists. The ID number was not "
                        "stored here, and a merge review task was opened."
                    ),
                )
            return redirect("cases:pregnancy_detail", pregnancy_id=pregnancy.external_id)
    return render(request, "cases/pregnancy_emergency.html", {"form": form})


# --- the case page ------------------------------------------------------------------------------------


# The findings of a visit summary: (value of the visit, its label). Labels are lazy, so only the findings
# a visit has are translated (a case page of 19 visits made some 250 ``gettext`` calls otherwise).
_FINDINGS = (
    (lambda v: v.pulse_bpm, gettext_lazy("P %(v)s")),
    (lambda v: v.temperature_c, gettext_lazy("T %(v)s °C")),
    (lambda v: v.respiratory_rate, gettext_lazy("RR %(v)s")),
    (lambda v: v.spo2_pct, gettext_lazy("SpO2 %(v)s%%")),
    (lambda v: v.get_consciousness_display() if v.consciousness else None, gettext_lazy("AVPU: %(v)s")),
    (lambda v: v.weight_kg, gettext_lazy("Weight %(v)s kg")),
    (lambda v: v.hb_g_l, gettext_lazy("Hb %(v)s g/L")),
    (lambda v: v.platelets_10e9_l, gettext_lazy("PLT %(v)s")),
    (lambda v: v.get_proteinuria_display() if v.proteinuria else None, gettext_lazy("Urine protein %(v)s")),
    (lambda v: v.glucose_mmol_l, gettext_lazy("Glucose %(v)s mmol/L")),
    (lambda v: v.fundal_height_cm, gettext_lazy("Fundal height %(v)s cm")),
    (lambda v: v.fetal_heart_rate, gettext_lazy("FHR %(v)s")),
    (lambda v: v.get_presentation_display() if v.presentation else None, gettext_lazy("Presentation: %(v)s")),
)


def _visit_summary(visit) -> list[str]:
    """One line of the key findings of a visit, in the reader's language."""
    parts = []
    if visit.sbp_mmhg is not None or visit.dbp_mmhg is not None:
        parts.append(_("BP %(sbp)s/%(dbp)s") % {"sbp": visit.sbp_mmhg or "–", "dbp": visit.dbp_mmhg or "–"})
    for value_of, label in _FINDINGS:
        value = value_of(visit)
        if value not in (None, ""):
            parts.append(str(label) % {"v": value})
    return parts


def _timeline(pregnancy: Pregnancy) -> list[dict]:
    items = case_timeline(pregnancy)
    for item in items:
        obj = item["object"]
        if item["kind"] == "visit":
            item["summary"] = _visit_summary(obj)
            item["ga"] = _ga_dict(obj.ga_days)
        elif item["kind"] == "dating":
            item["scan_ga"] = _ga_dict(obj.ga_days_at_scan)
        elif item["kind"] == "delivery":
            item["ga"] = _ga_dict(obj.ga_days)
            item["complications"] = [
                DeliveryComplication(c).label for c in obj.complications if c in DeliveryComplication.values
            ]
        elif item["kind"] == "near_miss":
            item["criteria"] = [
                NearMissCriterion(c).label for c in obj.criteria if c in NearMissCriterion.values
            ]
    return items


def _case_context(request: HttpRequest, pregnancy: Pregnancy, **extra) -> dict:
    """Everything the case page shows, in a fixed number of queries whatever the number of visits."""
    user = request.user
    can_change = can_change_pregnancy(user, pregnancy)
    tasks = open_care_tasks(pregnancy)
    for task in tasks:
        task.can_complete = can_change and task.facility_id == user.facility_id
    patient = pregnancy.patient
    status = pregnancy.status
    return {
        "pregnancy": pregnancy,
        "patient": patient,
        "age": _age(patient.birth_date, timezone.localdate()),
        "gestational_age": gestational_age(pregnancy),
        "postpartum_day": postpartum_days(pregnancy),
        "emergency_access": _emergency_access_used(user, pregnancy),
        "tasks": tasks,
        "timeline": _timeline(pregnancy),
        "can_change": can_change,
        "can_reveal": has_action(user, Action.REVEAL_ID_NUMBER)
        and bool(patient.id_number or patient.document_number),
        "is_open": status in OPEN_STATUSES,
        "is_active": status == PregnancyStatus.ACTIVE,
        "can_transition": status in (*OPEN_STATUSES, PregnancyStatus.LOST_TO_FOLLOW_UP),
        "provisional": pregnancy.is_emergency_registration and not pregnancy.risk_color,
        **extra,
    }


@login_required
def pregnancy_detail(request: HttpRequest, pregnancy_id) -> HttpResponse:
    pregnancy = _get_pregnancy(request, pregnancy_id)
    return render(request, "cases/pregnancy_detail.html", _case_context(request, pregnancy))


@never_cache
@login_required
@require_POST
def reveal_id_number(request: HttpRequest, pregnancy_id) -> HttpResponse:
    """Shows the full identifiers once, on this response only (never in a URL); the service audits it."""
    pregnancy = _get_pregnancy(request, pregnancy_id)
    form = RevealForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        revealed = services.patient_reveal_id_number(
            actor=request.user, patient=pregnancy.patient, reason=reason
        )
    except ServicePermissionDenied as exc:
        raise DjangoPermissionDenied from exc
    return render(
        request, "cases/pregnancy_detail.html", _case_context(request, pregnancy, revealed=revealed)
    )


@login_required
@require_POST
def care_task_done(request: HttpRequest, pregnancy_id, task_id) -> HttpResponse:
    """Only staff of the task's facility who may change the record close a task."""
    pregnancy = _get_pregnancy(request, pregnancy_id, change=True, audit=False)
    task = care_task_list(actor=request.user).filter(pregnancy=pregnancy, external_id=task_id).first()
    if task is None:
        raise Http404
    services.care_task_complete(actor=request.user, task=task)
    messages.success(request, _("Task marked as done: %(task)s") % {"task": task.get_kind_display()})
    return redirect("cases:pregnancy_detail", pregnancy_id=pregnancy.external_id)


@login_required
def pregnancy_print(request: HttpRequest, pregnancy_id) -> HttpResponse:
    pregnancy = _get_pregnancy(request, pregnancy_id)
    audit_record(
        actor=request.user,
        action=AuditAction.PRINT,
        obj=pregnancy,
        patient_ids=[pregnancy.patient.external_id],
    )
    context = _case_context(request, pregnancy)
    context["printed_at"] = timezone.localtime()
    return render(request, "cases/pregnancy_print.html", context)


# --- clinical entries ---------------------------------------------------------------------------------


def _field_rows(form: VisitForm, names, needs_confirm: set[str], confirmed: set[str]) -> list[dict]:
    return [
        {
            "field": form[name],
            "confirm": name in needs_confirm or name in confirmed,
            "confirmed": name in confirmed,
        }
        for name in names
    ]


@login_required
@require_http_methods(["GET", "POST"])
def visit_create(request: HttpRequest, pregnancy_id) -> HttpResponse:
    pregnancy = _get_pregnancy(request, pregnancy_id, change=True, audit=request.method == "GET")
    form = VisitForm(request.POST or None, postpartum=pregnancy.status == PregnancyStatus.POSTPARTUM)
    needs_confirm: set[str] = set()
    confirmed: set[str] = set()
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        confirmed = set(data["confirm_unusual"])
        try:
            services.visit_record(
                actor=request.user,
                pregnancy=pregnancy,
                kind=data["kind"],
                visited_at=data["visited_at"],
                measurements=form.measurements(),
                confirm_unusual=confirmed,
                notes=data["notes"],
                next_visit_date=data["next_visit_date"],
            )
        except ApplicationError as exc:
            needs_confirm = set(exc.errors.get("confirm_unusual", []))
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Visit recorded."))
            return redirect("cases:pregnancy_detail", pregnancy_id=pregnancy.external_id)
    groups = [
        (_("Vital signs"), _field_rows(form, VisitForm.VITALS, needs_confirm, confirmed)),
        (_("Body and laboratory"), _field_rows(form, VisitForm.BODY_AND_LABS, needs_confirm, confirmed)),
        (_("Fetus"), _field_rows(form, VisitForm.FETAL, needs_confirm, confirmed)),
    ]
    return render(
        request,
        "cases/visit_form.html",
        {
            "form": form,
            "groups": groups,
            "needs_confirm": bool(needs_confirm),
            "other_errors": any(name not in needs_confirm for name in form.errors),
            **_banner(pregnancy),
        },
    )


def _apply_newborn_errors(form, formset, exc) -> None:
    for key, messages_ in exc.errors.items():
        parts = key.split(".")
        if (
            parts[0] == "newborns"
            and len(parts) == 3
            and parts[1].isdigit()
            and int(parts[1]) < len(formset.forms)
        ):
            for message in messages_:
                formset.forms[int(parts[1])].add_error(
                    parts[2] if parts[2] in formset.forms[0].fields else None, message
                )
    apply_service_errors(form, exc, skip=[k for k in exc.errors if k.startswith("newborns.")])


@login_required
@require_http_methods(["GET", "POST"])
def delivery_create(request: HttpRequest, pregnancy_id) -> HttpResponse:
    pregnancy = _get_pregnancy(request, pregnancy_id, change=True, audit=request.method == "GET")
    if pregnancy.status != PregnancyStatus.ACTIVE:
        messages.error(request, _("A delivery can only be recorded for an ongoing pregnancy."))
        return redirect("cases:pregnancy_detail", pregnancy_id=pregnancy.external_id)
    form = DeliveryForm(request.POST or None, user=request.user)
    babies = min(max(pregnancy.fetuses or 1, 1), 8)
    formset = NewbornFormSet(
        request.POST or None, prefix="newborns", initial=[{"outcome": "live_birth"} for _i in range(babies)]
    )
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        data = form.cleaned_data
        facility = None if data["born_outside_facility"] else (data["facility"] or request.user.facility)
        newborns = [
            {k: v for k, v in baby.items() if v not in (None, "") or k == "outcome"}
            for baby in formset.cleaned_data
        ]
        try:
            services.delivery_record(
                actor=request.user,
                pregnancy=pregnancy,
                delivered_at=data["delivered_at"],
                mode=data["mode"],
                facility=facility,
                blood_loss_ml=data["blood_loss_ml"],
                complications=data["complications"],
                newborns=newborns,
                near_miss_criteria=data["near_miss_criteria"],
                discharged_at=data["discharged_at"],
                notes=data["notes"],
            )
        except ApplicationError as exc:
            _apply_newborn_errors(form, formset, exc)
        else:
            messages.success(request, _("Delivery recorded. She is now postpartum."))
            return redirect("cases:pregnancy_detail", pregnancy_id=pregnancy.external_id)
    return render(
        request,
        "cases/delivery_form.html",
        {
            "form": form,
            "formset": formset,
            **_banner(pregnancy),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def dating_create(request: HttpRequest, pregnancy_id) -> HttpResponse:
    pregnancy = _get_pregnancy(request, pregnancy_id, change=True, audit=request.method == "GET")
    form = DatingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            dating = services.pregnancy_redate(
                actor=request.user,
                pregnancy=pregnancy,
                method=DatingMethod.ULTRASOUND,
                scan_date=data["scan_date"],
                ga_days_at_scan=data["ga_weeks"] * 7 + data["ga_days"],
                crl_mm=data["crl_mm"],
                reason=data["reason"],
            )
        except ApplicationError as exc:
            if "ga_days_at_scan" in exc.errors:
                exc.errors["ga_weeks"] = exc.errors.pop("ga_days_at_scan")
            apply_service_errors(form, exc)
        else:
            if dating.adopted:
                messages.success(
                    request,
                    _("Ultrasound recorded. The EDD is now %(edd)s.")
                    % {"edd": dating.computed_edd.isoformat()},
                )
            else:
                messages.info(
                    request,
                    _(
                        "Ultrasound recorded (EDD by this scan %(edd)s). The EDD was not changed: the "
                        "difference is within the redating threshold."
                    )
                    % {"edd": dating.computed_edd.isoformat()},
                )
            return redirect("cases:pregnancy_detail", pregnancy_id=pregnancy.external_id)
    return render(request, "cases/dating_form.html", {"form": form, **_banner(pregnancy)})


@login_required
@require_http_methods(["GET", "POST"])
def transition(request: HttpRequest, pregnancy_id) -> HttpResponse:
    pregnancy = _get_pregnancy(request, pregnancy_id, change=True, audit=request.method == "GET")
    form = TransitionForm(request.POST or None, current=pregnancy.status, has_outcome=bool(pregnancy.outcome))
    if request.method == "POST" and form.is_valid():
        try:
            services.pregnancy_transition(
                actor=request.user,
                pregnancy=pregnancy,
                to_status=form.cleaned_data["to_status"],
                reason=form.cleaned_data["reason"],
            )
        except ApplicationError as exc:
            if "to_status" not in exc.errors and not exc.errors:
                form.add_error("to_status", str(exc.message))
            else:
                apply_service_errors(form, exc)
        else:
            messages.success(request, _("Status changed."))
            return redirect("cases:pregnancy_detail", pregnancy_id=pregnancy.external_id)
    return render(request, "cases/pregnancy_transition.html", {"form": form, **_banner(pregnancy)})


# --- emergency access (break the glass) ---------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def break_glass(request: HttpRequest, pregnancy_id) -> HttpResponse:
    if not has_action(request.user, Action.BREAK_GLASS):
        raise Http404
    form = BreakGlassForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            break_glass_open(
                actor=request.user, pregnancy_id=pregnancy_id, reason=form.cleaned_data["reason"]
            )
        except NotFound as exc:
            raise Http404 from exc
        except ApplicationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.warning(request, _("Emergency access granted. It is recorded and will be reviewed."))
            return redirect("cases:pregnancy_detail", pregnancy_id=pregnancy_id)
    return render(request, "cases/break_glass_form.html", {"form": form, "pregnancy_id": pregnancy_id})


@login_required
def break_glass_reviews(request: HttpRequest) -> HttpResponse:
    if not has_action(request.user, Action.REVIEW_BREAK_GLASS):
        raise Http404
    qs = break_glass_review_list(actor=request.user)
    pending_only = request.GET.get("pending", "1") == "1"
    if pending_only:
        qs = qs.filter(reviewed_at__isnull=True)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    # The reasons are clinical text about the women accessed: the page is a read of their records.
    audit_record(
        actor=request.user,
        action=AuditAction.LIST,
        obj=("cases.breakglassaccess", ""),
        patient_ids=list(dict.fromkeys(a.pregnancy.patient.external_id for a in page.object_list)),
        changes={"count": len(page.object_list), "page": "break_glass_reviews", "pending": pending_only},
    )
    return render(
        request,
        "cases/breakglassaccess_list.html",
        {"page": page, "pending_only": pending_only, "form": BreakGlassReviewForm()},
    )


@login_required
@require_POST
def break_glass_review_view(request: HttpRequest, access_id) -> HttpResponse:
    form = BreakGlassReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The review note is too long."))
        return redirect("cases:break_glass_reviews")
    try:
        break_glass_review(actor=request.user, access_id=access_id, note=form.cleaned_data["note"])
    except NotFound as exc:
        raise Http404 from exc
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Review recorded."))
    return redirect("cases:break_glass_reviews")
