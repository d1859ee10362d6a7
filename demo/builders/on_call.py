"""Step: round-the-clock obstetric on-call cover for every demo facility.

Shifts are 08:00–20:00 and 20:00–08:00 Asia/Shanghai. The window runs from the night shift that covers
the start of yesterday to the one that covers the end of the 14th day ahead, so it depends only on
today's date: re-running the same day adds nothing, re-running later extends it. A slot that overlaps
any existing lead obstetric shift of the facility is skipped, so nothing is duplicated or overlapped.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from accounts.choices import Role
from accounts.models import OnCallShift
from facilities.choices import Specialty

from .context import SeedContext

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY_START, NIGHT_START = dt.time(8), dt.time(20)
DAYS_AHEAD = 14


def shift_slots(now: dt.datetime) -> list[tuple[int, dt.datetime, dt.datetime]]:
    """(rotation index, start, end) for every 12-hour slot in the window around ``now``.

    The rotation index counts half-days since year 1, so a facility's rota continues seamlessly when a
    later run extends it.
    """
    today = now.astimezone(SHANGHAI).date()
    start = dt.datetime.combine(today - dt.timedelta(days=2), NIGHT_START, SHANGHAI)  # covers 00:00 yesterday
    window_end = dt.datetime.combine(today + dt.timedelta(days=DAYS_AHEAD + 1), DAY_START, SHANGHAI)
    slots = []
    while start < window_end:
        end = start + dt.timedelta(hours=12)  # Asia/Shanghai has no daylight saving time
        slots.append((start.date().toordinal() * 2 + (start.time() == NIGHT_START), start, end))
        start = end
    return slots


def build_on_call(ctx: SeedContext) -> None:
    slots = shift_slots(ctx.now)
    window_start, window_end = slots[0][1], slots[-1][2]
    facilities = list(ctx.facilities.values())
    busy: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {f.pk: [] for f in facilities}
    for facility_id, starts_at, ends_at in OnCallShift.objects.filter(
        facility__in=facilities,
        department__specialty=Specialty.OBSTETRICS,
        is_lead=True,
        starts_at__lt=window_end,
        ends_at__gt=window_start,
    ).values_list("facility_id", "starts_at", "ends_at"):
        busy[facility_id].append((starts_at, ends_at))
    new = []
    for code, facility in ctx.progress(list(ctx.facilities.items()), "on-call"):
        rota = sorted(
            (u for u in ctx.users.values() if u.facility_id == facility.pk and Role.OBSTETRICIAN in u.roles),
            key=lambda u: u.username,
        )
        if not rota:
            ctx.warn(f"No obstetrician at {code}: no on-call shifts.")
            continue
        department = ctx.departments[(code, Specialty.OBSTETRICS)]
        for index, start, end in slots:
            if any(start < b_end and b_start < end for b_start, b_end in busy[facility.pk]):
                continue
            new.append(
                OnCallShift(
                    facility=facility,
                    department=department,
                    user=rota[index % len(rota)],
                    starts_at=start,
                    ends_at=end,
                    is_lead=True,
                )
            )
    OnCallShift.objects.bulk_create(new)
    ctx.count("on-call shifts", "created", len(new))
