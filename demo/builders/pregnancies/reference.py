"""Temporary reference tables and SQL helpers for the bulk cohort, built from what earlier steps made.

* ``pg_temp.u(key, channel)``: a uniform number in [0, 1) that depends only on ``--seed``, the key (a
  woman, pregnancy or visit number) and the channel (which draw: age, status, …). Hash-based, so any
  batch can be computed independently and a re-run with the same seed draws the same values.
* ``demo_seed_county``: per county of the demo region, its primary-care centres and the weighted facilities
  where a woman living there may be managed (``route_ids`` / ``route_cum`` for ``width_bucket``).
* ``demo_seed_fac``: per demo facility, its obstetricians, its obstetricians and midwives, and where its
  women deliver (itself if licensed for deliveries, else the county people's hospital).
* ``demo_seed_grid``: the antenatal schedule from a booking GA ``b``: visit ``j`` at GA ``ga`` plans the next
  at ``next_ga`` (every 4 weeks to 28 weeks, every 2 weeks to 36, then weekly; DOMAIN.md §4).
"""

from accounts.choices import Role
from facilities.choices import Capability, Tier

from ...geography import PROVINCE
from ..context import SeedContext
from . import mix
from .mix import cumulative

# Work tables: TEMP when one connection loads everything, UNLOGGED (and committed) when parallel workers
# must read them. Dropped at the end, and at the start in case an interrupted run left them behind.
WORK_TABLES = ("demo_seed_p", "demo_seed_w", "demo_seed_grid", "demo_seed_fac", "demo_seed_county")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)  # GB 11643 / ISO 7064 MOD 11-2
GRID_MAX_GA = 330


def _functions_sql(seed: int, now: str) -> list[str]:
    """``now`` is an ISO timestamp; the helpers bake it in, like the seed, for this run only."""
    check_sum = " + ".join(f"substr(s, {i + 1}, 1)::int * {w}" for i, w in enumerate(ID_WEIGHTS))
    fn = "CREATE OR REPLACE FUNCTION pg_temp"
    return [
        # 48 bits of a 64-bit hash of (key, channel, seed): plenty for shares of 1 in 10,000.
        f"""{fn}.u(k bigint, ch int) RETURNS float8 LANGUAGE sql IMMUTABLE
            AS $$ SELECT (hashint8extended(k, ch::bigint * 1000003 + {int(seed)}) & 281474976710655)::float8
                         / 281474976710656.0 $$""",
        f"""{fn}.pick(k bigint, ch int, lo int, hi int) RETURNS int LANGUAGE sql IMMUTABLE
            AS $$ SELECT lo + floor(pg_temp.u(k, ch) * (hi - lo + 1))::int $$""",
        # A local (Asia/Shanghai) wall-clock time on day d, ``minutes`` after midnight; never after now, so
        # an event "today" keeps today's date.
        f"""{fn}.at(d date, minutes int) RETURNS timestamptz LANGUAGE sql IMMUTABLE
            AS $$ SELECT least((d + make_interval(mins => minutes)) AT TIME ZONE 'Asia/Shanghai',
                               '{now}'::timestamptz) $$""",
        f"""{fn}.later(t timestamptz, minutes int) RETURNS timestamptz LANGUAGE sql IMMUTABLE
            AS $$ SELECT least(t + make_interval(mins => minutes), '{now}'::timestamptz) $$""",
        f"""{fn}.phone(k bigint, ch int) RETURNS text LANGUAGE sql IMMUTABLE
            AS $$ SELECT '+861' || pg_temp.pick(k, ch, 3, 9)
                         || lpad(pg_temp.pick(k, ch + 1, 0, 999999999)::text, 9, '0') $$""",
        f"""{fn}.id_check(s text) RETURNS text LANGUAGE sql IMMUTABLE
            AS $$ SELECT substr('10X98765432', ({check_sum}) % 11 + 1, 1) $$""",
        # MS2026 + at least 7 digits, as cases.services._common.next_record_number formats it.
        f"""{fn}.record_number(prefix text, year int, v bigint) RETURNS text LANGUAGE sql IMMUTABLE
            AS $$ SELECT prefix || year || lpad(v::text, greatest(7, length(v::text)), '0') $$""",
    ]


def _code(region_code: str, suffix: str) -> str:
    return f"DEMO-{region_code}-{suffix}"  # as demo.builders.facilities names them


def county_rows(ctx: SeedContext) -> tuple[list[tuple], list[float]]:
    """(rows for ``demo_seed_county``, cumulative county weights)."""
    facilities = ctx.facilities
    rows, weights = [], []
    capital = PROVINCE.cities[0]
    for city in PROVINCE.cities:
        for county in city.counties:
            primaries = [
                code
                for code, plan in ctx.facility_plans.items()
                if plan.region_code == county.code and plan.tier == Tier.PRIMARY
            ]
            if not primaries:
                continue
            col = 1 if county.urban else 0
            province = [
                w[col] for w in (mix.MANAGING_WEIGHTS["province_mch"], mix.MANAGING_WEIGHTS["province_gh"])
            ]
            routes = {
                None: mix.MANAGING_WEIGHTS["primary"][col],  # None: her own primary-care centre
                _code(county.code, "PH"): mix.MANAGING_WEIGHTS["county_ph"][col],
                _code(county.code, "MCH"): mix.MANAGING_WEIGHTS["county_mch"][col],
                _code(city.code, "MCH"): mix.MANAGING_WEIGHTS["city_mch"][col],
                _code(city.code, "GH"): mix.MANAGING_WEIGHTS["city_gh"][col],
                _code(PROVINCE.code, "MCH"): province[0]
                if city is capital
                else mix.REMOTE_PROVINCE_WEIGHTS[0],
                _code(PROVINCE.code, "GH"): province[1]
                if city is capital
                else mix.REMOTE_PROVINCE_WEIGHTS[1],
            }
            routes = {code: w for code, w in routes.items() if code is None or code in facilities}
            rows.append(
                (
                    len(rows) + 1,
                    ctx.regions[county.code].pk,
                    county.code,
                    [facilities[code].pk for code in primaries],
                    [ctx.facility_plans[code].address for code in primaries],
                    [facilities[code].pk if code else 0 for code in routes],
                    cumulative(routes.values()),
                    facilities[_code(county.code, "PH")].pk,
                )
            )
            weights.append(mix.URBAN_COUNTY_WEIGHT if county.urban else mix.RURAL_COUNTY_WEIGHT)
    return rows, cumulative(weights)


def facility_rows(ctx: SeedContext) -> list[tuple]:
    """(facility id, obstetricians, obstetricians and midwives, delivery facility id) per demo facility."""
    staff: dict[int, list] = {f.pk: [] for f in ctx.facilities.values()}
    for user in sorted(ctx.users.values(), key=lambda u: u.username):
        if user.facility_id in staff:
            staff[user.facility_id].append(user)
    rows = []
    for code, facility in ctx.facilities.items():
        plan = ctx.facility_plans[code]
        obstetricians = [u.pk for u in staff[facility.pk] if Role.OBSTETRICIAN in u.roles]
        midwives = [u.pk for u in staff[facility.pk] if Role.MIDWIFE in u.roles]
        county_hospital = ctx.facilities.get(_code(plan.region_code, "PH"), facility)
        delivers = Capability.DELIVERY in plan.capabilities
        rows.append(
            (
                facility.pk,
                obstetricians,
                obstetricians + midwives,
                facility.pk if delivers else county_hospital.pk,
            )
        )
    return rows


def grid_rows() -> list[tuple[int, int, int, int]]:
    rows = []
    for booking_ga in range(GRID_MAX_GA + 1):
        ga, j = booking_ga, 1
        while ga <= GRID_MAX_GA:
            step = 28 if ga < 28 * 7 else 14 if ga < 36 * 7 else 7
            rows.append((booking_ga, j, ga, ga + step))
            ga, j = ga + step, j + 1
    return rows


def create_functions(cursor, ctx: SeedContext) -> None:
    """The ``pg_temp`` helpers: per session, so every connection that loads batches creates them."""
    for statement in _functions_sql(ctx.seed, ctx.now.isoformat()):
        cursor.execute(statement)


def create_reference(cursor, ctx: SeedContext, kind: str) -> list[float]:
    """Create the reference tables (``kind``: TEMP or UNLOGGED); return the cumulative county weights."""
    counties, county_cum = county_rows(ctx)
    cursor.execute(
        f"CREATE {kind} TABLE demo_seed_county (county_i int PRIMARY KEY, region_id bigint, code text,"
        " primary_ids bigint[], primary_addr text[], route_ids bigint[], route_cum float8[], ph_id bigint)"
    )
    cursor.executemany("INSERT INTO demo_seed_county VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", counties)
    cursor.execute(
        f"CREATE {kind} TABLE demo_seed_fac (facility_id bigint PRIMARY KEY, obs bigint[], clin bigint[],"
        " delivery_id bigint)"
    )
    cursor.executemany("INSERT INTO demo_seed_fac VALUES (%s, %s, %s, %s)", facility_rows(ctx))
    grid = grid_rows()
    cursor.execute(
        f"CREATE {kind} TABLE demo_seed_grid (b int, j int, ga int, next_ga int, PRIMARY KEY (b, j))"
    )
    cursor.execute(
        "INSERT INTO demo_seed_grid SELECT * FROM unnest(%s::int[], %s::int[], %s::int[], %s::int[])",
        [list(column) for column in zip(*grid, strict=True)],
    )
    cursor.execute("ANALYZE demo_seed_county, demo_seed_fac, demo_seed_grid")
    return county_cum


def drop_work_tables(cursor) -> None:
    for table in WORK_TABLES:
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
