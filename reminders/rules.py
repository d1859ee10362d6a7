"""Rule: a red or orange woman flagged "needs referral" with no open referral after 24 hours alerts the
obstetricians (the alert is raised by the grading service, due 24 hours later). The alert resolves as
soon as a referral is opened, the flag is cleared (a new grade, a move to a facility of the right
tier) or the pregnancy is no longer open — so it fires only when nobody acted in time. A referral that
is then declined or cancelled no longer answers her need: the alert comes back under a new cause."""

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from cases.choices import OPEN_STATUSES
from notifications.choices import AlertKind, Severity
from notifications.services import alert_raise, alerts_resolve_of_pregnancy, alerts_resolve_where

COLOURS = ("orange", "red")
GRACE = dt.timedelta(hours=24)


def needs_referral_resolve(*, pregnancy) -> int:
    """Resolve every "needs referral" alert of the pregnancy: the grade's and any that came back."""
    return alerts_resolve_of_pregnancy(kind=AlertKind.NEEDS_REFERRAL, pregnancy_id=pregnancy.pk)


def needs_referral_rearm(*, referral):
    """The declined or cancelled ``referral`` no longer answers her need: if she is still an open orange
    or red pregnancy flagged "needs referral" with no other open referral, raise the alert again with a
    new cause (the referral's id, so each failed referral can bring it back once). It is due when the
    grade's alert was due, or now if that has passed — a failed attempt does not restart the 24 hours.
    Returns the alert, or None when she no longer needs it."""
    from cases.models import Pregnancy
    from notifications.models import Alert
    from referrals.choices import OPEN_STATUSES as OPEN_REFERRALS
    from referrals.models import Referral

    pregnancy = Pregnancy.objects.select_related("managing_facility").get(pk=referral.pregnancy_id)
    color = pregnancy.risk_color
    if not (pregnancy.status in OPEN_STATUSES and pregnancy.needs_referral and color in COLOURS):
        return None
    if Referral.objects.filter(pregnancy_id=pregnancy.pk, status__in=OPEN_REFERRALS).exists():
        return None
    now = timezone.now()
    first = Alert.objects.filter(dedup_key=f"needs_referral:{pregnancy.external_id}:{color}").first()
    return alert_raise(
        kind=AlertKind.NEEDS_REFERRAL,
        dedup_key=f"needs_referral:{pregnancy.external_id}:{color}:{referral.external_id}",
        pregnancy=pregnancy,
        facility=pregnancy.managing_facility,
        target_role="obstetrician",
        due_at=max(now, first.due_at) if first else now + GRACE,
        severity=Severity.URGENT,
        payload={"after_referral": str(referral.external_id), "referral_status": referral.status},
    )


def needs_referral_check(*, pregnancy) -> int:
    """Resolve the alert when its cause no longer holds (called when the grade or the status changes)."""
    still = pregnancy.status in OPEN_STATUSES and pregnancy.needs_referral and pregnancy.risk_color in COLOURS
    return 0 if still else needs_referral_resolve(pregnancy=pregnancy)


def needs_referral_sweep(*, now=None) -> int:
    """Safety net run by the follow-up sweep (hours before any such alert is due, 24 hours after the
    grade): resolve the alerts whose woman has an open referral, lost the flag, or left care. One
    UPDATE. Catches a referral opened before the grade that raised the alert."""
    from django.db.models import Exists, OuterRef

    from cases.models import Pregnancy
    from referrals.choices import OPEN_STATUSES as OPEN_REFERRALS
    from referrals.models import Referral

    open_referral = Referral.objects.filter(pregnancy_id=OuterRef("pregnancy_id"), status__in=OPEN_REFERRALS)
    flagged = Pregnancy.objects.filter(
        pk=OuterRef("pregnancy_id"), status__in=OPEN_STATUSES, needs_referral=True, risk_color__in=COLOURS
    )
    return alerts_resolve_where(
        kind=AlertKind.NEEDS_REFERRAL, condition=Q(Exists(open_referral)) | ~Q(Exists(flagged)), now=now
    )
