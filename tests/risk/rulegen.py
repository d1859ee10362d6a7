"""Test helpers: an independent reference reading of the catalogue's ``rule_language`` and a generic
generator of boundary "witness" measurement sets for any rule tree.

Nothing here imports the engine's evaluator: the witnesses are found and checked with
``reference_eval`` (written from the rule-language text in the data file), and the tests then ask the
real engine to agree. The generator handles every operator of the language (``>= > <= < == != in``)
and every combinator (``all``, ``any``, ``not``), so a criterion added to the data file is covered
without editing the tests.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

# The smallest sensible step for "just across a threshold", by field type.
STEP = {"integer": 1, "number": 0.1}

_OPS = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
    "in": lambda left, right: left in right,
}


def reference_eval(rule: Mapping[str, Any], values: Mapping[str, Any]) -> bool | None:
    """Three-valued (Kleene) evaluation exactly as the catalogue's ``rule_language`` describes it."""
    if "field" in rule:
        actual = values.get(rule["field"])
        if actual is None:
            return None
        return bool(_OPS[rule["op"]](actual, rule["value"]))
    if "all" in rule:
        results = [reference_eval(part, values) for part in rule["all"]]
        if any(r is False for r in results):
            return False
        return True if all(r is True for r in results) else None
    if "any" in rule:
        results = [reference_eval(part, values) for part in rule["any"]]
        if any(r is True for r in results):
            return True
        return False if all(r is False for r in results) else None
    if "not" in rule:
        inner = reference_eval(rule["not"], values)
        return None if inner is None else not inner
    raise ValueError(f"not a rule: {rule!r}")


def leaves(rule: Mapping[str, Any]) -> Iterator[dict]:
    """Every comparison of a rule tree, depth first, in document order."""
    if "field" in rule:
        yield rule
    elif "not" in rule:
        yield from leaves(rule["not"])
    else:
        for part in rule.get("all", rule.get("any", [])):
            yield from leaves(part)


def negated(rule: Mapping[str, Any], leaf: Mapping[str, Any], _inside: bool = False) -> bool | None:
    """Whether ``leaf`` (by identity) sits under an odd number of ``not``s in ``rule``."""
    if rule is leaf:
        return _inside
    if "field" in rule:
        return None
    if "not" in rule:
        return negated(rule["not"], leaf, not _inside)
    for part in rule.get("all", rule.get("any", [])):
        found = negated(part, leaf, _inside)
        if found is not None:
            return found
    return None


def describe(leaf: Mapping[str, Any]) -> str:
    value = leaf["value"]
    if isinstance(value, bool):
        value = str(value).lower()
    return f"{leaf['field']}{leaf['op']}{value}"


@dataclass(frozen=True)
class Spec:
    """What the generator needs to know about a field (type and the inclusive range, if any)."""

    type: str
    minimum: float | None = None
    maximum: float | None = None

    def allows(self, value: Any) -> bool:
        if self.type == "boolean":
            return isinstance(value, bool)
        if self.minimum is not None and value < self.minimum:
            return False
        return self.maximum is None or value <= self.maximum

    def shift(self, value: Any, steps: int) -> Any:
        if self.type == "integer":
            return int(value) + steps
        return round(value + steps * STEP["number"], 9)


def boundary_points(leaf: Mapping[str, Any], spec: Spec) -> tuple[list[Any], list[Any]]:
    """``(at, across)`` for one comparison.

    ``at``: values that make the comparison true and sit exactly on its threshold (``>=``, ``<=``,
    ``==``) or one step inside it (``>``, ``<``, ``!=``); ``across``: the nearest values that make it
    false. Values outside the field's declared range are dropped (validation would reject them).
    """
    op, value = leaf["op"], leaf["value"]
    if spec.type == "boolean":
        if op == "==":
            at, across = [value], [not value]
        elif op == "!=":
            at, across = [not value], [value]
        elif op == "in":
            at = [v for v in (True, False) if v in value]
            across = [v for v in (True, False) if v not in value]
        else:
            raise ValueError(f"operator {op} on a boolean field")
    elif op == ">=":
        at, across = [value], [spec.shift(value, -1)]
    elif op == ">":
        at, across = [spec.shift(value, +1)], [value]
    elif op == "<=":
        at, across = [value], [spec.shift(value, +1)]
    elif op == "<":
        at, across = [spec.shift(value, -1)], [value]
    elif op == "==":
        at, across = [value], [spec.shift(value, -1), spec.shift(value, +1)]
    elif op == "!=":
        at, across = [spec.shift(value, -1), spec.shift(value, +1)], [value]
    elif op == "in":
        members = sorted(value)
        at = list(members)
        outside = {spec.shift(members[0], -1), spec.shift(members[-1], +1)}
        outside |= {spec.shift(m, s) for m in members for s in (-1, 1)}
        across = sorted(v for v in outside if v not in value)
    else:
        raise ValueError(f"unknown operator {op}")
    return [v for v in at if spec.allows(v)], [v for v in across if spec.allows(v)]


@dataclass(frozen=True)
class Witness:
    """A measurement set making ``rule`` true with ``leaf`` on its threshold.

    ``across``: the same set with the leaf's field moved just across (rule false), or None when no such
    set exists (the leaf is not decisive on its own: another part of the rule covers that value).
    ``without``: the same set with the leaf's field removed (rule unknown), or None if impossible.
    """

    leaf: dict
    at: dict
    across: dict | None
    without: dict | None


def _candidates(rule: Mapping[str, Any], specs: Mapping[str, Spec]) -> dict[str, list[Any]]:
    """For each field of the rule: every boundary value of every comparison on it (sorted, unique)."""
    values: dict[str, list[Any]] = {}
    for leaf in leaves(rule):
        spec = specs[leaf["field"]]
        at, across = boundary_points(leaf, spec)
        bucket = values.setdefault(leaf["field"], [])
        for v in at + across:
            if v not in bucket:
                bucket.append(v)
    for name, bucket in values.items():
        if specs[name].type == "boolean":
            values[name] = [True, False]
        else:
            values[name] = sorted(bucket)
    return values


def witness(rule: Mapping[str, Any], leaf: Mapping[str, Any], specs: Mapping[str, Spec]) -> Witness:
    """Search the boundary grid for the best witness for ``leaf`` (see ``Witness``); ``leaf`` must be
    one of the dicts of ``rule`` itself (as yielded by ``leaves``).

    Preference: a set where the rule is true, moving the leaf just across makes it false and removing
    the leaf's field makes it unknown; failing that, one where at least the first two hold; failing
    that, any set that makes the rule true with the leaf on its threshold. Raises if none exists
    (the rule can never be true with this leaf satisfied - a data or generator problem).
    """
    spec = specs[leaf["field"]]
    at_values, across_values = boundary_points(leaf, spec)
    if negated(rule, leaf):
        # Under a ``not`` the rule is true when the comparison is false: the threshold is then the
        # nearest value that makes the comparison false, and "across" the nearest that makes it true.
        at_values, across_values = across_values, at_values
    if not at_values:
        raise AssertionError(f"{describe(leaf)}: no value in the field's range satisfies it")
    grid = _candidates(rule, specs)
    others = [name for name in grid if name != leaf["field"]]
    best: Witness | None = None
    for at_value in at_values:
        for combo in itertools.product(*(grid[name] for name in others)):
            values = dict(zip(others, combo))
            values[leaf["field"]] = at_value
            if reference_eval(rule, values) is not True:
                continue
            across = None
            for across_value in across_values:
                moved = {**values, leaf["field"]: across_value}
                if reference_eval(rule, moved) is False:
                    across = moved
                    break
            removed = {k: v for k, v in values.items() if k != leaf["field"]}
            without = removed if reference_eval(rule, removed) is None else None
            candidate = Witness(dict(leaf), values, across, without)
            if across is not None and without is not None:
                return candidate
            if best is None or (best.across is None and across is not None):
                best = candidate
    if best is None:
        raise AssertionError(f"no measurement set makes the rule true with {describe(leaf)} on its threshold")
    return best


def falsifier(rule: Mapping[str, Any], specs: Mapping[str, Spec]) -> dict:
    """A measurement set (from the boundary grid) that makes the rule definitely false."""
    grid = _candidates(rule, specs)
    names = list(grid)
    for combo in itertools.product(*(grid[name] for name in names)):
        values = dict(zip(names, combo))
        if reference_eval(rule, values) is False:
            return values
    raise AssertionError(f"the rule can never be false: {rule!r}")
