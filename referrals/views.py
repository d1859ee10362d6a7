"""Referral pages: the HTML face of the referral services (and of ``referrals/api``).

Views are thin: ``access`` fetches the record (404 without view), a form checks input types, exactly one
service does the step, and its ``ApplicationError`` comes back as a message (wrong side, no longer
possible) or as field errors on the re-rendered page (invalid input). Nothing here saves a model.
"""

from __future__ import annotations

import datetime as dt
import math

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_http_methods, require_POST

from accounts.permissions import Action, has_action
from audit.choices import AuditAction
from audit.services import audit_record
from cases.access import access_pregnancy_by_id
from cases.choices import PregnancyStatus
from cases.selectors import gestational_age, postpartum_days
from core.errors import ApplicationError, Conflict, NotFound, ValidationFailed
from core.errors import PermissionDenied as ServicePermissionDenied
from core.rows import PagedByIds
from core.sensitive import RESTRICTED_LABEL, can_view_sensitive
from facilities.choices import Tier

from . import services
from .access import access_referral_by_id, referrals_visible_to, takes_part_in_referrals
from .choices import OPEN_STATUSES, ReferralStatus, Urgency
from .forms import (
    CancelForm,
    CommentForm,
    CompleteForm,
    DeclineForm,
    DepartForm,
    RedirectForm,
    ReferralRequestForm,
    apply_service_errors,
)
from .models import Referral
from .selectors import inbox_order, incoming, outgoing, referral_suggestions

S = ReferralStatus
PAGE_SIZE = 25
NEAR_TARGET = 0.75  # a clock turns amber at three quarters of its target


# --- clocks -------------------------------------------------------------------------------------------


def clock_formats() -> dict[str, str]:
    """The clock texts, translated once; the browser's ticking clock (static/js/referrals.js) uses the
    same strings, so the server's first rendering and the browser's updates read alike."""
    return {
        "m": _("%(m)s min"),
        "h": _("%(h)s h"),
        "hm": _("%(h)s h %(m)s min"),
        "dh": _("%(d)s d %(h)s h"),
        "within": _("%(elapsed)s of %(target)s"),
        "over": _("Overdue by %(over)s"),
    }


def duration_text(minutes: int, formats: dict[str, str]) -> str:
    minutes = max(0, int(minutes))
    if minutes < 60:
        return formats["m"] % {"m": minutes}
    if minutes < 24 * 60:
        if minutes % 60 == 0:
            return formats["h"] % {"h": minutes // 60}
        return formats["hm"] % {"h": minutes // 60, "m": minutes % 60}
    return formats["dh"] % {"d": minutes // (24 * 60), "h": minutes % (24 * 60) // 60}


def referral_clock(referral: Referral, now: dt.datetime, formats: dict[str, str]) -> dict | None:
    """The running clock of an open referral: acceptance (requested, from the first request of a
    redirect chain) or arrival (departed). ``state`` is ok / near / over."""
    if referral.status == S.REQUESTED:
        kind, start = "accept", referral.clock_started_at
        target = settings.REFERRAL_ACCEPT_MINUTES[referral.urgency]
        label = _("Waiting for acceptance")
    elif referral.status == S.DEPARTED and referral.departed_at:
        kind, start = "arrival", referral.departed_at
        target = settings.REFERRAL_ARRIVAL_MINUTES[referral.urgency]
        label = _("On the way")
    else:
        return None
    elapsed = (now - start).total_seconds()
    if elapsed > target * 60:
        state = "over"
        text = formats["over"] % {"over": duration_text(max(1, math.floor(elapsed / 60 - target)), formats)}
    else:
        state = "near" if elapsed >= NEAR_TARGET * target * 60 else "ok"
        text = formats["within"] % {
            "elapsed": duration_text(elapsed // 60, formats),
            "target": duration_text(target, formats),
        }
    return {
        "kind": kind,
        "label": label,
        "start": start.isoformat(),
        "target_seconds": target * 60,
        "state": state,
        "text": text,
    }


# --- helpers ------------------------------------------------------------------------------------------


def _is_receiver(user, referral: Referral) -> bool:
    return user.facility_id == referral.to_facility_id and has_action(user, Action.ACCEPT_REFERRAL)


def _is_sender(user, referral: Referral) -> bool:
    return user.facility_id == referral.from_facility_id and has_action(user, Action.REQUEST_REFERRAL)


def _get_referral(request: HttpRequest, referral_id) -> Referral:
    try:
        return access_referral_by_id(request.user, referral_id)
    except NotFound as exc:
        raise Http404 from exc


def _criteria(codes: list[str], user) -> list[dict]:
    """Names of the criteria in the snapshot; a sensitive criterion shows as restricted."""
    if not codes:
        return []
    from risk.models import CatalogueCriterion
    from risk.selectors import sensitive_codes

    hidden = set() if can_view_sensitive(user) else sensitive_codes() & set(codes)
    names = {}
    rows = CatalogueCriterion.objects.filter(code__in=codes).order_by("code", "-version__effective_from")
    for row in rows:
        names.setdefault(row.code, row)
    out = []
    for code in codes:
        if code in hidden:
            out.append({"code": "", "name": RESTRICTED_LABEL, "restricted": True})
        else:
            row = names.get(code)
            out.append({"code": code, "name": row.name if row else code, "color": row.color if row else ""})
    return out


VITALS = [
    # (key in the snapshot, label, unit)
    ("sbp_mmhg", "BP", "mmHg"),
    ("pulse_bpm", "pulse", "/min"),
    ("respiratory_rate", "RR", "/min"),
    ("spo2_pct", "SpO2", "%"),
    ("temperature_c", "T", "°C"),
    ("hb_g_l", "Hb", "g/L"),
    ("platelets_10e9_l", "PLT", "×10⁹/L"),
    ("proteinuria", "protein", ""),
]


def _vitals(vitals: dict) -> list[dict]:
    labels = {
        "BP": _("Blood pressure"),
        "pulse": _("Pulse"),
        "RR": _("Respiratory rate"),
        "SpO2": _("SpO₂"),
        "T": _("Temperature"),
        "Hb": _("Haemoglobin"),
        "PLT": _("Platelets"),
        "protein": _("Urine protein"),
    }
    out = []
    for key, short, unit in VITALS:
        if key == "sbp_mmhg":
            if vitals.get("sbp_mmhg") is None:
                continue
            value = f"{_num(vitals['sbp_mmhg'])}/{_num(vitals.get('dbp_mmhg')) or '?'}"
        elif vitals.get(key) in (None, ""):
            continue
        else:
            value = _num(vitals[key])
        out.append({"label": labels[short], "value": value, "unit": unit})
    return out


def _num(value):
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _summary(referral: Referral, user) -> dict:
    """The clinical snapshot, ready to show: criteria named (sensitive ones restricted), vitals labelled."""
    from risk.choices import MeowsLevel

    snap = referral.clinical_summary or {}
    meows = snap.get("meows") or None
    if meows:
        meows = {**meows, "label": MeowsLevel(meows["level"]).label if meows.get("level") else ""}
        meows["at"] = _parse(meows.get("at"))
    edd = snap.get("edd")
    return {
        "risk_color": snap.get("risk_color"),
        "purple": snap.get("purple"),
        "criteria": _criteria(list(snap.get("criteria") or []), user),
        "ga": snap.get("gestational_age"),
        "postpartum_days": snap.get("postpartum_days"),
        "edd": dt.date.fromisoformat(edd) if edd else None,
        "fetuses": snap.get("fetuses"),
        "vitals": _vitals(snap.get("vitals") or {}),
        "vitals_at": _parse(snap.get("vitals_at")),
        "vitals_from_chart": snap.get("vitals_source") == "observation",
        "labs_at": _parse(snap.get("labs_at")) if snap.get("labs_at") != snap.get("vitals_at") else None,
        "meows": meows,
    }


def _parse(value):
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        return None


def _risk_label(color: str | None) -> str:
    from cases.choices import RiskColor

    return RiskColor(color).label if color in RiskColor.values else ""


def _timeline(referral: Referral, redirected_from: Referral | None) -> list[dict]:
    """The referral's timestamps in order, with who did each step."""
    items = []

    def add(at, kind, title, who=None, note="", link=None):
        if at:
            items.append({"at": at, "kind": kind, "title": title, "who": who, "note": note, "link": link})

    if redirected_from is not None:
        add(
            redirected_from.requested_at,
            "redirected_from",
            _("First requested at %(facility)s, redirected here")
            % {"facility": redirected_from.to_facility.name},
            link=redirected_from,
            note=redirected_from.close_reason,
        )
    add(referral.decided_at, "decided", _("Decision to refer"), referral.sending_clinician)
    add(referral.requested_at, "requested", _("Referral requested"), referral.sending_clinician)
    add(referral.accepted_at, "accepted", pgettext("referral timeline", "Accepted"), referral.accepted_by)
    if referral.closed_at:
        title = {
            S.DECLINED: pgettext("referral timeline", "Declined"),
            S.CANCELLED: pgettext("referral timeline", "Cancelled"),
            S.REDIRECTED: pgettext("referral timeline", "Redirected"),
        }.get(referral.status, pgettext("referral timeline", "Closed"))
        add(
            referral.closed_at,
            referral.status,
            title,
            referral.closed_by,
            referral.close_reason,
            link=referral.redirected_to if referral.redirected_to_id else None,
        )
    departure_note = " · ".join(part for part in (referral.get_transport_display(), referral.escort) if part)
    add(referral.departed_at, "departed", pgettext("referral timeline", "Departed"), note=departure_note)
    add(referral.arrived_at, "arrived", pgettext("referral timeline", "Arrived"))
    add(referral.completed_at, "completed", _("Completed: return summary sent"), referral.completed_by)
    return items


def _actions(user, referral: Referral) -> dict:
    """Which steps this user may offer in this state (the services decide again on submit)."""
    receiver = _is_receiver(user, referral)
    sender = _is_sender(user, referral)
    status = referral.status
    requested = status == S.REQUESTED
    may_refuse = services.may_refuse(referral) if receiver and requested else True
    return {
        "accept": receiver and requested,
        "decline": receiver and requested and may_refuse,
        "decline_forbidden": receiver and requested and not may_refuse,
        "redirect": receiver and requested,
        "arrive": receiver and status == S.DEPARTED,
        "complete": receiver and status == S.ARRIVED,
        "cancel": sender and status in (S.REQUESTED, S.ACCEPTED),
        "depart": sender and status == S.ACCEPTED,
        "comment": status in OPEN_STATUSES
        and user.facility_id in (referral.from_facility_id, referral.to_facility_id),
        "thread_closed": status not in OPEN_STATUSES,
        "receiving_side_without_role": user.facility_id == referral.to_facility_id and not receiver,
    }


# --- the referral form --------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def referral_create(request: HttpRequest) -> HttpResponse:
    """Refer the woman ``?pregnancy=<id>`` from the user's facility (change access to her record)."""
    user = request.user
    pregnancy_id = request.GET.get("pregnancy") or request.POST.get("pregnancy")
    try:
        pregnancy = access_pregnancy_by_id(user, pregnancy_id, perm="change", audit=request.method == "GET")
    except NotFound as exc:
        raise Http404 from exc
    except ServicePermissionDenied as exc:
        raise DjangoPermissionDenied from exc
    if not has_action(user, Action.REQUEST_REFERRAL) or user.facility_id is None:
        raise DjangoPermissionDenied
    suggestions = referral_suggestions(actor=user, pregnancy=pregnancy)
    form = ReferralRequestForm(
        request.POST or None,
        user=user,
        suggestions=suggestions,
        show_discharge=user.facility.tier != Tier.PRIMARY,
    )
    existing = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            referral = services.referral_request(
                actor=user,
                pregnancy=pregnancy,
                to_facility=data["facility"],
                urgency=data["urgency"],
                reason=data["reason"],
                purpose=data["purpose"],
                transfers_management=data["transfers_management"],
                transport=data["transport"],
                escort=data["escort"],
                sender_contact=data["sender_contact"],
                treatments_given=data["treatments_given"],
                discharge_summary=data.get("discharge_summary", ""),
                decided_at=data["decided_at"],
            )
        except ApplicationError as exc:
            apply_service_errors(form, exc)
            if isinstance(exc, Conflict):
                existing = (
                    referrals_visible_to(user)
                    .filter(pregnancy=pregnancy, status__in=OPEN_STATUSES)
                    .select_related("to_facility")
                    .first()
                )
        else:
            messages.success(
                request,
                _("Referral to %(facility)s requested. Call their hotline to hand over.")
                % {"facility": referral.to_facility.name},
            )
            return redirect("referrals:detail", referral_id=referral.external_id)
    context = {
        "pregnancy": pregnancy,
        "gestational_age": gestational_age(pregnancy),
        "postpartum_day": postpartum_days(pregnancy),
        "form": form,
        "suggestions": suggestions,
        "existing": existing,
        "urgencies": Urgency,
        "ended": pregnancy.status == PregnancyStatus.POSTPARTUM,
    }
    return render(request, "referrals/referral_form.html", context, status=400 if form.errors else 200)


# --- inboxes ------------------------------------------------------------------------------------------


@login_required
def referral_list(request: HttpRequest) -> HttpResponse:
    """The facility's incoming or outgoing referrals, open ones first, emergencies first, oldest clock
    first; each open one with its live clock.

    Only staff who refer or receive women see their facility's inboxes (403 for other roles).

    Queries: the two open counts of the tabs, the count of the list, one page of rows (its ids in order,
    then the rows with woman, both facilities and the sending clinician joined), the list audit row —
    whatever the number of rows.
    """
    user = request.user
    if not takes_part_in_referrals(user):
        raise DjangoPermissionDenied
    box = "outgoing" if request.GET.get("box") == "outgoing" else "incoming"
    show = "all" if request.GET.get("show") == "all" else "open"
    counts = {
        "incoming": incoming(actor=user).filter(status__in=OPEN_STATUSES).count(),
        "outgoing": outgoing(actor=user).filter(status__in=OPEN_STATUSES).count(),
    }
    qs = (incoming if box == "incoming" else outgoing)(actor=user)
    if show == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    # ranked on the referrals alone, then the page's rows read joined (``core.rows.PagedByIds``)
    page = Paginator(PagedByIds(inbox_order(qs)), PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    formats = clock_formats()
    rows = [
        {"referral": r, "clock": referral_clock(r, now, formats), "overdue": False} for r in page.object_list
    ]
    for row in rows:
        row["overdue"] = bool(row["clock"] and row["clock"]["state"] == "over")
    audit_record(
        actor=user,
        action=AuditAction.LIST,
        obj=("referrals.referral", ""),
        patient_ids=[row["referral"].pregnancy.patient.external_id for row in rows],
        changes={"count": len(rows), "query": request.GET.dict(), "page": f"inbox:{box}"},
    )
    return render(
        request,
        "referrals/referral_list.html",
        {
            "box": box,
            "show": show,
            "counts": counts,
            "page": page,
            "rows": rows,
            "now": now,
            "clock_formats": formats,
        },
    )


# --- the referral page --------------------------------------------------------------------------------


def _detail_context(request: HttpRequest, referral: Referral, **forms) -> dict:
    user = request.user
    redirected_from = (
        referrals_visible_to(user).filter(redirected_to=referral).select_related("to_facility").first()
    )
    actions = _actions(user, referral)
    formats = clock_formats()
    context = {
        "referral": referral,
        "summary": _summary(referral, user),
        "summary_risk_label": _risk_label((referral.clinical_summary or {}).get("risk_color")),
        "timeline": _timeline(referral, redirected_from),
        "redirected_from": redirected_from,
        "comments": referral.comments.select_related("author", "author__facility"),
        "actions": actions,
        "clock": referral_clock(referral, timezone.now(), formats),
        "now": timezone.now(),
        "clock_formats": formats,
        "is_sender_side": user.facility_id == referral.from_facility_id,
        "is_receiver_side": user.facility_id == referral.to_facility_id,
        "decline_form": DeclineForm(),
        "redirect_form": RedirectForm(user=user, referral=referral) if actions["redirect"] else None,
        "cancel_form": CancelForm(),
        "depart_form": DepartForm(initial={"escort": referral.escort}),
        "complete_form": CompleteForm(),
        "comment_form": CommentForm(),
    }
    context.update(forms)
    return context


@login_required
def referral_detail(request: HttpRequest, referral_id) -> HttpResponse:
    referral = _get_referral(request, referral_id)
    audit_record(
        actor=request.user,
        action=AuditAction.READ,
        obj=referral,
        patient_ids=[referral.pregnancy.patient.external_id],
    )
    return render(request, "referrals/referral_detail.html", _detail_context(request, referral))


def _run_step(request: HttpRequest, referral: Referral, step, *, form=None, form_key="", success=""):
    """Validate ``form`` (if any), run the one service ``step(data)``; map its errors. A step refused by
    the service changes nothing: the page shows why."""
    if form is not None and not form.is_valid():
        return _rerender(request, referral, form_key, form)
    try:
        step(form.cleaned_data if form is not None else {})
    except ValidationFailed as exc:
        if form is None:
            messages.error(request, str(exc.message))
        else:
            apply_service_errors(form, exc)
            return _rerender(request, referral, form_key, form)
    except ServicePermissionDenied as exc:
        messages.error(request, str(exc.message))
    except Conflict as exc:
        messages.error(request, str(exc.message))  # "… the step is no longer possible", or the rule
    else:
        if success:
            messages.success(request, success)
    return redirect(
        reverse("referrals:detail", kwargs={"referral_id": referral.external_id}) + _anchor(form_key)
    )


def _anchor(form_key: str) -> str:
    return "#thread" if form_key == "comment_form" else ""


def _rerender(request, referral, form_key, form) -> HttpResponse:
    fresh = Referral.objects.select_related(
        "pregnancy__patient", "from_facility", "to_facility", "sending_clinician", "accepted_by"
    ).get(pk=referral.pk)
    context = _detail_context(request, fresh, **{form_key: form, "open_form": form_key})
    return render(request, "referrals/referral_detail.html", context, status=400)


@login_required
@require_POST
def referral_accept(request: HttpRequest, referral_id) -> HttpResponse:
    referral = _get_referral(request, referral_id)
    return _run_step(
        request,
        referral,
        lambda data: services.referral_accept(actor=request.user, referral=referral),
        success=_("Accepted. The referring facility has been notified."),
    )


@login_required
@require_POST
def referral_decline(request: HttpRequest, referral_id) -> HttpResponse:
    referral = _get_referral(request, referral_id)
    return _run_step(
        request,
        referral,
        lambda data: services.referral_decline(actor=request.user, referral=referral, reason=data["reason"]),
        form=DeclineForm(request.POST),
        form_key="decline_form",
        success=_("Referral declined."),
    )


@login_required
@require_POST
def referral_redirect(request: HttpRequest, referral_id) -> HttpResponse:
    referral = _get_referral(request, referral_id)
    return _run_step(
        request,
        referral,
        lambda data: services.referral_redirect(
            actor=request.user, referral=referral, to_facility=data["to_facility"], reason=data["reason"]
        ),
        form=RedirectForm(request.POST, user=request.user, referral=referral),
        form_key="redirect_form",
        success=_("Redirected: a linked referral has been requested; the acceptance clock keeps running."),
    )


@login_required
@require_POST
def referral_cancel(request: HttpRequest, referral_id) -> HttpResponse:
    referral = _get_referral(request, referral_id)
    return _run_step(
        request,
        referral,
        lambda data: services.referral_cancel(actor=request.user, referral=referral, reason=data["reason"]),
        form=CancelForm(request.POST),
        form_key="cancel_form",
        success=_("Referral cancelled."),
    )


@login_required
@require_POST
def referral_depart(request: HttpRequest, referral_id) -> HttpResponse:
    referral = _get_referral(request, referral_id)
    return _run_step(
        request,
        referral,
        lambda data: services.referral_depart(
            actor=request.user, referral=referral, transport=data["transport"], escort=data["escort"]
        ),
        form=DepartForm(request.POST),
        form_key="depart_form",
        success=_("Departure recorded. The arrival clock is running."),
    )


@login_required
@require_POST
def referral_arrive(request: HttpRequest, referral_id) -> HttpResponse:
    referral = _get_referral(request, referral_id)
    return _run_step(
        request,
        referral,
        lambda data: services.referral_arrive(actor=request.user, referral=referral),
        success=_("Arrival recorded."),
    )


@login_required
@require_POST
def referral_complete(request: HttpRequest, referral_id) -> HttpResponse:
    referral = _get_referral(request, referral_id)
    return _run_step(
        request,
        referral,
        lambda data: services.referral_complete(
            actor=request.user,
            referral=referral,
            findings=data["findings"],
            disposition=data["disposition"],
            treatment=data["treatment"],
            recommendations=data["recommendations"],
        ),
        form=CompleteForm(request.POST),
        form_key="complete_form",
        success=_("Referral completed. The return summary is on its way to the referring facility."),
    )


@login_required
@require_POST
def referral_comment(request: HttpRequest, referral_id) -> HttpResponse:
    referral = _get_referral(request, referral_id)
    return _run_step(
        request,
        referral,
        lambda data: services.referral_comment_add(actor=request.user, referral=referral, text=data["text"]),
        form=CommentForm(request.POST),
        form_key="comment_form",
    )


# --- printouts ----------------------------------------------------------------------------------------


def _printout(request: HttpRequest, referral_id, template: str) -> HttpResponse:
    referral = _get_referral(request, referral_id)
    audit_record(
        actor=request.user,
        action=AuditAction.PRINT,
        obj=referral,
        patient_ids=[referral.pregnancy.patient.external_id],
        changes={"document": template.rsplit("/", 1)[-1].removesuffix(".html")},
    )
    context = {
        "referral": referral,
        "patient": referral.pregnancy.patient,
        "summary": _summary(referral, request.user),
        "summary_risk_label": _risk_label((referral.clinical_summary or {}).get("risk_color")),
        "printed_at": timezone.localtime(),
    }
    return render(request, template, context)


@login_required
def referral_letter(request: HttpRequest, referral_id) -> HttpResponse:
    return _printout(request, referral_id, "referrals/referral_letter.html")


@login_required
def referral_return_slip(request: HttpRequest, referral_id) -> HttpResponse:
    return _printout(request, referral_id, "referrals/referral_return_slip.html")
