"""Results of ``make bench``: the machine description, the Markdown table, the files under bench/results/."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from pathlib import Path

from bench.load.targets import Check

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results"


def machine() -> dict:
    """CPU model, cores, RAM, load average, git commit of this checkout (PostgreSQL: ``postgres``, once the
    bench database exists)."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    info = {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gb": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "git_commit": _git("rev-parse", "HEAD"),
        "git_dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    return info


def postgres(dsn: str) -> dict:
    """Server version and the settings that matter to the figures, read through ``dsn``.

    Called once the bench database exists: on a fresh machine it does not before the seeder runs,
    and the first results written there said "PostgreSQL unknown (OperationalError)".
    """
    try:
        import psycopg

        with psycopg.connect(dsn, connect_timeout=5) as conn:
            return {
                "postgresql": conn.execute("SHOW server_version").fetchone()[0],
                "postgresql_settings": {
                    name: conn.execute(f"SHOW {name}").fetchone()[0]
                    for name in ("shared_buffers", "work_mem", "autovacuum", "fsync", "synchronous_commit")
                },
            }
    except Exception as exc:  # noqa: BLE001 - a description, not a requirement
        return {"postgresql": f"unknown ({exc.__class__.__name__})"}


def _git(*args: str) -> str:
    try:
        return subprocess.run(  # noqa: S603
            ["git", *args],  # noqa: S607 - git from PATH, as a developer runs it
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,  # noqa: S607
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def _cell(text: str, limit: int = 160) -> str:
    """Text fit for one Markdown table cell: one line, no pipe, at most ``limit`` characters."""
    flat = " ".join(str(text).split()).replace("|", "/")
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _rate(value: float) -> str:
    """Requests per second: whole numbers, one decimal below 10 (a 0.5 req/s run must not read as 0)."""
    return f"{value:.1f}" if value < 10 else f"{value:,.0f}"


def _ms(value) -> str:
    return "–" if value is None else f"{value:.1f}"


def endpoint_rows(endpoints: dict[str, dict]) -> list[str]:
    head = [
        "| endpoint | req/s | p50 ms | p95 ms | p99 ms | errors | queries/request | wrk CPU % of busy "
        "| CPU busy % · gunicorn / PostgreSQL / steal / rest % "
        "| minimal view req/s · p95 ms | p95 ÷ minimal | plain SQL p50 · p95 ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    rows = []
    for name, r in endpoints.items():
        if r.get("failed"):
            rows.append(f"| {name} | failed: {_cell(r['failed'])} | | | | | | | | | | |")
            continue
        minimal = r.get("minimal")
        plain = r.get("plain_sql")
        mini = f"{_rate(minimal['rps'])} · {_ms(minimal['p95_ms'])}" if minimal else "–"
        ratio = f"{r['p95_ms'] / minimal['p95_ms']:.1f}×" if minimal and minimal.get("p95_ms") else "–"
        sql = f"{plain['p50_ms']:.2f} · {plain['p95_ms']:.2f}" if plain else "–"
        queries = r.get("queries")
        rows.append(
            f"| {name} | {_rate(r['rps'])} | {_ms(r['p50_ms'])} | {_ms(r['p95_ms'])} | {_ms(r['p99_ms'])} "
            f"| {r['error_count']} | {queries if queries is not None else '–'} "
            f"| {r['cpu']['wrk_pct_of_busy']:.0f} | {cpu_split(r['cpu'])} | {mini} | {ratio} | {sql} |"
        )
    return head + rows


def cpu_split(cpu: dict) -> str:
    """``93 · 47 / 40 / 3 / 9``: the machine's busy share of its capacity, then who used it (runs before
    the split was recorded show the busy share only)."""
    if "database_pct_of_busy" not in cpu:
        return f"{cpu['machine_busy_pct']:.0f}"
    shares = [cpu["server_pct_of_busy"], cpu["database_pct_of_busy"], cpu["steal_pct_of_busy"]]
    rest = max(0.0, 100 - sum(shares) - cpu["wrk_pct_of_busy"])
    return f"{cpu['machine_busy_pct']:.0f} · " + " / ".join(f"{v:.0f}" for v in [*shares, rest])


def check_rows(checks: list[Check]) -> list[str]:
    rows = ["| endpoint | check | target | measured | |", "|---|---|---|---|---|"]
    for c in checks:
        rows.append(
            f"| {c.endpoint} | {c.what} | {c.target} | {_cell(c.measured)} "
            f"| {'met' if c.met else '**not met**'} |"
        )
    return rows


def micro_rows(micro: dict) -> list[str]:
    if not micro:
        return []
    rows = ["", "## Micro-benchmarks", ""]
    for name, value in micro.items():
        if isinstance(value, dict) and value.get("failed"):
            rows.append(f"- **{name}**: failed: {_cell(value['failed'], 300)}")
        elif isinstance(value, dict) and value.get("summary"):
            rows.append(f"- **{name}**: {value['summary']}")
        else:
            rows.append(f"- **{name}**: `{json.dumps(value)[:300]}`")
    return rows


def render_markdown(results: dict) -> str:
    m = results["machine"]
    pg_settings = ", ".join(f"{k} {v}" for k, v in m.get("postgresql_settings", {}).items())
    run = results["run"]
    lines = [
        f"# make bench — {results['started_at']}",
        "",
        f"- machine: {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM, "
        f"PostgreSQL {m.get('postgresql', '?')}, "
        f"Python {m['python']}, kernel {m['kernel']}",
        f"- code: commit `{m['git_commit'][:12]}`{' (with uncommitted changes)' if m['git_dirty'] else ''}",
        f"- load average before {' / '.join(map(str, m['load_average']))}, after "
        f"{' / '.join(map(str, results.get('load_average_after', [])))}",
        f"- PostgreSQL settings: {pg_settings}",
        f"- data: {run['database']} — {run['pregnancies']:,} pregnancies ({run.get('seed', '')}; "
        f"{run.get('vacuum', '')})",
        f"- server: gunicorn {run['gunicorn_workers']} sync workers, `{run['settings']}` (DEBUG off, "
        f"CONN_MAX_AGE {run['conn_max_age']} s), a Celery worker, private Redis; "
        f"load: wrk {run['threads']} threads, {run['connections']} connections, "
        f"{run['duration']} s per endpoint after {run['warmup']} s warm-up, "
        "on the same cores",
        f"- users: {run['users']}",
        "",
        "## Endpoints",
        "",
        *endpoint_rows(results["endpoints"]),
        "",
        "Queries per request: counted once in process (Django test client, same database) after a warm-up "
        "request. Minimal view: the same read statements replayed by a bare Django view through a cursor "
        "that prepares them as the application's own are, rows returned with `json.dumps`, under the same "
        "gunicorn in the same run. Plain SQL: the same statements one after another through psycopg, "
        "prepared, one client. wrk CPU: wrk's own CPU time as a share "
        "of all the machine's busy CPU time during the run. CPU split: how busy the two cores were, then "
        "the gunicorn workers', all PostgreSQL processes' and the hypervisor's (steal) shares of that, and "
        "the rest (Redis, the Celery worker, the kernel, other services; wrk is its own column).",
        "",
        "## Targets (issue #9)",
        "",
        *check_rows(results["checks"]),
        *micro_rows(results.get("micro", {})),
        "",
    ]
    if results.get("notes"):
        lines += ["## Notes", "", *[f"- {n}" for n in results["notes"]], ""]
    return "\n".join(lines)


def write_results(results: dict, folder: Path = RESULTS) -> tuple[Path, Path]:
    """``<timestamp>.json`` and ``<timestamp>.md`` under ``folder``, and ``latest.md`` (a copy)."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = results["started_at"].replace(":", "").replace("-", "")[:15]
    data = dict(results, checks=[c.__dict__ for c in results["checks"]])
    json_path = folder / f"{stamp}.json"
    md_path = folder / f"{stamp}.md"
    json_path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    markdown = render_markdown(results)
    md_path.write_text(markdown, encoding="utf-8")
    (folder / "latest.md").write_text(markdown, encoding="utf-8")
    return json_path, md_path
