"""The only way to fetch a protected pregnancy or patient. Every rule is one line.

Who may see a pregnancy (``view``):
  - staff with a case-reading role at her managing facility or her follow-up facility;
  - a facility (its access group) or a user holding an explicit grant (referral, consult);
  - a regional supervisor whose region contains her managing facility (read-only);
  - a user with an unexpired break-the-glass access to her (read-only, flagged for review).
Who may change it (``change``): a clinical role plus the managing or follow-up facility, or a
write grant. No view → 404 (existence is not revealed); view but not change → 403.
"""

from typing import Literal

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import BooleanField, Exists, F, Func, OuterRef, Q, QuerySet
from django.db.models.functions import Now
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from accounts.choices import Role
from accounts.permissions import Action, has_action
from audit.choices import AuditAction
from audit.services import audit_record
from core.errors import NotFound, PermissionDenied
from core.ids import parse_uuid
from core.rows import Joined

from .models import (
    BreakGlassAccess,
    Patient,
    Pregnancy,
    PregnancyGroupObjectPermission,
    PregnancyUserObjectPermission,
)

Perm = Literal["view", "change"]


class AnyOf(Func):
    """``column = ANY(ARRAY(subquery))``. The subquery is not correlated: PostgreSQL runs it once (an
    InitPlan) and the comparison is an index condition, so an OR of such arms with the facility
    conditions becomes a BitmapOr of index scans. A correlated ``EXISTS`` arm in the same OR forced a
    scan of every pregnancy (1.3 s for one list page at 200,000 pregnancies; issue #9)."""

    template = "(%(expressions)s))"
    arg_joiner = " = ANY("
    output_field = BooleanField()

    def __init__(self, column: str, subquery: QuerySet) -> None:
        super().__init__(F(column), ArraySubquery(subquery))


def _granted(actor, codename: str, key: str = "pk") -> list[Q]:
    """Explicit guardian grants, to the actor or to one of her groups (her facility's group), on the
    pregnancy key ``key``."""
    to_user = PregnancyUserObjectPermission.objects.filter(user=actor, permission__codename=codename).values(
        "content_object_id"
    )
    to_group = PregnancyGroupObjectPermission.objects.filter(
        group__user=actor, permission__codename=codename
    ).values("content_object_id")
    return [Q(AnyOf(key, to_user.order_by())), Q(AnyOf(key, to_group.order_by()))]


def _break_glass(actor) -> Q:
    active = BreakGlassAccess.objects.filter(
        pregnancy=OuterRef("pk"), user=actor, expires_at__gt=timezone.now()
    )
    return Q(Exists(active))


def _break_glass_ids(actor, key: str = "pk") -> Q:
    """``_break_glass`` as an index-friendly arm of the scope (same rows), on the pregnancy key ``key``."""
    # The database's clock (``STATEMENT_TIMESTAMP()``), not a parameter: the statement holds no moment,
    # so its SQL can be compiled once and reused (``scope_key``).
    active = BreakGlassAccess.objects.filter(user=actor, expires_at__gt=Now())
    return Q(AnyOf(key, active.order_by().values("pregnancy_id")))


def _in_region(prefix: str, column: str = "managing_facility_id") -> Q:
    """Managed in the region (``region_code`` starts with ``prefix``), on the pregnancy's own index (or
    on ``column``, a copy of her managing facility)."""
    from facilities.models import Facility

    facilities = Facility.objects.filter(region_code__startswith=prefix).order_by().values("pk")
    return Q(AnyOf(column, facilities))


def may_use_scope(actor, perm: Perm = "view") -> bool:
    """Whether ``pregnancy_scope_arms(actor, perm)`` has any arm (an active user with the role's action),
    without building them."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return False
    return has_action(actor, Action.VIEW_CASE if perm == "view" else Action.RECORD_CLINICAL)


def pregnancy_scope_arms(actor, perm: Perm = "view", *, on: str = "") -> list[Q]:
    """The ways ``actor`` may ``perm`` a pregnancy (none for nobody): her facility as managing and as
    follow-up facility, then everything else (grants, region, break-the-glass) as one arm. Each arm is
    an index condition on the pregnancy table, so a list can walk every arm in its own index order.

    ``on="pregnancy_"``: the same arms as conditions on the rows of another table that carry the
    pregnancy's key as ``pregnancy_id`` and copies of her managing and follow-up facility as
    ``pregnancy_managing_facility_id`` / ``pregnancy_follow_up_facility_id``, kept by the database
    (``cases.copies``: referrals, consults, care tasks, case managements, follow-up windows). Each arm is
    then a condition on that table's own row (an index condition where it has the indexes), and a list of
    its rows never reads the pregnancies a county hospital may see (32,000 at a million)."""
    if not may_use_scope(actor, perm):
        return []
    key, managing, follow_up = (
        (f"{on}id", f"{on}managing_facility_id", f"{on}follow_up_facility_id")
        if on
        else ("pk", "managing_facility_id", "follow_up_facility_id")
    )
    arms = []
    supervises = perm == "view" and actor.has_role(Role.REGIONAL_SUPERVISOR) and actor.region_id is not None
    if actor.facility_id is not None:
        arms.append(Q(**{managing: actor.facility_id}))
        arms.append(Q(**{follow_up: actor.facility_id}))
    elif supervises:
        # A supervisor of no facility: her region is the first (and by far the largest) arm, walked newest
        # first on ``pregnancy_newest`` and counted from the census counters (``region_arm_first``).
        arms.append(_in_region(actor.region.code_prefix, managing))
    # The rest in one arm (grants and break-the-glass are a few rows).
    elsewhere = Q()
    for arm in _granted(actor, f"{perm}_pregnancy", key):
        elsewhere |= arm
    if perm == "view":
        if supervises and actor.facility_id is not None:
            elsewhere |= _in_region(actor.region.code_prefix, managing)
        elsewhere |= _break_glass_ids(actor, key)
    return [*arms, elsewhere]


def region_arm_first(actor) -> str | None:
    """The region code prefix when the first arm of ``pregnancy_scope_arms(actor, "view")`` is her
    region (a regional supervisor of no facility), else ``None``."""
    if (
        getattr(actor, "facility_id", None) is None
        and getattr(actor, "region_id", None) is not None
        and may_use_scope(actor, "view")
        and actor.has_role(Role.REGIONAL_SUPERVISOR)
    ):
        return actor.region.code_prefix
    return None


class LazyArms:
    """``pregnancy_scope_arms(actor, perm)[:limit]``, built only when read. Its truth is known without
    building them (``may_use_scope``): a list whose SQL is kept per process (``ScopedRows.sql_key``) never
    needs the arms again, and building them (grant sub-queries through the ORM) cost about a millisecond
    a request (issue #9)."""

    def __init__(self, actor, perm: Perm = "view", limit: int | None = None) -> None:
        self.actor, self.perm, self.limit = actor, perm, limit
        self._allowed = may_use_scope(actor, perm)
        self._arms: list[Q] | None = None

    def _built(self) -> list[Q]:
        if self._arms is None:
            self._arms = pregnancy_scope_arms(self.actor, self.perm)[: self.limit]
        return self._arms

    def __bool__(self) -> bool:
        return self._allowed

    def __len__(self) -> int:
        return len(self._built())

    def __iter__(self):
        return iter(self._built())

    def __getitem__(self, index):
        return self._built()[index]


class FacilityRest:
    """The arms of a facility member's view scope after the first (her facility as managing facility), as
    SQL over each arm's own table, for an unfiltered list in ``LIST_ORDER`` (newest first): her facility
    as follow-up facility, her own and her groups' grants, her unexpired break-the-glass accesses.

    Through ``pregnancy_scope_arms`` these are one ``OR`` of index conditions on the pregnancy table, so
    a list fetched every granted pregnancy to sort and count them: 861 grants of a county hospital cost
    6.5 ms for the count and as much for the page at a million pregnancies. Here the grants are read
    from the grant tables' own index (``pregnancy_user_grant_newest``, ``pregnancy_group_grant_newest``),
    which carries each granted pregnancy's ``created_at`` and managing facility (copied by the database,
    ``cases/0007``): 0.4 ms. ``tests/cases/test_facility_rest.py`` holds both to the same rows."""

    def __init__(
        self, user_id: int, facility_id: int, followed_total: tuple[str, list] | None = None
    ) -> None:
        self.user_id, self.facility_id = user_id, facility_id
        # (SQL, parameters) of how many pregnancies her facility follows up for others (the census
        # counters of ``dashboards``): the count then reads the counters instead of those pregnancies.
        self.followed_total = followed_total

    @staticmethod
    def _tables() -> dict[str, str]:
        from django.contrib.auth.models import Group, Permission
        from django.contrib.contenttypes.models import ContentType

        from accounts.models import User
        from facilities.models import Facility

        quote = connection.ops.quote_name
        return {
            "pregnancy": quote(Pregnancy._meta.db_table),
            "user_grant": quote(PregnancyUserObjectPermission._meta.db_table),
            "group_grant": quote(PregnancyGroupObjectPermission._meta.db_table),
            "membership": quote(User.groups.through._meta.db_table),
            "permission": quote(Permission._meta.db_table),
            "content_type": quote(ContentType._meta.db_table),
            "glass": quote(BreakGlassAccess._meta.db_table),
            "group": quote(Group._meta.db_table),
            "facility": quote(Facility._meta.db_table),
        }

    def count_sql(self) -> tuple[str, list]:
        """``SELECT COUNT(*)`` of the pregnancies in these arms not managed at her facility (those are
        the first arm's)."""
        from facilities.services import ACCESS_GROUP_PREFIX

        facility, user, view = self.facility_id, self.user_id, _permission_params("view_pregnancy")
        if self.followed_total is None:
            sql = _REST_COUNT.format(**self._tables())
            others = [ACCESS_GROUP_PREFIX, facility, user, *view, facility]
            return sql, [
                facility,
                facility,
                user,
                *view,
                facility,
                user,
                *view,
                facility,
                *others,
                user,
                facility,
            ]
        # Her facility's follow-up arm by its counters, plus the granted women in neither of her facility's
        # arms: a community health centre follows up 74,000 women managed elsewhere, whose de-duplication
        # against the grants took 130-150 ms a list (issue #9); the grants carry both facilities.
        followed_sql, followed_params = self.followed_total
        sql = f"SELECT ({followed_sql}) + ({_REST_COUNT_GRANTED.format(**self._tables())})"
        others = [ACCESS_GROUP_PREFIX, facility, user, *view, facility, facility]
        granted = [
            user,
            *view,
            facility,
            facility,
            user,
            *view,
            facility,
            facility,
            *others,
            user,
            facility,
            facility,
        ]
        return sql, [*followed_params, *granted]

    def newest_sql(self, stop: int) -> tuple[str, list]:
        """``(created_at, id)`` of the newest ``stop`` pregnancies of each arm (``UNION``: their newest
        ``stop`` are among them), for a page ending at ``stop``; a grant's row carries her ``created_at``
        (``pregnancy_created_at``, kept by trigger). A grant read through two groups counts once."""
        sql = _REST_NEWEST.format(**self._tables(), stop=int(stop))
        user, view = self.user_id, _permission_params("view_pregnancy")
        return sql, [self.facility_id, user, *view, *view, user, user]


# Table names come from the models (``FacilityRest._tables``), numbers from the code; values are parameters.
# One permission id (a scalar sub-select, so the grant index's second column is an index condition and its
# rows come in pregnancy order; ``= ANY(ARRAY(…))`` was a filter over every grant of the holder, issue #9).
# Parameters: the pregnancy model's app label and model name, the codename (``_permission_params``).
_VIEW_PERMISSION = (
    "g.permission_id = (SELECT p.id FROM {permission} p JOIN {content_type} ct ON ct.id = p.content_type_id "
    "WHERE ct.app_label = %s AND ct.model = %s AND p.codename = %s)"
)
# The count's group arm in two parts (issue #9). A hospital keeps the grant of every woman referred to it,
# also once she is managed there: read through all of them, the count went over 8,000 grants of which 340
# counted. (1) Grants of a woman neither managed nor followed up at the group's facility: the predicate of
# the partial index ``pregnancy_group_grant_foreign`` (``cases/0011``), written the same way so that the
# planner reads them from it alone; for her own facility's group that is what the conditions on her
# facility say. (2) Every grant of her other groups, if she has any (``accounts.signals`` keeps a member in
# her facility's group only; an administrator may add more): the membership rows of her facility's own
# group (``facility:<external id>``) are left out before any grant is read. Parameters of (2): the group
# name's prefix and her facility's id.
_FOREIGN_GRANT = (
    "g.pregnancy_managing_facility_id IS DISTINCT FROM g.grantee_facility_id "
    "AND g.pregnancy_follow_up_facility_id IS DISTINCT FROM g.grantee_facility_id"
)
_OTHER_GROUPS = (
    "JOIN {group} ag ON ag.id = m.group_id "
    "AND ag.name IS DISTINCT FROM (SELECT %s || f.external_id::text FROM {facility} f WHERE f.id = %s)"
)
_REST_COUNT = " ".join(
    [
        "SELECT COUNT(*) FROM (",
        "SELECT p.id FROM {pregnancy} p",
        "WHERE p.follow_up_facility_id = %s AND NOT (p.managing_facility_id = %s)",
        "UNION SELECT g.content_object_id FROM {user_grant} g",
        f"WHERE g.user_id = %s AND {_VIEW_PERMISSION}",
        "AND NOT (g.pregnancy_managing_facility_id = %s)",
        "UNION SELECT g.content_object_id FROM {group_grant} g",
        "JOIN {membership} m ON m.group_id = g.group_id",
        f"WHERE m.user_id = %s AND {_VIEW_PERMISSION}",
        f"AND NOT (g.pregnancy_managing_facility_id = %s) AND {_FOREIGN_GRANT}",
        "UNION SELECT g.content_object_id FROM {group_grant} g",
        f"JOIN {{membership}} m ON m.group_id = g.group_id {_OTHER_GROUPS}",
        f"WHERE m.user_id = %s AND {_VIEW_PERMISSION}",
        "AND NOT (g.pregnancy_managing_facility_id = %s)",
        "UNION SELECT b.pregnancy_id FROM {glass} b JOIN {pregnancy} p ON p.id = b.pregnancy_id",
        "WHERE b.user_id = %s AND b.expires_at > STATEMENT_TIMESTAMP() AND NOT (p.managing_facility_id = %s)",
        ") AS rest",
    ]
)
_REST_COUNT_GRANTED = " ".join(
    [
        "SELECT COUNT(*) FROM (",
        "SELECT g.content_object_id FROM {user_grant} g",
        f"WHERE g.user_id = %s AND {_VIEW_PERMISSION}",
        "AND NOT (g.pregnancy_managing_facility_id = %s)",
        "AND g.pregnancy_follow_up_facility_id IS DISTINCT FROM %s",
        "UNION SELECT g.content_object_id FROM {group_grant} g",
        "JOIN {membership} m ON m.group_id = g.group_id",
        f"WHERE m.user_id = %s AND {_VIEW_PERMISSION}",
        "AND NOT (g.pregnancy_managing_facility_id = %s)",
        f"AND g.pregnancy_follow_up_facility_id IS DISTINCT FROM %s AND {_FOREIGN_GRANT}",
        "UNION SELECT g.content_object_id FROM {group_grant} g",
        f"JOIN {{membership}} m ON m.group_id = g.group_id {_OTHER_GROUPS}",
        f"WHERE m.user_id = %s AND {_VIEW_PERMISSION}",
        "AND NOT (g.pregnancy_managing_facility_id = %s)",
        "AND g.pregnancy_follow_up_facility_id IS DISTINCT FROM %s",
        "UNION SELECT b.pregnancy_id FROM {glass} b JOIN {pregnancy} p ON p.id = b.pregnancy_id",
        "WHERE b.user_id = %s AND b.expires_at > STATEMENT_TIMESTAMP() AND NOT (p.managing_facility_id = %s)",
        "AND p.follow_up_facility_id IS DISTINCT FROM %s",
        ") AS granted",
    ]
)
_REST_NEWEST = " ".join(
    [
        "(SELECT p.created_at, p.id FROM {pregnancy} p WHERE p.follow_up_facility_id = %s",
        "ORDER BY p.created_at DESC, p.id DESC LIMIT {stop})",
        "UNION (SELECT u.pregnancy_created_at, u.id FROM (SELECT DISTINCT g.pregnancy_created_at,",
        "g.content_object_id AS id",
        f"FROM {{user_grant}} g WHERE g.user_id = %s AND {_VIEW_PERMISSION}",
        "ORDER BY 1 DESC, 2 DESC LIMIT {stop}) AS u)",
        # each of her groups' newest on the index, then merged: joined, every grant of the group was read
        # and sorted (6,000 at a city hospital: 4.9 -> 0.3 ms)
        "UNION (SELECT f.pregnancy_created_at, f.id FROM (SELECT DISTINCT t.pregnancy_created_at, t.id",
        "FROM {membership} m",
        "CROSS JOIN LATERAL (SELECT g.pregnancy_created_at, g.content_object_id AS id FROM {group_grant} g",
        f"WHERE g.group_id = m.group_id AND {_VIEW_PERMISSION} ORDER BY 1 DESC, 2 DESC LIMIT {{stop}}) AS t",
        "WHERE m.user_id = %s ORDER BY 1 DESC, 2 DESC LIMIT {stop}) AS f)",
        "UNION (SELECT e.created_at, e.id FROM (SELECT DISTINCT p.created_at, p.id FROM {glass} b",
        "JOIN {pregnancy} p ON p.id = b.pregnancy_id",
        "WHERE b.user_id = %s AND b.expires_at > STATEMENT_TIMESTAMP()",
        "ORDER BY 1 DESC, 2 DESC LIMIT {stop}) AS e)",
    ]
)


def _permission_params(codename: str) -> list[str]:
    """The parameters of ``_VIEW_PERMISSION`` for a pregnancy permission."""
    return [Pregnancy._meta.app_label, Pregnancy._meta.model_name, codename]


def facility_rest(actor, followed_total: tuple[str, list] | None = None) -> FacilityRest | None:
    """``FacilityRest`` for ``actor``'s view scope when its arms are exactly those: a member of a facility
    who is not also a regional supervisor (whose region is one more arm); ``None`` otherwise.
    ``followed_total``: see ``FacilityRest``."""
    if getattr(actor, "facility_id", None) is None or not may_use_scope(actor, "view"):
        return None
    if actor.has_role(Role.REGIONAL_SUPERVISOR) and actor.region_id is not None:
        return None
    return FacilityRest(actor.pk, actor.facility_id, followed_total)


def scope_key(actor, perm: Perm = "view") -> tuple:
    """Everything of ``actor`` that ``pregnancy_scope_arms`` reads to write its SQL (not what the SQL then
    reads: her grants and break-the-glass accesses are sub-selects, evaluated by each statement). Two
    actors with the same key get the same SQL with the same parameters, so SQL compiled for one serves the
    other (``cases.selectors.ScopedRows``). Keep it in step with ``pregnancy_scope_arms``:
    ``tests/cases/test_scoped_sql.py`` changes each attribute and checks the key and the rows."""
    region_prefix = actor.region.code_prefix if getattr(actor, "region_id", None) is not None else None
    return (
        perm,
        getattr(actor, "pk", None),
        bool(getattr(actor, "is_authenticated", False)),
        bool(getattr(actor, "is_active", False)),
        tuple(sorted(getattr(actor, "roles", ()) or ())),
        getattr(actor, "facility_id", None),
        getattr(actor, "region_id", None),
        region_prefix,
    )


def pregnancy_scope(actor, perm: Perm = "view", *, on: str = "") -> Q:
    """The filter selecting the pregnancies ``actor`` may ``perm``; ``Q(pk__in=[])`` for nobody. ``on``:
    the same filter on another table's rows that carry the pregnancy's copies (``pregnancy_scope_arms``)."""
    scope = Q(pk__in=[])
    for arm in pregnancy_scope_arms(actor, perm, on=on):
        scope |= arm
    return scope


def pregnancies_visible_to(actor) -> QuerySet[Pregnancy]:
    return Pregnancy.objects.filter(pregnancy_scope(actor, "view"))


def _checked_for(actor, pregnancy: Pregnancy) -> bool:
    """True if ``pregnancy`` is the instance ``access_pregnancy_by_id`` fetched for ``actor`` (it then
    carries ``actor_may_change`` and ``actor_sees_ordinarily``, computed in the same statement)."""
    checked_for = getattr(pregnancy, "access_checked_for", None)
    return checked_for is not None and checked_for == getattr(actor, "pk", None)


def _ordinary_scope(actor) -> Q:
    return pregnancy_scope(actor, "view") & ~_break_glass(actor)


def _emergency_access_used(actor, pregnancy: Pregnancy) -> BreakGlassAccess | None:
    """The break-the-glass access that alone makes ``pregnancy`` visible to ``actor``, if any."""
    if _checked_for(actor, pregnancy):
        if pregnancy.actor_sees_ordinarily:
            return None
    elif Pregnancy.objects.filter(_ordinary_scope(actor), pk=pregnancy.pk).exists():
        return None
    return (
        BreakGlassAccess.objects.filter(pregnancy=pregnancy, user=actor, expires_at__gt=timezone.now())
        .order_by("-expires_at")
        .first()
    )


def can_change_pregnancy(actor, pregnancy: Pregnancy) -> bool:
    if _checked_for(actor, pregnancy):
        return pregnancy.actor_may_change
    return Pregnancy.objects.filter(pregnancy_scope(actor, "change"), pk=pregnancy.pk).exists()


_PREGNANCY = Joined(
    Pregnancy,
    "patient",
    "managing_facility",
    "follow_up_facility",
    "booking_facility",
    "responsible_clinician",
)
_BREAK_GLASS_ACTIVE = (
    f"EXISTS (SELECT 1 FROM {BreakGlassAccess._meta.db_table} b "  # noqa: S608 - a table name
    "WHERE b.pregnancy_id = t0.id AND b.user_id = %s AND b.expires_at > %s)"
)


def _grants_on(actor, pregnancy_pk: int) -> set[str]:
    """The pregnancy permissions (``view_pregnancy`` / ``change_pregnancy``) granted on one pregnancy to
    ``actor`` or to one of her groups (the grants of ``_granted``), in one statement."""
    to_user = PregnancyUserObjectPermission.objects.filter(user=actor, content_object_id=pregnancy_pk)
    to_group = PregnancyGroupObjectPermission.objects.filter(
        group__user=actor, content_object_id=pregnancy_pk
    )
    return set(
        to_user.values_list("permission__codename", flat=True).union(
            to_group.values_list("permission__codename", flat=True)
        )
    )


def _access_to(actor, pregnancy: Pregnancy) -> tuple[bool, bool, bool]:
    """(may view, may change, sees it without break-the-glass): ``pregnancy_scope_arms`` and the flags of
    the scope, evaluated for one fetched row. ``pregnancy.break_glass_active`` must be annotated.

    The facility arms are decided from the row; grants cost one query, only for someone who does not
    work at the woman's managing or follow-up facility. ``tests/test_access_matrix.py`` holds this and
    the list scope (``pregnancy_scope``) to the same answers.
    """
    view_role = has_action(actor, Action.VIEW_CASE)
    change_role = has_action(actor, Action.RECORD_CLINICAL)
    if not view_role and not change_role:
        return False, False, False
    at_facility = _at_her_facility(actor, pregnancy)
    grants = set() if at_facility else _grants_on(actor, pregnancy.pk)
    in_region = (
        actor.has_role(Role.REGIONAL_SUPERVISOR)
        and actor.region_id is not None
        and pregnancy.managing_facility.region_code.startswith(actor.region.code_prefix)
    )
    ordinary = at_facility or "view_pregnancy" in grants or in_region
    break_glass = pregnancy.break_glass_active
    may_view = view_role and (ordinary or break_glass)
    may_change = change_role and (at_facility or "change_pregnancy" in grants)
    return may_view, may_change, view_role and ordinary and not break_glass


def _at_her_facility(actor, pregnancy: Pregnancy) -> bool:
    """The woman is managed or followed up at the actor's facility (the first two arms of the scope)."""
    facility_id = actor.facility_id
    return facility_id is not None and facility_id in (
        pregnancy.managing_facility_id,
        pregnancy.follow_up_facility_id,
    )


def sees_at_her_facility(actor, pregnancy: Pregnancy) -> bool:
    """True when ``actor`` may view ``pregnancy`` through her facility's arms of ``pregnancy_scope_arms``
    (the woman managed or followed up there), decided from the row: no query. False proves nothing: a
    grant, her region or break-the-glass may still let her see the woman."""
    return has_action(actor, Action.VIEW_CASE) and _at_her_facility(actor, pregnancy)


def access_pregnancy_by_id(
    actor, pregnancy_id, *, perm: Perm = "view", audit: bool = True, lock: bool = False
) -> Pregnancy:
    """The pregnancy with external id ``pregnancy_id`` if ``actor`` may ``perm`` it.

    Raises ``NotFound`` when she may not see it (or it does not exist), ``PermissionDenied`` when she may
    see it but not change it. With ``audit`` (the default) a successful access writes a read audit row,
    for ``view`` and ``change`` alike (a form opened to change her record shows it); a read that only
    break-the-glass allows is flagged for review. Callers that write their own audit row pass ``False``.

    ``lock`` reads the row ``FOR UPDATE`` of the pregnancy and her woman, as the services lock them
    before a change, inside the caller's transaction (required): a writer that checks access and then
    changes her record reads her once instead of twice (``visit_record(locked=True)``).
    """
    if lock and not connection.in_atomic_block:
        raise TransactionManagementError("lock=True needs the caller's transaction (transaction.atomic).")
    pregnancy_uuid = parse_uuid(pregnancy_id)
    if pregnancy_uuid is None or not getattr(actor, "is_authenticated", False):
        raise NotFound()
    # The row (with what the case page and every entry form show of it) and whether she holds an
    # unexpired break-the-glass access to it, in one fixed statement (``core.rows.Joined``); the rules
    # are then applied to the row in Python (``_access_to``). Compiling the whole scope as one ORM
    # statement cost more than PostgreSQL spent answering it, on every case page and entry (issue #9).
    found = _PREGNANCY.fetch(
        "t0.external_id = %s",
        [pregnancy_uuid],
        extra=[_BREAK_GLASS_ACTIVE],
        extra_params=[actor.pk, timezone.now()],
        lock=("t0", "t1") if lock else (),
    )
    if found is None:
        raise NotFound()
    pregnancy, (break_glass_active,) = found
    pregnancy.break_glass_active = break_glass_active
    may_view, may_change, ordinary = _access_to(actor, pregnancy)
    if not may_view:
        raise NotFound()
    pregnancy.access_checked_for = actor.pk
    pregnancy.actor_may_change = may_change
    pregnancy.actor_sees_ordinarily = ordinary
    if perm == "change" and not may_change:
        raise PermissionDenied()
    if audit:
        emergency = _emergency_access_used(actor, pregnancy)
        audit_record(
            actor=actor,
            action=AuditAction.READ,
            obj=pregnancy,
            patient_ids=[pregnancy.patient.external_id],
            reason=emergency.reason if emergency else "",
            changes={"break_glass": str(emergency.external_id)} if emergency else None,
            needs_review=emergency is not None,
        )
    return pregnancy


def patient_scope(actor) -> Q:
    """A woman is visible to the facility that registered her and wherever one of her pregnancies is."""
    if not has_action(actor, Action.VIEW_CASE):
        return Q(pk__in=[])
    visible_pregnancies = Pregnancy.objects.filter(pregnancy_scope(actor, "view"), patient=OuterRef("pk"))
    scope = Q(Exists(visible_pregnancies))
    if actor.facility_id is not None:
        scope |= Q(registered_facility_id=actor.facility_id)
    return scope


def patients_visible_to(actor) -> QuerySet[Patient]:
    """The women ``actor`` may see, for lists: the same rows as ``patient_scope``, written so that
    PostgreSQL probes the patient key index with the ids of the pregnancies in scope (computed once per
    statement) instead of running the pregnancy ``EXISTS`` for every woman of the region."""
    if not has_action(actor, Action.VIEW_CASE):
        return Patient.objects.none()
    in_scope = Pregnancy.objects.filter(pregnancy_scope(actor, "view")).order_by().values("patient_id")
    scope = Q(AnyOf("pk", in_scope))
    if actor.facility_id is not None:
        scope |= Q(registered_facility_id=actor.facility_id)
    return Patient.objects.filter(scope)


def patient_changeable_scope(actor) -> Q:
    """She may be changed by her registering facility's clinicians or wherever she has a changeable
    open pregnancy."""
    if not has_action(actor, Action.RECORD_CLINICAL) and not has_action(actor, Action.REGISTER_PATIENT):
        return Q(pk__in=[])
    changeable = Pregnancy.objects.filter(pregnancy_scope(actor, "change"), patient=OuterRef("pk"))
    scope = Q(Exists(changeable))
    if actor.facility_id is not None:
        scope |= Q(registered_facility_id=actor.facility_id)
    return scope


def access_patient_by_id(actor, patient_id, *, perm: Perm = "view", audit: bool = True) -> Patient:
    """The woman with external id ``patient_id`` if ``actor`` may ``perm`` her (404 / 403 as for
    pregnancies). A merged record still resolves: it shows ``status = merged`` and ``merged_into``."""
    patient_uuid = parse_uuid(patient_id)
    if patient_uuid is None:
        raise NotFound()
    patient = (
        Patient.objects.filter(patient_scope(actor), external_id=patient_uuid)
        .select_related("registered_facility", "merged_into", "residence_region")
        .first()
    )
    if patient is None:
        raise NotFound()
    if (
        perm == "change"
        and not Patient.objects.filter(patient_changeable_scope(actor), pk=patient.pk).exists()
    ):
        raise PermissionDenied()
    if audit and perm == "view":
        audit_record(actor=actor, action=AuditAction.READ, obj=patient, patient_ids=[patient.external_id])
    return patient
