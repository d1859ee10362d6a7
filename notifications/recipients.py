"""Who an alert reaches, resolved at delivery time (rosters change): level 0 is its target; each
escalation level adds the next rung of the chain — on-call lead / department head, then the facility's
medical director, then the regional maternal-health supervisors."""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from accounts.choices import Role
from accounts.models import OnCallShift, User

MAX_LEVEL = 3


def _active(qs):
    return qs.filter(is_active=True)


def on_call(facility, *, lead_only: bool = False) -> list[User]:
    shifts = OnCallShift.objects.covering(timezone.now()).filter(facility=facility).select_related("user")
    if lead_only:
        shifts = shifts.filter(is_lead=True)
    return [s.user for s in shifts if s.user.is_active]


def medical_directors(facility) -> list[User]:
    return list(_active(User.objects.filter(facility=facility, is_medical_director=True)))


def department_heads(facility) -> list[User]:
    return list(_active(User.objects.filter(facility=facility, is_department_head=True)))


def supervisors_for(facility=None, region=None) -> list[User]:
    code = facility.region_code if facility is not None else (region.code if region is not None else None)
    if not code:
        return []
    prefixes = {code, code[:4] + "00", code[:2] + "0000"}
    return list(
        _active(User.objects.filter(roles__contains=[Role.REGIONAL_SUPERVISOR], region__code__in=prefixes))
    )


def _case_manager(alert) -> list[User]:
    if alert.pregnancy_id is None:
        return []
    from risk.models import CaseManagement

    case = (
        CaseManagement.objects.filter(pregnancy_id=alert.pregnancy_id, status="open")
        .select_related("manager")
        .first()
    )
    return [case.manager] if case and case.manager and case.manager.is_active else []


def _responsible(alert) -> list[User]:
    pregnancy = alert.pregnancy
    if (
        pregnancy is not None
        and pregnancy.responsible_clinician
        and pregnancy.responsible_clinician.is_active
    ):
        return [pregnancy.responsible_clinician]
    return []


def base_recipients(alert) -> list[User]:
    """Level 0. Never empty while the facility has a medical director: nothing goes to nobody."""
    facility = alert.facility or (alert.pregnancy.managing_facility if alert.pregnancy_id else None)
    if alert.target_user_id:
        people = [alert.target_user] if alert.target_user.is_active else []
    elif alert.target_role == "responsible_team":
        people = _case_manager(alert) + [u for u in on_call(facility) if u.has_role(Role.OBSTETRICIAN)]
    elif alert.target_role == "on_call_lead":
        people = on_call(facility, lead_only=True) if facility else []
    elif alert.target_role == Role.OBSTETRICIAN:
        people = [u for u in on_call(facility) if u.has_role(Role.OBSTETRICIAN)] if facility else []
        people = people or _responsible(alert)
    elif alert.target_role == Role.REGIONAL_SUPERVISOR:
        people = supervisors_for(facility=facility, region=alert.region)
    elif alert.target_role and facility is not None:
        people = list(_active(User.objects.filter(facility=facility, roles__contains=[alert.target_role])))
    else:
        people = []
    if not people and facility is not None:
        people = department_heads(facility) or medical_directors(facility)
    return _unique(people)


def escalation_recipients(alert, level: int) -> list[User]:
    facility = alert.facility or (alert.pregnancy.managing_facility if alert.pregnancy_id else None)
    if facility is None:
        return supervisors_for(region=alert.region) if level >= MAX_LEVEL else []
    if level == 1:
        return _unique(on_call(facility, lead_only=True) + department_heads(facility))
    if level == 2:
        return _unique(medical_directors(facility))
    return supervisors_for(facility=facility)


def _unique(users) -> list[User]:
    seen, out = set(), []
    for user in users:
        if user is not None and user.pk not in seen:
            seen.add(user.pk)
            out.append(user)
    return out


__all__ = ["MAX_LEVEL", "Q", "base_recipients", "escalation_recipients"]
