"""The micro-benchmarks ``make bench`` also runs: grading engine, follow-up sweep, reminders per second.

Each runs as its own process (the existing scripts in ``bench/``) and writes JSON; a failure or a run
past ``MICRO_TIMEOUT`` is recorded, never fatal to the rest of the results.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.load import log

ROOT = Path(__file__).resolve().parents[2]
MICRO = ("grading", "followup", "reminders")
MICRO_TIMEOUT = 1800  # seconds per micro-benchmark


def run_micro(which: list[str], env: dict, db_url: str, folder: Path) -> dict:
    out: dict = {}
    for name in which:
        log(f"micro-benchmark {name}…")
        path = folder / f"{name}.json"
        if name == "grading":
            cmd = [sys.executable, "bench/grading.py", "--json", str(path)]
        elif name == "followup":
            cmd = [
                sys.executable,
                "bench/followup_sweep.py",
                "--database-url",
                db_url,
                "--no-seed",
                "--rollback",
                "--days",
                "3",
                "--json",
                str(path),
            ]
        else:
            server = urlunsplit(urlsplit(db_url)._replace(path="/postgres"))
            cmd = [sys.executable, "bench/reminders.py", "--database-url", server, "--json", str(path)]
        # local settings with DEBUG off (no query log growing in memory); broker and cache stay private
        child_env = env | {"DJANGO_SETTINGS_MODULE": "maternal_safety.settings.local", "DEBUG": "false"}
        try:
            proc = subprocess.run(  # noqa: S603 - this interpreter, our bench scripts
                cmd,
                cwd=ROOT,
                env=child_env,
                capture_output=True,
                text=True,
                check=False,
                stdin=subprocess.DEVNULL,
                timeout=MICRO_TIMEOUT,
            )
        except subprocess.TimeoutExpired:
            out[name] = {"failed": f"did not finish within {MICRO_TIMEOUT} s (stopped)"}
            log(f"micro-benchmark {name} stopped after {MICRO_TIMEOUT} s")
            continue
        if proc.returncode != 0 or not path.exists():
            out[name] = {"failed": f"exit {proc.returncode}: {(proc.stderr or proc.stdout)[-600:]}"}
            log(f"micro-benchmark {name} failed: {(proc.stderr or proc.stdout)[-600:]}")
            continue
        data = json.loads(path.read_text())
        data["summary"] = micro_summary(name, data)
        out[name] = data
        log(f"{name}: {data['summary']}")
    return out


def micro_summary(name: str, data: dict) -> str:
    """One line for the results table from a micro-benchmark's JSON."""
    if name == "grading":
        mix = next(
            (r for r in data.get("results", []) if r.get("workload") == "mix" and r.get("validate")), None
        )
        if mix is None:
            return "no mix result"
        return (
            f"{mix['best_per_second']:,} assessments/s wall, {mix['best_per_cpu_second']:,}/CPU-s "
            f"(target {data.get('target_per_second', 0):,} on one core: "
            f"{'met' if mix['meets_target'] else 'not met'})"
        )
    if name == "followup":
        days = data.get("days", [])
        if not days:
            return "no sweep ran"
        later = [d["seconds"] for d in days[1:]] or [days[0]["seconds"]]
        return (
            f"{data.get('pregnancies', 0):,} pregnancies, {data.get('open_windows', 0):,} open windows; "
            f"first sweep {days[0]['seconds']:.2f} s ({days[0]['statements']} statements), "
            f"later days {min(later):.2f}–{max(later):.2f} s; idle re-run {data.get('idle_seconds', 0):.3f} s"
        )
    runs = data.get("results", [])
    return "; ".join(
        f"{r['mode']} {r['per_second']:,} reminders/s ({'complete' if r['ok'] else 'INCOMPLETE'})"
        for r in runs
    )
