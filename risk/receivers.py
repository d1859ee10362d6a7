"""Listens to cases: every recorded visit re-runs the engine on the record (a proposal only)."""

from django.dispatch import receiver

from cases.signals import visit_recorded


@receiver(visit_recorded, dispatch_uid="risk_propose_on_visit")
def propose_on_visit(sender, visit, pregnancy, actor, **kwargs) -> None:
    from .services import risk_propose

    risk_propose(pregnancy=pregnancy)
