"""Facility and staff directories: shared reference information for every signed-in user."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.models import OnCallShift, User

from .choices import Capability
from .filtersets import FacilityFilterSet, StaffFilterSet
from .selectors import facility_list


@login_required
def facility_directory(request: HttpRequest) -> HttpResponse:
    filterset = FacilityFilterSet(request.GET or None, queryset=facility_list(actor=request.user))
    page = Paginator(filterset.qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "facilities/facility_list.html",
        {"filter": filterset, "page": page, "capability_choices": Capability.choices},
    )


@login_required
def facility_detail(request: HttpRequest, facility_id) -> HttpResponse:
    facility = facility_list(actor=request.user).filter(external_id=facility_id).first()
    if facility is None:
        raise Http404
    departments = facility.departments.all()
    on_call = (
        OnCallShift.objects.covering(timezone.now())
        .filter(facility=facility)
        .select_related("user", "department")
    )
    return render(
        request,
        "facilities/facility_detail.html",
        {
            "facility": facility,
            "departments": departments,
            "on_call": on_call,
            "capability_choices": Capability.choices,
        },
    )


@login_required
def staff_directory(request: HttpRequest) -> HttpResponse:
    """Names, roles, departments and work phones — no patient data; work contacts are for referral calls."""
    qs = (
        User.objects.filter(is_active=True)
        .select_related("facility", "department", "region")
        .order_by("facility__name_zh", "display_name")
    )
    search = StaffFilterSet(request.GET, queryset=qs)
    # A search that is not valid (too long, a NUL character, a malformed facility id) lists nobody and says
    # why next to the field, rather than listing everybody as if there were no search.
    rows = search.qs  # nothing for an invalid search (``LeanFilterSet.qs``)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(request, "facilities/staff_list.html", {"page": page, "search": search})
