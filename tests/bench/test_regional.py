"""The harness's options and how it summarises the micro-benchmarks' JSON."""

import pytest

from bench import regional
from bench.load import micro


def test_defaults_measure_every_endpoint_and_micro_benchmark_at_a_million():
    args = regional.parse_args([])
    assert args.scale == 1_000_000
    assert args.duration == 20
    # referral transitions too: what a run leaves open is closed after it
    assert args.endpoints == [*regional.ENDPOINTS, "mixed"]
    assert "referral_transition" in args.endpoints
    assert args.micro_list == ["grading", "followup", "reminders"]


def test_only_and_skip_micro_narrow_the_run():
    args = regional.parse_args(["--only", "case_page, mixed", "--skip-micro", "--scale", "20000"])
    assert args.endpoints == ["case_page", "mixed"]
    assert args.micro_list == []
    assert args.scale == 20_000


@pytest.mark.parametrize("argv", [["--only", "case_page,nope"], ["--micro", "grading,fast"]])
def test_unknown_names_are_refused(argv, capsys):
    with pytest.raises(SystemExit):
        regional.parse_args(argv)
    assert "error:" in capsys.readouterr().err


def test_micro_summaries_name_the_figures_that_matter():
    grading = {
        "target_per_second": 20_000,
        "results": [
            {
                "workload": "mix",
                "validate": False,
                "best_per_second": 1,
                "best_per_cpu_second": 1,
                "meets_target": False,
            },
            {
                "workload": "mix",
                "validate": True,
                "best_per_second": 31_250,
                "best_per_cpu_second": 33_000,
                "meets_target": True,
            },
        ],
    }
    followup = {
        "pregnancies": 1_000_000,
        "open_windows": 899_891,
        "days": [
            {"seconds": 9.5, "statements": 58},
            {"seconds": 8.9, "statements": 40},
            {"seconds": 10.2, "statements": 41},
        ],
        "idle_seconds": 0.33,
    }
    reminders = {
        "results": [
            {"mode": "sweep", "per_second": 362, "ok": True},
            {"mode": "tasks", "per_second": 99, "ok": False},
        ]
    }

    assert micro.micro_summary("grading", grading) == (
        "31,250 assessments/s wall, 33,000/CPU-s (target 20,000 on one core: met)"
    )
    assert micro.micro_summary("followup", followup) == (
        "1,000,000 pregnancies, 899,891 open windows; first sweep 9.50 s (58 statements), "
        "later days 8.90–10.20 s; idle re-run 0.330 s"
    )
    assert micro.micro_summary("reminders", reminders) == (
        "sweep 362 reminders/s (complete); tasks 99 reminders/s (INCOMPLETE)"
    )


@pytest.mark.django_db(transaction=True)
def test_a_never_vacuumed_database_is_vacuumed_before_the_run_and_again_only_without_autovacuum():
    from django.db import connection

    from tests.notifications.processes import database_url

    url = database_url(connection.settings_dict)

    assert regional.settle_database(url, skip=True).startswith("not vacuumed here")
    regional.settle_database(url, skip=False)  # vacuums unless an earlier run of this test did
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_vacuum FROM pg_stat_user_tables WHERE relname = 'cases_pregnancy'")
        assert cursor.fetchone()[0] is not None
        cursor.execute("SHOW autovacuum")
        autovacuum = cursor.fetchone()[0]
    again = regional.settle_database(url, skip=False)
    # Once vacuumed, autovacuum keeps it so; without autovacuum every run vacuums what earlier runs left.
    assert again.startswith("VACUUM (ANALYZE)" if autovacuum == "off" else "not vacuumed here"), again
