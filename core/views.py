from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.permissions import PERMISSIONS


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    allowed = sorted(str(a.label) for a, roles in ((a, PERMISSIONS[a]) for a in PERMISSIONS) if roles & set(user.roles))
    return render(request, "core/home.html", {"allowed_actions": allowed})


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
