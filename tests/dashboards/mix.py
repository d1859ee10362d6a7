"""A realistic mix of changes to a seeded region, in steps, through every kind of write: saves of one row,
bulk UPDATEs, inserts, deletes and cascades. Each step returns nothing; the tests recount afterwards."""

import datetime as dt
import random

from accounts.choices import Role
from cases.models import Delivery, MaternalDeath, NearMissEvent, Newborn, Pregnancy, Visit
from facilities.models import Facility
from referrals.models import Referral
from reminders.models import FollowUp
from reminders.services import followups_sweep
from risk.models import CatalogueVersion, RiskAssessment, RiskReport
from tests.factories import PregnancyFactory, UserFactory

from .conftest import NOW

COLORS = ["green", "yellow", "orange", "red", None]


class Mix:
    def __init__(self, facilities, seed: int = 8):
        self.rng = random.Random(seed)
        self.facilities = list(facilities)
        self.open = list(Pregnancy.objects.filter(status__in=["active", "postpartum"]).order_by("id"))
        self.clinician = UserFactory(facility=self.facilities[0], roles=[Role.OBSTETRICIAN])

    def grades_moves_and_deletes(self) -> None:
        rng, facilities = self.rng, self.facilities
        for p in self.open[:150]:  # confirmed grades and flags, one row at a time (as the risk app saves)
            p.risk_color = rng.choice(COLORS)
            p.purple = rng.random() < 0.1
            p.under_case_management = p.risk_color in ("orange", "red") or p.purple
            p.needs_referral = p.risk_color == "red" and rng.random() < 0.5
            p.save(update_fields=["risk_color", "purple", "under_case_management", "needs_referral"])
        # one bulk UPDATE touching many rows and facilities in one statement
        Pregnancy.objects.filter(id__in=[p.id for p in self.open[150:200]]).update(
            risk_color="orange", purple=True
        )
        for p in self.open[200:220]:  # moves between facilities and states
            p.managing_facility = rng.choice(facilities)
            p.status = rng.choice(["active", "postpartum", "lost_to_follow_up", "transferred_out"])
            p.outcome = "" if p.status == "active" else "delivery"
            p.save(update_fields=["managing_facility", "status", "outcome"])
        Pregnancy.objects.filter(id=self.open[0].id).update(next_visit_date=NOW.date())  # moves no figure
        extra = [
            PregnancyFactory(
                managing_facility=rng.choice(facilities),
                risk_color="red",
                patient__record_number=f"MS99{i:07d}",
            )  # clear of the seeded numbers
            for i in range(6)
        ]
        for p in extra[:3]:
            p.delete()

    def referrals(self) -> None:
        facilities = self.facilities
        made = []
        # Women without an open referral: the seed's care stage refers some of the cohort already.
        busy = set(
            Referral.objects.filter(status__in=["requested", "accepted", "departed", "arrived"]).values_list(
                "pregnancy_id", flat=True
            )
        )
        for i, p in enumerate([p for p in self.open[230:] if p.id not in busy][:10]):
            to = facilities[(i + 7) % len(facilities)]
            if to.id == p.managing_facility_id:
                to = facilities[(i + 8) % len(facilities)]
            when = NOW - dt.timedelta(days=40 * i)
            made.append(
                Referral.objects.create(
                    pregnancy=p,
                    from_facility_id=p.managing_facility_id,
                    to_facility=to,
                    direction="up",
                    urgency="urgent",
                    reason="Severe pre-eclampsia",
                    sending_clinician=self.clinician,
                    requested_at=when,
                    clock_started_at=when,
                )
            )
        Referral.objects.filter(id__in=[r.id for r in made[:4]]).update(status="accepted")
        Referral.objects.filter(id=made[1].id).update(status="departed")
        made[5].status = "declined"
        made[5].save(update_fields=["status"])
        made[6].delete()

    def births(self) -> None:
        deliveries = list(Delivery.objects.order_by("id")[:8])
        self.outside = deliveries[4]
        baby = Newborn.objects.filter(delivery=deliveries[0]).first()
        baby.outcome = "stillbirth" if baby.outcome != "stillbirth" else "live_birth"
        baby.save(update_fields=["outcome"])
        Newborn.objects.create(delivery=deliveries[1], order=9, outcome="neonatal_death")
        Newborn.objects.filter(delivery=deliveries[2]).delete()
        deliveries[3].facility = self.rng.choice(self.facilities)
        deliveries[3].delivered_at = deliveries[3].delivered_at - dt.timedelta(days=45)
        deliveries[3].save(update_fields=["facility", "delivered_at"])
        Delivery.objects.filter(id=deliveries[4].id).update(facility=None)  # a birth outside a facility
        deliveries[5].delete()  # its newborns go with it

    def deaths_and_near_misses(self) -> None:
        facilities, clinician = self.facilities, self.clinician
        mother = Pregnancy.objects.get(id=self.outside.pregnancy_id)
        MaternalDeath.objects.create(
            pregnancy=mother, died_at=NOW, facility=None, cause="PPH", recorded_by=clinician
        )
        death = MaternalDeath.objects.create(
            pregnancy=self.open[241],
            died_at=NOW - dt.timedelta(days=60),
            facility=facilities[1],
            cause="AFE",
            recorded_by=clinician,
        )
        death.is_late = True
        death.save(update_fields=["is_late"])
        # her booking facility corrected: the birth and death outside a facility move with it
        Pregnancy.objects.filter(id=mother.id).update(booking_facility=facilities[-1])
        events = [
            NearMissEvent.objects.create(
                pregnancy=p,
                occurred_at=NOW - dt.timedelta(days=20 * i),
                criteria=["shock"],
                facility=self.rng.choice(facilities),
                recorded_by=clinician,
            )
            for i, p in enumerate(self.open[250:254])
        ]
        NearMissEvent.objects.filter(id=events[0].id).update(
            facility=facilities[2], occurred_at=NOW - dt.timedelta(days=400)
        )
        events[1].delete()

    def follow_ups(self) -> None:
        """The sweep moves windows on as days pass (bulk UPDATEs); others are closed, moved or deleted."""
        followups_sweep(now=NOW + dt.timedelta(days=40))
        windows = list(FollowUp.objects.exclude(status="closed").order_by("id")[:12])
        FollowUp.objects.filter(id__in=[w.id for w in windows[:4]]).update(
            status="closed", closed_at=NOW, close_reason="visit_done"
        )
        windows[4].status = "lost_proposed"
        windows[4].save(update_fields=["status"])
        FollowUp.objects.filter(id__in=[w.id for w in windows[5:8]]).update(
            managing_facility=self.rng.choice(self.facilities)
        )
        windows[8].delete()

    def cohort_changes(self) -> None:
        """What moves the delivery cohort's figures and the grading reports: visits recorded late, edited
        and deleted, a discharge date recorded, a delivering facility designated, a delivered woman
        regraded (must not move her colour at delivery), reports on time, late, pending and cancelled."""
        facilities, clinician = self.facilities, self.clinician
        delivered = list(Delivery.objects.select_related("pregnancy").order_by("id")[10:40])
        for d in delivered[:6]:  # postpartum visits: day 3, day 27, day 40 (too late), before birth
            for days, kind in ((3, "postpartum"), (27, "check_42d"), (40, "postpartum"), (-2, "postpartum")):
                if self.rng.random() < 0.6:
                    Visit.objects.create(
                        pregnancy=d.pregnancy,
                        kind=kind,
                        visited_at=d.delivered_at + dt.timedelta(days=days),
                        facility=facilities[0],
                        clinician=clinician,
                    )
        first = delivered[6]  # an early antenatal visit recorded after the delivery, then five more
        for i in range(6):
            Visit.objects.create(
                pregnancy=first.pregnancy,
                kind="antenatal",
                visited_at=first.delivered_at - dt.timedelta(days=250 - 30 * i),
                ga_days=30 + 30 * i,
                facility=facilities[0],
                clinician=clinician,
            )
        visits = list(Visit.objects.filter(pregnancy__delivery__in=delivered[7:12]).order_by("id"))
        Visit.objects.filter(id__in=[v.id for v in visits[:3]]).update(kind="emergency")
        Visit.objects.filter(id__in=[v.id for v in visits[3:5]]).update(ga_days=120)
        Visit.objects.filter(id__in=[v.id for v in visits[5:7]]).delete()
        Visit.objects.filter(id=visits[0].id).update(notes="moves no figure")
        late = delivered[12]
        late.discharged_at = late.delivered_at + dt.timedelta(days=20)
        late.save(update_fields=["discharged_at"])
        # delivered women regraded afterwards: their colour at delivery stays
        Pregnancy.objects.filter(id__in=[d.pregnancy_id for d in delivered[13:20]]).update(risk_color="red")
        # a new orange delivery, at a facility later designated a critical-care centre
        secondary = next(f for f in facilities if f.tier == "secondary" and f.critical_care_level is None)
        mother = PregnancyFactory(
            managing_facility=secondary, risk_color="orange", patient__record_number="MS980000001"
        )
        Delivery.objects.create(pregnancy=mother, delivered_at=NOW, facility=secondary, mode="svd")
        Facility.objects.filter(id=secondary.id).update(critical_care_level="county")
        self._reports(delivered[20:30])

    def _reports(self, deliveries) -> None:
        version = CatalogueVersion.objects.order_by("id").first()
        for i, d in enumerate(deliveries):
            color = ["orange", "red", "yellow"][i % 3]
            assessment = RiskAssessment.objects.create(
                pregnancy=d.pregnancy,
                catalogue_version=version,
                status="confirmed",
                proposed_color=color,
                color=color,
                facility=self.facilities[i % 4],
                assessed_by=self.clinician,
                confirmed_at=NOW - dt.timedelta(days=i),
            )
            due = NOW - dt.timedelta(days=i) + dt.timedelta(hours=24 if color == "red" else 72)
            submitted = due + dt.timedelta(hours=(-2, 5, None)[i % 3]) if i % 3 != 2 else None
            RiskReport.objects.create(
                pregnancy=d.pregnancy,
                assessment=assessment,
                color=color,
                region=self.facilities[i % 4].region,
                facility=self.facilities[i % 4],
                status=["submitted", "submitted", "due", "cancelled"][i % 4] if submitted else "due",
                due_at=due,
                confirmed_at=NOW - dt.timedelta(days=i),
                submitted_at=submitted,
            )
        reports = list(RiskReport.objects.order_by("id"))
        RiskReport.objects.filter(id=reports[0].id).update(status="cancelled")
        RiskReport.objects.filter(id=reports[1].id).update(submitted_at=reports[1].due_at, status="submitted")
        RiskReport.objects.filter(id=reports[2].id).update(due_at=reports[2].due_at - dt.timedelta(days=40))

    def all(self) -> None:
        self.grades_moves_and_deletes()
        self.follow_ups()
        self.referrals()
        self.births()
        self.deaths_and_near_misses()
        self.cohort_changes()
