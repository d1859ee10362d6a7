"""The pure parts of the wrk runner: the generated Lua, the result line, the weighted mix, CPU figures."""

import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from bench.load import wrkrun
from bench.load.wrkrun import Request

DONE_LINE = wrkrun.MARKER + json.dumps(
    {
        "requests": 8421,
        "duration_us": 20_013_000,
        "bytes": 9_000_000,
        "errors": {"connect": 0, "read": 1, "write": 0, "status": 3, "timeout": 2},
        "latency_us": {
            "min": 900,
            "mean": 9400.5,
            "max": 88_000,
            "stdev": 3000.2,
            "p50": 8100,
            "p90": 14_000,
            "p95": 17_250,
            "p99": 31_000,
            "p999": 60_000,
        },
    }
)


def lua_unquote(literal: str) -> str:
    """Decode the double-quoted literals _lua_string writes (printable ASCII and \\ddd escapes)."""
    assert literal.startswith('"') and literal.endswith('"')
    body = literal[1:-1]
    assert re.fullmatch(r"(?:[ !#-\[\]-~]|\\\d{3})*", body), body
    raw = re.sub(rb"\\(\d{3})", lambda m: bytes([int(m[1])]), body.encode("ascii"))
    return raw.decode("utf-8")


@pytest.mark.parametrize("text", ["/cases/pregnancies/1/", 'a "quoted" \\ back', "line\nbreak]]", "孕产妇 ✓"])
def test_lua_strings_carry_any_text_unchanged(text):
    assert lua_unquote(wrkrun._lua_string(text)) == text


def test_the_script_holds_every_request_with_headers_and_body():
    requests = [
        Request("/api/v1/pregnancies/", headers={"Authorization": "Token abc"}),
        Request(
            "/api/v1/pregnancies/x/visits/", "POST", {"Content-Type": "application/json"}, '{"sbp_mmhg": 118}'
        ),
    ]
    script = wrkrun.lua_script(requests)

    specs = re.findall(r"^  \{(\".*)\},$", script, re.MULTILINE)
    assert len(specs) == 2
    literals = [
        lua_unquote(s) for s in re.findall(r'"(?:[^"\\]|\\\d{3})*"', script.split("local formatted")[0])
    ]
    assert literals == [
        "GET",
        "/api/v1/pregnancies/",
        "Authorization",
        "Token abc",
        "POST",
        "/api/v1/pregnancies/x/visits/",
        "Content-Type",
        "application/json",
        '{"sbp_mmhg": 118}',
    ]
    assert ", nil}," in specs[0] + "},"  # a GET has no body
    assert "function done(summary, latency, requests)" in script
    assert wrkrun.MARKER.strip() in script


def test_a_script_needs_a_request():
    with pytest.raises(ValueError):
        wrkrun.lua_script([])


def test_the_result_line_becomes_milliseconds_rate_and_errors():
    stdout = "Running 20s test @ http://127.0.0.1:8000\n  2 threads and 8 connections\n" + DONE_LINE + "\n"

    result = wrkrun.parse_output(stdout)

    assert result["requests"] == 8421
    assert result["rps"] == round(8421 / 20.013, 1)
    assert (result["p50_ms"], result["p95_ms"], result["p99_ms"], result["max_ms"]) == (
        8.1,
        17.25,
        31.0,
        88.0,
    )
    assert result["errors"] == {"connect": 0, "read": 1, "write": 0, "status": 3, "timeout": 2}
    assert result["error_count"] == 6


def test_output_without_a_result_line_fails_with_the_output():
    with pytest.raises(ValueError, match="rotate.lua:6: syntax error"):
        wrkrun.parse_output("/tmp/x/rotate.lua:6: syntax error\nRequests/sec: 700\n")


def test_the_mix_follows_the_weights_evenly_and_cycles_each_group():
    reads = [Request(f"/r/{n}/") for n in range(3)]
    writes = [Request("/w/", "POST", body="{}")]
    mix = wrkrun.weighted_rotation(
        {"reads": (3, reads), "writes": (1, writes), "off": (0, reads)}, length=400
    )

    counts = Counter("w" if r.method == "POST" else "r" for r in mix)
    assert counts == {"r": 300, "w": 100}
    # spread evenly: never more than three reads in a row
    assert "rrrr" not in "".join("w" if r.method == "POST" else "r" for r in mix)
    assert Counter(r.path for r in mix if r.method == "GET") == {"/r/0/": 100, "/r/1/": 100, "/r/2/": 100}


def test_the_default_mix_length_shows_every_request_of_every_group():
    cases = [Request(f"/c/{n}/") for n in range(50)]
    mix = wrkrun.weighted_rotation({"cases": (1, cases), "dash": (4, [Request("/d/")])})
    assert {r.path for r in mix} == {f"/c/{n}/" for n in range(50)} | {"/d/"}


def test_a_mix_needs_a_weighted_group():
    with pytest.raises(ValueError):
        wrkrun.weighted_rotation({"x": (0, [Request("/")]), "y": (2, [])})


def test_cpu_shares_are_of_the_machines_busy_time():
    cpu = wrkrun.cpu_summary(
        wall=20.0, wrk=2.0, server=18.0, busy=36.0, capacity=40.0, database=12.0, redis=0.5, steal=1.5
    )
    assert cpu == {
        "wall_s": 20.0,
        "machine_busy_pct": 90.0,
        "wrk_s": 2.0,
        "wrk_pct_of_busy": 5.6,
        "server_s": 18.0,
        "server_pct_of_busy": 50.0,
        "database_s": 12.0,
        "database_pct_of_busy": 33.3,
        "redis_s": 0.5,
        "steal_s": 1.5,
        "steal_pct_of_busy": 4.2,
        "other_s": 2.0,  # 36 - 2 - 18 - 12 - 0.5 - 1.5
    }
    assert wrkrun.cpu_summary(wall=1, wrk=0, server=0, busy=0, capacity=0)["wrk_pct_of_busy"] == 0.0


def test_database_cpu_counts_the_processes_started_during_the_run():
    before = {1: ("postgres", 10.0), 2: ("postgres", 5.0), 3: ("redis-server", 1.0), 9: ("postgres", 4.0)}
    # 4 started during the run: all of its CPU counts. 9 ended after using 0.5 s more: reaped, its 4.5 s
    # went into its parent's children time (1, the postmaster: 10 + 4.5), of which 4 were before the run
    after = {1: ("postgres", 14.5), 2: ("postgres", 5.5), 3: ("redis-server", 1.25), 4: ("postgres", 0.75)}
    assert wrkrun._by_command(before, after) == {"postgres": 0.5 + 0.5 + 0.75, "redis-server": 0.25}


def test_an_exited_childs_cpu_is_read_in_its_parent():
    stat = Path(f"/proc/{os.getpid()}/stat").read_text()
    own = stat[stat.index("(") + 1 : stat.rindex(")")]
    before = wrkrun.cpu_by_command((own,))[os.getpid()][1]
    # a child that burns CPU and is reaped: only the parent's children time can still show it
    subprocess.run([sys.executable, "-c", "sum(i * i for i in range(3_000_000))"], check=True)  # noqa: S603
    after = wrkrun.cpu_by_command((own,))[os.getpid()][1]
    assert after - before >= 0.05


def test_processes_are_found_by_their_command_name():
    stat = Path(f"/proc/{os.getpid()}/stat").read_text()
    own = stat[stat.index("(") + 1 : stat.rindex(")")]
    found = wrkrun.cpu_by_command((own,))
    assert found[os.getpid()][0] == own
    assert found[os.getpid()][1] > 0
    assert os.getpid() not in wrkrun.cpu_by_command(("no-such-command",))
    assert wrkrun.steal_seconds() >= 0


def test_cpu_time_of_a_process_and_its_children_are_read_from_proc():
    busy, total = wrkrun.machine_cpu_seconds()
    assert 0 < busy <= total
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])  # noqa: S603
    try:
        assert child.pid in wrkrun.children_of(os.getpid())
        assert wrkrun.process_cpu_seconds(child.pid) >= 0
        assert wrkrun.process_cpu_seconds(os.getpid()) > 0
    finally:
        child.kill()
        child.wait()
