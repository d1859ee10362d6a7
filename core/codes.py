"""The published code lists (API values partner systems rely on), rendered as docs/codes.md.

Codes never change once published; labels may. The Chinese label is shown next to the English one.
"""

from django.utils import translation


def _tables():
    from accounts.choices import Role, Title
    from audit.choices import AuditAction
    from cases import choices as c
    from facilities.choices import Capability, CriticalCareLevel, FacilityKind, RegionLevel, Specialty, Tier

    return [
        ("Roles (`roles`)", Role),
        ("Staff titles (`title`; senior = associate_chief or chief)", Title),
        ("Specialties (`specialty`)", Specialty),
        ("Facility tiers (`tier`)", Tier),
        (
            "Critical maternal care centre levels (`critical_care_level`; null = not a centre)",
            CriticalCareLevel,
        ),
        ("Facility kinds (`kind`)", FacilityKind),
        ("Facility capabilities (`capabilities`)", Capability),
        ("Region levels", RegionLevel),
        ("Pregnancy status (`status`)", c.PregnancyStatus),
        ("Pregnancy outcome (`outcome`)", c.PregnancyOutcome),
        ("Dating methods (`dating_method`)", c.DatingMethod),
        ("Infection status (`hiv_status`, `syphilis_status`, `hbv_status`; sensitive)", c.InfectionStatus),
        ("Risk colours (`risk_color`; null = not graded)", c.RiskColor),
        ("Visit kinds (`kind`)", c.VisitKind),
        ("Delivery modes (`mode`)", c.DeliveryMode),
        ("Delivery complications (`complications`)", c.DeliveryComplication),
        ("Near-miss criteria, WHO 2011 (`criteria`, `near_miss_criteria`)", c.NearMissCriterion),
        ("Newborn outcome", c.NewbornOutcome),
        ("Identity documents other than the resident ID (`document_type`)", c.DocumentType),
        ("Care tasks (`kind`)", c.CareTaskKind),
        ("Consent purposes (`purpose`)", c.ConsentPurpose),
        ("Audit actions (`action`)", AuditAction),
    ]


def render_markdown() -> str:
    lines = [
        "# Published codes",
        "",
        "Generated from the code by `python manage.py reference_codes`; a test keeps this file equal to the",
        "code. These values appear in the API and in `seed_demo --summary-json`; they never change once",
        "published.",
    ]
    for title, choices in _tables():
        lines += ["", f"## {title}", "", "| code | English | 中文 |", "|---|---|---|"]
        for member in choices:
            english = str(member.label)
            with translation.override("zh-hans"):
                chinese = str(member.label)
            lines.append(f"| `{member.value}` | {english} | {chinese} |")
    lines.append("")
    return "\n".join(lines)
