"""Columns of a pregnancy copied onto rows that belong to her (an abstract model: no table of its own)."""

from django.db import models


class PregnancyFacilityCopy(models.Model):
    """The pregnancy's managing and follow-up facility, copied onto a row that belongs to her by the
    database, never written by the application: who may see the row is then a condition on its own
    table (``pregnancy_scope(actor, on="pregnancy_")``). Grants: ``cases/0007``–``0008``; referrals and
    consults: ``cases.copies``."""

    pregnancy_managing_facility_id = models.BigIntegerField(null=True, editable=False)
    pregnancy_follow_up_facility_id = models.BigIntegerField(null=True, editable=False)

    class Meta:
        abstract = True
