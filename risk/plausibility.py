"""Physically impossible grading measurements, refused before the engine sees them.

The catalogue's ``fields`` give a type and, for a few, a range; most numbers have none, so without this
check a PASP of -55 mmHg graded green and one of 1e308 graded red. The limits below are generous
(impossible, not merely unusual: the visit form asks to confirm unusual values) and apply only to what a
caller sends, never to values taken from the record. Vital signs share the visit form's limits.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from cases.services.encounters import MEASUREMENT_RANGES

# field: (lowest possible, highest possible)
LIMITS: dict[str, tuple[float, float]] = {
    "age_years": (8, 70),
    "bmi_kg_m2": (10, 90),
    "interpregnancy_interval_months": (0, 600),
    "abortion_count": (0, 40),
    "prior_uterine_surgery_count": (0, 20),
    "months_since_last_uterine_surgery": (0, 600),
    "pelvic_mass_max_cm": (0, 60),
    "fetal_count": (1, 8),
    "ga_weeks": (0, 46),
    "postpartum_days": (0, 400),
    "plt_10e9_l": (0, 2000),
    "ferritin_ug_l": (0, 100_000),
    "fpg_mmol_l": (0.5, 60),
    "lvef_pct": (1, 95),
    "pasp_mmhg": (5, 200),
    "mitral_valve_area_cm2": (0.1, 10),
    "aortic_valve_gradient_mmhg": (0, 250),
    "aortic_diameter_mm": (5, 120),
    "serum_creatinine_x_uln": (0, 60),
    "urine_output_ml_24h": (0, 20_000),
    "bmr_pct": (-100, 300),  # relative to normal: -20 % is a real value
    "prednisone_mg_day": (0, 2000),
    "steroid_months": (0, 600),
    "efw_g": (0, 7000),
    "afi_cm": (0, 60),
    "dvp_cm": (0, 30),
    "total_bile_acid_umol_l": (0, 1000),
    **{
        name: (float(low), float(high))
        for name, (low, high, *_unusual) in MEASUREMENT_RANGES.items()
        if name in {"sbp_mmhg", "dbp_mmhg", "spo2_pct", "height_cm", "hb_g_l"}
    },
}


def implausible_measurements(measurements: Any) -> dict[str, list[str]]:
    """Field errors for numbers outside ``LIMITS``. Anything that is not a finite number is left to the
    engine's type check, which names it precisely."""
    if not isinstance(measurements, dict):
        return {}
    errors: dict[str, list[str]] = {}
    for name, value in measurements.items():
        limits = LIMITS.get(name)
        if limits is None or isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            continue
        if isinstance(value, float) and not math.isfinite(value):
            continue
        low, high = limits
        if not low <= value <= high:
            errors[name] = [
                _("%(value)s is impossible here (%(min)s–%(max)s).")
                % {"value": value, "min": f"{low:g}", "max": f"{high:g}"}
            ]
    return errors
