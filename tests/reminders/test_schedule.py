"""Window computation (pure): the national grid, tighter intervals for higher colours, the clinician's
date, postpartum visit and 42-day check, and the step dates by colour."""

import datetime as dt

from reminders.schedule import Facts, Rules, compute_window

EDD = dt.date(2027, 3, 1)
DAY0 = EDD - dt.timedelta(days=280)
RULES = Rules(interval_days={"yellow": 28, "orange": 14, "red": 7, "purple": 14})


def at(weeks, days=0):
    return DAY0 + dt.timedelta(weeks=weeks, days=days)


def antenatal(**kw):
    return compute_window(Facts(status="active", edd=EDD, **kw), RULES)


def test_green_follows_the_national_grid_window():
    window = antenatal(color="green", last_visit_on=at(15))
    assert (window.kind, window.source, window.due_from, window.due_by) == (
        "antenatal",
        "schedule",
        at(20),
        at(24, 6),
    )
    assert window.remind_on == at(20) - dt.timedelta(days=3)
    assert window.overdue_on == at(25)
    assert (window.trace_on, window.lost_on) == (
        at(24, 6) + dt.timedelta(days=14),
        at(24, 6) + dt.timedelta(days=42),
    )


def test_booking_counts_as_the_first_contact():
    assert antenatal(booked_on=at(10)).due_from == at(14)


def test_higher_colours_come_back_sooner_with_shorter_windows_and_thresholds():
    yellow, orange, red = (antenatal(color=c, last_visit_on=at(20)) for c in ("yellow", "orange", "red"))
    assert (yellow.due_from, orange.due_from, red.due_from) == (at(24), at(22), at(21))
    assert (orange.due_by, red.due_by) == (at(22, 3), at(21, 2))
    assert (orange.trace_on, red.trace_on) == (
        at(22, 3) + dt.timedelta(days=7),
        at(21, 2) + dt.timedelta(days=3),
    )
    assert red.lost_on == at(21, 2) + dt.timedelta(days=21)


def test_purple_is_tighter_than_her_colour_and_counts_with_it():
    window = antenatal(color="green", purple=True, last_visit_on=at(15))
    assert (window.source, window.due_from, window.due_by) == ("interval", at(17), at(17, 3))
    assert antenatal(color="red", purple=True, last_visit_on=at(20)).due_from == at(21)


def test_late_pregnancy_is_weekly_whatever_the_colour():
    assert antenatal(color="orange", last_visit_on=at(38)).due_from == at(39)
    assert antenatal(color="green", last_visit_on=at(38)).due_from == at(39)


def test_an_earlier_clinician_date_wins_and_ends_the_window_sooner():
    window = antenatal(color="green", last_visit_on=at(15), clinician_date=at(18))
    assert (window.source, window.due_from, window.due_by) == ("clinician", at(18), at(19))
    later = antenatal(color="green", last_visit_on=at(15), clinician_date=at(23))
    assert (later.source, later.due_from, later.due_by) == ("schedule", at(20), at(24))


def test_postpartum_visit_then_the_42_day_check():
    ended, discharged = dt.date(2027, 3, 2), dt.date(2027, 3, 5)
    first = compute_window(Facts(status="postpartum", ended_on=ended, discharged_on=discharged), RULES)
    assert (first.kind, first.due_from, first.due_by) == (
        "postpartum",
        dt.date(2027, 3, 8),
        dt.date(2027, 3, 12),
    )
    check = compute_window(
        Facts(status="postpartum", ended_on=ended, discharged_on=discharged, postpartum_visit_done=True),
        RULES,
    )
    assert (check.kind, check.due_from, check.due_by) == (
        "check_42d",
        dt.date(2027, 4, 13),
        dt.date(2027, 4, 20),
    )


def test_not_yet_discharged_counts_from_the_birth():
    window = compute_window(Facts(status="postpartum", ended_on=dt.date(2027, 3, 2)), RULES)
    assert window.due_from == dt.date(2027, 3, 5)


def test_nothing_known_or_not_followed_gives_no_window():
    assert compute_window(Facts(status="active"), RULES) is None
    assert compute_window(Facts(status="closed", edd=EDD), RULES) is None


def test_no_edd_falls_back_to_an_interval_from_the_last_contact():
    window = compute_window(Facts(status="active", last_visit_on=dt.date(2027, 1, 1)), RULES)
    assert (window.source, window.due_from) == ("interval", dt.date(2027, 1, 29))
