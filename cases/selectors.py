"""Reads of cases, always scoped to the actor through ``access``."""

import datetime as dt
import re

from django.apps import apps
from django.db import connection
from django.db.models import Case, F, Q, QuerySet, When
from django.db.models.expressions import RawSQL
from django.db.models.query import ValuesIterable
from django.utils import timezone

from core.prepared import InConstants, prepared_cursor
from core.rows import Joined, kept_sql

from .access import (
    LazyArms,
    facility_rest,
    patients_visible_to,
    pregnancies_visible_to,
    pregnancy_scope,
    region_arm_first,
    scope_key,
)
from .choices import OPEN_STATUSES, CareTaskStatus, PregnancyStatus
from .dating import gestational_age as ga_from_edd
from .identity import InvalidIdNumber, InvalidPhone, normalise_phone, parse_resident_id
from .models import (
    BreakGlassAccess,
    CareTask,
    Delivery,
    MaternalDeath,
    NearMissEvent,
    Patient,
    Pregnancy,
    PregnancyDating,
    Visit,
)

LIST_RELATED = ("patient", "managing_facility", "responsible_clinician")
# Highest risk first where the worklist breaks ties.
COLOR_ORDER = ("red", "orange", "yellow", "green")


LIST_ORDER = ("-created_at", "-id")


def pregnancy_list(*, actor) -> QuerySet[Pregnancy]:
    return pregnancies_visible_to(actor).select_related(*LIST_RELATED).order_by(*LIST_ORDER)


class ScopedRows:
    """Pregnancies of ``queryset`` (filters only) in any of the access ``arms``, in ``order``: what a
    ``Paginator`` (``count()``, slicing) and the keyset paginator (``filter()``, ``model``) need.

    A slice is one statement: each arm (her facility as managing facility, as follow-up facility, the
    rest) is walked in its own index order up to the end of the slice, and only those first rows are
    merged, sorted and finished by ``outer`` (joins, annotations, ``values()``). An ``OR`` of the arms
    instead reads and sorts every pregnancy of the facility (85,000 at the largest hospital of a
    million-pregnancy region) for every page.

    Building and compiling those statements cost the ORM about 3 ms a request, more than PostgreSQL
    spent on them (issue #9). With ``sql_key`` (the call site and ``access.scope_key`` of the actor: all
    that the SQL text and parameters depend on), an unfiltered list keeps its count statement and its
    ``values()`` page statements per process and runs them again as they are. Filtered lists are
    compiled every time (their parameters are the user's input).
    """

    model = Pregnancy
    ordered = True

    def __init__(
        self,
        *,
        queryset: QuerySet[Pregnancy],
        arms: list[Q],
        order: tuple,
        outer=None,
        first_total=None,
        unfiltered: bool | None = None,
        sql_key: tuple | None = None,
        rest=None,
        generic: bool = False,
        rest_total=None,
    ) -> None:
        self.queryset, self.arms, self.order = queryset, arms, order
        # Kept statements run on their generic plan (``core.prepared.execute_generic``): only for lists
        # whose statements were measured to run as fast on it for every actor of the kind.
        self.generic = generic
        # ``access.FacilityRest`` of the arms after the first, in ``LIST_ORDER``: used when unfiltered.
        self.rest = rest
        if rest is not None and tuple(order) != LIST_ORDER:
            raise ValueError("FacilityRest reads its arms newest first: only a list in LIST_ORDER can use it")
        self.outer = outer or (lambda rows: rows)
        self.first_total = first_total
        # (SQL, parameters) of how many rows the arms after the first add, unfiltered (a counter), like
        # ``first_total`` for the first arm.
        self.rest_total = rest_total
        self.sql_key = sql_key
        # Whether ``queryset`` selects exactly what ``first_total`` counts in the first arm: by default when
        # it has no condition; a caller whose base condition the total already counts says so.
        self.unfiltered = not queryset.query.where if unfiltered is None else unfiltered

    @property
    def _selects_nothing(self) -> bool:
        """No arm to read, or a queryset that cannot match (``none()``: an invalid filter's,
        ``core.filtersets.LeanFilterSet.qs``): no statement, and none the ORM could compile."""
        return not self.arms or self.queryset.query.is_empty()

    def filter(self, *args, **kwargs) -> "ScopedRows":
        filtered = self.queryset.filter(*args, **kwargs)
        return ScopedRows(
            queryset=filtered,
            arms=self.arms,
            order=self.order,
            outer=self.outer,
            first_total=self.first_total,
            unfiltered=False,
            rest=self.rest,
        )

    def count(self) -> int:
        """``COUNT(*)`` in one statement: the first arm (the managing facility, by far the largest)
        counted on its own index, plus the other arms outside it. An ``OR`` of all arms reads every
        heap page of the facility's pregnancies instead. Unfiltered, the first arm's count is read by
        ``first_total`` (SQL and parameters) when given: a trigger-kept counter, the same number without
        reading the facility's tens of thousands of index entries."""
        if self._selects_nothing:
            return 0
        sql, params = self._compiled(("count",), self._count_sql)
        with self._cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()[0]

    def _count_sql(self) -> tuple[str, list]:
        first = self.arms[0]
        sqls, params = [], []
        if self.first_total is not None and self.unfiltered:
            total_sql, total_params = self.first_total
            sqls.append(f"({total_sql})")
            params.extend(total_params)
            parts = []
        else:
            parts = [self.queryset.filter(first)]
        fast_rest = self.rest is not None and self.unfiltered
        counted_rest = self.rest_total is not None and self.unfiltered and not fast_rest
        if counted_rest:
            rest_sql, rest_params = self.rest_total
            sqls.append(f"({rest_sql})")
            params.extend(rest_params)
        elif len(self.arms) > 1 and not fast_rest:
            # Each later arm counts the rows none of the arms before it holds: the follow-up arm (her
            # facility as follow-up facility, managed elsewhere) is then one index condition that
            # ``pregnancy_follow_up`` answers alone for a status filter (a community health centre follows
            # up 40,000 women: 94 ms read from their rows, their ``OR`` with the grants), the rest a few rows.
            for index, arm in enumerate(self.arms[1:], start=1):
                part = self.queryset.filter(arm)
                for earlier in self.arms[:index]:
                    part = part.exclude(earlier)
                parts.append(part)
        for part in parts:
            sql, part_params = part.order_by().values("pk").query.sql_with_params()
            sqls.append(f"(SELECT COUNT(*) FROM ({sql}) AS arm)")  # noqa: S608 - ORM-compiled, parametrised
            params.extend(part_params)
        if fast_rest:
            rest_sql, rest_params = self.rest.count_sql()
            sqls.append(f"({rest_sql})")
            params.extend(rest_params)
        return "SELECT " + " + ".join(sqls), params

    def _cursor(self):
        """A kept statement (unfiltered, ``sql_key``) runs prepared on the server from its second execution
        on a connection (``core.prepared``): its text is the same for every actor of the same kind, and
        planning it cost about a millisecond a list (a province supervisor's 10 -> 6 ms in process, issue
        #9). Filtered lists, compiled anew for each request's filters, are never prepared."""
        kept = self.sql_key is not None and self.unfiltered
        return prepared_cursor(generic=self.generic) if kept else connection.cursor()

    def _compiled(self, part: tuple, compile_sql):
        """What ``compile_sql`` returns for ``part`` of this list: kept per process (``core.rows.kept_sql``)
        when the list has a ``sql_key`` and no filter, compiled every time otherwise."""
        if self.sql_key is None or not self.unfiltered:
            return compile_sql()
        return kept_sql((*self.sql_key, *part), compile_sql)

    def __getitem__(self, bounds: slice) -> list:
        start, stop = bounds.start or 0, bounds.stop
        if self._selects_nothing or stop is None or stop <= start:
            return []
        kept = self._compiled(("page", start, stop), lambda: _values_statement(self._page(start, stop)))
        if kept is None:
            return list(self._page(start, stop))
        sql, params, names = kept
        with self._cursor() as cursor:
            cursor.execute(sql, params)
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def _page(self, start: int, stop: int) -> QuerySet:
        if self.rest is not None and self.unfiltered:
            # The first arm on its index, the others through ``FacilityRest`` (grants on their own index),
            # each arm's newest ``stop`` as (created_at, id); of those only the newest ``stop`` are joined
            # with the woman and the facility: joining every arm's (up to five times ``stop``) read as many
            # women and patients to keep ``stop`` of them.
            first = self.queryset.filter(self.arms[0]).order_by(*self.order).values("created_at", "pk")[:stop]
            first_sql, first_params = first.query.sql_with_params()
            rest_sql, rest_params = self.rest.newest_sql(stop)
            # ORM-compiled and code-written SQL, every value a parameter; LIST_ORDER is (-created_at, -id).
            # Grouped by id: a woman in two arms takes one place even if a copy of her created_at were ever
            # out of step with hers.
            newest = (
                f"SELECT n.id FROM (({first_sql}) UNION {rest_sql}) AS n (created_at, id) "  # noqa: S608
                f"GROUP BY n.id ORDER BY MAX(n.created_at) DESC, n.id DESC LIMIT {int(stop)}"
            )
            page_ids = RawSQL(newest, (*first_params, *rest_params))  # noqa: S611
            rows = self.outer(Pregnancy.objects.filter(pk__in=page_ids))
            return rows.order_by(*self.order)[start:stop]
        page_ids = None
        for arm in self.arms:
            first = self.queryset.filter(arm).order_by(*self.order).values("pk")[:stop]
            page_ids = first if page_ids is None else page_ids.union(first)
        return self.outer(Pregnancy.objects.filter(pk__in=page_ids)).order_by(*self.order)[start:stop]


def _values_statement(rows: QuerySet) -> tuple[str, list, list[str]] | None:
    """(SQL, parameters, column names) of a ``values()`` query whose columns need no converter: its rows
    are then the dicts ``values()`` would give. ``None`` for any other query (model instances, converted
    columns): those run through the ORM."""
    if rows._iterable_class is not ValuesIterable:
        return None
    query = rows.query
    compiler = query.get_compiler(using=rows.db)
    sql, params = compiler.as_sql()
    names = [*query.extra_select, *query.values_select, *query.annotation_select]
    columns = [column for column, *_ in compiler.select[: compiler.col_count]]
    if len(names) != len(columns) or compiler.get_converters(columns):
        return None
    return sql, list(params), names


def pregnancy_list_rows(*, actor, queryset: QuerySet[Pregnancy], fields: tuple[str, ...]) -> ScopedRows:
    """The pregnancies ``actor`` may see among ``queryset``, newest first, as ``values(*fields)``
    (index: ``pregnancy_facility_newest`` and ``pregnancy_follow_up_newest``; a supervisor's region:
    ``pregnancy_newest``)."""
    arms = LazyArms(actor, "view")
    first_total = followed_total = None
    if arms and actor.facility_id is not None and apps.is_installed("dashboards"):
        # The first arm is her facility as managing facility (``pregnancy_scope_arms``): its size,
        # every status, is the sum of the facility's status counters; the second (her facility as
        # follow-up facility, managed elsewhere) the sum of its ``followed_here`` counters.
        from dashboards.selectors import followed_pregnancy_total_sql, managed_pregnancy_total_sql

        first_total = managed_pregnancy_total_sql(actor.facility_id)
        followed_total = followed_pregnancy_total_sql(actor.facility_id)
    elif arms and (prefix := region_arm_first(actor)) is not None and apps.is_installed("dashboards"):
        # The first arm is her region (a supervisor of no facility): the sum of the status counters of
        # its facilities, instead of counting a province's million rows on every request.
        from dashboards.selectors import region_pregnancy_total_sql

        first_total = region_pregnancy_total_sql(prefix)
    return ScopedRows(
        queryset=queryset,
        arms=arms,
        order=LIST_ORDER,
        outer=lambda rows: rows.values(*fields),
        first_total=first_total,
        sql_key=("pregnancy_list", scope_key(actor, "view"), fields),
        rest=(rest := facility_rest(actor, followed_total)),
        # Her facility's counter and ``FacilityRest``'s arms: planning them for the values cost more than
        # running them (0.4 + 1.2 of 3 ms server CPU a list, issue #9); the generic plan has the same shape.
        generic=rest is not None and first_total is not None,
    )


def _worklist_order() -> tuple:
    """Overdue visits first, then by next visit date, is simply the next visit date ascending (every
    overdue date is before every other one), undated last; among women due the same day the highest
    colour first (red, orange, yellow, green, ungraded), then the most recently booked. Written so that
    the open-pregnancy indexes give the order (``pregnancy_worklist_open``, ``pregnancy_follow_up_open``)."""
    return (
        F("next_visit_date").asc(nulls_last=True),
        Case(*(When(risk_color=color, then=rank) for rank, color in enumerate(COLOR_ORDER)), default=9),
        "-created_at",
        "-id",
    )


def worklist(*, actor) -> QuerySet[Pregnancy]:
    """The actor's facility's open pregnancies (managed or followed up there), in worklist order
    (``_worklist_order``). ``worklist_rows`` pages through the same rows arm by arm."""
    if actor.facility_id is None:
        return Pregnancy.objects.none()
    return (
        pregnancies_visible_to(actor)
        .filter(Q(managing_facility_id=actor.facility_id) | Q(follow_up_facility_id=actor.facility_id))
        .filter(status__in=OPEN_STATUSES)
        .select_related(*LIST_RELATED)
        .order_by(*_worklist_order())
    )


def worklist_rows(*, actor, queryset: QuerySet[Pregnancy], outer=None) -> ScopedRows:
    """``worklist`` among ``queryset`` (filters only) for paging: the facility's two arms (managing,
    follow-up) walked in index order; ``outer`` adds joins and annotations to the page only."""
    arms = LazyArms(actor, "view", limit=2) if actor.facility_id is not None else []
    first_total = rest_total = None
    if arms and apps.is_installed("dashboards"):
        # Unfiltered, the first arm (her facility as managing facility) holds as many open pregnancies as
        # its ``status:active`` and ``status:postpartum`` counters say, the second (as follow-up facility,
        # managed elsewhere) as many as its ``followed_here:`` counters of those statuses.
        from dashboards.selectors import followed_pregnancy_total_sql, managed_pregnancy_total_sql

        # (A facility member's first two arms are always these: ``pregnancy_scope_arms``.)
        first_total = managed_pregnancy_total_sql(actor.facility_id, tuple(OPEN_STATUSES))
        rest_total = followed_pregnancy_total_sql(actor.facility_id, tuple(OPEN_STATUSES))
    # The open statuses are written into the statement (``InConstants``), so that its generic plan walks
    # the open pregnancies' partial indexes: planned once per connection instead of on every home page
    # (0.4–2 ms of PostgreSQL's time, its largest share of the page, issue #9).
    return ScopedRows(
        queryset=queryset.filter(InConstants("status", OPEN_STATUSES)),
        arms=arms,
        order=_worklist_order(),
        outer=lambda rows: (outer or (lambda r: r))(rows.select_related(*LIST_RELATED)),
        first_total=first_total,
        rest_total=rest_total,
        unfiltered=not queryset.query.where,
        sql_key=("worklist", scope_key(actor, "view")),
        generic=bool(arms) and first_total is not None,
    )


# The worklist shows the woman and, for women managed elsewhere, the managing facility; not the
# responsible clinician (a join of the whole user table and 50 user rows a page for nothing). Only the
# columns a row shows are read: full rows parsed some 750 dates and times a page (issue #9). Reading
# another field of these instances costs a query per row; the home page's query-count test would fail.
_WORKLIST_ROW = Joined(
    Pregnancy,
    "patient",
    "managing_facility",
    only={
        "": (
            "external_id",
            "patient",
            "status",
            "managing_facility",
            "follow_up_facility",
            "edd",
            "ended_on",
            "next_visit_date",
            "risk_color",
            "purple",
            "risk_proposed_color",
        ),
        "patient": ("external_id", "name", "record_number", "birth_date"),
        "managing_facility": ("name_zh", "name_en"),
    },
)


def worklist_pregnancies(ids: list[int]) -> list[Pregnancy]:
    """The worklist page's pregnancies, in the order of ``ids`` (a page of ``worklist_rows`` read as
    ``values("pk")``), with woman and managing facility, and ``open_tasks``: one
    fixed statement instead of the ORM compiling the page with its joins on every home page (issue #9)."""
    if not ids:
        return []
    tasks, status = connection.ops.quote_name(CareTask._meta.db_table), CareTaskStatus.OPEN.value
    # the status is a constant of the code, not input
    open_tasks = f"(SELECT COUNT(*) FROM {tasks} WHERE pregnancy_id = t0.id AND status = '{status}')"  # noqa: S608
    found = _WORKLIST_ROW.fetch_all(
        "t0.id = ANY(%s)",
        [list(ids)],
        order_by="t0.id",
        annotations={"open_tasks": open_tasks},
    )
    position = {pk: n for n, pk in enumerate(ids)}
    return sorted(found, key=lambda pregnancy: position[pregnancy.pk])


def search_filter(query: str, *, prefix: str = "patient__") -> Q:
    """Search by resident ID number (either form), phone, record number, or name (partial).

    ``prefix`` is the path from the queried model to the patient (``""`` when querying patients).
    """
    query = (query or "").strip()
    if not query:
        return Q()
    compact = re.sub(r"[\s-]", "", query)
    if re.fullmatch(r"\d{15}|\d{17}[\dxX]", compact):
        try:
            return Q(**{f"{prefix}id_number": parse_resident_id(compact).number})
        except InvalidIdNumber:
            return Q(**{f"{prefix}id_number": compact.upper()})
    if re.fullmatch(r"(MS|TMP)\d+", compact.upper()):
        return Q(**{f"{prefix}record_number": compact.upper()})
    if re.fullmatch(r"\+?\d{11,15}", compact):
        try:
            phone = normalise_phone(compact)
        except InvalidPhone:
            pass
        else:
            return Q(**{f"{prefix}phone": phone}) | Q(**{f"{prefix}emergency_contact_phone": phone})
    return Q(**{f"{prefix}name__icontains": query}) | Q(**{f"{prefix}document_number": query.upper()})


def ga_bounds_to_edd(ga_min_weeks: int | None, ga_max_weeks: int | None, today: dt.date | None = None) -> Q:
    """GA between ``ga_min_weeks``+0 and ``ga_max_weeks``+6 today, as an EDD range (indexable)."""
    today = today or timezone.localdate()
    q = Q(status=PregnancyStatus.ACTIVE)
    if ga_min_weeks is not None:
        q &= Q(edd__lte=today + dt.timedelta(days=280 - 7 * ga_min_weeks))
    if ga_max_weeks is not None:
        q &= Q(edd__gte=today + dt.timedelta(days=280 - (7 * ga_max_weeks + 6)))
    return q


def gestational_age(pregnancy: Pregnancy, on: dt.date | None = None) -> dict | None:
    """``{"weeks", "days"}`` today (Asia/Shanghai) from the EDD; null once the pregnancy has ended."""
    if pregnancy.edd is None or pregnancy.status != PregnancyStatus.ACTIVE:
        return None
    ga = ga_from_edd(pregnancy.edd, on or timezone.localdate())
    return ga.as_dict() if ga.total_days >= 0 else None


def postpartum_days(pregnancy: Pregnancy, on: dt.date | None = None) -> int | None:
    if pregnancy.ended_on is None or pregnancy.status == PregnancyStatus.ACTIVE:
        return None
    return ((on or timezone.localdate()) - pregnancy.ended_on).days


def patient_list(*, actor) -> QuerySet[Patient]:
    # residence region and merged-into record are published with every row (no query per woman).
    return (
        patients_visible_to(actor)
        .select_related("registered_facility", "residence_region", "merged_into")
        .order_by("-created_at", "-id")
    )


def care_task_list(*, actor) -> QuerySet[CareTask]:
    """Open tasks of the actor's facility for pregnancies she may see."""
    if actor.facility_id is None:
        return CareTask.objects.none()
    return (
        CareTask.objects.filter(
            pregnancy_scope(actor, "view", on="pregnancy_"), facility_id=actor.facility_id, status="open"
        )
        .select_related("pregnancy__patient")
        .order_by("due_at", "id")
    )


def _recorded_kinds(pregnancy: Pregnancy) -> tuple[bool, bool, bool]:
    """Whether the record has a delivery, a near miss, a maternal death: one probe instead of a query
    per kind, since most open records have none of them."""
    tables = [model._meta.db_table for model in (Delivery, NearMissEvent, MaternalDeath)]
    # Only table names from the models are interpolated; the id is a parameter.
    probes = ", ".join(f"EXISTS (SELECT 1 FROM {table} WHERE pregnancy_id = %s)" for table in tables)  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {probes}", [pregnancy.pk] * len(tables))
        return cursor.fetchone()


TIMELINE_VISITS = 200
# A visit's facility and clinician are shown by name only: their other columns are not read.
_NAMES = {
    "facility": ("name_zh", "name_en"),
    "clinician": ("username", "first_name", "last_name", "display_name"),
}
_TIMELINE_VISITS = Joined(Visit, "facility", "clinician", only=_NAMES)
_TIMELINE_DATINGS = Joined(PregnancyDating, "recorded_by")
_OPEN_TASKS = Joined(CareTask, "facility")


def open_care_tasks(pregnancy: Pregnancy) -> list[CareTask]:
    """Her open care tasks, soonest due first (``CareTask.Meta.ordering``), with their facility."""
    return _OPEN_TASKS.fetch_all(
        "t0.pregnancy_id = %s AND t0.status = %s",
        [pregnancy.pk, CareTaskStatus.OPEN.value],
        order_by="t0.due_at, t0.id",
    )


def case_timeline(pregnancy: Pregnancy) -> list[dict]:
    """Visits, datings, delivery, near misses, death and tasks as one list, newest first.

    A fixed number of queries whatever the number of visits (each kind is one query; the rarer kinds
    are read only when the probe finds them)."""
    items: list[dict] = []
    # fixed statements (``core.rows.Joined``): the ORM compiled these on every case page (issue #9)
    for visit in _TIMELINE_VISITS.fetch_all(
        "t0.pregnancy_id = %s", [pregnancy.pk], order_by="t0.visited_at DESC", limit=TIMELINE_VISITS
    ):
        items.append({"kind": "visit", "at": visit.visited_at, "object": visit})
    for dating in _TIMELINE_DATINGS.fetch_all(
        "t0.pregnancy_id = %s", [pregnancy.pk], order_by="t0.created_at, t0.id"
    ):
        items.append({"kind": "dating", "at": dating.created_at, "object": dating})
    has_delivery, has_near_miss, has_death = _recorded_kinds(pregnancy)
    if has_delivery:
        deliveries = Delivery.objects.filter(pregnancy=pregnancy).select_related("facility")
        for delivery in deliveries.prefetch_related("newborns"):
            items.append({"kind": "delivery", "at": delivery.delivered_at, "object": delivery})
    if has_near_miss:
        for event in NearMissEvent.objects.filter(pregnancy=pregnancy):
            items.append({"kind": "near_miss", "at": event.occurred_at, "object": event})
    if has_death:
        for death in MaternalDeath.objects.filter(pregnancy=pregnancy):
            items.append({"kind": "death", "at": death.died_at, "object": death})
    items.sort(key=lambda item: item["at"], reverse=True)
    return items


def break_glass_review_list(*, actor) -> QuerySet[BreakGlassAccess]:
    """Emergency accesses the actor may review: all for auditors, her facility's staff for facility admins."""
    from accounts.permissions import Action, has_action

    qs = BreakGlassAccess.objects.select_related("user", "pregnancy__patient", "reviewed_by")
    if not has_action(actor, Action.REVIEW_BREAK_GLASS):
        return qs.none()
    if actor.has_role("auditor"):
        return qs.exclude(user=actor)
    if actor.facility_id is None:
        return qs.none()
    return qs.filter(user__facility_id=actor.facility_id).exclude(user=actor)
