"""Comparison with issue #9's targets and the results files (Markdown table, JSON, latest.md)."""

import json

import pytest

from bench.load import report, targets


def figures(rps, p95, p99=None, errors=0, **extra):
    return {
        "rps": rps,
        "p50_ms": p95 / 2,
        "p95_ms": p95,
        "p99_ms": p99 if p99 is not None else p95 * 1.5,
        "error_count": errors,
        "cpu": {"wrk_pct_of_busy": 12.0, "machine_busy_pct": 91.6},
        **extra,
    }


def by_what(checks):
    return {(c.endpoint, c.what): c.met for c in checks}


def test_the_worklist_api_is_checked_on_rate_p95_minimal_ratio_and_tail():
    checks = targets.check_endpoint("worklist_api", figures(450, 20, 50), minimal=figures(1500, 6))
    assert by_what(checks) == {
        ("worklist_api", "throughput"): True,
        ("worklist_api", "p95"): True,
        ("worklist_api", "p95 vs minimal view"): False,  # 20 / 6 = 3.3×
        ("worklist_api", "p99 / p95"): True,
    }
    assert [c.measured for c in checks] == ["450 req/s", "20.0 ms", "3.3×", "2.5×"]


@pytest.mark.parametrize(
    ("name", "result", "failing"),
    [
        ("case_page", figures(499, 19), {"throughput"}),
        ("case_page", figures(800, 20.5), {"p95"}),
        ("dashboard_summary", figures(1000, 10), set()),
        ("visit_entry", figures(300, 30, p99=91), {"p99 / p95"}),
        ("mixed", figures(900, 40, errors=1), {"errors"}),
    ],
)
def test_each_target_is_met_only_within_its_bound(name, result, failing):
    checks = targets.check_endpoint(name, result)
    assert {c.what for c in checks if not c.met} == failing


def test_a_missing_minimal_measurement_is_not_a_pass():
    checks = targets.check_endpoint("worklist_api", figures(500, 10))
    assert by_what(checks)[("worklist_api", "p95 vs minimal view")] is False


def test_endpoints_without_targets_still_get_the_tail_check():
    assert [c.what for c in targets.check_endpoint("consult_board", figures(50, 100))] == ["p99 / p95"]


def test_a_failed_run_of_a_target_endpoint_is_reported_not_met():
    checks = targets.check_all({"case_page": {"failed": "gunicorn died"}, "consult_board": {"failed": "x"}})
    assert [(c.endpoint, c.what, c.met) for c in checks] == [("case_page", "run", False)]


def sample_results():
    endpoints = {
        "worklist_api": figures(
            320.4,
            31.2,
            60.0,
            queries=7,
            minimal=figures(1400, 8.0),
            plain_sql={"p50_ms": 0.61, "p95_ms": 0.93},
        )
        | {
            "cpu": {
                "machine_busy_pct": 97.2,
                "wrk_pct_of_busy": 2.0,
                "server_pct_of_busy": 48.0,
                "database_pct_of_busy": 41.4,
                "steal_pct_of_busy": 3.0,
            }
        },
        "consult_board": figures(88, 70, queries=9),
        "visit_entry": {"failed": "POST answered 409\nconflict | detail"},
    }
    return {
        "started_at": "2026-11-26T05:00:00Z",
        "machine": {
            "cpu": "Test CPU",
            "cores": 2,
            "ram_gb": 8.0,
            "kernel": "6.1",
            "python": "3.11.7",
            "git_commit": "0123456789abcdef",
            "git_dirty": True,
            "load_average": [1.0, 0.5, 0.2],
            "postgresql": "15.20",
        },
        "load_average_after": [2.0, 1.0, 0.4],
        "run": {
            "database": "ms_bench",
            "pregnancies": 1_000_000,
            "seed": "seed reused",
            "settings": "s.bench",
            "gunicorn_workers": 2,
            "conn_max_age": 60,
            "connections": 8,
            "threads": 2,
            "duration": 20,
            "warmup": 5,
            "users": {"clinician": "obstetrician"},
        },
        "endpoints": endpoints,
        "checks": targets.check_all(endpoints),
        "micro": {"grading": {"summary": "31,000 assessments/s"}, "followup": {"failed": "exit 1: boom"}},
        "notes": ["case pages rotate over 200 pregnancies"],
    }


def test_the_markdown_shows_figures_ratios_and_verdicts():
    markdown = report.render_markdown(sample_results())

    assert (
        "| worklist_api | 320 | 15.6 | 31.2 | 60.0 | 0 | 7 | 2 | 97 · 48 / 41 / 3 / 6 | 1,400 · 8.0 | 3.9× "
        "| 0.61 · 0.93 |" in markdown
    )
    # a run without the split (older results) shows how busy the machine was
    assert "| consult_board | 88 | 35.0 | 70.0 | 105.0 | 0 | 9 | 12 | 92 | – | – | – |" in markdown
    # a failure stays on one table row
    assert "| visit_entry | failed: POST answered 409 conflict / detail |" in markdown
    assert "| worklist_api | throughput | ≥ 400 req/s | 320 req/s | **not met** |" in markdown
    assert "| worklist_api | p99 / p95 | ≤ 3× | 1.9× | met |" in markdown
    assert "| visit_entry | run | completes | POST answered 409 conflict / detail | **not met** |" in markdown
    assert "Test CPU, 2 cores, 8.0 GB RAM, PostgreSQL 15.20" in markdown
    assert "`0123456789ab` (with uncommitted changes)" in markdown
    assert "- **grading**: 31,000 assessments/s" in markdown
    assert "- **followup**: failed: exit 1: boom" in markdown


def test_results_are_written_as_json_markdown_and_latest(tmp_path):
    results = sample_results()

    json_path, md_path = report.write_results(results, tmp_path)

    assert json_path.name == "20261126T050000.json"
    assert md_path.name == "20261126T050000.md"
    data = json.loads(json_path.read_text())
    assert data["endpoints"]["worklist_api"]["rps"] == 320.4
    assert {
        "endpoint": "worklist_api",
        "what": "p95",
        "target": "≤ 25 ms",
        "measured": "31.2 ms",
        "met": False,
    } in data["checks"]
    assert (tmp_path / "latest.md").read_text() == md_path.read_text()


def test_the_machine_description_names_cpu_cores_memory_and_commit():
    info = report.machine()
    assert info["cores"] >= 1
    assert info["ram_gb"] > 0
    assert info["cpu"] != "unknown"
    assert len(info["git_commit"]) == 40


def test_a_slow_endpoint_keeps_a_decimal_of_its_rate():
    results = sample_results()
    results["endpoints"]["consult_board"] = figures(0.5, 9000.0, 9500.0, queries=9)
    results["checks"] = targets.check_all(results["endpoints"])

    markdown = report.render_markdown(results)

    assert "| consult_board | 0.5 | 4500.0 | 9000.0 | 9500.0 |" in markdown
    assert [c.measured for c in targets.check_endpoint("case_page", figures(0.5, 9000.0))][0] == "0.5 req/s"


@pytest.mark.django_db
def test_the_postgresql_description_reads_version_and_settings_of_a_database_that_exists():
    from django.db import connection

    db = connection.settings_dict
    dsn = f"postgresql://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"

    info = report.postgres(dsn)

    assert info["postgresql"][:2].isdigit()
    assert set(info["postgresql_settings"]) == {
        "shared_buffers",
        "work_mem",
        "autovacuum",
        "fsync",
        "synchronous_commit",
    }


def test_the_postgresql_description_of_a_missing_database_says_unknown_and_why():
    info = report.postgres("postgresql://postgres@127.0.0.1:5432/ms_no_such_database_for_bench")

    assert info == {"postgresql": "unknown (OperationalError)"}
