from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.permissions import PERMISSIONS, Action, has_action


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Clinicians of a facility land on their worklist; everyone else on the overview of their workplace."""
    user = request.user
    if has_action(user, Action.VIEW_CASE) and user.facility_id is not None:
        # The worklist is the case registry's page; imported here so core does not depend on cases at import.
        from cases.views import worklist_context

        return render(request, "cases/pregnancy_worklist.html", worklist_context(request))
    allowed = sorted(
        str(a.label) for a, roles in ((a, PERMISSIONS[a]) for a in PERMISSIONS) if roles & set(user.roles)
    )
    return render(request, "core/home.html", {"allowed_actions": allowed})


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
