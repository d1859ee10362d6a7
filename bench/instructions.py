"""Instructions per request, counted by valgrind: a figure that does not move with a noisy machine.

    .venv/bin/python bench/instructions.py [--endpoints worklist_api case_page ...] [--requests 100]

Requests per second on a shared 2-core virtual machine move by 10-30 % between two runs of the same
code (other tenants, CPU frequency), too much to see a change of a few per cent. The number of machine
instructions the Python process executes for a request is the same from run to run of the same code
and data. For each endpoint this runs the application in process (Django test client, the bench users
and requests of ``bench/load/scenarios.py``) twice under ``valgrind --tool=callgrind``: once with the
warm-up requests only, once with ``--requests`` more; the difference divided by ``--requests`` is the
Python process's instructions per request (PostgreSQL's and Redis's work is not in it: they are other
processes). Run it on the ``make bench`` database (``DATABASE_URL``, default ``ms_bench`` on
127.0.0.1) with the code to compare checked out; each run takes about a minute per endpoint.

Around each request it does what Django's request signals do under gunicorn and the test client skips
(``close_old_connections``: the persistent connection's age and health check; since 2026-11-30).
The test client sends the session cookie with API requests too (wrk does not), and requests are made
in one process without gunicorn: compare figures of this script with each other, not with the load
test's CPU times.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ENDPOINTS = (
    "worklist_api",
    "region_list_api",
    "worklist_page",
    "case_page",
    "visit_entry",
    "consult_board",
    "bell",
)
DEFAULT = ("worklist_api", "worklist_page", "case_page", "visit_entry")
WARM_UP = 5
_COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")


def _child(endpoint: str, count: int) -> None:
    """Inside valgrind: set Django up, make the warm-up requests and then ``count`` more."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maternal_safety.settings.local")
    os.environ["DEBUG"] = "false"
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["*"]
    from django.db import close_old_connections

    from bench.load.scenarios import ROTATE, VISIT_BODIES, Actor, bench_women
    from bench.load.wrkrun import Request

    username = {"region_list_api": "sup.guangxi", "consult_board": "coordinator"}.get(
        endpoint, "obstetrician"
    )
    actor = Actor(username)
    active = []
    if endpoint in ("case_page", "visit_entry"):
        active = bench_women(actor.user)  # the load test's women
    json_post = actor.api_headers | {"Content-Type": "application/json"}

    def request(n: int) -> Request:
        if endpoint in ("worklist_api", "region_list_api"):
            return Request("/api/v1/pregnancies/", headers=actor.api_headers)
        if endpoint == "worklist_page":
            return Request("/", headers=actor.page_headers)
        if endpoint == "case_page":  # the second half, as the load test reads (the first is written to)
            return Request(f"/cases/pregnancies/{active[ROTATE + n % ROTATE]}/", headers=actor.page_headers)
        if endpoint == "visit_entry":
            body = json.dumps(VISIT_BODIES[n % len(VISIT_BODIES)])
            return Request(f"/api/v1/pregnancies/{active[n % ROTATE]}/visits/", "POST", json_post, body)
        if endpoint == "bell":
            return Request("/notifications/bell/", headers=actor.page_headers)
        return Request("/consults/board/", headers=actor.page_headers)

    for n in range(WARM_UP + count):
        # what Django's request_started and request_finished signals do around each request under
        # gunicorn (the test client leaves them out): the persistent connection's age and health check
        close_old_connections()
        response = actor.call(request(n))
        close_old_connections()
        if response.status_code not in (200, 201):
            raise SystemExit(f"{endpoint}: {response.status_code} {response.content[:200]!r}")


def _instructions(endpoint: str, count: int, env: dict) -> int:
    with tempfile.TemporaryDirectory() as folder:
        command = [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={folder}/callgrind.out",
            sys.executable,
            __file__,
            "--child",
            endpoint,
            str(count),
        ]
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    found = _COLLECTED.findall(done.stderr)
    if done.returncode != 0 or not found:
        raise SystemExit(f"{endpoint} ({count} requests) failed:\n{done.stderr[-2000:]}")
    return int(found[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--endpoints", nargs="+", choices=ENDPOINTS, default=list(DEFAULT))
    parser.add_argument(
        "--requests", type=int, default=100, help="requests counted per endpoint (default 100)"
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--child", nargs=2, metavar=("ENDPOINT", "COUNT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], int(args.child[1]))
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    env = os.environ | {
        "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ms_bench")
    }
    git = ["git", "rev-parse", "--short=12", "HEAD"]
    commit = subprocess.run(git, cwd=ROOT, capture_output=True, text=True, check=False).stdout.strip()  # noqa: S603
    figures = {}
    # One endpoint after another, never two at once: each run issues the bench user a new API token.
    for endpoint in args.endpoints:
        base = _instructions(endpoint, 0, env)
        total = _instructions(endpoint, args.requests, env)
        figures[endpoint] = round((total - base) / args.requests / 1e6, 2)
        print(f"{endpoint:16} {figures[endpoint]:8.2f} M instructions per request", flush=True)
    if args.json:
        args.json.write_text(
            json.dumps({"commit": commit, "requests": args.requests, "m_instructions": figures})
        )


if __name__ == "__main__":
    main()
