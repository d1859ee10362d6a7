from celery import shared_task

from .services import referral_clocks_sweep


@shared_task(name="referrals.tasks.referral_clocks_sweep_task", ignore_result=True)
def referral_clocks_sweep_task() -> int:
    """Beat runs this every minute; idempotent."""
    return referral_clocks_sweep()
