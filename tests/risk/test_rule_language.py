"""The engine implements the catalogue's ``rule_language`` and grading principles exactly.

Small synthetic catalogues built with ``risk.engine.compile_catalogue``; no database.
"""

from __future__ import annotations

import itertools
import math

import pytest

from risk.engine import (
    CatalogueError,
    Criterion,
    FieldSpec,
    InputError,
    compile_catalogue,
    grade,
    validate_input,
)

from .rulegen import Spec, describe, leaves, reference_eval, witness

FIELDS = [
    FieldSpec("a", "number"),
    FieldSpec("b", "number"),
    FieldSpec("n", "integer", 1, 4),
    FieldSpec("k", "integer"),
    FieldSpec("p", "boolean"),
    FieldSpec("q", "boolean"),
    FieldSpec("r", "boolean"),
    FieldSpec("postpartum_days", "integer"),
]
SPECS = {f.name: Spec(f.type, f.minimum, f.maximum) for f in FIELDS}


def crit(code, color="yellow", rule=None, *, stage="assessment", **extra) -> Criterion:
    return Criterion(
        code=code,
        stage=stage,
        color=None if stage == "screening" else color,
        category=extra.pop("category", "other"),
        name_en=code,
        name_zh=code,
        rule=rule,
        **extra,
    )


def catalogue_of(*criteria, fields=FIELDS):
    return compile_catalogue("test@1", criteria, fields)


def codes(criteria):
    return [c.code for c in criteria]


def state(result, code) -> bool | None:
    """True = fired, None = unknown, False = neither."""
    if code in codes(result.triggered) or code in codes(result.screening_triggered):
        assert code not in codes(result.unknown)
        return True
    if code in codes(result.unknown):
        return None
    return False


# --- three-valued logic -----------------------------------------------------------------------------

BOOLS = ("p", "q", "r")
TRI = (True, False, None)


def atom(name):
    return {"field": name, "op": "==", "value": True}


def values_for(truths):
    """Measurements making atom(p/q/r) True / False / unknown (missing)."""
    return {name: t for name, t in zip(BOOLS, truths) if t is not None}


def kleene_all(parts):
    if False in parts:
        return False
    return True if all(p is True for p in parts) else None


def kleene_any(parts):
    if True in parts:
        return True
    return False if all(p is False for p in parts) else None


def kleene_not(part):
    return None if part is None else not part


@pytest.mark.parametrize("arity", [1, 2, 3])
@pytest.mark.parametrize(("combinator", "truth"), [("all", kleene_all), ("any", kleene_any)])
def test_truth_table_all_any(combinator, truth, arity):
    cat = catalogue_of(crit("X", rule={combinator: [atom(n) for n in BOOLS[:arity]]}))
    for truths in itertools.product(TRI, repeat=arity):
        result = grade(cat, [], values_for(truths))
        assert state(result, "X") is truth(list(truths)), f"{combinator}{truths}"


def test_truth_table_not():
    cat = catalogue_of(crit("X", rule={"not": atom("p")}))
    for t in TRI:
        assert state(grade(cat, [], values_for([t])), "X") is kleene_not(t), t


@pytest.mark.parametrize(
    ("rule", "truth"),
    [
        ({"not": {"all": [atom("p"), atom("q")]}}, lambda p, q, r: kleene_not(kleene_all([p, q]))),
        ({"not": {"any": [atom("p"), atom("q")]}}, lambda p, q, r: kleene_not(kleene_any([p, q]))),
        (
            {"all": [atom("p"), {"any": [atom("q"), atom("r")]}]},
            lambda p, q, r: kleene_all([p, kleene_any([q, r])]),
        ),
        (
            {"any": [atom("p"), {"all": [atom("q"), {"not": atom("r")}]}]},
            lambda p, q, r: kleene_any([p, kleene_all([q, kleene_not(r)])]),
        ),
        ({"not": {"not": atom("p")}}, lambda p, q, r: p),
    ],
    ids=["not-all", "not-any", "all-any", "any-all-not", "not-not"],
)
def test_nested_truth_tables(rule, truth):
    cat = catalogue_of(crit("X", rule=rule))
    for truths in itertools.product(TRI, repeat=3):
        result = grade(cat, [], values_for(truths))
        assert state(result, "X") is truth(*truths), truths
        assert state(result, "X") is reference_eval(rule, values_for(truths))


@pytest.mark.parametrize(
    ("op", "value", "cases"),
    [
        (">=", 10, {9.9: False, 10: True, 10.1: True}),
        (">", 10, {10: False, 10.1: True}),
        ("<=", 10, {10: True, 10.1: False}),
        ("<", 10, {9.9: True, 10: False}),
        ("==", 10, {10: True, 10.1: False, 9.9: False}),
        ("==", 10.0, {10: True}),
        ("!=", 10, {10: False, 9.9: True}),
        ("in", [1, 2.5, 10], {2.5: True, 10: True, 3: False}),
    ],
)
def test_comparison_operators_and_missing_field(op, value, cases):
    cat = catalogue_of(crit("X", rule={"field": "a", "op": op, "value": value}))
    for actual, expected in cases.items():
        assert state(grade(cat, [], {"a": actual}), "X") is expected, (op, actual)
    # a comparison on a missing field is unknown, whatever the operator (also for != and in)
    assert state(grade(cat, [], {}), "X") is None
    assert state(grade(cat, [], {"b": 1}), "X") is None
    # None is missing
    assert state(grade(cat, [], {"a": None}), "X") is None


def test_boolean_comparisons():
    cat = catalogue_of(
        crit("T", rule={"field": "p", "op": "==", "value": True}),
        crit("F", rule={"field": "p", "op": "==", "value": False}),
        crit("NE", rule={"field": "p", "op": "!=", "value": True}),
        crit("IN", rule={"field": "p", "op": "in", "value": [True]}),
    )
    on, off, missing = grade(cat, [], {"p": True}), grade(cat, [], {"p": False}), grade(cat, [], {"p": None})
    assert [state(on, c) for c in ("T", "F", "NE", "IN")] == [True, False, False, True]
    assert [state(off, c) for c in ("T", "F", "NE", "IN")] == [False, True, True, False]
    assert [state(missing, c) for c in ("T", "F", "NE", "IN")] == [None, None, None, None]


# --- the generic witness generator on operators the national catalogue does not use yet ------------

SYNTHETIC_RULES = {
    "NOT-GE": {"not": {"field": "a", "op": ">=", "value": 10}},
    "NE": {"field": "k", "op": "!=", "value": 3},
    "IN-INT": {"field": "k", "op": "in", "value": [2, 3, 7]},
    "IN-RANGED": {"field": "n", "op": "in", "value": [1, 4]},
    "NOT-IN": {"not": {"field": "n", "op": "in", "value": [2, 3]}},
    "ALL-NOT-ANY": {
        "all": [
            {"field": "p", "op": "==", "value": True},
            {
                "not": {
                    "any": [{"field": "a", "op": ">", "value": 5}, {"field": "q", "op": "!=", "value": False}]
                }
            },
        ]
    },
    "ANY-BETWEEN": {
        "any": [
            {"all": [{"field": "a", "op": ">=", "value": 1.5}, {"field": "a", "op": "<", "value": 2.5}]},
            {"field": "b", "op": "<=", "value": -3},
        ]
    },
}
SYNTHETIC_CASES = [
    pytest.param(code, rule, leaf, id=f"{code}[{describe(leaf)}]")
    for code, rule in SYNTHETIC_RULES.items()
    for leaf in leaves(rule)
]


@pytest.mark.parametrize(("code", "rule", "leaf"), SYNTHETIC_CASES)
def test_generic_witness_on_synthetic_rules(code, rule, leaf):
    cat = catalogue_of(crit(code, rule=rule))
    found = witness(rule, leaf, SPECS)
    assert state(grade(cat, [], found.at), code) is True, found.at
    assert found.across is not None, "every leaf of these rules is decisive"
    assert state(grade(cat, [], found.across), code) is False, found.across
    assert found.without is not None
    assert state(grade(cat, [], found.without), code) is None, found.without


def first_witness(rule):
    return witness(rule, next(leaves(rule)), SPECS)


def test_generator_places_leaves_on_the_threshold():
    found = first_witness({"not": {"field": "a", "op": ">=", "value": 10}})
    assert found.at == {"a": 9.9} and found.across == {"a": 10}
    found = first_witness({"field": "n", "op": "==", "value": 4})
    assert found.at == {"n": 4} and found.across == {"n": 3}  # 5 is outside the range 1..4
    found = first_witness({"field": "k", "op": ">", "value": 3})
    assert found.at == {"k": 4} and found.across == {"k": 3}
    found = first_witness({"field": "a", "op": "<=", "value": 1.5})
    assert found.at == {"a": 1.5} and found.across == {"a": 1.6}
    found = first_witness({"field": "k", "op": "!=", "value": 3})
    assert found.at == {"k": 2} and found.across == {"k": 3}


# --- colours ------------------------------------------------------------------------------------------

LADDER = catalogue_of(
    crit("Y", "yellow"),
    crit("O", "orange"),
    crit("R", "red"),
    crit("P", "purple", category="infectious"),
    crit("P2", "purple", category="infectious"),
    crit("G", "green", category="overall"),
    crit("S", stage="screening"),
)


@pytest.mark.parametrize(
    ("ticked", "colour"),
    [
        ((), "green"),
        (("Y",), "yellow"),
        (("O",), "orange"),
        (("R",), "red"),
        (("Y", "O"), "orange"),
        (("Y", "R"), "red"),
        (("O", "R"), "red"),
        (("Y", "O", "R"), "red"),
        (("G",), "green"),
        (("G", "Y"), "yellow"),
        (("S",), "green"),
        (("S", "O"), "orange"),
    ],
)
def test_highest_colour_wins_in_any_order(ticked, colour):
    for order in itertools.permutations(ticked):
        for as_type in (list, tuple, set, iter):
            result = grade(LADDER, as_type(order))
            assert result.color == colour
            assert result.purple is False
            # output is in catalogue order, whatever the tick order
            assert codes(result.triggered) == [c for c in ("Y", "O", "R") if c in ticked]


@pytest.mark.parametrize("ladder", [(), ("Y",), ("O",), ("R",), ("Y", "O", "R")])
@pytest.mark.parametrize("purple", [("P",), ("P2",), ("P", "P2")])
def test_purple_is_independent_of_the_ladder(ladder, purple):
    without = grade(LADDER, ladder)
    with_purple = grade(LADDER, ladder + purple)
    assert without.purple is False
    assert with_purple.purple is True
    assert with_purple.color == without.color  # purple never moves the ladder colour
    assert set(codes(with_purple.triggered)) == set(ladder) | set(purple)


def test_purple_alone_is_green_plus_purple_and_purple_with_red_is_red_plus_purple():
    alone = grade(LADDER, ["P"])
    assert (alone.color, alone.purple) == ("green", True)
    both = grade(LADDER, ["R", "P"])
    assert (both.color, both.purple) == ("red", True)


def test_purple_by_rule_is_independent_too():
    cat = catalogue_of(
        crit("P", "purple", {"field": "p", "op": "==", "value": True}, category="infectious"),
        crit("O", "orange", {"field": "a", "op": ">=", "value": 10}),
    )
    assert (grade(cat, [], {"p": True, "a": 1}).color, grade(cat, [], {"p": True, "a": 1}).purple) == (
        "green",
        True,
    )
    result = grade(cat, [], {"p": True, "a": 10})
    assert (result.color, result.purple) == ("orange", True)
    result = grade(cat, [], {"p": False, "a": 10})
    assert (result.color, result.purple) == ("orange", False)


def test_green_pseudo_criterion_never_fires():
    cat = catalogue_of(crit("G", "green", {"field": "a", "op": ">=", "value": 0}, category="overall"))
    result = grade(cat, ["G"], {"a": 5})
    assert result.triggered == [] and result.unknown == [] and result.color == "green"
    result = grade(cat, [], {})
    assert result.unknown == [] and result.complete is True


def test_screening_items_make_screening_positive_and_do_not_change_the_colour():
    cat = catalogue_of(crit("S", rule={"field": "a", "op": ">=", "value": 35}, stage="screening"))
    result = grade(cat, [], {"a": 35})
    assert codes(result.screening_triggered) == ["S"] and result.screening_positive
    assert result.triggered == [] and result.color == "green"
    negative = grade(cat, [], {"a": 34})
    assert negative.screening_positive is False and negative.complete is True


# --- ticking, confirm, disabled, postpartum -------------------------------------------------------


def test_ticked_criterion_fires_even_when_its_rule_is_false_or_unknown():
    cat = catalogue_of(crit("O", "orange", {"field": "a", "op": ">=", "value": 10}))
    false_rule = grade(cat, ["O"], {"a": 5})
    assert codes(false_rule.triggered) == ["O"] and false_rule.color == "orange"
    unknown_rule = grade(cat, ["O"], {})
    assert codes(unknown_rule.triggered) == ["O"] and unknown_rule.unknown == []
    assert unknown_rule.complete is True


def test_confirm_criteria_are_proposed_and_fire_only_when_ticked():
    cat = catalogue_of(
        crit("C", "red", {"field": "a", "op": ">=", "value": 10}, confirm="diagnosis confirmed")
    )
    proposed = grade(cat, [], {"a": 10})
    assert codes(proposed.proposed) == ["C"]
    assert proposed.triggered == [] and proposed.color == "green"
    assert grade(cat, [], {"a": 9.9}).proposed == []
    assert codes(grade(cat, [], {}).unknown) == ["C"]
    ticked = grade(cat, ["C"], {"a": 10})
    assert codes(ticked.triggered) == ["C"] and ticked.proposed == [] and ticked.color == "red"
    # a confirm criterion ticked with its rule false still fires (also_fires_when / clinician judgement)
    assert grade(cat, ["C"], {"a": 1}).color == "red"


def test_disabled_criteria_never_fire_and_cannot_be_ticked():
    cat = catalogue_of(
        crit("D", "red", {"field": "a", "op": ">=", "value": 10}, enabled=False),
        crit("DC", "red", enabled=False),
        crit("Y", "yellow", {"field": "a", "op": ">=", "value": 10}),
    )
    result = grade(cat, [], {"a": 50})
    assert codes(result.triggered) == ["Y"] and result.color == "yellow"
    assert codes(grade(cat, [], {}).unknown) == ["Y"]  # a disabled rule is not even unknown
    for code in ("D", "DC"):
        with pytest.raises(InputError) as caught:
            grade(cat, [code], {"a": 50})
        assert caught.value.errors == {"criteria": [f"criterion {code} is disabled in this catalogue"]}


@pytest.fixture
def pp_catalogue():
    return catalogue_of(
        crit("PP-RULE", "orange", {"field": "a", "op": ">=", "value": 10}, period="postpartum"),
        crit("PP-TICK", "red", period="postpartum"),
        crit("ANY", "yellow", {"field": "a", "op": ">=", "value": 10}),
    )


def test_postpartum_only_criteria_cannot_fire_antenatally(pp_catalogue):
    result = grade(pp_catalogue, [], {"a": 10})
    assert codes(result.triggered) == ["ANY"] and result.color == "yellow"
    assert codes(grade(pp_catalogue, [], {}).unknown) == ["ANY"]  # not unknown antenatally either
    for kwargs in ({}, {"postpartum": False}):
        with pytest.raises(InputError) as caught:
            grade(pp_catalogue, ["PP-TICK"], {"a": 1}, **kwargs)
        assert caught.value.errors == {"criteria": ["PP-TICK applies only after the pregnancy has ended"]}


@pytest.mark.parametrize(
    ("measurements", "kwargs"),
    [
        ({"a": 10}, {"postpartum": True}),
        ({"a": 10, "postpartum_days": 0}, {}),
        ({"a": 10, "postpartum_days": 42}, {}),
    ],
)
def test_postpartum_only_criteria_fire_postpartum(pp_catalogue, measurements, kwargs):
    result = grade(pp_catalogue, [], measurements, **kwargs)
    assert codes(result.triggered) == ["PP-RULE", "ANY"] and result.color == "orange"
    ticked = grade(pp_catalogue, ["PP-TICK"], measurements, **kwargs)
    assert ticked.color == "red" and "PP-TICK" in codes(ticked.triggered)


def test_postpartum_days_none_is_antenatal(pp_catalogue):
    result = grade(pp_catalogue, [], {"a": 10, "postpartum_days": None})
    assert codes(result.triggered) == ["ANY"]


def test_complete_is_false_while_anything_is_unknown():
    cat = catalogue_of(
        crit("A", "yellow", {"field": "a", "op": ">=", "value": 10}),
        crit(
            "B",
            "red",
            {"any": [{"field": "b", "op": ">=", "value": 10}, {"field": "p", "op": "==", "value": True}]},
        ),
    )
    assert grade(cat, [], {}).complete is False
    assert grade(cat, [], {"a": 1}).complete is False
    assert grade(cat, [], {"a": 1, "b": 1}).complete is False  # p still unknown
    assert grade(cat, [], {"a": 1, "p": True}).complete is True  # any() already true
    assert grade(cat, [], {"a": 1, "b": 1, "p": False}).complete is True
    incomplete = grade(cat, [], {"a": 12})
    assert (
        incomplete.color == "yellow" and incomplete.complete is False and codes(incomplete.unknown) == ["B"]
    )


# --- input validation -----------------------------------------------------------------------------

VALIDATION_CAT = catalogue_of(crit("Y", "yellow", {"field": "a", "op": ">=", "value": 10}))


@pytest.mark.parametrize(
    ("ticked", "measurements", "errors"),
    [
        (["NOPE"], {}, {"criteria": ["unknown criterion 'NOPE'"]}),
        ([7], {}, {"criteria": ["unknown criterion 7"]}),
        (
            ["Y", "NOPE", "ALSO-NOPE"],
            {},
            {"criteria": ["unknown criterion 'NOPE'", "unknown criterion 'ALSO-NOPE'"]},
        ),
        ([], {"zzz": 1}, {"zzz": ["unknown field"]}),
        ([], {"zzz": None}, {"zzz": ["unknown field"]}),
        ([], {"a": "12"}, {"a": ["must be a number"]}),
        ([], {"a": True}, {"a": ["must be a number"]}),
        ([], {"n": True}, {"n": ["must be a number"]}),
        ([], {"k": False}, {"k": ["must be a number"]}),
        ([], {"k": 2.5}, {"k": ["must be a whole number"]}),
        ([], {"a": math.nan}, {"a": ["must be a finite number"]}),
        ([], {"a": math.inf}, {"a": ["must be a finite number"]}),
        ([], {"a": -math.inf}, {"a": ["must be a finite number"]}),
        ([], {"k": math.nan}, {"k": ["must be a finite number"]}),
        ([], {"n": 5}, {"n": ["must be at most 4"]}),
        ([], {"n": 0}, {"n": ["must be at least 1"]}),
        ([], {"n": 4.5}, {"n": ["must be a whole number"]}),
        ([], {"p": 1}, {"p": ["must be true or false"]}),
        ([], {"p": "true"}, {"p": ["must be true or false"]}),
        ([], {"a": [1]}, {"a": ["must be a number"]}),
        (
            ["NOPE"],
            {"zzz": 1, "a": "x", "n": 5, "p": 0},
            {
                "criteria": ["unknown criterion 'NOPE'"],
                "zzz": ["unknown field"],
                "a": ["must be a number"],
                "n": ["must be at most 4"],
                "p": ["must be true or false"],
            },
        ),
    ],
)
def test_validate_input_errors(ticked, measurements, errors):
    for call in (
        lambda: validate_input(VALIDATION_CAT, ticked, measurements),
        lambda: grade(VALIDATION_CAT, ticked, measurements),
    ):
        with pytest.raises(InputError) as caught:
            call()
        # grade() validates the *set* of ticked codes, so the order of several criteria messages
        # follows string hashing (differs between processes); compare them as a multiset
        assert {k: sorted(v) for k, v in caught.value.errors.items()} == {
            k: sorted(v) for k, v in errors.items()
        }
        assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    "measurements",
    [
        {},
        {"a": 12, "b": -3.5, "n": 4, "k": 0, "p": True, "q": False, "postpartum_days": 3},
        {"n": 1, "k": 2.0},  # an integral float is accepted for an integer field
        {"a": None, "n": None, "p": None},  # None is "not measured" for any declared field
    ],
)
def test_valid_input_is_accepted(measurements):
    validate_input(VALIDATION_CAT, ["Y"], measurements)
    grade(VALIDATION_CAT, ["Y"], measurements)


def test_validation_can_be_skipped_for_trusted_input():
    assert grade(VALIDATION_CAT, [], {"a": 12}, validate=False).color == "yellow"


# --- malformed catalogues -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rule",
    [
        {"field": "nope", "op": ">=", "value": 1},
        {"field": "a", "op": "=>", "value": 1},
        {"field": "a", "op": "~", "value": 1},
        {"unknown": []},
        {"all": [{"field": "nope", "op": "==", "value": True}]},
        {"any": ["a >= 1"]},
        {"not": {}},
        "a >= 1",
    ],
    ids=[
        "unknown-field",
        "unknown-op",
        "bad-op",
        "bad-key",
        "nested-unknown-field",
        "string-part",
        "empty-not",
        "string",
    ],
)
def test_malformed_rules_are_catalogue_errors(rule):
    with pytest.raises(CatalogueError):
        catalogue_of(crit("X", rule=rule))


def test_duplicate_codes_are_catalogue_errors():
    with pytest.raises(CatalogueError):
        catalogue_of(crit("X"), crit("X", "red"))


@pytest.mark.parametrize(
    "rule",
    [
        {"field": "a", "op": ">="},  # value forgotten: would raise TypeError at grading time
        {"field": "p", "op": "=="},  # value forgotten: == None is silently never true, never unknown
        {"field": "a", "op": "in", "value": 5},  # "in" needs a list: TypeError at grading time
        {"field": "a", "op": ">=", "value": "35"},  # string threshold on a number field: TypeError
    ],
    ids=["missing-value", "missing-value-eq", "in-scalar", "string-threshold"],
)
def test_comparison_values_are_checked_when_compiling(rule):
    """A malformed comparison must be rejected when the catalogue is compiled, not crash (or silently
    never fire) when a woman is graded."""
    with pytest.raises(CatalogueError):
        catalogue_of(crit("X", rule=rule))


@pytest.mark.parametrize("color", ["pink", "Red", None])
def test_unknown_assessment_colours_are_catalogue_errors(color):
    """An assessment criterion whose colour is not green/yellow/orange/red/purple (a regional "pink"
    tier, a typo) must not compile: the engine would otherwise grade it as green."""
    with pytest.raises(CatalogueError):
        catalogue_of(crit("X", color))
