"""Reading catalogue data files (the project's versioned copy of the national table, and regional
variants) into engine objects. The database holds the same data for pages, the API and history
(``risk.models``); this module is what both are built from."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from .engine import Catalogue, Criterion, FieldSpec, compile_catalogue

CATALOGUE_DIR = Path(__file__).resolve().parent / "catalogues"
NATIONAL_FILE = CATALOGUE_DIR / "cn-nhc-2017.yaml"
# Categories whose details are sensitive: shown only to users with view_sensitive (the purple flag
# itself stays visible).
SENSITIVE_CATEGORIES = frozenset({"infectious", "psychiatric", "substance_use"})
SENSITIVE_CODES = frozenset({"S-OTHER-DRUG-USE"})


def load_yaml(path: Path = NATIONAL_FILE) -> dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def field_specs(data: dict[str, Any]) -> list[FieldSpec]:
    specs = []
    for name, spec in data["fields"].items():
        low, high = (spec.get("range") or [None, None])[:2]
        specs.append(FieldSpec(name=name, type=spec["type"], minimum=low, maximum=high))
    return specs


def criterion_from_item(item: dict[str, Any], *, enabled: bool = True) -> Criterion:
    return Criterion(
        code=item["code"],
        stage=item["stage"],
        color=item.get("color"),
        category=item["category"],
        name_en=item["name_en"],
        name_zh=item["name_zh"],
        rule=item.get("rule"),
        confirm=item.get("confirm"),
        period=item.get("period"),
        enabled=enabled,
        sensitive=item["category"] in SENSITIVE_CATEGORIES or item["code"] in SENSITIVE_CODES,
    )


def catalogue_from_data(data: dict[str, Any], version: str | None = None) -> Catalogue:
    criteria = [criterion_from_item(item) for item in data["criteria"]]
    return compile_catalogue(version or data["catalogue_id"], criteria, field_specs(data))


@lru_cache(maxsize=1)
def national_catalogue() -> Catalogue:
    """The bundled national catalogue compiled from the data file (for tests and benchmarks)."""
    data = load_yaml()
    return catalogue_from_data(data, f"{data['catalogue_id']}@{data['schema_version']}")
