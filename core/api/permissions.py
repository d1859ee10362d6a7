"""DRF permission classes derived from the role × action table (``accounts/permissions.py``)."""

from rest_framework.permissions import BasePermission


def HasAction(action: str) -> type[BasePermission]:  # noqa: N802 - reads like a class at use sites
    """Allow the view only to users whose roles allow ``action`` (403 otherwise, 401 if anonymous)."""
    from accounts.permissions import has_action

    class _HasAction(BasePermission):
        def has_permission(self, request, view) -> bool:
            return bool(request.user and request.user.is_authenticated and has_action(request.user, action))

    _HasAction.__name__ = f"HasAction_{action}"
    return _HasAction
