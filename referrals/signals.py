"""Signals other apps listen to, so that referrals needs no import of them. Sent inside the service's
transaction: receivers write in the same transaction."""

from django.dispatch import Signal

# Sent after a referral was declined or cancelled (it no longer answers the woman's need for one):
# kwargs ``referral``. The reminders app brings the "needs referral" alert back if she still needs one.
referral_closed = Signal()
