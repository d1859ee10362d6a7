"""Listens to cases (and referrals): recompute the follow-up window in the transaction of whatever moved
it, clear the "needs referral" alert once the woman has an open referral or no longer needs one, and
bring it back when that referral is declined or cancelled."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from cases.choices import VisitKind
from cases.signals import pregnancy_schedule_changed, visit_recorded
from referrals.signals import referral_closed


@receiver(visit_recorded, dispatch_uid="reminders_recompute_on_visit")
def recompute_on_visit(sender, visit, pregnancy, actor, **kwargs) -> None:
    from .services import followup_recompute

    followup_recompute(
        pregnancy=pregnancy, cause="check_42d" if visit.kind == VisitKind.CHECK_42D else "visit"
    )


@receiver(pregnancy_schedule_changed, dispatch_uid="reminders_recompute_on_change")
def recompute_on_change(sender, pregnancy, cause, **kwargs) -> None:
    from .rules import needs_referral_check
    from .services import followup_recompute

    followup_recompute(pregnancy=pregnancy, cause=cause)
    if cause in ("risk", "status", "transfer", "merged"):
        needs_referral_check(pregnancy=pregnancy)


@receiver(post_save, sender="referrals.Referral", dispatch_uid="reminders_referral_opened")
def referral_opened(sender, instance, created, **kwargs) -> None:
    """A referral row is only ever created open (requested); its later steps are conditional UPDATEs."""
    from .rules import needs_referral_resolve

    if created:
        needs_referral_resolve(pregnancy=instance.pregnancy)


@receiver(referral_closed, dispatch_uid="reminders_referral_closed")
def referral_closed_rearm(sender, referral, **kwargs) -> None:
    """A declined or cancelled referral: the "needs referral" alert comes back if she still needs one."""
    from .rules import needs_referral_rearm

    needs_referral_rearm(referral=referral)
