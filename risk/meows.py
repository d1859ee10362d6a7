"""MEOWS scoring (DOMAIN.md §5): each parameter is normal, yellow (moderately abnormal) or red
(markedly abnormal); one red or two yellows at the same time is a trigger. Pure; thresholds come from
``settings.MEOWS_THRESHOLDS`` (configurable, verify against the chart the hospital adopts)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

NORMAL, YELLOW, RED = "normal", "yellow", "red"


@dataclass(frozen=True)
class MeowsScore:
    levels: dict[str, str]  # parameter → normal / yellow / red (only parameters measured)
    yellow_count: int
    red_count: int

    @property
    def triggered(self) -> bool:
        return self.red_count >= 1 or self.yellow_count >= 2

    @property
    def level(self) -> str:
        if self.red_count:
            return RED
        if self.yellow_count >= 2:
            return YELLOW
        return NORMAL

    @property
    def fired(self) -> list[str]:
        """The parameters that were abnormal, red first."""
        return sorted(
            (p for p, lvl in self.levels.items() if lvl != NORMAL), key=lambda p: self.levels[p] != RED
        )


def parameter_level(name: str, value: Any, spec: dict) -> str:
    if "red_values" in spec or "yellow_values" in spec:
        if value in spec.get("red_values", ()):
            return RED
        if value in spec.get("yellow_values", ()):
            return YELLOW
        return NORMAL
    number = Decimal(str(value))
    if "red_low" in spec and number < Decimal(str(spec["red_low"])):
        return RED
    if "red_high" in spec and number > Decimal(str(spec["red_high"])):
        return RED
    for low, high in spec.get("yellow", ()):
        if Decimal(str(low)) <= number <= Decimal(str(high)):
            return YELLOW
    return NORMAL


def score(values: dict[str, Any], thresholds: dict[str, dict]) -> MeowsScore:
    levels = {
        name: parameter_level(name, value, thresholds[name])
        for name, value in values.items()
        if name in thresholds and value not in (None, "")
    }
    reds = sum(1 for lvl in levels.values() if lvl == RED)
    yellows = sum(1 for lvl in levels.values() if lvl == YELLOW)
    return MeowsScore(levels=levels, yellow_count=yellows, red_count=reds)
