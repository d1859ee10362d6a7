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

from django.contrib.postgres.fields import ArrayField
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
        # A region's summary reads one period across all its facilities: by month first. Not covering
        # ``n``, so that the triggers' increments stay heap-only (HOT) updates.
        indexes = [models.Index(fields=["month"], name="monthlycounter_month")]

    def __str__(self) -> str:
        return f"{self.facility_id} {self.key} {self.month:%Y-%m} = {self.n}"


class WeeklyCounter(models.Model):
    """The events of ``MonthlyCounter`` (and the delivery cohort's figures) per ISO week, per facility.

    ``week`` is the Monday of the ISO week (Asia/Shanghai). Same keys, same facility rules and the same
    triggers as the monthly counters (migration ``0005_indicators_and_weeks``): the weekly trend charts
    read a region's weeks from these rows, never from the raw events.
    """

    facility = models.ForeignKey(
        "facilities.Facility", verbose_name=_("facility"), on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(_("key"), max_length=48)
    week = models.DateField(_("week (Monday)"))
    n = models.BigIntegerField(_("count"), default=0)

    class Meta:
        verbose_name = _("weekly counter")
        verbose_name_plural = _("weekly counters")
        constraints = [
            # The conflict target of the triggers; also the series' index (facility, key, then the weeks).
            models.UniqueConstraint(
                fields=["facility", "key", "week"], name="weeklycounter_facility_key_week"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.facility_id} {self.key} {self.week:%G-W%V} = {self.n}"


class DeliveryFact(models.Model):
    """What a delivery contributes to the cohort indicators, as last counted (one row per delivery).

    ``keys`` are the ``cohort:*`` counter keys the woman adds to the month and week of her delivery at
    ``facility_id`` (where she delivered; outside a facility: her booking facility). A change to her
    delivery, visits, booking facility or the delivering facility's tier recomputes the row and moves
    the counters by the difference (``dashboards_refresh_delivery_facts``). ``color`` is her pregnancy's
    colour when the delivery was first recorded: it is kept on every recomputation (a later grade does
    not change the colour she delivered with), which is why it lives here and not in a recount.
    Written only by the triggers and the rebuild.
    """

    pregnancy_id = models.BigIntegerField(_("pregnancy"), primary_key=True)
    facility_id = models.BigIntegerField(_("facility"))
    month = models.DateField(_("month (first day)"))
    week = models.DateField(_("week (Monday)"))
    color = models.CharField(_("colour at delivery"), max_length=10, blank=True)
    keys = ArrayField(models.CharField(max_length=48), verbose_name=_("counter keys"), default=list)

    class Meta:
        verbose_name = _("delivery fact")
        verbose_name_plural = _("delivery facts")

    def __str__(self) -> str:
        return f"{self.pregnancy_id} {self.month:%Y-%m} {self.keys}"


class CensusSnapshot(models.Model):
    """The census counters as they were in an ISO week (the last snapshot taken that week), per facility.

    Taken daily by ``census_snapshot_task`` (idempotent: a week's rows are replaced by the newest
    snapshot), read by the trend charts of census figures (women by colour); the current week's point
    is read live from ``CensusCounter``.
    """

    facility = models.ForeignKey(
        "facilities.Facility", verbose_name=_("facility"), on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(_("key"), max_length=48)
    week = models.DateField(_("week (Monday)"))
    n = models.BigIntegerField(_("count"), default=0)
    taken_at = models.DateTimeField(_("taken at"))

    class Meta:
        verbose_name = _("census snapshot")
        verbose_name_plural = _("census snapshots")
        constraints = [
            # The series reads one facility's key over the weeks.
            models.UniqueConstraint(
                fields=["facility", "key", "week"], name="censussnapshot_facility_key_week"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.facility_id} {self.key} {self.week:%G-W%V} = {self.n}"


class FollowUpDueCounter(models.Model):
    """Open follow-up windows per managing facility and deadline day (``due_by``), kept by triggers.

    "Due in the next 7 days" is time-driven: it moves every midnight without any row changing. Counting
    open windows by deadline day lets the summary read it as at most seven rows per facility (today to
    today + 6), instead of a live count over thousands of reminder rows. Days past stay (never read; the
    rebuild drops them).
    """

    facility = models.ForeignKey(
        "facilities.Facility", verbose_name=_("facility"), on_delete=models.CASCADE, related_name="+"
    )
    due_on = models.DateField(_("due by"))
    n = models.BigIntegerField(_("count"), default=0)

    class Meta:
        verbose_name = _("follow-up due counter")
        verbose_name_plural = _("follow-up due counters")
        constraints = [
            # The conflict target of the trigger; also the summary's range read (facility, days).
            models.UniqueConstraint(fields=["facility", "due_on"], name="followupduecounter_facility_day"),
        ]
        indexes = [models.Index(fields=["due_on"], name="followupduecounter_day")]

    def __str__(self) -> str:
        return f"{self.facility_id} {self.due_on} = {self.n}"


class CounterGeneration(models.Model):
    """Which committed state of the dashboard counters a reader saw: one row, whose ``g`` changes with
    every commit that changes a census, monthly or follow-up due counter, or a facility.

    Written only by deferred triggers (migration ``0008``): at commit, a transaction that changed any of
    them sets ``g`` to the next value of a sequence, once per transaction. The values never repeat and
    only grow, and a reader sees the new value exactly when it sees the changes (the same commit), so
    "``g`` is what it was" proves "no counter changed": ``dashboards.selectors`` keeps the sums it read
    beside ``g`` and reads them again only when it moved.

    One row for the whole network, not one per province: a transaction that changes counters of two
    provinces (a referral across a provincial border) would lock two rows, and two such transactions
    locking them in opposite orders would deadlock at commit. The row is locked at commit only, for as
    long as the commit takes, and holds no other lock after it: no cycle with the counter rows. The cost
    is that a commit anywhere makes every process read its sums again once.
    """

    id = models.PositiveSmallIntegerField(_("id"), primary_key=True, default=1)
    g = models.BigIntegerField(_("generation"))

    class Meta:
        verbose_name = _("counter generation")
        verbose_name_plural = _("counter generations")
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="countergeneration_one_row")]

    def __str__(self) -> str:
        return f"counters @ {self.g}"
