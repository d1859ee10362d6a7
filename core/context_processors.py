"""What the base layout needs on every page: the navigation the user's roles allow, which of its links is
the page shown, and the labels of the user's roles (worked out here once, not looped over in the
header's markup on every page)."""

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.choices import Role
from accounts.permissions import Action, has_action
from core.ids import id_url as reverse  # the navigation's links, reversed once per process


def shell(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "role_choices": Role.choices}
    items = [
        (reverse("core:home"), _("Home"), "home"),
        (reverse("facilities:directory"), _("Facilities"), "facilities"),
        (reverse("facilities:staff"), _("Staff"), "staff"),
    ]
    if has_action(user, Action.VIEW_CASE) and user.facility_id is not None:
        if has_action(user, Action.REQUEST_REFERRAL) or has_action(user, Action.ACCEPT_REFERRAL):
            items.append((reverse("referrals:list"), _("Referrals"), "referrals"))
        items.append((reverse("risk:case_management"), _("Case management"), "case_management"))
    if has_action(user, Action.VIEW_CASE) or has_action(user, Action.MANAGE_STAFF):
        items.append((reverse("risk:reports"), _("Grading reports"), "reports"))
    if has_action(user, Action.SCHEDULE_CONSULT) and user.facility_id is not None:
        items.append((reverse("consults:board"), _("MDT board"), "mdt_board"))
    if has_action(user, Action.VIEW_DASHBOARD) or has_action(user, Action.VIEW_AGGREGATES):
        items.append((reverse("dashboards:summary"), _("Dashboard"), "dashboards"))
    if has_action(user, Action.VIEW_ALERT_OPERATIONS):
        items.append((reverse("notifications:operations"), _("Alert operations"), "alert_operations"))
    if has_action(user, Action.VIEW_AUDIT):
        items.append((reverse("audit:search"), _("Audit trail"), "audit"))
    if has_action(user, Action.REVIEW_BREAK_GLASS):
        items.append((reverse("cases:break_glass_reviews"), _("Emergency accesses"), "break_glass"))
    # role_choices: lists of other people show their role labels by looping over it (role_tags.html).
    match = getattr(request, "resolver_match", None)
    on_facility = match is not None and match.view_name == "facilities:detail"
    return {
        "nav_items": [
            {
                "url": u,
                "label": label,
                "key": key,
                "current": request.path == u or (key == "facilities" and on_facility),
            }
            for u, label, key in items
        ],
        "role_choices": Role.choices,
        "user_role_labels": [label for code, label in Role.choices if code in user.roles],
    }
