from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    CREATE = "create", _("Create")
    UPDATE = "update", _("Change")
    TRANSITION = "transition", _("State transition")
    READ = "read", _("Read")
    LIST = "list", _("List")
    EXPORT = "export", _("Export")
    PRINT = "print", _("Print")
    REVEAL = "reveal", _("Reveal identifier")
    GRANT = "grant", _("Access granted")
    REVOKE = "revoke", _("Access revoked")
    BREAK_GLASS = "break_glass", _("Emergency access")
    LOGIN = "login", _("Sign-in")
    LOGOUT = "logout", _("Sign-out")
    LOGIN_FAILED = "login_failed", _("Failed sign-in")
    TOKEN_ISSUED = "token_issued", _("API token issued")
