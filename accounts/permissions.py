"""Who may do what: the one published table (role × action).

``docs/permissions.md`` is generated from ``PERMISSIONS`` (``manage.py permissions_table``) and a test
keeps the two equal. Role permissions say what a person may do *in principle*; whether she may do it
to a particular woman's record is decided by the object access rules (``cases/access.py``).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import Role


class Action(models.TextChoices):
    VIEW_CASE = "view_case", _("Read the records of women in scope")
    REGISTER_PATIENT = "register_patient", _("Register a woman and a pregnancy")
    RECORD_CLINICAL = "record_clinical", _("Record visits, observations, deliveries")
    CONFIRM_GRADE = "confirm_grade", _("Confirm a five-colour risk grade")
    REQUEST_REFERRAL = "request_referral", _("Request or cancel a referral")
    ACCEPT_REFERRAL = "accept_referral", _("Accept, decline or complete a referral")
    REQUEST_CONSULT = "request_consult", _("Request an MDT consultation")
    SCHEDULE_CONSULT = "schedule_consult", _("Schedule an MDT consultation and invite participants")
    RECORD_OPINION = "record_opinion", _("Record an opinion in an MDT consultation")
    CONCLUDE_CONSULT = (
        "conclude_consult",
        _("Conclude an MDT consultation as lead physician and sign decisions"),
    )
    MERGE_RECORDS = "merge_records", _("Merge duplicate records")
    REVEAL_ID_NUMBER = "reveal_id_number", _("Reveal a full ID number")
    VIEW_SENSITIVE = "view_sensitive", _("See sensitive details (infection, psychiatric, drugs, termination)")
    BREAK_GLASS = "break_glass", _("Emergency access to a record outside scope (audited)")
    REVIEW_BREAK_GLASS = "review_break_glass", _("Review emergency accesses")
    EXPORT = "export", _("Export data")
    VIEW_DASHBOARD = "view_dashboard", _("See dashboards for the own scope")
    VIEW_AGGREGATES = (
        "view_aggregates",
        _("See aggregate figures beyond the own scope (numbers below 5 suppressed, no list of women)"),
    )
    VIEW_AUDIT = "view_audit", _("Search the audit trail")
    MANAGE_FACILITIES = "manage_facilities", _("Manage facilities and departments")
    MANAGE_STAFF = "manage_staff", _("Manage staff and on-call rosters")
    VIEW_ALERT_OPERATIONS = (
        "view_alert_operations",
        _("See alert delivery and worker health (own facility; system administrators: all)"),
    )


_CLINICIANS = {Role.OBSTETRICIAN, Role.MIDWIFE}

PERMISSIONS: dict[str, frozenset[str]] = {
    Action.VIEW_CASE: frozenset(
        {*_CLINICIANS, Role.MDT_COORDINATOR, Role.SPECIALIST, Role.REGIONAL_SUPERVISOR}
    ),
    Action.REGISTER_PATIENT: frozenset(_CLINICIANS),
    Action.RECORD_CLINICAL: frozenset({*_CLINICIANS, Role.SPECIALIST}),
    Action.CONFIRM_GRADE: frozenset({Role.OBSTETRICIAN}),
    Action.REQUEST_REFERRAL: frozenset({*_CLINICIANS}),
    Action.ACCEPT_REFERRAL: frozenset({Role.OBSTETRICIAN}),
    Action.REQUEST_CONSULT: frozenset({Role.OBSTETRICIAN, Role.MDT_COORDINATOR}),
    Action.SCHEDULE_CONSULT: frozenset({Role.MDT_COORDINATOR}),
    Action.RECORD_OPINION: frozenset({Role.OBSTETRICIAN, Role.SPECIALIST}),
    Action.CONCLUDE_CONSULT: frozenset({Role.OBSTETRICIAN, Role.SPECIALIST}),
    Action.MERGE_RECORDS: frozenset({Role.OBSTETRICIAN, Role.FACILITY_ADMIN}),
    Action.REVEAL_ID_NUMBER: frozenset({*_CLINICIANS, Role.FACILITY_ADMIN}),
    Action.VIEW_SENSITIVE: frozenset({Role.OBSTETRICIAN, Role.SPECIALIST}),
    Action.BREAK_GLASS: frozenset({Role.OBSTETRICIAN, Role.MIDWIFE}),
    Action.REVIEW_BREAK_GLASS: frozenset({Role.FACILITY_ADMIN, Role.AUDITOR}),
    Action.EXPORT: frozenset({Role.FACILITY_ADMIN, Role.REGIONAL_SUPERVISOR}),
    Action.VIEW_DASHBOARD: frozenset({Role.FACILITY_ADMIN, Role.REGIONAL_SUPERVISOR, Role.SYSTEM_ADMIN}),
    Action.VIEW_AGGREGATES: frozenset({Role.REGIONAL_SUPERVISOR, Role.AUDITOR}),
    Action.VIEW_AUDIT: frozenset({Role.AUDITOR, Role.SYSTEM_ADMIN}),
    Action.MANAGE_FACILITIES: frozenset({Role.SYSTEM_ADMIN}),
    Action.MANAGE_STAFF: frozenset({Role.FACILITY_ADMIN, Role.SYSTEM_ADMIN}),
    Action.VIEW_ALERT_OPERATIONS: frozenset({Role.FACILITY_ADMIN, Role.SYSTEM_ADMIN}),
}


def roles_for(action: str) -> frozenset[str]:
    return PERMISSIONS[action]


def has_action(user, action: str) -> bool:
    """True if any of the user's roles allows ``action``. Anonymous and inactive users: never."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(PERMISSIONS[action].intersection(user.roles))


def render_markdown() -> str:
    """The role × action table as Markdown (written to docs/permissions.md)."""
    roles = list(Role)
    lines = [
        "# Who may do what",
        "",
        "Generated from `accounts/permissions.py` by `python manage.py permissions_table`; a test keeps",
        "this file equal to the code. A role allows an action in principle; whether a person may do it",
        "to one woman's record is decided by the access rules in `docs/architecture.md` (her facility,",
        "a referral or consult grant, a regional scope, or break-the-glass). A user may hold several roles.",
        "",
        "| Action | " + " | ".join(f"`{r.value}`" for r in roles) + " |",
        "|---|" + "---|" * len(roles),
    ]
    for action in Action:
        allowed = PERMISSIONS[action]
        cells = ["✔" if r.value in allowed else "" for r in roles]
        lines.append(f"| `{action.value}` — {action.label} | " + " | ".join(cells) + " |")
    lines.append("")
    return "\n".join(str(line) for line in lines)
