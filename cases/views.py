"""Case pages. The full case page comes with the case registry; this one shows what access allows."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.permissions import Action, has_action
from core.errors import ApplicationError, NotFound

from .access import access_pregnancy_by_id
from .forms import BreakGlassForm, BreakGlassReviewForm
from .selectors import break_glass_review_list, gestational_age
from .services import break_glass_open, break_glass_review


@login_required
def pregnancy_detail(request: HttpRequest, pregnancy_id) -> HttpResponse:
    try:
        pregnancy = access_pregnancy_by_id(request.user, pregnancy_id)
    except NotFound as exc:
        raise Http404 from exc
    return render(
        request, "cases/pregnancy_detail.html",
        {"pregnancy": pregnancy, "gestational_age": gestational_age(pregnancy)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def break_glass(request: HttpRequest, pregnancy_id) -> HttpResponse:
    if not has_action(request.user, Action.BREAK_GLASS):
        raise Http404
    form = BreakGlassForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            break_glass_open(actor=request.user, pregnancy_id=pregnancy_id, reason=form.cleaned_data["reason"])
        except NotFound as exc:
            raise Http404 from exc
        except ApplicationError as exc:
            for field, errors in exc.errors.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
            if not exc.errors:
                form.add_error(None, str(exc.message))
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
    return render(
        request, "cases/breakglassaccess_list.html",
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
