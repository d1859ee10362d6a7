from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.permissions import Action, has_action

from .filtersets import AuditEventFilterSet
from .selectors import audit_event_list


@login_required
def audit_search(request: HttpRequest) -> HttpResponse:
    if not has_action(request.user, Action.VIEW_AUDIT):
        raise Http404
    filterset = AuditEventFilterSet(request.GET or None, queryset=audit_event_list(actor=request.user))
    page = Paginator(filterset.qs, 50).get_page(request.GET.get("page"))
    return render(request, "audit/auditevent_list.html", {"filter": filterset, "page": page})
