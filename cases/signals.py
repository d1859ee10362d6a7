"""Signals other apps listen to, so that cases needs no import of them (apps depend on cases, not
the reverse). Sent inside the service's transaction: receivers write in the same transaction."""

from django.dispatch import Signal

# Sent after a visit is recorded: kwargs ``visit``, ``pregnancy``, ``actor``.
visit_recorded = Signal()
