"""Reads of follow-up windows, scoped to what the actor may see."""

from django.db import connection
from django.db.models import Count, Q, QuerySet

from cases.access import pregnancy_scope, sees_at_her_facility
from core.prepared import InConstants, prepared_cursor
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
    ``followup_list(...).filter(status__in=WORKLIST_STATUSES)[:limit]`` (``followup_first``)."""
    return followup_first(actor=actor, limit=limit, statuses=WORKLIST_STATUSES)


def followup_first(*, actor, limit: int, statuses=WORKLIST_STATUSES) -> list[FollowUp]:
    """The ``limit`` windows of ``statuses`` with the soonest deadline:
    ``followup_list(...).filter(status__in=statuses)[:limit]``: the windows' ids, then their rows
    (twice in the rare case below). ``statuses``: those that need someone, or every open one.

    Each of her facility's arms (managing facility, follow-up facility) is walked in its own index order
    up to ``limit`` windows (that need someone: ``followup_managing_due``, ``followup_facility_due``;
    open: each status apart on ``followup_managing``, ``followup_facility``), and only those are merged
    and sorted. The ``OR`` of the arms read and sorted every window of the facility: 11,000 that need
    someone at the largest hospital of a million-pregnancy region, 30 ms for the ten rows of the home
    page; 30,000 open ones at a county hospital, 110 ms for a page of the follow-up API (issue #9).

    The windows of her facility are almost always of women managed or followed up there, whom she sees
    through her facility (``sees_at_her_facility``): the first rows are read without the access scope
    (whose sub-selects cost 2 ms of planning) and kept when every one of them is such a woman's, since
    then they are also the first visible ones. Otherwise (a window whose copy of the facilities is not
    the woman's, a woman she does not see), the same rows are read again with the scope.
    """
    statuses = tuple(statuses)
    if actor.facility_id is None:
        return list(followup_list(actor=actor).filter(status__in=statuses)[:limit])
    first = _first_windows(FollowUp.objects.all(), actor.facility_id, limit, statuses, keep_sql=True)
    if all(sees_at_her_facility(actor, window.pregnancy) for window in first):
        return first
    return _first_windows(visible_followups(actor), actor.facility_id, limit, statuses)


def followup_count(*, actor, statuses=OPEN_STATUSES) -> int:
    """``followup_list(actor=actor).filter(status__in=statuses).count()``, in one statement. For a member
    of a facility, each arm of her facility counted apart, the follow-up arm without the windows of the
    managing arm, each on its open windows' index alone (``followup_managing``, ``followup_facility``
    carry every column the count reads): the ``OR`` of the arms read every window's row, 63 ms for a
    county hospital's 30,000 open windows, 74 ms for a city hospital's 80,000 (issue #9)."""
    statuses = list(statuses)
    if actor.facility_id is None:
        return followup_list(actor=actor).filter(status__in=statuses).count()
    visible = visible_followups(actor).filter(status__in=statuses).order_by()
    facility = actor.facility_id
    arms = (
        visible.filter(managing_facility_id=facility),
        visible.filter(facility_id=facility).exclude(managing_facility_id=facility),
    )
    sqls, params = [], []
    for arm in arms:
        sql, arm_params = arm.values("pk").query.sql_with_params()
        sqls.append(f"(SELECT COUNT(*) FROM ({sql}) AS arm)")  # noqa: S608 - ORM-compiled, parametrised
        params.extend(arm_params)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + " + ".join(sqls), params)
        return cursor.fetchone()[0]


class WalkedWindows:
    """An unfiltered list of a facility member's windows of ``statuses`` for ``Paginator``: its count by
    ``followup_count`` (``queryset`` is ``followup_list(...)`` of those statuses), a page's windows by
    ``followup_first`` (each arm of her facility walked in index order up to the end of the page)
    instead of sorting every one: a city hospital has 31,000 windows that need someone, a county
    hospital 30,000 open ones (issue #9). The page's rows are ``followup_first``'s (what the list page
    shows), or with ``reread`` the same windows read again from ``queryset`` with everything it joins
    (the API's)."""

    def __init__(self, actor, queryset: QuerySet[FollowUp], statuses, *, reread: bool = False) -> None:
        self.actor, self.queryset, self.statuses, self.reread = actor, queryset, tuple(statuses), reread

    def count(self) -> int:
        return followup_count(actor=self.actor, statuses=self.statuses)

    def __getitem__(self, window: slice) -> list:
        if window.stop <= window.start:  # the empty first page of an empty list: nothing to read
            return []
        first = followup_first(actor=self.actor, limit=window.stop, statuses=self.statuses)
        rows = first[window.start : window.stop]
        if not self.reread:
            return rows
        full = self.queryset.in_bulk([row.pk for row in rows])
        return [full[row.pk] for row in rows if row.pk in full]


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


def _first_windows(
    windows: QuerySet[FollowUp], facility_id: int, limit: int, statuses: tuple, *, keep_sql: bool = False
):
    """The first ``limit`` of ``windows`` in ``statuses``, managed or followed up at ``facility_id``,
    with pregnancy and woman: their ids (the SQL kept per process with ``keep_sql``, for ``windows``
    without a condition of the actor's), then their rows in one fixed statement (``core.rows.Joined``)."""

    def compile_ids() -> tuple[str, list]:
        # the windows that need someone have an index of their own per arm; other statuses are walked
        # one status at a time on the open windows' index (facility, status, due date)
        groups = [WORKLIST_STATUSES] if statuses == tuple(WORKLIST_STATUSES) else [(s,) for s in statuses]
        first = None
        for group in groups:
            # the statuses written into the statement (``InConstants``): its generic plan then walks the
            # partial indexes above, planned once per connection (0.7 ms of planning a home page before)
            arm = windows.filter(InConstants("status", group)).order_by("due_by", "id").values("pk")
            for part in (arm.filter(managing_facility_id=facility_id), arm.filter(facility_id=facility_id)):
                first = part[:limit] if first is None else first.union(part[:limit])
        sql, params = first.query.sql_with_params()
        return sql, list(params)

    # kept: its SQL and parameters are the facility and the length only
    key = ("followup_first", facility_id, limit, statuses)
    sql, params = kept_sql(key, compile_ids) if keep_sql else compile_ids()
    # Kept, the home block's statement (the windows that need someone) runs on its generic plan, the
    # facility its only parameter: 0.6–1.7 ms at every facility of the bench region. Not every open
    # status walked apart (the follow-up list's pages): its generic plan took 0.25–1.9 s there before
    # the id ended the arms' index keys (reminders 0006); 4–10 ms since, against 6–12 ms planned for the
    # values: too little measured to leave the planner's choice. With the actor's scope, the statement is
    # compiled for her and planned each time.
    generic = keep_sql and statuses == tuple(WORKLIST_STATUSES)
    with prepared_cursor(generic=True) if generic else connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = [row[0] for row in cursor.fetchall()]
    if not ids:
        return []
    return _WINDOW_ROW.fetch_all("t0.id = ANY(%s)", [ids], order_by="t0.due_by, t0.id", limit=limit)
