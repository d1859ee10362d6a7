"""``bench/instructions.py``: instructions per request from two valgrind runs (a fake valgrind here)."""

import json
import os
import stat
import sys

import pytest

from bench import instructions

# Prints what callgrind prints at exit: a total that grows by 3,500,000 per counted request over a
# start-up of 40,000,000, read from the last argument (the child's request count); fails on "broken".
FAKE_VALGRIND = """#!/bin/sh
for last; do :; done
case "$*" in *broken*) echo "Traceback: boom" >&2; exit 1;; esac
echo "==42== Collected : $((40000000 + last * 3500000))" >&2
"""


@pytest.fixture
def fake_valgrind(tmp_path, monkeypatch):
    program = tmp_path / "valgrind"
    program.write_text(FAKE_VALGRIND)
    program.chmod(program.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")


def test_instructions_per_request_are_the_difference_over_the_requests(fake_valgrind, tmp_path, monkeypatch):
    out = tmp_path / "figures.json"
    argv = [
        "instructions.py",
        "--endpoints",
        "case_page",
        "visit_entry",
        "--requests",
        "40",
        "--json",
        str(out),
    ]
    monkeypatch.setattr(sys, "argv", argv)
    instructions.main()
    written = json.loads(out.read_text())
    assert written["m_instructions"] == {"case_page": 3.5, "visit_entry": 3.5}
    assert written["requests"] == 40


def test_a_failed_run_stops_with_its_output(fake_valgrind, monkeypatch):
    monkeypatch.setattr(instructions, "__file__", "broken")
    with pytest.raises(SystemExit, match="boom"):
        instructions._instructions("case_page", 10, dict(os.environ))
