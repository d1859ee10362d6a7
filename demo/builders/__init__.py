"""The seed as an ordered list of steps, each reading what earlier steps left in ``SeedContext``.

To add a step, write a ``build_<thing>(ctx)`` function in its own module, append a ``Step`` with an
``enabled`` predicate on the context (as ``pregnancies`` does with ``--pregnancies N``), and pass the option
through the command. Every step must be idempotent: get-or-create by a stable key, change only what
differs — or, for bulk synthetic rows, add only what is missing (``pregnancies``).
"""

from collections.abc import Callable
from dataclasses import dataclass

from .care import build_care
from .context import SeedContext
from .facilities import build_departments, build_facilities
from .followups import build_followups
from .on_call import build_on_call
from .pregnancies import build_pregnancies
from .regions import build_regions
from .staff import build_staff
from .stories import build_stories
from .summary import build_summary


@dataclass(frozen=True)
class Step:
    """``own_transactions``: the step commits as it goes (bulk loads), so it runs after the others commit."""

    name: str
    build: Callable[[SeedContext], None]
    enabled: Callable[[SeedContext], bool] = lambda ctx: True
    own_transactions: bool = False


STEPS: tuple[Step, ...] = (
    Step("regions", build_regions),
    Step("facilities", build_facilities),
    Step("departments", build_departments),
    Step("staff", build_staff),
    Step("on-call", build_on_call),
    # curated women told through the services (before the bulk cohort, which counts them towards its N)
    Step("stories", build_stories, lambda ctx: not ctx.options.get("no_stories")),
    Step(
        "pregnancies",
        build_pregnancies,
        lambda ctx: (ctx.options.get("pregnancies") or 0) > 0,
        own_transactions=True,
    ),
    # the cohort's grades, referrals, consultations and alerts (before the windows, which use the grade)
    Step(
        "care",
        build_care,
        lambda ctx: (ctx.options.get("pregnancies") or 0) > 0 and not ctx.options.get("no_care"),
        own_transactions=True,
    ),
    # last: the windows of pregnancies loaded in bulk (and of any other open pregnancy without one)
    Step("follow-ups", build_followups, own_transactions=True),
)

__all__ = ["STEPS", "SeedContext", "Step", "build_summary"]
