"""The targets of issue #9 and the comparison of measured figures with them (met / not met)."""

from __future__ import annotations

from dataclasses import dataclass

# p99 may be at most this many times p95 on every endpoint (a tail that is not runaway).
TAIL_FACTOR = 3.0


@dataclass(frozen=True)
class Target:
    min_rps: float | None = None
    max_p95_ms: float | None = None
    # p95 within this many times the p95 of the minimal view that runs the same SQL
    max_p95_vs_minimal: float | None = None
    zero_errors: bool = False


TARGETS: dict[str, Target] = {
    "worklist_api": Target(min_rps=400, max_p95_ms=25, max_p95_vs_minimal=3),
    # the same list API for a supervisor of a whole region (no minimal view of its own in the run)
    "region_list_api": Target(min_rps=400, max_p95_ms=25),
    "case_page": Target(min_rps=500, max_p95_ms=20),
    "dashboard_summary": Target(min_rps=1000, max_p95_ms=10),
    "visit_entry": Target(min_rps=300, max_p95_ms=30),
    "mixed": Target(min_rps=400, zero_errors=True),
    # no rate is asked of the referral steps; every one of them must succeed (a 409 would be a step
    # sent twice: the prepared referrals ran out)
    "referral_transition": Target(zero_errors=True),
}


@dataclass(frozen=True)
class Check:
    endpoint: str
    what: str
    target: str
    measured: str
    met: bool


def check_endpoint(name: str, result: dict, minimal: dict | None = None) -> list[Check]:
    """Every check that applies to ``name`` given its wrk figures (and its minimal view's, if any)."""
    target = TARGETS.get(name, Target())
    checks = []
    if target.min_rps is not None:
        checks.append(
            Check(
                name,
                "throughput",
                f"≥ {target.min_rps:,.0f} req/s",
                f"{result['rps']:,.1f} req/s" if result["rps"] < 10 else f"{result['rps']:,.0f} req/s",
                result["rps"] >= target.min_rps,
            )
        )
    if target.max_p95_ms is not None:
        checks.append(
            Check(
                name,
                "p95",
                f"≤ {target.max_p95_ms:g} ms",
                f"{result['p95_ms']:.1f} ms",
                result["p95_ms"] <= target.max_p95_ms,
            )
        )
    if target.max_p95_vs_minimal is not None:
        if minimal is None or not minimal.get("p95_ms"):
            checks.append(
                Check(name, "p95 vs minimal view", f"≤ {target.max_p95_vs_minimal:g}×", "not measured", False)
            )
        else:
            ratio = result["p95_ms"] / minimal["p95_ms"]
            checks.append(
                Check(
                    name,
                    "p95 vs minimal view",
                    f"≤ {target.max_p95_vs_minimal:g}×",
                    f"{ratio:.1f}×",
                    ratio <= target.max_p95_vs_minimal,
                )
            )
    if target.zero_errors:
        checks.append(Check(name, "errors", "0", str(result["error_count"]), result["error_count"] == 0))
    if result.get("p95_ms"):
        tail = result["p99_ms"] / result["p95_ms"]
        checks.append(Check(name, "p99 / p95", f"≤ {TAIL_FACTOR:g}×", f"{tail:.1f}×", tail <= TAIL_FACTOR))
    return checks


def check_all(endpoints: dict[str, dict]) -> list[Check]:
    """Checks for every measured endpoint. ``endpoints`` maps a name to its result; a result may carry
    ``minimal`` (the minimal view's figures in the same run)."""
    checks = []
    for name, result in endpoints.items():
        if result.get("failed"):
            continue
        checks.extend(check_endpoint(name, result, result.get("minimal")))
    for name in TARGETS:
        if name in endpoints and endpoints[name].get("failed"):
            checks.append(Check(name, "run", "completes", endpoints[name]["failed"][:80], False))
    return checks
