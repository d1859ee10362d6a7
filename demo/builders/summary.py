"""The ``--summary-json`` document: every demo facility and user, in a fixed order.

Contract: ``{"facilities": [{"id", "name", "tier", "critical_care_level", "region"}],
"users": [{"id", "username", "role", "facility", "facility_tier", "region"}]}`` — ids are external UUIDs,
``name`` the Chinese name, ``region`` a 6-digit GB/T 2260 code (a facility user's facility region, else
the user's own region), ``role`` the user's primary (first) role, ``facility``/``facility_tier`` null for
users without a facility. With ``--pregnancies`` also
``"pregnancies": {"total": n, "by_status": {status: n}}``: counts only (every pregnancy of a woman registered
at a demo facility), never rows.
"""

from .context import SeedContext
from .pregnancies import demo_pregnancy_counts


def build_summary(ctx: SeedContext) -> dict:
    regions_by_id = {r.pk: r.code for r in ctx.regions.values()}
    facilities_by_id = {f.pk: f for f in ctx.facilities.values()}
    facilities = [
        {
            "id": str(f.external_id),
            "name": f.name_zh,
            "tier": f.tier,
            "critical_care_level": f.critical_care_level,
            "region": f.region_code,
        }
        for f in sorted(ctx.facilities.values(), key=lambda f: f.code)
    ]
    users = []
    for user in sorted(ctx.users.values(), key=lambda u: u.username):
        facility = facilities_by_id.get(user.facility_id)
        users.append(
            {
                "id": str(user.external_id),
                "username": user.username,
                "role": user.roles[0] if user.roles else None,
                "facility": str(facility.external_id) if facility else None,
                "facility_tier": facility.tier if facility else None,
                "region": facility.region_code if facility else regions_by_id.get(user.region_id),
            }
        )
    summary = {"facilities": facilities, "users": users}
    if ctx.options.get("pregnancies"):
        _, total, by_status = demo_pregnancy_counts(list(facilities_by_id))
        summary["pregnancies"] = {"total": total, "by_status": by_status}
    return summary
