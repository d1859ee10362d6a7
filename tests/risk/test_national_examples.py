"""Clinically meaningful cases graded with the bundled national catalogue, and sanity checks of the
data file itself. No database."""

from __future__ import annotations

from collections import Counter

import pytest

from risk.catalogue import load_yaml, national_catalogue
from risk.engine import COLOR_RANK, InputError, grade

from .rulegen import leaves

DATA = load_yaml()


@pytest.fixture(scope="module")
def catalogue():
    return national_catalogue()


def codes(criteria):
    return {c.code for c in criteria}


# --- the data file -----------------------------------------------------------------------------------


def test_no_duplicate_codes():
    counts = Counter(item["code"] for item in DATA["criteria"])
    assert [code for code, n in counts.items() if n > 1] == []


def test_compiles_and_every_rule_references_only_declared_fields(catalogue):
    declared = set(DATA["fields"])
    ops = set(DATA["rule_language"]["ops"])
    for item in DATA["criteria"]:
        for leaf in leaves(item.get("rule") or {"all": []}):
            assert leaf["field"] in declared, item["code"]
            assert leaf["op"] in ops, item["code"]
            assert "value" in leaf, item["code"]
    assert catalogue.version == f"{DATA['catalogue_id']}@{DATA['schema_version']}"
    assert set(catalogue.fields) == declared


def test_every_criterion_has_both_names():
    for item in DATA["criteria"]:
        assert isinstance(item.get("name_en"), str) and item["name_en"].strip(), item["code"]
        assert isinstance(item.get("name_zh"), str) and item["name_zh"].strip(), item["code"]


def test_stage_colour_and_code_prefix_agree():
    prefix = {"yellow": "Y-", "orange": "O-", "red": "R-", "purple": "P-", "green": "G-"}
    for item in DATA["criteria"]:
        if item["stage"] == "screening":
            assert item.get("color") is None and item["code"].startswith("S-"), item["code"]
        else:
            assert item["stage"] == "assessment", item["code"]
            assert item["code"].startswith(prefix[item["color"]]), item["code"]
        assert item.get("period") in (None, "postpartum"), item["code"]
        assert item["category"] in DATA["categories"], item["code"]
        if item["color"] == "purple":
            assert item["category"] == "infectious", item["code"]


def test_exactly_one_green_pseudo_criterion_and_it_has_no_rule():
    greens = [item for item in DATA["criteria"] if item.get("color") == "green"]
    assert [g["code"] for g in greens] == ["G-LOW-RISK"]
    assert greens[0].get("rule") is None and greens[0]["category"] == "overall"


def test_typed_field_declarations():
    for name, spec in DATA["fields"].items():
        assert spec["type"] in ("integer", "number", "boolean"), name
    assert DATA["fields"]["nyha_class"]["range"] == [1, 4]


# --- clinical examples ------------------------------------------------------------------------------


def test_age_41_and_bmi_29_is_orange(catalogue):
    result = grade(catalogue, [], {"age_years": 41, "bmi_kg_m2": 29.0})
    assert result.color == "orange" and result.purple is False
    assert codes(result.triggered) == {"Y-BASIC-AGE35", "O-BASIC-AGE40", "Y-BASIC-BMI25", "O-BASIC-BMI28"}
    assert codes(result.screening_triggered) == {"S-BASIC-AGE35", "S-BASIC-BMI25"}
    assert result.screening_positive


def test_pasp_55_is_red(catalogue):
    result = grade(catalogue, [], {"pasp_mmhg": 55})
    assert result.color == "red"
    assert codes(result.triggered) == {"R-CARDIO-PAH"}
    # the orange "mild PAH" rule is false (PASP < 50 is false) although pulmonary_hypertension is
    # unknown: all() with a false part is false, not unknown
    assert "O-CARDIO-PAH-MILD" not in codes(result.unknown)


def test_hb_95_is_yellow(catalogue):
    result = grade(catalogue, [], {"hb_g_l": 95})
    assert result.color == "yellow"
    assert codes(result.triggered) == {"Y-HEME-ANEMIA"}
    assert codes(result.screening_triggered) == {"S-LAB-HB110"}


def test_a_woman_with_no_data_is_green_but_incomplete(catalogue):
    result = grade(catalogue)
    assert result.color == "green" and result.purple is False
    assert result.triggered == [] and result.screening_triggered == [] and result.proposed == []
    assert result.complete is False
    ruled = [
        item
        for item in DATA["criteria"]
        if item.get("rule") and item.get("period") != "postpartum" and item["category"] != "overall"
    ]
    assert len(result.unknown) == len(ruled) > 50
    assert [c.code for c in result.unknown] == [item["code"] for item in ruled]  # catalogue order


def test_hiv_alone_is_green_plus_purple(catalogue):
    result = grade(catalogue, ["P-INF-HIV"])
    assert (result.color, result.purple) == ("green", True)
    assert codes(result.triggered) == {"P-INF-HIV"}
    assert result.triggered[0].sensitive is True


def test_orange_plus_purple(catalogue):
    result = grade(catalogue, ["P-INF-SYPHILIS"], {"age_years": 41})
    assert (result.color, result.purple) == ("orange", True)
    assert codes(result.triggered) == {"Y-BASIC-AGE35", "O-BASIC-AGE40", "P-INF-SYPHILIS"}


def test_red_plus_purple_and_purple_does_not_lower_red(catalogue):
    result = grade(catalogue, ["P-INF-TUBERCULOSIS", "P-INF-VIRAL-HEPATITIS"], {"hb_g_l": 38})
    assert (result.color, result.purple) == ("red", True)


def test_severe_preeclampsia_is_orange(catalogue):
    result = grade(catalogue, [], {"preeclampsia": True, "sbp_mmhg": 165, "dbp_mmhg": 105})
    assert result.color == "orange"
    assert {"O-PREG-SEVERE-PE", "Y-PREG-HDP"} <= codes(result.triggered)
    assert "S-SX-HTN140" in codes(result.screening_triggered)


def test_nyha_iv_is_red(catalogue):
    result = grade(catalogue, [], {"nyha_class": 4})
    assert result.color == "red" and "R-CARDIO-NYHA34-EF40" in codes(result.triggered)


def test_nyha_5_is_an_input_error(catalogue):
    with pytest.raises(InputError) as caught:
        grade(catalogue, [], {"nyha_class": 5})
    assert caught.value.errors == {"nyha_class": ["must be at most 4"]}


def test_raised_bile_acids_propose_icp_until_a_clinician_confirms(catalogue):
    proposed = grade(catalogue, [], {"total_bile_acid_umol_l": 15})
    assert proposed.color == "green" and codes(proposed.proposed) == {"Y-PREG-ICP"}
    confirmed = grade(catalogue, ["Y-PREG-ICP"], {"total_bile_acid_umol_l": 15})
    assert confirmed.color == "yellow" and "Y-PREG-ICP" in codes(confirmed.triggered)


def test_postpartum_infection_and_unstable_red_condition(catalogue):
    infection = grade(catalogue, ["O-PP-INFECTION"], {"postpartum_days": 5, "hb_g_l": 112})
    assert infection.color == "orange"
    unstable = grade(catalogue, ["R-PP-UNSTABLE"], {"postpartum_days": 2})
    assert unstable.color == "red"
    with pytest.raises(InputError):
        grade(catalogue, ["R-PP-UNSTABLE"], {"ga_weeks": 39})


HEALTHY = {
    "age_years": 28,
    "height_cm": 162.0,
    "bmi_kg_m2": 22.4,
    "rh_negative": False,
    "interpregnancy_interval_months": 30,
    "abortion_count": 0,
    "prior_uterine_surgery_count": 0,
    "months_since_last_uterine_surgery": 40,
    "pelvic_mass_max_cm": 0,
    "fetal_count": 1,
    "ga_weeks": 30.0,
    "sbp_mmhg": 115,
    "dbp_mmhg": 72,
    "hb_g_l": 122,
    "plt_10e9_l": 210,
    "bleeding_tendency": False,
    "plt_progressive_decline": False,
    "ferritin_ug_l": 45,
    "fpg_mmol_l": 4.6,
    "urine_glucose_positive": False,
    "nyha_class": 1,
    "lvef_pct": 64,
    "pasp_mmhg": 22,
    "mitral_valve_area_cm2": 4.5,
    "aortic_valve_gradient_mmhg": 6,
    "aortic_diameter_mm": 28,
    "spo2_pct": 98,
    "serum_creatinine_x_uln": 0.6,
    "urine_output_ml_24h": 1500,
    "bmr_pct": 5,
    "prednisone_mg_day": 0,
    "steroid_months": 0,
    "disease_active": False,
    "diabetic_nephropathy_stage": 1,
    "efw_g": 1600,
    "afi_cm": 14,
    "dvp_cm": 5,
    "total_bile_acid_umol_l": 3,
    "preeclampsia": False,
    "malpresentation": False,
    "cardiopulmonary_decline": False,
    "family_hx_hypertension": False,
    "uterine_scar": False,
    "placenta_previa_central": False,
    "suspected_placenta_accreta": False,
    "pulmonary_hypertension": False,
    "cyanotic_chd_unrepaired": False,
    "renal_disease_with_hypertension": False,
    "heart_disease": False,
    "kidney_disease": False,
    "threatened_preterm_labour": False,
    "mitral_stenosis": False,
    "aortic_stenosis": False,
    "aortic_disease": False,
    "coagulation_disorder": False,
    "autoimmune_disease": False,
}


def test_a_fully_examined_healthy_woman_is_green_and_complete(catalogue):
    assert set(HEALTHY) == set(DATA["fields"]) - {"postpartum_days"}
    result = grade(catalogue, [], HEALTHY)
    assert result.color == "green" and result.purple is False
    assert result.triggered == [] and result.screening_triggered == [] and result.proposed == []
    assert result.unknown == [] and result.complete is True


def test_one_abnormal_value_in_a_full_set_changes_only_what_it_should(catalogue):
    result = grade(catalogue, [], {**HEALTHY, "plt_10e9_l": 40})
    assert result.color == "orange" and result.complete is True
    assert codes(result.triggered) == {"O-HEME-THROMBOCYTOPENIA"}
    assert codes(result.screening_triggered) == {"S-LAB-PLT100"}


def test_colour_rank_matches_the_data_file():
    ranks = {c["id"]: c["rank"] for c in DATA["colours"]}
    assert {k: v for k, v in ranks.items() if v is not None} == COLOR_RANK
    assert ranks["purple"] is None
