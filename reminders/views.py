"""The follow-up worklist: windows due, overdue, in tracing or proposed lost at the user's facility, and
the two decisions on a lost-to-follow-up proposal.

The clinicians' home page shows the soonest of them (``followup_home_context``, one query, audited in the
home page's own list row); ``reminders:worklist`` is the whole paginated list — a page, or the bare
partial for htmx (``{% include "reminders/partials/followups.html" %}`` with ``followup_worklist_context``).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import Action, has_action
from audit.choices import AuditAction
from audit.services import audit_record
from core.errors import ApplicationError, NotFound
from core.errors import PermissionDenied as ServicePermissionDenied
from core.ids import id_url_maker

from . import services
from .access import access_followup_by_id
from .choices import WORKLIST_STATUSES
from .filtersets import FollowUpFilterSet
from .forms import FollowUpDecisionForm
from .selectors import WalkedWindows, followup_list, followup_worklist_first

PAGE_SIZE = 25


def _with_links(rows: list) -> list:
    """``rows`` with their links (``case_url``; ``confirm_url`` and ``keep_url`` on a lost-to-follow-up
    proposal), each view reversed once for the whole list instead of ``{% url %}`` on every row."""
    case_url = id_url_maker("cases:pregnancy_detail")
    confirm_url = keep_url = None
    for row in rows:
        row.case_url = case_url(row.pregnancy.external_id)
        if row.status == "lost_proposed":
            if confirm_url is None:
                confirm_url = id_url_maker("reminders:confirm_lost")
                keep_url = id_url_maker("reminders:keep_tracing")
            row.confirm_url, row.keep_url = confirm_url(row.external_id), keep_url(row.external_id)
    return rows


HOME_LIMIT = 10


def _audit_list(user, rows, changes: dict) -> None:
    audit_record(
        actor=user,
        action=AuditAction.LIST,
        obj=("reminders.followup", ""),
        patient_ids=[row.pregnancy.patient.external_id for row in rows],
        changes={"count": len(rows), **changes},
    )


def followup_worklist_context(request: HttpRequest) -> dict:
    """Queries: count, one page (unfiltered: the page's window ids, then their rows with the woman joined,
    ``WalkedWindows``; filtered: one statement), the audit insert."""
    if not has_action(request.user, Action.VIEW_CASE):
        return {"followups": None}
    queryset = followup_list(actor=request.user).filter(status__in=WORKLIST_STATUSES)
    filterset = FollowUpFilterSet(request.GET or None, queryset=queryset)
    filtered = any(request.GET.get(name) for name in FollowUpFilterSet.base_filters)
    rows = filterset.qs if filtered else WalkedWindows(request.user, queryset, WORKLIST_STATUSES)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("fpage"))
    rows = _with_links(list(page.object_list))
    _audit_list(request.user, rows, {"query": request.GET.dict()})
    return {
        "followups": rows,
        "followup_page": page,
        "followup_filter": filterset,
        "can_decide": has_action(request.user, Action.RECORD_CLINICAL),
    }


def followup_home_context(user) -> dict:
    """The soonest ``HOME_LIMIT`` windows that need someone, for the block on the clinicians' home page.

    One query (woman and facilities joined), whatever the number of windows; no audit row of its own:
    the home page names ``followup_women`` in its list audit row. ``followups_more`` says that the
    whole list (``reminders:worklist``) has more."""
    if not has_action(user, Action.VIEW_CASE):
        return {"followups": [], "followup_women": [], "followups_more": False}
    rows = followup_worklist_first(actor=user, limit=HOME_LIMIT + 1)
    more = len(rows) > HOME_LIMIT
    rows = _with_links(rows[:HOME_LIMIT])
    women = list(dict.fromkeys(row.pregnancy.patient.external_id for row in rows))
    return {
        "followups": rows,
        "followup_women": women,
        "followups_more": more,
        "can_decide": has_action(user, Action.RECORD_CLINICAL),
    }


@login_required
@require_GET
def worklist(request: HttpRequest) -> HttpResponse:
    """The whole list: the bare partial for htmx, else a page around it."""
    context = followup_worklist_context(request)
    if request.headers.get("HX-Request"):
        return render(request, "reminders/partials/followups.html", context)
    return render(request, "reminders/followup_list.html", context)


DECISIONS = {
    "confirm_lost": (services.followup_confirm_lost, _("Lost to follow-up confirmed.")),
    "keep_tracing": (services.followup_keep_tracing, _("Tracing goes on; the proposal was turned down.")),
}


@login_required
@require_POST
def decide(request: HttpRequest, follow_up_id, decision: str) -> HttpResponse:
    """Confirm a lost-to-follow-up proposal, or turn it down, through the service (which audits).

    404 when she may not see the window, 403 without change access or the role, 409 when it is not (or
    no longer) a proposal, 400 without a reason — the last two on the follow-up list page with the
    message. Success goes back where the button was (the home page or the list)."""
    service, done = DECISIONS[decision]
    try:
        follow_up = access_followup_by_id(request.user, follow_up_id)
    except NotFound as exc:
        raise Http404 from exc
    form = FollowUpDecisionForm(request.POST)
    form.is_valid()
    reason = form.cleaned_data.get("reason", "")
    try:
        service(actor=request.user, follow_up=follow_up, reason=reason)
    except NotFound as exc:
        raise Http404 from exc
    except ServicePermissionDenied as exc:
        raise DjangoPermissionDenied from exc
    except ApplicationError as exc:
        context = followup_worklist_context(request)
        context.update(
            decision_error=exc.message, decision_errors=exc.errors, failed_id=follow_up.external_id
        )
        return render(request, "reminders/followup_list.html", context, status=exc.status_code)
    messages.success(request, str(done))
    if form.cleaned_data.get("next") == "home":
        return redirect("core:home")
    return redirect("reminders:worklist")
