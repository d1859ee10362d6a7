"""The five-colour grading engine: pure, no database, fast.

Semantics are the catalogue's ``rule_language`` exactly:
- a rule is a comparison ``{field, op, value}`` or a combinator ``{all: [...]}``, ``{any: [...]}``,
  ``{not: rule}``; three-valued logic (True / False / None = unknown): a comparison on a missing field
  is unknown; ``all`` is true only if every part is true, false if any part is false, else unknown;
  ``any`` is true if any part is true, false if every part is false, else unknown; ``not`` of unknown
  is unknown. Only true fires.
- a criterion with a rule and no ``confirm`` fires automatically when its rule is true; with
  ``confirm`` it is only *proposed* and fires when a clinician ticks it;
- a criterion without a rule is a checklist item; a ticked criterion always fires;
- a rule that cannot be evaluated for missing data makes its criterion *unknown*, never absent.
- the colour is the highest of the fired yellow / orange / red criteria (green when none fired);
  purple is an independent flag (any fired purple criterion).
- postpartum-only criteria cannot fire before the pregnancy has ended.

Rules are compiled once into closures (``compile_catalogue``); grading is then a loop over closures.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

Tri = bool | None
Evaluator = Callable[[Mapping[str, Any]], Tri]

COLOR_RANK = {"green": 0, "yellow": 1, "orange": 2, "red": 3}
LADDER_COLORS = ("yellow", "orange", "red")
PURPLE = "purple"
GREEN_PSEUDO_CATEGORY = "overall"

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
    "in": lambda left, right: left in right,
}


class CatalogueError(ValueError):
    """The catalogue itself is malformed (unknown operator, unknown field, bad structure)."""


class InputError(ValueError):
    """The grading input is invalid. ``errors`` maps a field or ``criteria`` to messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{k}: {', '.join(v)}" for k, v in errors.items()))


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str  # "integer" | "number" | "boolean"
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class Criterion:
    code: str
    stage: str  # "screening" | "assessment"
    color: str | None  # None for screening items; "green" for the pseudo-criterion
    category: str
    name_en: str
    name_zh: str
    rule: dict | None = None
    confirm: str | None = None
    period: str | None = None  # "postpartum" or None (any time)
    enabled: bool = True
    sensitive: bool = False


@dataclass(frozen=True)
class CompiledCriterion:
    criterion: Criterion
    evaluate: Evaluator | None


@dataclass(frozen=True)
class Catalogue:
    """A compiled catalogue version, ready to grade.

    ``antenatal_rules`` / ``postpartum_rules`` hold only the enabled criteria that have a rule and
    apply in that phase, so grading loops over rules only; checklist items matter only when ticked.
    """

    version: str
    criteria: tuple[CompiledCriterion, ...]
    fields: Mapping[str, FieldSpec]
    by_code: Mapping[str, Criterion]
    antenatal_rules: tuple[CompiledCriterion, ...] = ()
    postpartum_rules: tuple[CompiledCriterion, ...] = ()
    position: Mapping[str, int] = field(default_factory=dict)  # catalogue order, for stable output


@dataclass
class GradeResult:
    color: str
    purple: bool
    triggered: list[Criterion] = field(default_factory=list)
    proposed: list[Criterion] = field(default_factory=list)
    unknown: list[Criterion] = field(default_factory=list)
    screening_triggered: list[Criterion] = field(default_factory=list)
    catalogue_version: str = ""

    @property
    def complete(self) -> bool:
        """False while any assessment criterion could not be evaluated (green cannot be confirmed then).
        Screening items the data cannot answer are listed in ``unknown`` but do not block a grade."""
        return not any(criterion.stage != "screening" for criterion in self.unknown)

    @property
    def screening_positive(self) -> bool:
        return bool(self.screening_triggered)


# --- compiling rules ------------------------------------------------------------------------------


def _compile_rule(rule: Any, fields: Mapping[str, FieldSpec], code: str) -> Evaluator:
    if not isinstance(rule, dict) or len(rule) == 0:
        raise CatalogueError(f"{code}: a rule must be a non-empty mapping")
    if "field" in rule:
        name, op, value = rule.get("field"), rule.get("op"), rule.get("value")
        if name not in fields:
            raise CatalogueError(f"{code}: unknown field {name!r}")
        if op not in _OPS:
            raise CatalogueError(f"{code}: unknown operator {op!r}")
        if "value" not in rule:
            raise CatalogueError(f"{code}: comparison on {name!r} has no value")
        spec = fields[name]
        if op == "in":
            if not isinstance(value, (list, tuple)) or not value:
                raise CatalogueError(f"{code}: 'in' needs a non-empty list of values")
            value = tuple(value)
            items = value
        else:
            items = (value,)
        for item in items:
            if spec.type == "boolean":
                ok = type(item) is bool and op in ("==", "!=", "in")
            else:
                ok = type(item) in (int, float) and math.isfinite(item)
            if not ok:
                raise CatalogueError(f"{code}: {op} {item!r} does not suit {spec.type} field {name!r}")
        compare = _OPS[op]

        def comparison(m: Mapping[str, Any], _n=name, _c=compare, _v=value) -> Tri:
            actual = m.get(_n)
            if actual is None:
                return None
            return _c(actual, _v)

        return comparison
    if "all" in rule:
        parts = tuple(_compile_rule(part, fields, code) for part in rule["all"])

        def all_of(m: Mapping[str, Any], _p=parts) -> Tri:
            unknown = False
            for part in _p:
                result = part(m)
                if result is False:
                    return False
                if result is None:
                    unknown = True
            return None if unknown else True

        return all_of
    if "any" in rule:
        parts = tuple(_compile_rule(part, fields, code) for part in rule["any"])

        def any_of(m: Mapping[str, Any], _p=parts) -> Tri:
            unknown = False
            for part in _p:
                result = part(m)
                if result is True:
                    return True
                if result is None:
                    unknown = True
            return None if unknown else False

        return any_of
    if "not" in rule:
        inner = _compile_rule(rule["not"], fields, code)

        def not_of(m: Mapping[str, Any], _i=inner) -> Tri:
            result = _i(m)
            return None if result is None else not result

        return not_of
    raise CatalogueError(f"{code}: a rule needs field/op/value, all, any or not")


_COLORS_BY_STAGE = {"screening": {None}, "assessment": {"green", "yellow", "orange", "red", PURPLE}}


def compile_catalogue(version: str, criteria: Iterable[Criterion], fields: Iterable[FieldSpec]) -> Catalogue:
    field_map = {spec.name: spec for spec in fields}
    compiled = []
    by_code: dict[str, Criterion] = {}
    for criterion in criteria:
        allowed = _COLORS_BY_STAGE.get(criterion.stage)
        if allowed is None or criterion.color not in allowed:
            raise CatalogueError(
                f"{criterion.code}: colour {criterion.color!r} is not valid for stage {criterion.stage!r}"
            )
        if criterion.code in by_code:
            raise CatalogueError(f"duplicate code {criterion.code}")
        by_code[criterion.code] = criterion
        evaluate = _compile_rule(criterion.rule, field_map, criterion.code) if criterion.rule else None
        compiled.append(CompiledCriterion(criterion, evaluate))
    gradable = [
        c
        for c in compiled
        if c.evaluate is not None and c.criterion.enabled and c.criterion.category != GREEN_PSEUDO_CATEGORY
    ]
    return Catalogue(
        version=version,
        criteria=tuple(compiled),
        fields=field_map,
        by_code=by_code,
        antenatal_rules=tuple(c for c in gradable if c.criterion.period != "postpartum"),
        postpartum_rules=tuple(gradable),
        position={c.criterion.code: i for i, c in enumerate(compiled)},
    )


# --- validating input -----------------------------------------------------------------------------


def _valid_value(spec: FieldSpec, value: Any) -> str | None:
    """An error message for a bad value, or None."""
    kind = type(value)
    if spec.type == "boolean":
        return None if kind is bool else "must be true or false"
    if kind is int:
        pass
    elif kind is float:
        if not math.isfinite(value):
            return "must be a finite number"
        if spec.type == "integer" and not value.is_integer():
            return "must be a whole number"
    else:
        return "must be a number"
    if spec.minimum is not None and value < spec.minimum:
        return f"must be at least {spec.minimum:g}"
    if spec.maximum is not None and value > spec.maximum:
        return f"must be at most {spec.maximum:g}"
    return None


def validate_input(catalogue: Catalogue, ticked: Iterable[Any], measurements: Mapping[str, Any]) -> None:
    """Raise ``InputError`` naming unknown criterion codes, unknown fields and wrongly typed values."""
    errors: dict[str, list[str]] = {}
    for code in ticked:
        if not isinstance(code, str) or code not in catalogue.by_code:
            errors.setdefault("criteria", []).append(f"unknown criterion {code!r}")
        elif not catalogue.by_code[code].enabled:
            errors.setdefault("criteria", []).append(f"criterion {code} is disabled in this catalogue")
    for name, value in measurements.items():
        spec = catalogue.fields.get(name)
        if spec is None:
            errors.setdefault(name, []).append("unknown field")
        elif value is not None:
            problem = _valid_value(spec, value)
            if problem:
                errors.setdefault(name, []).append(problem)
    if errors:
        raise InputError(errors)


# --- grading ----------------------------------------------------------------------------------------


def grade(
    catalogue: Catalogue,
    ticked: Iterable[str] = (),
    measurements: Mapping[str, Any] | None = None,
    *,
    postpartum: bool | None = None,
    validate: bool = True,
) -> GradeResult:
    """Grade one woman. ``postpartum`` defaults to whether ``postpartum_days`` is given.

    Raises ``InputError`` for unknown codes or fields, wrongly typed values, and postpartum-only
    criteria ticked before the pregnancy has ended.
    """
    measurements = measurements or {}
    if isinstance(ticked, str):
        raise InputError({"criteria": ["must be a list of criterion codes"]})
    ticked_set = set(dict.fromkeys(ticked))
    if validate:
        validate_input(catalogue, ticked_set, measurements)
    if postpartum is None:
        postpartum = measurements.get("postpartum_days") is not None
    if not postpartum:
        early = sorted(code for code in ticked_set if catalogue.by_code[code].period == "postpartum")
        if early:
            raise InputError(
                {"criteria": [f"{code} applies only after the pregnancy has ended" for code in early]}
            )
    values = {k: v for k, v in measurements.items() if v is not None}
    result = GradeResult(color="green", purple=False, catalogue_version=catalogue.version)
    fired: list[Criterion] = []
    for code in ticked_set:
        criterion = catalogue.by_code[code]
        if criterion.enabled and criterion.category != GREEN_PSEUDO_CATEGORY:
            fired.append(criterion)
    unknown, proposed = result.unknown, result.proposed
    for compiled in catalogue.postpartum_rules if postpartum else catalogue.antenatal_rules:
        criterion = compiled.criterion
        if criterion.code in ticked_set:
            continue
        outcome = compiled.evaluate(values)  # type: ignore[misc]
        if outcome is None:
            unknown.append(criterion)
        elif outcome:
            if criterion.confirm:
                proposed.append(criterion)
            else:
                fired.append(criterion)
    rank = 0
    if len(fired) > 1:
        position = catalogue.position
        fired.sort(key=lambda c: position[c.code])
    for criterion in fired:
        if criterion.stage == "screening":
            result.screening_triggered.append(criterion)
            continue
        result.triggered.append(criterion)
        if criterion.color == PURPLE:
            result.purple = True
        else:
            rank = max(rank, COLOR_RANK.get(criterion.color or "green", 0))
    result.color = _COLOR_BY_RANK[rank]
    return result


_COLOR_BY_RANK = {rank: color for color, rank in COLOR_RANK.items()}
