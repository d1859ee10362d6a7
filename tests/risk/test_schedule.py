import datetime as dt

import pytest

from risk.schedule import national_next_due, next_visit_due

EDD = dt.date(2027, 3, 1)
DAY0 = EDD - dt.timedelta(days=280)  # GA 0+0
INTERVALS = {"yellow": 28, "orange": 14, "red": 7}


def at(weeks, days=0):
    return DAY0 + dt.timedelta(weeks=weeks, days=days)


@pytest.mark.parametrize(
    ("last", "due"),
    [
        (None, at(6)),
        (at(8), at(14)),
        (at(13, 6), at(14)),
        (at(15), at(20)),
        (at(22), at(25)),
        (at(27), at(29)),
        (at(30), at(33)),
        (at(34), at(37)),
        (at(36, 2), at(36, 2) + dt.timedelta(days=7)),
        (at(38), at(38) + dt.timedelta(days=7)),
    ],
)
def test_national_schedule_windows(last, due):
    assert national_next_due(edd=EDD, last_visit=last) == due


def test_colour_interval_counts_from_the_last_visit():
    assert next_visit_due(edd=EDD, last_visit=at(20), color="red", interval_days=INTERVALS) == at(21)
    assert next_visit_due(edd=EDD, last_visit=at(20), color="orange", interval_days=INTERVALS) == at(22)
    assert next_visit_due(edd=EDD, last_visit=at(20), color="green", interval_days=INTERVALS) == at(25)
    assert next_visit_due(edd=EDD, last_visit=at(20), color=None, interval_days=INTERVALS) == at(25)


def test_an_earlier_clinician_date_always_wins_a_later_one_does_not():
    assert next_visit_due(
        edd=EDD, last_visit=at(20), color="orange", interval_days=INTERVALS, clinician_date=at(20, 3)
    ) == at(20, 3)
    assert next_visit_due(
        edd=EDD, last_visit=at(20), color="orange", interval_days=INTERVALS, clinician_date=at(24)
    ) == at(22)


def test_nothing_known_gives_nothing():
    assert next_visit_due(edd=None, last_visit=None, color=None, interval_days=INTERVALS) is None
