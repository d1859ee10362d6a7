"""Keeps derived authorisation state in step with the staff profile, and audits sign-ins.

Facility access-group membership is derived from ``User.facility``: whichever way a user is saved
(admin, seed, service), she is a member of exactly her facility's group.
"""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save
from django.dispatch import receiver

from audit.choices import AuditAction
from audit.services import audit_record
from facilities.services import ACCESS_GROUP_PREFIX, facility_access_group

from .models import User


@receiver(post_save, sender=User, dispatch_uid="accounts_sync_facility_group")
def sync_facility_group(sender, instance: User, raw: bool = False, **kwargs) -> None:
    if raw:
        return
    stale = instance.groups.filter(name__startswith=ACCESS_GROUP_PREFIX)
    if instance.facility_id is not None:
        group = facility_access_group(facility=instance.facility)
        stale = stale.exclude(pk=group.pk)
        instance.groups.add(group)
    for group in stale:
        instance.groups.remove(group)


@receiver(user_logged_in, dispatch_uid="accounts_audit_login")
def audit_login(sender, request, user, **kwargs) -> None:
    audit_record(actor=user, action=AuditAction.LOGIN)


@receiver(user_logged_out, dispatch_uid="accounts_audit_logout")
def audit_logout(sender, request, user, **kwargs) -> None:
    if user is not None:
        audit_record(actor=user, action=AuditAction.LOGOUT)


@receiver(user_login_failed, dispatch_uid="accounts_audit_login_failed")
def audit_login_failed(sender, credentials: dict, request=None, **kwargs) -> None:
    audit_record(actor=None, action=AuditAction.LOGIN_FAILED, username=str(credentials.get("username", "")))
