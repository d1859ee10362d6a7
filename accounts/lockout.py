"""What a locked-out user sees (django-axes calls this)."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def lockout_message() -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return _(
        "Too many failed sign-in attempts. This account is locked for %(minutes)d minutes; "
        "ask your facility administrator if you need access sooner."
    ) % {"minutes": minutes}


def lockout_response(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"message": lockout_message(), "errors": {}}, status=403)
    return render(request, "accounts/locked_out.html", {"message": lockout_message()}, status=403)
