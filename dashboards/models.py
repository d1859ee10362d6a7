"""Counters behind the dashboards, kept current by PostgreSQL triggers in the same transaction.

The triggers (migrations ``0002_counter_triggers``, ``0003_followup_counters``) sit on the source
tables — pregnancies, deliveries, newborns, maternal deaths, near-miss events, referrals and follow-up
windows — so whatever code path changes a row (a service, a bulk insert of ``seed_demo``, the
follow-up sweep, a data migration), its counters change in the same transaction: a rolled-back
change leaves them untouched, a committed one is counted. No service of another app has to remember
to update them.

These are not domain entities: no ``BaseModel`` (no UUID, no timestamps), because the triggers insert
rows directly in SQL. Nothing but the triggers and ``manage.py dashboard_counters --rebuild`` writes
them. One row per facility × key (× month): a change locks only the rows of the facility it touches,
and a change that does not move any figure (a new next-visit date) locks none.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CensusCounter(models.Model):
    """How many rows are in a state now, per facility.

    Keys (facility = the pregnancy's managing facility, or the referral's sender / receiver):
    ``status:<pregnancy status>`` for every pregnancy; for open pregnancies (active or postpartum)
    also ``color:<green|yellow|orange|red|ungraded>``, ``purple``, ``case_management``,
    ``needs_referral``; ``referral_out:<status>`` (sender) and ``referral_in:<status>`` (receiver);
    ``followup:<status>`` for every follow-up window not closed (reminders app), at its managing facility.
    """

    facility = models.ForeignKey(
        "facilities.Facility", verbose_name=_("facility"), on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(_("key"), max_length=48)
    n = models.BigIntegerField(_("count"), default=0)

    class Meta:
        verbose_name = _("census counter")
        verbose_name_plural = _("census counters")
        constraints = [
            # The conflict target of the triggers' INSERT … ON CONFLICT; also the summary's index.
            models.UniqueConstraint(fields=["facility", "key"], name="censuscounter_facility_key"),
        ]

    def __str__(self) -> str:
        return f"{self.facility_id} {self.key} = {self.n}"


class MonthlyCounter(models.Model):
    """How many events happened in a calendar month (Asia/Shanghai), per facility.

    Keys: ``deliveries``, ``live_births`` (newborns born alive, including those who died later),
    ``maternal_deaths`` (to day 42), ``late_maternal_deaths``, ``near_miss_events``,
    ``referrals_requested`` (sender). Facility = where it happened; a birth or death outside a
    facility counts at the pregnancy's booking facility.
    """

    facility = models.ForeignKey(
        "facilities.Facility", verbose_name=_("facility"), on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(_("key"), max_length=48)
    month = models.DateField(_("month (first day)"))
    n = models.BigIntegerField(_("count"), default=0)

    class Meta:
        verbose_name = _("monthly counter")
        verbose_name_plural = _("monthly counters")
        constraints = [
            # The conflict target of the triggers; also the summary's index (facility, then the period).
            models.UniqueConstraint(
                fields=["facility", "key", "month"], name="monthlycounter_facility_key_month"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.facility_id} {self.key} {self.month:%Y-%m} = {self.n}"
