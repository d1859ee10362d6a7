"""Alert pages: the bell in the header, the inbox with acknowledgement, the operations page.

Views are thin: selectors scope every read to the caller (her own inbox items; her facility's alerts on the
operations page), and exactly one service acknowledges or marks read. The bell is polled by
``static/js/bell.js``; it answers with one counting query and never refreshes the session, so a page left
open on a ward computer still signs out after the idle timeout.
"""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import Action, has_action
from audit.choices import AuditAction
from audit.services import audit_record
from core.errors import ApplicationError
from core.header import alert_bell

from . import selectors
from .forms import AcknowledgeForm, InboxFilterForm
from .models import InboxItem
from .recipients import MAX_LEVEL
from .services import alert_acknowledge, inbox_mark_read

PAGE_SIZE = 20
LEVELS = {
    0: gettext_lazy("First recipients"),
    1: gettext_lazy("On-call lead / department head"),
    2: gettext_lazy("Medical director"),
    3: gettext_lazy("Regional supervisor"),
}
CHANNEL_LABELS = {
    "inapp": gettext_lazy("In-app inbox"),
    "email": gettext_lazy("E-mail"),
    "sms": gettext_lazy("SMS"),
}


def without_session_refresh(view):
    """Polling must not count as activity: activity pushes the idle timeout back
    (``accounts.middleware.SessionRefreshMiddleware``), so a bell polled every 20 s would keep an abandoned
    session alive for ever. Dropping ``request.session`` after the view makes both middlewares skip the
    request (they ignore requests without a session)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if hasattr(request, "session"):
            del request.session
        return response

    return wrapped


# --- the bell ---------------------------------------------------------------------------------------------


@require_GET
@never_cache
@without_session_refresh
def bell(request: HttpRequest) -> HttpResponse:
    """The bell with the unread count (fragment). Signed out: 204, and the script stops polling."""
    if not request.user.is_authenticated:
        return HttpResponse(status=204)
    summary = selectors.inbox_unread_summary(actor=request.user)
    return HttpResponse(alert_bell(summary, getattr(settings, "ALERT_BELL_POLL_SECONDS", 20)))


# --- the inbox --------------------------------------------------------------------------------------------


def _about(user, item: InboxItem, visible: dict) -> dict:
    """What the alert is about, as far as ``user`` may see: the woman's name only with read access to the
    pregnancy, a link to the referral / consultation only when she may open it."""
    alert = item.alert
    pregnancy = alert.pregnancy
    payload = alert.payload or {}
    about = {"woman": None, "facility": alert.facility, "link": None, "link_label": ""}
    if pregnancy is not None:
        about["facility"] = about["facility"] or pregnancy.managing_facility
        if pregnancy.pk in visible["pregnancies"]:
            about["woman"] = pregnancy.patient
            about["link"] = reverse("cases:pregnancy_detail", args=[pregnancy.external_id])
            about["link_label"] = _("Open her record")
    if payload.get("referral") in visible["referrals"]:
        about["link"] = reverse("referrals:detail", args=[payload["referral"]])
        about["link_label"] = _("Open the referral")
    elif payload.get("consult") in visible["consults"]:
        about["link"] = reverse("consults:detail", args=[payload["consult"]])
        about["link_label"] = _("Open the consultation")
    elif payload.get("report") and (
        has_action(user, Action.VIEW_CASE) or has_action(user, Action.MANAGE_STAFF)
    ):
        about["link"] = reverse("risk:reports")
        about["link_label"] = _("Open the grading reports")
    return about


def _rows(user, items: list[InboxItem]) -> list[dict]:
    visible = selectors.alert_subjects(actor=user, items=items)
    rows = []
    for item in items:
        alert = item.alert
        rows.append(
            {
                "item": item,
                "alert": alert,
                "about": _about(user, item, visible),
                "level_label": LEVELS.get(alert.escalation_level, ""),
                "reached": [
                    {
                        "user": r.user,
                        "level": r.level,
                        "level_label": LEVELS.get(r.level, ""),
                        "me": r.user_id == user.pk,
                    }
                    for r in getattr(alert, "recipients", [])
                ],
                "may_acknowledge": alert.status in selectors.AWAITING,
                "may_mark_read": item.read_at is None and alert.status not in selectors.AWAITING,
                "loud": alert.severity in selectors.LOUD_SEVERITIES and alert.status in selectors.AWAITING,
            }
        )
    return rows


def _audit_names_shown(user, rows: list[dict], query: dict) -> None:
    """A list that names women leaves one audit row naming them (none when no name is shown)."""
    shown = [row["about"]["woman"].external_id for row in rows if row["about"]["woman"] is not None]
    if shown:
        audit_record(
            actor=user,
            action=AuditAction.LIST,
            obj=("notifications.inboxitem", ""),
            patient_ids=list(dict.fromkeys(shown)),
            changes={"count": len(rows), "query": query, "page": "inbox"},
        )


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    """The caller's alerts with filters, newest first.

    Queries: the session user, COUNT(*) of the filtered list, one page of items (alert, woman, her managing
    facility, the alert's facility and acknowledger joined), every recipient of those alerts (prefetch),
    which of the women / referrals / consultations she may open (one query per kind present), the audit
    row when a woman is named, the bell summary, the header's facility and the idle-timeout session
    refresh — whatever the number of items.
    """
    user = request.user
    form = InboxFilterForm(request.GET or None)
    items = selectors.inbox_item_list(actor=user, **form.filters())
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = _rows(user, list(page.object_list))
    _audit_names_shown(user, rows, request.GET.dict())
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "ack_form": AcknowledgeForm(),
        "bell": selectors.inbox_unread_summary(actor=user),
        "max_level": MAX_LEVEL,
        "may_see_operations": has_action(user, Action.VIEW_ALERT_OPERATIONS),
    }
    return render(request, "notifications/inboxitem_list.html", context)


def _item_or_404(request: HttpRequest, item_id) -> InboxItem:
    item = selectors.inbox_item_get(actor=request.user, item_id=item_id)
    if item is None:
        raise Http404
    return item


def _after_post(request: HttpRequest, item_id, notice: str = "", error: str = "") -> HttpResponse:
    """htmx: the re-rendered item (and a nudge for the bell); otherwise back to the inbox page."""
    if request.htmx:
        item = _item_or_404(request, item_id)
        row = _rows(request.user, [item])[0]
        response = render(
            request,
            "notifications/partials/inbox_item.html",
            {
                "row": row,
                "ack_form": AcknowledgeForm(),
                "max_level": MAX_LEVEL,
                "notice": notice,
                "error": error,
            },
        )
        response["HX-Trigger"] = "bell-refresh"
        return response
    if error:
        messages.error(request, error)
    elif notice:
        messages.success(request, notice)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=False):
        back = ""
    return redirect(back or reverse("notifications:inbox"))


@login_required
@require_POST
def acknowledge(request: HttpRequest, item_id) -> HttpResponse:
    """Acknowledge the alert for everyone it reached (stops the climb), with an optional note."""
    item = _item_or_404(request, item_id)
    form = AcknowledgeForm(request.POST)
    if not form.is_valid():
        return _after_post(request, item_id, error=_("The note is too long (at most 1000 characters)."))
    try:
        alert = alert_acknowledge(actor=request.user, item=item, note=form.cleaned_data["note"])
    except ApplicationError as exc:
        return _after_post(request, item_id, error=str(exc.message))
    return _after_post(
        request, item_id, notice=_("Acknowledged: %(kind)s.") % {"kind": alert.get_kind_display()}
    )


@login_required
@require_POST
def mark_read(request: HttpRequest, item_id) -> HttpResponse:
    """Mark an item read once its alert no longer waits for acknowledgement (acknowledged, resolved…)."""
    item = _item_or_404(request, item_id)
    if item.alert.status in selectors.AWAITING:
        return _after_post(
            request, item_id, error=_("Acknowledge this alert: it is still waiting for someone.")
        )
    inbox_mark_read(actor=request.user, item=item)
    return _after_post(request, item_id, notice=_("Marked as read."))


# --- the operations page ----------------------------------------------------------------------------------


@login_required
@require_GET
def operations(request: HttpRequest) -> HttpResponse:
    """Delivery and escalation counts of the administrator's scope and Celery worker health.

    Queries: the session user, the five of ``alert_operations``, the facility name and the idle-timeout
    session refresh. The worker ping waits at most ``WORKER_PING_SECONDS``.
    """
    scope = selectors.operations_scope(request.user)
    if scope is None:
        raise Http404
    stats = selectors.alert_operations(scope=scope)
    for channel in stats["channels"]:
        channel["label"] = CHANNEL_LABELS[channel["channel"]]
    context = {
        "stats": stats,
        "health": selectors.worker_health(),
        "levels": [(level, LEVELS[level], stats[f"level{level}"]) for level in (1, 2, 3)],
        "all_facilities": not scope.children,
        "now": timezone.now(),
    }
    return render(request, "notifications/alert_operations.html", context)
