"""State shared by the seed steps, and the small helpers that make every step idempotent."""

import datetime as dt
import random
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.db import models

# Demo rows get external ids derived from their stable key (facility code, username…): the same row has
# the same id on every machine and every run, so bookmarked demo URLs and summary files stay valid.
# The id also marks a row as made by seed_demo: a user whose username matches but whose id does not
# is someone else's account and is never touched.
DEMO_NAMESPACE = uuid.UUID("2446833b-9017-405e-99c9-e6b1be41ab74")


def demo_uuid(kind: str, key: str) -> uuid.UUID:
    return uuid.uuid5(DEMO_NAMESPACE, f"{kind}:{key}")


@dataclass
class SeedContext:
    """Options plus what earlier steps built; later steps (e.g. pregnancies) read from here."""

    seed: int
    password: str
    password_explicit: bool
    now: dt.datetime
    options: dict[str, Any] = field(default_factory=dict)  # the command's options, for optional steps
    progress: Callable[[Iterable, str], Iterable] = lambda items, desc: items
    warn: Callable[[str], None] = lambda message: None
    stats: Counter = field(default_factory=Counter)
    regions: dict[str, Any] = field(default_factory=dict)  # code -> Region
    facilities: dict[str, Any] = field(default_factory=dict)  # facility code -> Facility, in build order
    facility_plans: dict[str, Any] = field(default_factory=dict)  # facility code -> FacilityPlan
    departments: dict[tuple[str, str], Any] = field(
        default_factory=dict
    )  # (facility code, specialty) -> Dept
    users: dict[str, Any] = field(default_factory=dict)  # username -> User (only users this seed owns)
    user_plans: dict[str, Any] = field(default_factory=dict)  # username -> StaffPlan
    notes: list[str] = field(default_factory=list)  # printed after the row counts
    analyze_tables: set[str] = field(default_factory=set)  # ANALYZEd after the commit (bulk-loaded tables)

    @property
    def local_today(self) -> dt.date:
        """Today in Asia/Shanghai, the date the case services use for GA and due dates."""
        return self.now.astimezone(ZoneInfo("Asia/Shanghai")).date()

    def note(self, message: str) -> None:
        self.notes.append(message)

    def rng(self, *key: object) -> random.Random:
        """A generator private to one item: adding a facility does not reshuffle everyone else's names."""
        return random.Random(":".join([str(self.seed), *map(str, key)]))

    def count(self, label: str, outcome: str, n: int = 1) -> None:
        self.stats[(label, outcome)] += n


def apply_values(obj: models.Model, values: dict[str, Any]) -> list[str]:
    """Set ``values`` on ``obj``; return the names of the fields whose value actually changed.

    Relations are compared by primary key, so no related row is loaded.
    """
    changed = []
    for name, value in values.items():
        model_field = obj._meta.get_field(name)
        if model_field.is_relation:
            current, new = getattr(obj, model_field.attname), (value.pk if value is not None else None)
        else:
            current, new = getattr(obj, name), value
        if current != new:
            changed.append(name)
        setattr(obj, name, value)
    return changed
