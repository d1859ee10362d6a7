"""Signals other apps listen to, so that cases needs no import of them (apps depend on cases, not
the reverse). Sent inside the service's transaction: receivers write in the same transaction."""

from django.dispatch import Signal

# Sent after a visit is recorded: kwargs ``visit``, ``pregnancy``, ``actor``.
visit_recorded = Signal()

# Sent inside the service's transaction after something that moves a pregnancy's follow-up schedule
# changed: kwargs ``pregnancy`` and ``cause`` (``registered``, ``status``, ``dating``, ``care``,
# ``risk``, ``discharge``, ``transfer``, ``merged``). The reminders app recomputes the follow-up window.
pregnancy_schedule_changed = Signal()
