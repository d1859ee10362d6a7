import datetime as dt

import pytest

from cases.dating import (
    edd_from_art,
    edd_from_lmp,
    edd_from_ultrasound,
    gestational_age,
    redating_threshold_days,
    should_redate_to_ultrasound,
    trimester_period,
)


@pytest.mark.parametrize(
    ("lmp", "edd"),
    [
        (dt.date(2026, 1, 1), dt.date(2026, 10, 8)),
        (dt.date(2023, 5, 31), dt.date(2024, 3, 6)),  # crosses 29 February 2024
        (dt.date(2024, 2, 29), dt.date(2024, 12, 5)),  # LMP on a leap day
        (dt.date(2026, 12, 31), dt.date(2027, 10, 7)),  # year boundary
    ],
)
def test_naegele_over_month_and_leap_year_boundaries(lmp, edd):
    assert edd_from_lmp(lmp) == edd
    assert (edd - lmp).days == 280


def test_cycle_length_shifts_the_edd():
    assert edd_from_lmp(dt.date(2026, 1, 1), cycle_length=35) == dt.date(2026, 10, 15)
    assert edd_from_lmp(dt.date(2026, 1, 1), cycle_length=25) == dt.date(2026, 10, 5)


def test_art_edd_for_day3_and_day5_embryos():
    transfer = dt.date(2026, 3, 1)
    assert edd_from_art(transfer, 3) == transfer + dt.timedelta(days=263)
    assert edd_from_art(transfer, 5) == transfer + dt.timedelta(days=261)


def test_ultrasound_edd():
    assert edd_from_ultrasound(dt.date(2026, 3, 1), 8 * 7) == dt.date(2026, 3, 1) + dt.timedelta(days=224)


def test_gestational_age_across_leap_day():
    edd = dt.date(2024, 3, 6)  # LMP 2023-05-31
    assert str(gestational_age(edd, dt.date(2024, 2, 28))) == "39+0"
    assert str(gestational_age(edd, dt.date(2024, 2, 29))) == "39+1"
    assert str(gestational_age(edd, dt.date(2024, 3, 1))) == "39+2"
    assert gestational_age(edd, dt.date(2023, 5, 31)).as_dict() == {"weeks": 0, "days": 0}


@pytest.mark.parametrize(
    ("ga_days", "threshold"),
    [
        (8 * 7 + 6, 5),
        (9 * 7, 7),
        (15 * 7 + 6, 7),
        (16 * 7, 10),
        (21 * 7 + 6, 10),
        (22 * 7, 14),
        (27 * 7 + 6, 14),
        (28 * 7, 21),
        (40 * 7, 21),
    ],
)
def test_redating_thresholds_at_each_boundary(ga_days, threshold):
    assert redating_threshold_days(ga_days) == threshold


def test_redating_only_when_difference_exceeds_threshold():
    lmp_edd = dt.date(2026, 10, 8)
    ga = 10 * 7  # threshold 7 days
    assert not should_redate_to_ultrasound(lmp_edd, lmp_edd + dt.timedelta(days=7), ga)
    assert should_redate_to_ultrasound(lmp_edd, lmp_edd + dt.timedelta(days=8), ga)
    assert should_redate_to_ultrasound(lmp_edd, lmp_edd - dt.timedelta(days=8), ga)


def test_periods():
    from cases.dating import GestationalAge

    assert trimester_period(GestationalAge(13, 6)) == "early"
    assert trimester_period(GestationalAge(14, 0)) == "mid"
    assert trimester_period(GestationalAge(27, 6)) == "mid"
    assert trimester_period(GestationalAge(28, 0)) == "late"
