"""The seed as an ordered list of steps, each reading what earlier steps left in ``SeedContext``.

To add a step (e.g. ``--pregnancies N``: women and pregnancies in bulk at the demo facilities), write a
``build_<thing>(ctx)`` function in its own module, append a ``Step`` with an ``enabled`` predicate on the
context (``lambda ctx: ctx.options.get("pregnancies", 0) > 0``), and pass the option through the command.
Every step must be idempotent: get-or-create by a stable key, change only what differs.
"""

from collections.abc import Callable
from dataclasses import dataclass

from .context import SeedContext
from .facilities import build_departments, build_facilities
from .on_call import build_on_call
from .regions import build_regions
from .staff import build_staff
from .summary import build_summary


@dataclass(frozen=True)
class Step:
    name: str
    build: Callable[[SeedContext], None]
    enabled: Callable[[SeedContext], bool] = lambda ctx: True


STEPS: tuple[Step, ...] = (
    Step("regions", build_regions),
    Step("facilities", build_facilities),
    Step("departments", build_departments),
    Step("staff", build_staff),
    Step("on-call", build_on_call),
)

__all__ = ["STEPS", "SeedContext", "Step", "build_summary"]
