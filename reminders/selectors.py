"""Reads of follow-up windows, scoped to what the actor may see."""

from django.db import connection
from django.db.models import Count, Q, QuerySet

from cases.access import pregnancy_scope, sees_at_her_facility
from core.rows import Joined, kept_sql

from .choices import OPEN_STATUSES, WORKLIST_STATUSES
from .models import FollowUp

LIST_RELATED = ("pregnancy__patient", "facility", "managing_facility")


def visible_followups(actor) -> QuerySet[FollowUp]:
    """The windows of the women ``actor`` may see: her scope on the copies of each woman's facilities
    that the window carries (``cases.copies``), not ``pregnancy IN`` the set of every woman she may see
    (32,000 for a county hospital at a million pregnancies: 90 of the follow-up list's 140 ms)."""
    return FollowUp.objects.filter(pregnancy_scope(actor, "view", on="pregnancy_"))


def followup_list(*, actor, status: str | None = None, include_closed: bool = False) -> QuerySet[FollowUp]:
    """Windows of women the actor may see, followed up or managed at her facility (a supervisor: her
    region). Open windows only unless ``include_closed``; soonest deadline first."""
    qs = visible_followups(actor)
    if actor.facility_id is not None:
        qs = qs.filter(Q(facility_id=actor.facility_id) | Q(managing_facility_id=actor.facility_id))
    if status:
        qs = qs.filter(status=status)
    elif not include_closed:
        qs = qs.filter(status__in=OPEN_STATUSES)
    return qs.select_related(*LIST_RELATED).order_by("due_by", "id")


def followup_counts(*, facility_ids) -> dict[int, dict[str, int]]:
    """Open windows by facility and status — what dashboards show as visits due / overdue / in
    tracing / proposed lost (one aggregate over the ``followup_facility`` index)."""
    rows = (
        FollowUp.objects.filter(facility_id__in=list(facility_ids), status__in=OPEN_STATUSES)
        .values("facility_id", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    out: dict[int, dict[str, int]] = {}
    for row in rows:
        out.setdefault(row["facility_id"], {s: 0 for s in OPEN_STATUSES})[row["status"]] = row["n"]
    return out


def followup_worklist_first(*, actor, limit: int) -> list[FollowUp]:
    """The ``limit`` windows that need someone (``WORKLIST_STATUSES``) with the soonest deadline:
    ``followup_list(...).filter(status__in=WORKLIST_STATUSES)[:limit]``: the windows' ids, then their
    rows (twice in the rare case below).

    Each of her facility's arms (managing facility, follow-up facility) is walked in its own index order
    (``followup_managing_due``, ``followup_facility_due``) up to ``limit`` windows, and only those are
    merged and sorted. The ``OR`` of the arms read and sorted every window of the facility that needs
    someone: 11,000 at the largest hospital of a million-pregnancy region, 30 ms for the ten rows of the
    home page (issue #9).

    The windows of her facility are almost always of women managed or followed up there, whom she sees
    through her facility (``sees_at_her_facility``): the first rows are read without the access scope
    (whose sub-selects cost 2 ms of planning) and kept when every one of them is such a woman's, since
    then they are also the first visible ones. Otherwise (a window whose copy of the facilities is not
    the woman's, a woman she does not see), the same rows are read again with the scope.
    """
    if actor.facility_id is None:
        return list(followup_list(actor=actor).filter(status__in=WORKLIST_STATUSES)[:limit])
    first = _first_windows(FollowUp.objects.all(), actor.facility_id, limit, keep_sql=True)
    if all(sees_at_her_facility(actor, window.pregnancy) for window in first):
        return first
    return _first_windows(visible_followups(actor), actor.facility_id, limit)


# What the home page's follow-up block shows and checks of a window, its woman and her pregnancy (the
# columns only: reading another field would cost a query per row; the block's query-count tests fail).
_WINDOW_ROW = Joined(
    FollowUp,
    "pregnancy",
    "pregnancy__patient",
    only={
        "": (
            "external_id",
            "pregnancy",
            "facility",
            "managing_facility",
            "kind",
            "status",
            "due_from",
            "due_by",
        ),
        "pregnancy": ("external_id", "patient", "status", "managing_facility", "follow_up_facility"),
        "pregnancy__patient": ("external_id", "name", "record_number"),
    },
)


def _first_windows(windows: QuerySet[FollowUp], facility_id: int, limit: int, *, keep_sql: bool = False):
    """The first ``limit`` of ``windows`` that need someone, managed or followed up at ``facility_id``,
    with pregnancy and woman: their ids (the SQL kept per process with ``keep_sql``, for ``windows``
    without a condition of the actor's), then their rows in one fixed statement (``core.rows.Joined``)."""

    def compile_ids() -> tuple[str, list]:
        arm = windows.filter(status__in=WORKLIST_STATUSES).order_by("due_by", "id").values("pk")
        first = arm.filter(managing_facility_id=facility_id)[:limit].union(
            arm.filter(facility_id=facility_id)[:limit]
        )
        sql, params = first.query.sql_with_params()
        return sql, list(params)

    # kept: its SQL and parameters are the facility and the length only
    sql, params = kept_sql(("followup_first", facility_id, limit), compile_ids) if keep_sql else compile_ids()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = [row[0] for row in cursor.fetchall()]
    if not ids:
        return []
    return _WINDOW_ROW.fetch_all("t0.id = ANY(%s)", [ids], order_by="t0.due_by, t0.id", limit=limit)
