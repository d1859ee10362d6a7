"""MDT consultation pages: the HTML face of the consult services.

Views are thin: ``access`` fetches the consult (404 without view), a form checks input types, one service
call does the work, and its ``ApplicationError`` is shown on the form or as a message. What a page offers
is derived from the user's roles and membership; the services enforce the same rules anyway.
"""

import datetime as dt
import re

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import connection
from django.db.models import (
    Prefetch,
    Q,
)
from django.forms.utils import ErrorDict
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.permissions import Action, has_action
from audit.choices import AuditAction
from audit.services import audit_record
from cases.access import access_pregnancy_by_id
from cases.choices import RiskColor
from cases.forms import apply_service_errors
from cases.selectors import gestational_age, postpartum_days
from core.errors import ApplicationError, Conflict, NotFound
from core.ids import id_url_maker
from core.rows import Joined
from core.sensitive import RESTRICTED_LABEL, can_view_sensitive
from facilities.choices import Specialty

from . import services
from .access import (
    access_consult_by_id,
    coordinates_consults,
    is_consult_coordinator,
    may_cancel,
    may_conclude,
    may_record_opinion,
    may_see_consult,
)
from .choices import ActionStatus, ConsultStatus, ConsultUrgency, DecisionKind, InvitationStatus
from .forms import (
    CANDIDATES_SHOWN,
    ActionDoneForm,
    ActionItemFormSet,
    AddendumForm,
    CancelForm,
    ConcludeForm,
    ConsultRequestForm,
    DeclineForm,
    OpinionForm,
    ScheduleForm,
    SignForm,
    action_owners,
    invitable_users,
)
from .models import ActionItem, Consult, Participant

C = ConsultStatus
OPEN = (C.SCHEDULED, C.IN_PROGRESS)
SCHEDULABLE = (C.REQUESTED, C.SCHEDULED)
URGENCY_ORDER = [ConsultUrgency.EMERGENCY, ConsultUrgency.ROUTINE, ConsultUrgency.SCHEDULED]
UPCOMING_DAYS = 7
# The board's first rows: per urgency (longest waiting first), per calendar day, of the coming days.
BOARD_GROUP_ROWS = 20
BOARD_DAY_ROWS = 8
BOARD_UPCOMING_ROWS = 25
WEEK_RE = re.compile(r"^(\d{4})-W(\d{1,2})$")


# --- helpers ------------------------------------------------------------------------------------------


def _get_consult(request: HttpRequest, consult_id) -> Consult:
    try:
        return access_consult_by_id(request.user, consult_id)
    except NotFound as exc:
        raise Http404 from exc


def _audit_read(user, consult: Consult, action=AuditAction.READ) -> None:
    audit_record(actor=user, action=action, obj=consult, patient_ids=[consult.pregnancy.patient.external_id])


def _checked(request: HttpRequest, consult: Consult, step: str) -> HttpResponse | None:
    """403 / 409 before the input is looked at (``services.consult_check``): the consult page again with
    the message, or None when the step may go ahead."""
    try:
        services.consult_check(actor=request.user, consult=consult, step=step)
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
        return _rerender(request, consult, exc)
    return None


def _duration(minutes: int) -> str:
    hours, mins = divmod(max(int(minutes), 0), 60)
    if hours >= 48:
        return _("%(d)d d %(h)d h") % {"d": hours // 24, "h": hours % 24}
    if hours and not mins:
        return _("%(h)d h") % {"h": hours}
    if hours:
        return _("%(h)d h %(m)d min") % {"h": hours, "m": mins}
    return _("%(m)d min") % {"m": mins}


def _criteria(codes: list[str], user) -> list[dict]:
    """Names of the criteria in the snapshot; a sensitive criterion shows as restricted."""
    if not codes:
        return []
    from risk.models import CatalogueCriterion
    from risk.selectors import sensitive_codes

    hidden = set() if can_view_sensitive(user) else sensitive_codes() & set(codes)
    rows = {}
    for row in CatalogueCriterion.objects.filter(code__in=codes).order_by("code", "-version__effective_from"):
        rows.setdefault(row.code, row)
    out = []
    for code in codes:
        if code in hidden:
            out.append({"code": "", "name": RESTRICTED_LABEL, "restricted": True})
            continue
        row = rows.get(code)
        out.append({"code": code, "name": row.name if row else code, "color": row.color if row else ""})
    return out


VITALS = [
    # (key in the snapshot, label, unit)
    ("pulse_bpm", "pulse", "/min"),
    ("respiratory_rate", "rr", "/min"),
    ("spo2_pct", "spo2", "%"),
    ("temperature_c", "temp", "°C"),
    ("hb_g_l", "hb", "g/L"),
    ("platelets_10e9_l", "plt", "×10⁹/L"),
    ("proteinuria", "protein", ""),
]


def _number(value):
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _summary(consult: Consult, user) -> dict:
    """The case snapshot taken at the request, ready to show."""
    snap = consult.case_summary or {}
    labels = {
        "pulse": _("Pulse"),
        "rr": _("Respiratory rate"),
        "spo2": _("SpO₂"),
        "temp": _("Temperature"),
        "hb": _("Haemoglobin"),
        "plt": _("Platelets"),
        "protein": _("Urine protein"),
    }
    vitals = snap.get("vitals") or {}
    rows = []
    if vitals.get("sbp_mmhg") is not None or vitals.get("dbp_mmhg") is not None:
        bp = f"{_number(vitals.get('sbp_mmhg', '–'))}/{_number(vitals.get('dbp_mmhg', '–'))}"
        rows.append({"label": _("Blood pressure"), "value": bp, "unit": "mmHg"})
    for key, label, unit in VITALS:
        if vitals.get(key) not in (None, ""):
            rows.append({"label": labels[label], "value": _number(vitals[key]), "unit": unit})
    edd = snap.get("edd")
    vitals_at = snap.get("vitals_at")
    colour = snap.get("risk_color")
    return {
        "risk_color": colour,
        "risk_label": RiskColor(colour).label if colour in RiskColor.values else "",
        "purple": snap.get("purple"),
        "criteria": _criteria(snap.get("criteria") or [], user),
        "ga": snap.get("gestational_age"),
        "postpartum_day": snap.get("postpartum_days"),
        "edd": dt.date.fromisoformat(edd) if edd else None,
        "fetuses": snap.get("fetuses"),
        "vitals": rows,
        "vitals_at": dt.datetime.fromisoformat(vitals_at) if vitals_at else None,
    }


# --- request ------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def consult_new(request: HttpRequest) -> HttpResponse:
    """``/consults/new/?pregnancy=<uuid>``: needs view access to the pregnancy and the request action."""
    pregnancy_id = request.GET.get("pregnancy") or request.POST.get("pregnancy")
    try:
        pregnancy = access_pregnancy_by_id(request.user, pregnancy_id, audit=request.method == "GET")
    except NotFound as exc:
        raise Http404 from exc
    if not has_action(request.user, Action.REQUEST_CONSULT) or request.user.facility_id is None:
        raise DjangoPermissionDenied
    form = ConsultRequestForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            consult = services.consult_request(
                actor=request.user,
                pregnancy=pregnancy,
                urgency=data["urgency"],
                question=data["question"],
                specialties=data["specialties"],
                coordinating_facility=data["coordinating_facility"],
            )
        except ApplicationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Consultation %(ref)s requested. The MDT coordinators have been alerted.")
                % {"ref": consult.reference},
            )
            return redirect("consults:detail", consult_id=consult.external_id)
    return render(
        request,
        "consults/consult_request.html",
        {
            "form": form,
            "pregnancy": pregnancy,
            "gestational_age": gestational_age(pregnancy),
            "postpartum_day": postpartum_days(pregnancy),
            "targets": settings.CONSULT_SCHEDULE_MINUTES,
        },
    )


# --- the coordinator's board --------------------------------------------------------------------------


def _week_start(value: str | None, today: dt.date) -> dt.date:
    match = WEEK_RE.match(value or "")
    if match:
        try:
            return dt.date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
        except ValueError:
            pass
    return today - dt.timedelta(days=today.weekday())


def _iso_week(day: dt.date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def _local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()), timezone.get_current_timezone())


def _board_day(value: str | None, monday: dt.date) -> dt.date | None:
    """The day of the shown week whose calendar column is opened in full (``?day=YYYY-MM-DD``), if any."""
    try:
        day = dt.date.fromisoformat(value or "")
    except ValueError:
        return None
    return day if monday <= day < monday + dt.timedelta(days=7) else None


# The board's ranking, one fixed statement (three parts, one round trip): the waiting requests of each
# urgency (its first rows, unless the group is opened in full, and its size), the week's consults of each
# local day (likewise), and the coming days' consults (with their total). Ranked on the consult rows alone
# (the ``consult_board`` index, narrow rows); the rows shown are read afterwards (``_BOARD_CONSULTS``).
# Written by hand: the ORM compiled the three window queries afresh on every request, about a third of the
# board's Python time (issue #9). ``part``: r(equest), w(eek), u(pcoming); ``key``: the urgency or the day.
_BOARD_RANKING = """
SELECT 'r' AS part, id, urgency AS key, size, at FROM (
    SELECT id, urgency, requested_at AS at,
           row_number() OVER (PARTITION BY urgency ORDER BY requested_at, id) AS place,
           count(*) OVER (PARTITION BY urgency) AS size
      FROM consults_consult
     WHERE coordinating_facility_id = %(facility)s AND status = %(requested)s
) requests
 WHERE place <= CASE WHEN urgency = %(open_group)s THEN 2147483647 ELSE %(group_rows)s END
UNION ALL
SELECT 'w', id, day::text, size, at FROM (
    SELECT id, scheduled_start AS at, (scheduled_start AT TIME ZONE %(zone)s)::date AS day,
           row_number() OVER (
               PARTITION BY (scheduled_start AT TIME ZONE %(zone)s)::date ORDER BY scheduled_start, id
           ) AS place,
           count(*) OVER (PARTITION BY (scheduled_start AT TIME ZONE %(zone)s)::date) AS size
      FROM consults_consult
     WHERE coordinating_facility_id = %(facility)s AND status = ANY(%(week_statuses)s)
       AND scheduled_start >= %(week_start)s AND scheduled_start < %(week_end)s
) week
 WHERE place <= CASE WHEN day = %(open_day)s THEN 2147483647 ELSE %(day_rows)s END
UNION ALL
(SELECT 'u', id, NULL, count(*) OVER (), scheduled_start
   FROM consults_consult
  WHERE coordinating_facility_id = %(facility)s AND status = ANY(%(open)s)
    AND scheduled_end >= %(now)s AND scheduled_start < %(coming_end)s
  ORDER BY scheduled_start, id
  LIMIT %(upcoming_rows)s)
ORDER BY part, at, id
"""

# What the board's rows show: the consult, the woman and her grade, the requester and her facility, and
# the participant counts of the coming days' table (``invited``: not withdrawn; ``accepted``).
_BOARD_CONSULTS = Joined(
    Consult,
    "pregnancy",
    "pregnancy__patient",
    "requested_by",
    "requesting_facility",
    only={
        "": (
            "external_id",
            "status",
            "urgency",
            "question",
            "requested_at",
            "scheduled_start",
            "scheduled_end",
            "location",
            "meeting_url",
            "pregnancy",
            "requested_by",
            "requesting_facility",
        ),
        "pregnancy": ("external_id", "risk_color", "purple", "patient"),
        "pregnancy__patient": ("external_id", "name", "record_number"),
        "requested_by": ("display_name", "first_name", "last_name", "username"),
        "requesting_facility": ("name_zh", "name_en"),
    },
)
_PARTICIPANT_COUNTS = {
    "invited": "(SELECT count(*) FROM consults_participant p WHERE p.consult_id = t0.id AND p.status <> %s)",
    "accepted": "(SELECT count(*) FROM consults_participant p WHERE p.consult_id = t0.id AND p.status = %s)",
}


def _board_consults(ids: list[int]) -> dict[int, Consult]:
    """The board's shown consults by id, with woman, requester, requesting facility and the participant
    counts, in one statement; nothing is read for no id. Each carries its links (``detail_url``,
    ``schedule_url``, ``case_url``), reversed once per page (``core.ids.id_url_maker``)."""
    if not ids:
        return {}
    rows = _BOARD_CONSULTS.fetch_all(
        "t0.id = ANY(%s)",
        [InvitationStatus.WITHDRAWN.value, InvitationStatus.ACCEPTED.value, sorted(set(ids))],
        order_by="t0.id",
        annotations=_PARTICIPANT_COUNTS,
    )
    detail, schedule, case = (
        id_url_maker("consults:detail"),
        id_url_maker("consults:schedule"),
        id_url_maker("cases:pregnancy_detail"),
    )
    consults = {}
    for consult in rows:
        consult.detail_url = detail(consult.external_id)
        consult.schedule_url = schedule(consult.external_id)
        consult.case_url = case(consult.pregnancy.external_id)
        consults[consult.pk] = consult
    return consults


def _board_ranking(user, *, now, today, monday, open_day, show_all) -> tuple[list, list, list]:
    """(waiting requests as (id, urgency, group size), the week's consults as (id, local day, day size),
    the coming days' as (id, total)), each in the board's order; nothing for a user who coordinates
    nowhere (``consults_coordinated_by``: the coordinator arm of the consult visibility)."""
    if not coordinates_consults(user):
        return [], [], []
    params = {
        "facility": user.facility_id,
        "requested": C.REQUESTED.value,
        "open_group": show_all or "",
        "group_rows": BOARD_GROUP_ROWS,
        "zone": timezone.get_current_timezone_name(),
        "week_statuses": [C.SCHEDULED.value, C.IN_PROGRESS.value, C.CONCLUDED.value],
        "week_start": _local_midnight(monday),
        "week_end": _local_midnight(monday + dt.timedelta(days=7)),
        "open_day": open_day,
        "day_rows": BOARD_DAY_ROWS,
        "open": [status.value for status in OPEN],
        "now": now,
        "coming_end": _local_midnight(today + dt.timedelta(days=UPCOMING_DAYS + 1)),
        "upcoming_rows": None if show_all == "upcoming" else BOARD_UPCOMING_ROWS,
    }
    with connection.cursor() as cursor:
        cursor.execute(_BOARD_RANKING, params)
        rows = cursor.fetchall()
    requests = [(pk, key, size) for part, pk, key, size, _at in rows if part == "r"]
    week = [(pk, dt.date.fromisoformat(key), size) for part, pk, key, size, _at in rows if part == "w"]
    upcoming = [(pk, size) for part, pk, _key, size, _at in rows if part == "u"]
    return requests, week, upcoming


def board_context(
    user, week: str | None = None, *, show_all: str | None = None, day: str | None = None
) -> dict:
    """Open requests by urgency, the week's calendar and the coming days, for the user's facility.

    Each part shows its first rows and says how many there are: per urgency the ``BOARD_GROUP_ROWS``
    longest waiting (``show_all=<urgency>`` opens that group in full), per calendar day
    ``BOARD_DAY_ROWS`` consults (``day=YYYY-MM-DD`` opens one day), and the first ``BOARD_UPCOMING_ROWS``
    of the coming days (``show_all=upcoming``). A regional centre can have a hundred and fifty requests
    waiting: rendered all at once the page took a second and a half under load and buried the oldest
    emergencies in a long scroll.

    Queries: the ranking of the three parts (``_BOARD_RANKING``: each group's first rows and its size),
    the shown consults with woman, requester, facility and participant counts (``_board_consults``), the
    audit insert naming the women shown — whatever the number of consults. The ranking reads the
    ``consult_board`` index of her facility; nothing is read for a user who coordinates nowhere.
    """
    now = timezone.now()
    today = timezone.localdate()
    monday = _week_start(week, today)
    open_day = _board_day(day, monday)
    shown_requests, shown_week, shown_upcoming = _board_ranking(
        user, now=now, today=today, monday=monday, open_day=open_day, show_all=show_all
    )
    consults = _board_consults(
        [row[0] for row in shown_requests]
        + [row[0] for row in shown_week]
        + [row[0] for row in shown_upcoming]
    )
    groups = []
    for urgency in URGENCY_ORDER:
        target = settings.CONSULT_SCHEDULE_MINUTES.get(urgency)
        rows, total = [], 0
        for pk, _urgency, group_size in (row for row in shown_requests if row[1] == urgency):
            consult = consults[pk]
            waited = int((now - consult.requested_at).total_seconds() // 60)
            total = group_size
            rows.append(
                {
                    "consult": consult,
                    "waited": _duration(waited),
                    "target": _duration(target) if target else None,
                    "overdue": target is not None and waited > target,
                }
            )
        groups.append(
            {
                "urgency": urgency,
                "label": ConsultUrgency(urgency).label,
                "rows": rows,
                "total": total,
                "hidden": total - len(rows),
                "opened": show_all == urgency and total > BOARD_GROUP_ROWS,
            }
        )
    days = []
    for offset in range(7):
        date = monday + dt.timedelta(days=offset)
        on_day = [(pk, size) for pk, day_of, size in shown_week if day_of == date]
        items = [consults[pk] for pk, _size in on_day]
        size = on_day[0][1] if on_day else 0
        days.append(
            {
                "date": date,
                "items": items,
                "hidden": size - len(items),
                "opened": date == open_day and size > BOARD_DAY_ROWS,
                "today": date == today,
            }
        )
    upcoming = [consults[pk] for pk, _total in shown_upcoming]
    upcoming_total = shown_upcoming[0][1] if shown_upcoming else 0
    on_page = [row["consult"] for group in groups for row in group["rows"]]
    on_page += [c for d in days for c in d["items"]] + upcoming
    women = {c.pregnancy.patient.external_id for c in on_page}
    open_count = sum(group["total"] for group in groups)
    audit_record(
        actor=user,
        action=AuditAction.LIST,
        obj=("consults.consult", ""),
        patient_ids=sorted(women, key=str),
        changes={"count": len({c.pk for c in on_page}), "page": "board", "week": _iso_week(monday)},
    )
    return {
        "groups": groups,
        "open_count": open_count,
        "days": days,
        "week": _iso_week(monday),
        "week_end": monday + dt.timedelta(days=6),
        "monday": monday,
        "previous_week": _iso_week(monday - dt.timedelta(days=7)),
        "next_week": _iso_week(monday + dt.timedelta(days=7)),
        "this_week": _iso_week(today),
        "upcoming": upcoming,
        "upcoming_total": upcoming_total,
        "upcoming_hidden": upcoming_total - len(upcoming),
        "upcoming_opened": show_all == "upcoming" and upcoming_total > BOARD_UPCOMING_ROWS,
        "upcoming_days": UPCOMING_DAYS,
    }


@login_required
def board(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not has_action(user, Action.SCHEDULE_CONSULT) or user.facility_id is None:
        raise Http404
    context = board_context(
        user, request.GET.get("week"), show_all=request.GET.get("all"), day=request.GET.get("day")
    )
    context["facility"] = user.facility
    return render(request, "consults/consult_board.html", context)


# --- scheduling ---------------------------------------------------------------------------------------


def _candidates(form: ScheduleForm, consult: Consult, chosen: list) -> list:
    """The people shown to pick from: those already chosen, then the search results."""
    data = form.data if form.is_bound else {}
    specialty = data.get("find_specialty", "")
    query = (data.get("find_q") or "").strip()
    qs = invitable_users()
    if specialty in Specialty.values:
        qs = qs.filter(specialty=specialty)
    elif not query:
        qs = qs.filter(specialty__in=consult.specialties)
    if query:
        qs = qs.filter(
            Q(display_name__icontains=query)
            | Q(username__icontains=query)
            | Q(facility__name_zh__icontains=query)
            | Q(facility__name_en__icontains=query)
        )
    chosen_ids = {u.pk for u in chosen}
    found = [u for u in qs.exclude(pk__in=chosen_ids)[:CANDIDATES_SHOWN]]
    return [*chosen, *found]


def _chosen(form: ScheduleForm, consult: Consult) -> list:
    if form.is_bound:
        ids = [v for v in form.data.getlist("participants") if v.isdigit()]
        return list(invitable_users().filter(pk__in=ids))
    current = consult.participants.exclude(status=InvitationStatus.WITHDRAWN).values("user_id")
    return list(invitable_users().filter(pk__in=current))


def _schedule_initial(consult: Consult) -> dict:
    if consult.scheduled_start is None:
        return {"date": timezone.localdate()}
    start = timezone.localtime(consult.scheduled_start)
    end = timezone.localtime(consult.scheduled_end)
    return {
        "date": start.date(),
        "start_time": start.time().replace(second=0, microsecond=0),
        "end_time": end.time().replace(second=0, microsecond=0),
        "location": consult.location,
        "meeting_url": consult.meeting_url,
    }


def _conflicts_by_user(conflicts: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for item in conflicts:
        row = dict(item)
        row["start"] = timezone.localtime(dt.datetime.fromisoformat(item["start"]))
        row["end"] = timezone.localtime(dt.datetime.fromisoformat(item["end"]))
        out.setdefault(item["user"], []).append(row)
    return out


@login_required
@require_http_methods(["GET", "POST"])
def schedule(request: HttpRequest, consult_id) -> HttpResponse:
    """The coordinator sets the time and place and chooses participants, seeing their other commitments.

    Buttons: "search" and "check" only re-render; "save" calls the service. A double-booking refused by the
    service re-renders with the conflicts and an "I know, book anyway" checkbox.
    """
    consult = _get_consult(request, consult_id)
    if not is_consult_coordinator(request.user, consult):
        raise DjangoPermissionDenied
    if consult.status not in (C.REQUESTED, C.SCHEDULED):
        messages.error(request, _("Only a requested or scheduled consultation can be scheduled."))
        return redirect("consults:detail", consult_id=consult.external_id)
    post = request.method == "POST"
    form = ScheduleForm(request.POST if post else None, initial=_schedule_initial(consult))
    valid = form.is_valid() if post else False
    saving = post and "save" in request.POST
    if post and not saving:
        form._errors = ErrorDict()  # searching or checking availability: no "required" errors yet
    chosen = _chosen(form, consult)
    slot = form.slot() if valid else None
    if slot is None and not post and consult.scheduled_start:
        slot = (consult.scheduled_start, consult.scheduled_end)
    conflicts: list[dict] = []
    refused = False
    if saving and valid and slot:
        try:
            services.consult_schedule(
                actor=request.user,
                consult=consult,
                start=slot[0],
                end=slot[1],
                participants=[(user, "") for user in form.cleaned_data["participants"]],
                location=form.cleaned_data["location"],
                meeting_url=form.cleaned_data["meeting_url"],
                allow_double_booking=form.cleaned_data["allow_double_booking"],
            )
        except Conflict as exc:
            conflicts = exc.extra.get("conflicts", [])
            refused = bool(conflicts)
            if not refused:
                form.add_error(None, str(exc.message))
        except ApplicationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Consultation scheduled. The participants have been invited."))
            return redirect("consults:detail", consult_id=consult.external_id)
    if not conflicts and slot and chosen and slot[1] > slot[0]:
        conflicts = services.participant_conflicts(
            users=chosen, start=slot[0], end=slot[1], exclude_consult=consult
        )
    by_user = _conflicts_by_user(conflicts)
    chosen_ids = {u.pk for u in chosen}
    rows = [
        {
            "user": user,
            "chosen": user.pk in chosen_ids,
            "conflicts": by_user.get(str(user.external_id), []),
        }
        for user in _candidates(form, consult, chosen)
    ]
    if not post:  # opening the page shows the woman and the clinical question (its re-renders change nothing)
        _audit_read(request.user, consult)
    return render(
        request,
        "consults/consult_schedule.html",
        {
            "consult": consult,
            "form": form,
            "rows": rows,
            "conflicts": [row for rows_ in by_user.values() for row in rows_],
            "refused": refused,
            "slot_known": slot is not None,
            "conflicted_names": sorted({c["name"] for c in conflicts}),
            "specialties": [Specialty(s).label for s in consult.specialties if s in Specialty.values],
        },
        status=409 if refused else 200,
    )


# --- the consult page ---------------------------------------------------------------------------------


def _load(consult: Consult) -> Consult:
    """The consult with everything its page shows, in a fixed number of queries."""
    return (
        Consult.objects.select_related(
            "pregnancy__patient",
            "pregnancy__managing_facility",
            "requesting_facility",
            "coordinating_facility",
            "requested_by",
            "scheduled_by",
            "concluded_by",
        )
        .prefetch_related(
            Prefetch("participants", queryset=Participant.objects.select_related("user__facility")),
            "opinions__author",
            "signatures__signer",
            "actions__owner",
            "addenda__author",
        )
        .get(pk=consult.pk)
    )


def _detail_context(request: HttpRequest, consult: Consult, **overrides) -> dict:
    user = request.user
    consult = _load(consult)
    participants = list(consult.participants.all())
    mine = next((p for p in participants if p.user_id == user.pk), None)
    is_open = consult.status in OPEN
    concluded = consult.status == C.CONCLUDED
    lead = may_conclude(user, consult, participants) and is_open
    may_opinion = may_record_opinion(user, consult, participants)
    restricted = consult.decision_kind == DecisionKind.TERMINATE and not can_view_sensitive(user)
    context = {
        "consult": consult,
        "pregnancy": consult.pregnancy,
        "summary": _summary(consult, user),
        "participants": [p for p in participants if p.status != InvitationStatus.WITHDRAWN],
        "opinions": list(consult.opinions.all()),
        "signatures": list(consult.signatures.all()),
        "actions": list(consult.actions.all()),
        "addenda": list(consult.addenda.all()),
        "specialties": [Specialty(s).label for s in consult.specialties if s in Specialty.values],
        "my_invitation": mine if mine and mine.status == InvitationStatus.INVITED and is_open else None,
        "can_schedule": consult.status in SCHEDULABLE and is_consult_coordinator(user, consult),
        "can_cancel": consult.status in services.CANCELLABLE and may_cancel(user, consult),
        "can_opinion": may_opinion and is_open,
        "can_sign": lead,
        "can_conclude": lead,
        "can_addendum": may_opinion and concluded,
        "decision_restricted": restricted,
        "concluded_digest": services.digest(consult.decision) if concluded else "",
        "restricted_label": RESTRICTED_LABEL,
        "ics_url": reverse("api:consult-ics", kwargs={"id": consult.external_id})
        if consult.scheduled_start
        else None,
        "today": timezone.localdate(),
        "decline_form": DeclineForm(),
        "opinion_form": OpinionForm(
            initial={"specialty": mine.specialty if mine and mine.specialty else user.specialty}
        ),
        "sign_form": SignForm(prefix="sign"),
        "conclude_form": ConcludeForm(),
        "cancel_form": CancelForm(),
        "addendum_form": AddendumForm(),
        "done_form": ActionDoneForm(),
    }
    if lead and "action_formset" not in overrides:
        context["action_formset"] = ActionItemFormSet(
            prefix="actions", form_kwargs={"owners": action_owners(consult)}
        )
    context.update(overrides)
    return context


@login_required
def detail(request: HttpRequest, consult_id) -> HttpResponse:
    consult = _get_consult(request, consult_id)
    _audit_read(request.user, consult)
    return render(request, "consults/consult_detail.html", _detail_context(request, consult))


def _rerender(request: HttpRequest, consult: Consult, exc: ApplicationError, **forms_) -> HttpResponse:
    """The consult page again with the bound form showing the service's errors."""
    return render(
        request,
        "consults/consult_detail.html",
        _detail_context(request, consult, **forms_, failed=True),
        status=exc.status_code,
    )


def _back(consult: Consult) -> HttpResponse:
    return redirect("consults:detail", consult_id=consult.external_id)


def _invitation(request: HttpRequest, consult: Consult, invitation_id) -> Participant:
    """Only the invitee herself finds her invitation (404 for anyone else)."""
    participant = (
        Participant.objects.filter(external_id=invitation_id, consult=consult, user=request.user)
        .select_related("consult__pregnancy__patient", "user")
        .first()
    )
    if participant is None:
        raise Http404
    return participant


@login_required
@require_POST
def invitation_accept(request: HttpRequest, consult_id, invitation_id) -> HttpResponse:
    consult = _get_consult(request, consult_id)
    participant = _invitation(request, consult, invitation_id)
    try:
        services.invitation_respond(actor=request.user, participant=participant, accept=True)
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("You accepted the invitation."))
    return _back(consult)


@login_required
@require_POST
def invitation_decline(request: HttpRequest, consult_id, invitation_id) -> HttpResponse:
    consult = _get_consult(request, consult_id)
    participant = _invitation(request, consult, invitation_id)
    form = DeclineForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.invitation_respond(actor=request.user, participant=participant, accept=False, reason=reason)
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
        return _back(consult)
    messages.success(request, _("You declined the invitation."))
    # Declining ends her access to the record: the consult may no longer be visible to her.
    if may_see_consult(request.user, consult):
        return _back(consult)
    return redirect("consults:my_actions")


@login_required
@require_POST
def opinion(request: HttpRequest, consult_id) -> HttpResponse:
    consult = _get_consult(request, consult_id)
    if refused := _checked(request, consult, "opinion"):
        return refused
    form = OpinionForm(request.POST)
    if form.is_valid():
        try:
            services.opinion_record(actor=request.user, consult=consult, **form.cleaned_data)
        except ApplicationError as exc:
            apply_service_errors(form, exc)
            return _rerender(request, consult, exc, opinion_form=form)
        messages.success(request, _("Opinion recorded."))
        return _back(consult)
    return _rerender(request, consult, ApplicationError(), opinion_form=form)


@login_required
@require_POST
def sign(request: HttpRequest, consult_id) -> HttpResponse:
    consult = _get_consult(request, consult_id)
    if refused := _checked(request, consult, "sign"):
        return refused
    form = SignForm(request.POST, prefix="sign")
    if form.is_valid():
        try:
            services.consult_sign(actor=request.user, consult=consult, **form.cleaned_data)
        except ApplicationError as exc:
            apply_service_errors(form, exc)
            return _rerender(request, consult, exc, sign_form=form)
        messages.success(request, _("You signed the decision."))
        return _back(consult)
    return _rerender(request, consult, ApplicationError(), sign_form=form)


def _apply_action_errors(formset, rows: list[int], exc: ApplicationError) -> None:
    """``actions.<i>.<field>`` errors of the service onto the formset row they came from."""
    for key, errors in exc.errors.items():
        parts = key.split(".")
        if parts[0] != "actions" or len(parts) != 3 or not parts[1].isdigit():
            continue
        index = int(parts[1])
        if index < len(rows):
            form = formset.forms[rows[index]]
            for message in errors:
                form.add_error(parts[2] if parts[2] in form.fields else None, message)


@login_required
@require_POST
def conclude(request: HttpRequest, consult_id) -> HttpResponse:
    consult = _get_consult(request, consult_id)
    if refused := _checked(request, consult, "conclude"):
        return refused
    form = ConcludeForm(request.POST)
    formset = ActionItemFormSet(
        request.POST, prefix="actions", form_kwargs={"owners": action_owners(consult)}
    )
    forms_ = {"conclude_form": form, "action_formset": formset}
    if not (form.is_valid() and formset.is_valid()):
        return _rerender(request, consult, ApplicationError(), **forms_)
    rows = [i for i, row in enumerate(formset.forms) if not row.is_blank()]
    actions = [
        {
            "owner": formset.forms[i].cleaned_data.get("owner"),
            "due": formset.forms[i].cleaned_data.get("due"),
            "text": formset.forms[i].cleaned_data.get("text") or "",
        }
        for i in rows
    ]
    try:
        services.consult_conclude(actor=request.user, consult=consult, actions=actions, **form.cleaned_data)
    except ApplicationError as exc:
        _apply_action_errors(formset, rows, exc)
        apply_service_errors(form, exc, skip=[k for k in exc.errors if k.startswith("actions.")])
        return _rerender(request, consult, exc, **forms_)
    messages.success(request, _("Consultation concluded. The record is now final; corrections are addenda."))
    return _back(consult)


@login_required
@require_POST
def cancel(request: HttpRequest, consult_id) -> HttpResponse:
    consult = _get_consult(request, consult_id)
    if refused := _checked(request, consult, "cancel"):
        return refused
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            services.consult_cancel(actor=request.user, consult=consult, reason=form.cleaned_data["reason"])
        except ApplicationError as exc:
            apply_service_errors(form, exc)
            return _rerender(request, consult, exc, cancel_form=form)
        messages.success(request, _("Consultation cancelled."))
        return _back(consult)
    return _rerender(request, consult, ApplicationError(), cancel_form=form)


@login_required
@require_POST
def addendum(request: HttpRequest, consult_id) -> HttpResponse:
    consult = _get_consult(request, consult_id)
    if refused := _checked(request, consult, "addendum"):
        return refused
    form = AddendumForm(request.POST)
    if form.is_valid():
        try:
            services.addendum_add(actor=request.user, consult=consult, text=form.cleaned_data["text"])
        except ApplicationError as exc:
            apply_service_errors(form, exc)
            return _rerender(request, consult, exc, addendum_form=form)
        messages.success(request, _("Addendum added."))
        return _back(consult)
    return _rerender(request, consult, ApplicationError(), addendum_form=form)


@login_required
@require_POST
def action_done(request: HttpRequest, action_id) -> HttpResponse:
    """The owner marks her action item done (404 for anyone else); back to where she came from."""
    item = (
        ActionItem.objects.filter(external_id=action_id, owner=request.user)
        .select_related("consult__pregnancy__patient")
        .first()
    )
    if item is None:
        raise Http404
    form = ActionDoneForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.action_complete(actor=request.user, action=item, note=note)
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Action item marked as done."))
    if request.POST.get("return") == "mine":
        return redirect("consults:my_actions")
    if request.POST.get("return") == "home":  # the block on the worklist
        return redirect("core:home")
    if may_see_consult(request.user, item.consult):
        return redirect("consults:detail", consult_id=item.consult.external_id)
    return redirect("consults:my_actions")


# --- printable record ---------------------------------------------------------------------------------


@login_required
def consult_print(request: HttpRequest, consult_id) -> HttpResponse:
    consult = _get_consult(request, consult_id)
    _audit_read(request.user, consult, AuditAction.PRINT)
    context = _detail_context(request, consult)
    context["printed_at"] = timezone.localtime()
    return render(request, "consults/consult_print.html", context)


# --- my action items ----------------------------------------------------------------------------------


_OPEN_ACTION_ITEMS = Joined(ActionItem, "consult", "consult__pregnancy", "consult__pregnancy__patient")


def my_actions_context(user, *, audit: bool = True) -> dict:
    """The user's open action items for the partial ``consults/partials/my_actions.html``.

    Queries: the items (consult and woman joined), and the audit insert when a woman is named — unless
    ``audit`` is False because the page that includes the block names them in its own list audit row (the
    worklist does: ``action_item_women`` is what it adds).
    """
    # one fixed statement (``core.rows.Joined``): the block is on every clinician's home page (issue #9);
    # on its generic plan: planning the four-table join for the values cost 0.6 of its 0.8 ms server CPU
    items = _OPEN_ACTION_ITEMS.fetch_all(
        "t0.owner_id = %s AND t0.status = %s",
        [user.pk, ActionStatus.OPEN.value],
        order_by="t0.due, t0.id",
        generic=True,
    )
    women = sorted({i.consult.pregnancy.patient.external_id for i in items}, key=str)
    if items and audit:
        audit_record(
            actor=user,
            action=AuditAction.LIST,
            obj=("consults.actionitem", ""),
            patient_ids=women,
            changes={"count": len(items), "page": "my_actions"},
        )
    return {"action_items": items, "action_item_women": women, "today": timezone.localdate()}


@login_required
def my_actions(request: HttpRequest) -> HttpResponse:
    return render(request, "consults/actionitem_list.html", my_actions_context(request.user))
