"""Dating a pregnancy (DOMAIN.md §4). Pure functions, no database.

EDD from LMP (Naegele, adjusted for cycle length), from an ART transfer, or from an ultrasound scan;
gestational age on any date; the ACOG 2017 thresholds for redating to ultrasound.
"""

import datetime as dt
from dataclasses import dataclass

TERM_DAYS = 280


@dataclass(frozen=True)
class GestationalAge:
    weeks: int
    days: int

    @property
    def total_days(self) -> int:
        return self.weeks * 7 + self.days

    def __str__(self) -> str:
        return f"{self.weeks}+{self.days}"

    def as_dict(self) -> dict:
        return {"weeks": self.weeks, "days": self.days}


def edd_from_lmp(lmp: dt.date, cycle_length: int = 28) -> dt.date:
    return lmp + dt.timedelta(days=TERM_DAYS + (cycle_length - 28))


def edd_from_art(transfer_date: dt.date, embryo_age_days: int) -> dt.date:
    """Day-3 embryo: transfer + 263; day-5 blastocyst: transfer + 261."""
    return transfer_date + dt.timedelta(days=266 - embryo_age_days)


def edd_from_ultrasound(scan_date: dt.date, ga_days_at_scan: int) -> dt.date:
    return scan_date + dt.timedelta(days=TERM_DAYS - ga_days_at_scan)


def gestational_age(edd: dt.date, on: dt.date) -> GestationalAge:
    days = TERM_DAYS - (edd - on).days
    return GestationalAge(days // 7, days % 7)


def redating_threshold_days(ga_days_at_scan: int) -> int:
    """How far the ultrasound may differ from the LMP dating before the EDD follows the ultrasound."""
    if ga_days_at_scan < 9 * 7:
        return 5
    if ga_days_at_scan < 16 * 7:
        return 7
    if ga_days_at_scan < 22 * 7:
        return 10
    if ga_days_at_scan < 28 * 7:
        return 14
    return 21


def should_redate_to_ultrasound(lmp_edd: dt.date, ultrasound_edd: dt.date, ga_days_at_scan: int) -> bool:
    """True when the difference is *more than* the threshold for the GA at the scan (by ultrasound)."""
    return abs((lmp_edd - ultrasound_edd).days) > redating_threshold_days(ga_days_at_scan)


def trimester_period(ga: GestationalAge) -> str:
    """China: early to 13+6, mid 14+0–27+6, late from 28+0."""
    if ga.total_days < 14 * 7:
        return "early"
    if ga.total_days < 28 * 7:
        return "mid"
    return "late"
