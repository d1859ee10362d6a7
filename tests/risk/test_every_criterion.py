"""Every criterion of the national catalogue fires when ticked, and every rule-based one fires at its
threshold and not just across it.

The parameters are read from the data file itself, so a criterion added to
``risk/catalogues/cn-nhc-2017.yaml`` is covered automatically. No database.
"""

from __future__ import annotations

import pytest

from risk.catalogue import load_yaml, national_catalogue
from risk.engine import GREEN_PSEUDO_CATEGORY, grade

from .rulegen import Spec, describe, falsifier, leaves, witness

DATA = load_yaml()
ITEMS = DATA["criteria"]
SPECS = {
    name: Spec(spec["type"], *(spec.get("range") or [None, None])[:2])
    for name, spec in DATA["fields"].items()
}
RULED = [item for item in ITEMS if item.get("rule")]
LEAF_CASES = [
    pytest.param(item, index, leaf, id=f"{item['code']}[{index}:{describe(leaf)}]")
    for item in RULED
    for index, leaf in enumerate(leaves(item["rule"]))
]


@pytest.fixture(scope="module")
def catalogue():
    return national_catalogue()


def codes(criteria) -> list[str]:
    return [c.code for c in criteria]


def is_postpartum(item) -> bool:
    return item.get("period") == "postpartum"


def is_green_pseudo(item) -> bool:
    return item["category"] == GREEN_PSEUDO_CATEGORY


def test_parameters_really_come_from_the_data_file(catalogue):
    assert len(ITEMS) == len(catalogue.criteria) > 100
    assert {item["code"] for item in ITEMS} == set(catalogue.by_code)
    assert len(LEAF_CASES) >= sum(1 for _ in RULED)


# --- ticking --------------------------------------------------------------------------------------


def assert_fired_alone(item, result):
    code = item["code"]
    if is_green_pseudo(item):
        # Ticking the green pseudo-criterion is accepted but never "fires": green is the absence of
        # yellow/orange/red, not a finding.
        assert code not in codes(result.triggered)
        assert result.color == "green" and result.purple is False
        return
    if item["stage"] == "screening":
        assert codes(result.screening_triggered) == [code]
        assert result.screening_positive is True
        assert result.triggered == []
        assert result.color == "green" and result.purple is False
        return
    assert codes(result.triggered) == [code]
    assert result.screening_triggered == []
    if item["color"] == "purple":
        assert result.color == "green"
        assert result.purple is True
    else:
        assert result.color == item["color"]
        assert result.purple is False
    assert code not in codes(result.proposed)
    assert code not in codes(result.unknown)


@pytest.mark.parametrize("item", ITEMS, ids=[item["code"] for item in ITEMS])
def test_ticking_fires_it(catalogue, item):
    result = grade(catalogue, [item["code"]], {}, postpartum=is_postpartum(item))
    assert_fired_alone(item, result)
    assert "G-LOW-RISK" not in codes(result.triggered)


@pytest.mark.parametrize("item", ITEMS, ids=[item["code"] for item in ITEMS])
def test_ticking_fires_it_in_the_postpartum_period_via_postpartum_days(catalogue, item):
    """Every criterion also fires postpartum (postpartum context taken from ``postpartum_days``)."""
    result = grade(catalogue, [item["code"]], {"postpartum_days": 3})
    assert_fired_alone(item, result)


@pytest.mark.parametrize(
    "item", [i for i in ITEMS if is_postpartum(i)], ids=[i["code"] for i in ITEMS if is_postpartum(i)]
)
def test_postpartum_only_criterion_is_rejected_antenatally(catalogue, item):
    from risk.engine import InputError

    with pytest.raises(InputError) as caught:
        grade(catalogue, [item["code"]], {"ga_weeks": 30})
    assert list(caught.value.errors) == ["criteria"]
    assert item["code"] in caught.value.errors["criteria"][0]


@pytest.mark.parametrize("item", RULED, ids=[item["code"] for item in RULED])
def test_ticked_criterion_fires_even_when_its_rule_is_false(catalogue, item):
    values = falsifier(item["rule"], SPECS)
    untouched = grade(catalogue, [], values, postpartum=is_postpartum(item))
    assert item["code"] not in codes(untouched.triggered + untouched.screening_triggered + untouched.proposed)
    assert item["code"] not in codes(untouched.unknown)
    ticked = grade(catalogue, [item["code"]], values, postpartum=is_postpartum(item))
    assert item["code"] in codes(ticked.triggered + ticked.screening_triggered)
    assert item["code"] not in codes(ticked.unknown)


# --- rules at and across their thresholds -----------------------------------------------------------


def outcome(item, result) -> str:
    """Where this criterion landed in a result: fired / proposed / unknown / absent."""
    code = item["code"]
    fired = codes(result.screening_triggered if item["stage"] == "screening" else result.triggered)
    places = [
        name
        for name, group in (
            ("fired", fired),
            ("proposed", codes(result.proposed)),
            ("unknown", codes(result.unknown)),
        )
        if code in group
    ]
    assert len(places) <= 1, f"{code} is in several groups: {places}"
    return places[0] if places else "absent"


@pytest.mark.parametrize(("item", "index", "leaf"), LEAF_CASES)
def test_rule_fires_at_threshold_and_not_across(catalogue, item, index, leaf):
    found = witness(item["rule"], leaf, SPECS)
    postpartum = is_postpartum(item)
    expected_at = "proposed" if item.get("confirm") else "fired"

    at = grade(catalogue, [], found.at, postpartum=postpartum)
    assert outcome(item, at) == expected_at, f"at threshold {found.at}"
    if item.get("confirm"):
        assert item["code"] not in codes(at.triggered)
    assert "G-LOW-RISK" not in codes(at.triggered)

    if found.across is not None:
        across = grade(catalogue, [], found.across, postpartum=postpartum)
        assert outcome(item, across) == "absent", f"just across {found.across}"
    else:
        # Not decisive alone: with this leaf's field one step across, another part of the rule is
        # still true for every value of the other fields (e.g. S-LAB-GLUCOSE's ga<24 branch: at
        # 24 weeks the >=24 branch needs only FPG >= 5.1, which FPG >= 7.0 satisfies). The rule
        # language makes that correct; the other leaf on the same field is tested on its own.
        siblings = [
            other for other in leaves(item["rule"]) if other["field"] == leaf["field"] and other is not leaf
        ]
        assert siblings, f"{describe(leaf)} in {item['code']} can never decide the rule"

    assert found.without is not None, f"removing {leaf['field']} never makes {item['code']} unknown"
    missing = grade(catalogue, [], found.without, postpartum=postpartum)
    assert outcome(item, missing) == "unknown", f"without {leaf['field']}: {found.without}"
    assert item["code"] not in codes(missing.triggered + missing.screening_triggered)
    assert missing.complete is False

    # An explicit None is the same as a missing value.
    as_none = grade(catalogue, [], {**found.without, leaf["field"]: None}, postpartum=postpartum)
    assert outcome(item, as_none) == "unknown"


@pytest.mark.parametrize("item", RULED, ids=[item["code"] for item in RULED])
def test_rule_with_no_data_is_unknown_not_absent(catalogue, item):
    result = grade(catalogue, [], {}, postpartum=is_postpartum(item))
    assert outcome(item, result) == "unknown"


AUTO_GRADED = [item for item in RULED if item["stage"] == "assessment" and not item.get("confirm")]


@pytest.mark.parametrize("item", AUTO_GRADED, ids=[item["code"] for item in AUTO_GRADED])
def test_rule_fires_alone_with_its_own_colour_at_threshold(catalogue, item):
    """The first leaf's witness alone: the colour is at least the criterion's colour and equals the
    highest colour among what fired (other criteria on the same fields may fire too)."""
    found = witness(item["rule"], next(leaves(item["rule"])), SPECS)
    result = grade(catalogue, [], found.at, postpartum=is_postpartum(item))
    rank = {"green": 0, "yellow": 1, "orange": 2, "red": 3}
    if item["color"] == "purple":
        assert result.purple is True
    else:
        assert rank[result.color] >= rank[item["color"]]
        colours = {c.color for c in result.triggered} - {"purple"}
        assert result.color == max(colours, key=rank.__getitem__)


# --- adjacent colours share a boundary: the higher colour wins (between_convention) ------------------


def test_between_convention_is_stated_in_the_data():
    convention = DATA["rule_language"]["between_convention"]
    assert "Hb 60 g/L -> orange" in convention and "PLT 30 -> orange" in convention


@pytest.mark.parametrize(
    ("measurements", "colour", "expected_codes"),
    [
        # haemoglobin: yellow [60, 110), orange [40, 60], red <= 40
        ({"hb_g_l": 110}, "green", set()),
        ({"hb_g_l": 109.9}, "yellow", {"Y-HEME-ANEMIA"}),
        ({"hb_g_l": 60.1}, "yellow", {"Y-HEME-ANEMIA"}),
        ({"hb_g_l": 60}, "orange", {"Y-HEME-ANEMIA", "O-HEME-SEVERE-ANEMIA"}),
        ({"hb_g_l": 59.9}, "orange", {"O-HEME-SEVERE-ANEMIA"}),
        ({"hb_g_l": 40.1}, "orange", {"O-HEME-SEVERE-ANEMIA"}),
        ({"hb_g_l": 40}, "red", {"O-HEME-SEVERE-ANEMIA", "R-HEME-ANEMIA-EXTREME"}),
        ({"hb_g_l": 39.9}, "red", {"R-HEME-ANEMIA-EXTREME"}),
        # platelets (no bleeding): yellow [50, 100], orange [30, 50], red < 30
        ({"plt_10e9_l": 100.1, "bleeding_tendency": False, "plt_progressive_decline": False}, "green", set()),
        (
            {"plt_10e9_l": 100, "bleeding_tendency": False, "plt_progressive_decline": False},
            "yellow",
            {"Y-HEME-THROMBOCYTOPENIA"},
        ),
        (
            {"plt_10e9_l": 50.1, "bleeding_tendency": False, "plt_progressive_decline": False},
            "yellow",
            {"Y-HEME-THROMBOCYTOPENIA"},
        ),
        (
            {"plt_10e9_l": 50, "bleeding_tendency": False, "plt_progressive_decline": False},
            "orange",
            {"Y-HEME-THROMBOCYTOPENIA", "O-HEME-THROMBOCYTOPENIA"},
        ),
        (
            {"plt_10e9_l": 30, "bleeding_tendency": False, "plt_progressive_decline": False},
            "orange",
            {"O-HEME-THROMBOCYTOPENIA"},
        ),
        (
            {"plt_10e9_l": 29.9, "bleeding_tendency": False, "plt_progressive_decline": False},
            "red",
            {"R-HEME-THROMBOCYTOPENIA-SEVERE"},
        ),
        # PLT 30 with the other fields unknown: still orange (red is unknown, not fired)
        ({"plt_10e9_l": 30}, "orange", {"O-HEME-THROMBOCYTOPENIA"}),
        # pulmonary artery pressure: orange < 50 (with PH), red >= 50
        ({"pasp_mmhg": 49.9, "pulmonary_hypertension": True}, "orange", {"O-CARDIO-PAH-MILD"}),
        ({"pasp_mmhg": 50, "pulmonary_hypertension": True}, "red", {"R-CARDIO-PAH"}),
        # mitral valve area: orange > 1.5 (with MS), red <= 1.5
        ({"mitral_valve_area_cm2": 1.6, "mitral_stenosis": True}, "orange", {"O-CARDIO-MS-MILD"}),
        ({"mitral_valve_area_cm2": 1.5, "mitral_stenosis": True}, "red", {"R-CARDIO-MS-MODERATE-SEVERE"}),
        # aortic valve gradient: orange < 50 (with AS), red >= 50
        ({"aortic_valve_gradient_mmhg": 49.9, "aortic_stenosis": True}, "orange", {"O-CARDIO-AS-MILD"}),
        ({"aortic_valve_gradient_mmhg": 50, "aortic_stenosis": True}, "red", {"R-CARDIO-AS-SEVERE"}),
        # heart function: NYHA I yellow-compatible, II orange, III red; LVEF 40-50 orange, < 40 red
        ({"nyha_class": 2}, "orange", {"O-CARDIO-NYHA2-EF40-50"}),
        ({"nyha_class": 3}, "red", {"R-CARDIO-NYHA34-EF40"}),
        ({"lvef_pct": 50.1}, "green", set()),
        ({"lvef_pct": 50}, "orange", {"O-CARDIO-NYHA2-EF40-50"}),
        ({"lvef_pct": 40}, "orange", {"O-CARDIO-NYHA2-EF40-50"}),
        ({"lvef_pct": 39.9}, "red", {"R-CARDIO-NYHA34-EF40"}),
        # creatinine: yellow <= 1.0 ULN (kidney disease), orange > 1.0, red > 1.5
        ({"serum_creatinine_x_uln": 1.0, "kidney_disease": True}, "yellow", {"Y-RENAL-STABLE"}),
        ({"serum_creatinine_x_uln": 1.1, "kidney_disease": True}, "orange", {"O-RENAL-CKD-COMPENSATED"}),
        ({"serum_creatinine_x_uln": 1.5, "kidney_disease": True}, "orange", {"O-RENAL-CKD-COMPENSATED"}),
        (
            {"serum_creatinine_x_uln": 1.6, "kidney_disease": True},
            "red",
            {"O-RENAL-CKD-COMPENSATED", "R-RENAL-SEVERE"},
        ),
        # age and BMI
        ({"age_years": 34}, "green", set()),
        ({"age_years": 35}, "yellow", {"Y-BASIC-AGE35"}),
        ({"age_years": 39}, "yellow", {"Y-BASIC-AGE35"}),
        ({"age_years": 40}, "orange", {"Y-BASIC-AGE35", "O-BASIC-AGE40"}),
        ({"age_years": 18}, "yellow", {"Y-BASIC-AGE18"}),
        ({"age_years": 19}, "green", set()),
        ({"bmi_kg_m2": 25}, "green", set()),
        ({"bmi_kg_m2": 25.1}, "yellow", {"Y-BASIC-BMI25"}),
        ({"bmi_kg_m2": 27.9}, "yellow", {"Y-BASIC-BMI25"}),
        ({"bmi_kg_m2": 28}, "orange", {"Y-BASIC-BMI25", "O-BASIC-BMI28"}),
        ({"bmi_kg_m2": 18.5}, "green", set()),
        ({"bmi_kg_m2": 18.4}, "yellow", {"Y-BASIC-BMI185"}),
        # fetal number: twins yellow, triplets orange
        ({"fetal_count": 1}, "green", set()),
        ({"fetal_count": 2}, "yellow", {"Y-PREG-TWINS"}),
        ({"fetal_count": 3}, "orange", {"O-PREG-TRIPLETS"}),
    ],
    ids=lambda v: (
        ",".join(f"{k}={v[k]}" for k in v) if isinstance(v, dict) else (v if isinstance(v, str) else "")
    ),
)
def test_adjacent_colour_boundaries(catalogue, measurements, colour, expected_codes):
    result = grade(catalogue, [], measurements)
    assert result.color == colour
    ladder = {c.code for c in result.triggered if c.color != "purple"}
    assert ladder == expected_codes
