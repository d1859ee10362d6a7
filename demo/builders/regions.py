"""Step: the province, its cities and counties (GB/T 2260)."""

from facilities.choices import RegionLevel
from facilities.models import Region

from ..geography import PROVINCE
from .context import SeedContext, demo_uuid


def region_rows() -> list[tuple[str, str, str, str, str | None]]:
    """(code, name_zh, name_en, level, parent code), parents first."""
    p = PROVINCE
    rows = [(p.code, p.name_zh, p.name_en, RegionLevel.PROVINCE, None)]
    for city in p.cities:
        rows.append((city.code, city.name_zh, city.name_en, RegionLevel.CITY, p.code))
        rows += [(c.code, c.name_zh, c.name_en, RegionLevel.COUNTY, city.code) for c in city.counties]
    return rows


def build_regions(ctx: SeedContext) -> None:
    """Get-or-create by code. Regions are shared reference data: an existing row is never modified."""
    rows = region_rows()
    existing = {r.code: r for r in Region.objects.filter(code__in=[row[0] for row in rows])}
    for code, name_zh, name_en, level, parent_code in rows:
        region = existing.get(code)
        if region is None:
            region = Region.objects.create(
                external_id=demo_uuid("region", code),
                code=code,
                name_zh=name_zh,
                name_en=name_en,
                level=level,
                parent=ctx.regions[parent_code] if parent_code else None,
            )
            ctx.count("regions", "created")
        else:
            ctx.count("regions", "unchanged")
        ctx.regions[code] = region
