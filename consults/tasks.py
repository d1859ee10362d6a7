from celery import shared_task

from .services import consult_sweep


@shared_task(name="consults.tasks.consult_sweep_task", ignore_result=True)
def consult_sweep_task() -> dict:
    """Beat runs this every minute; idempotent."""
    return consult_sweep()
