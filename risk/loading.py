"""Loading catalogue data files into the database (used by migration 0002 and ``load_risk_catalogue``).

Functions take the model classes as arguments so the data migration can pass its historical models.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from .catalogue import SENSITIVE_CATEGORIES, SENSITIVE_CODES

NATIONAL_KEY = "cn-nhc-2017@1"
NATIONAL_EFFECTIVE_FROM = dt.date(2017, 11, 1)


def criterion_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for position, item in enumerate(data["criteria"], start=1):
        rows.append(
            {
                "position": position,
                "code": item["code"],
                "stage": item["stage"],
                "color": item.get("color") or "",
                "category": item["category"],
                "name_en": item["name_en"],
                "name_zh": item["name_zh"],
                "rule": item.get("rule"),
                "rule_basis": item.get("rule_basis", ""),
                "confirm": item.get("confirm", ""),
                "also_fires_when": item.get("also_fires_when", ""),
                "period": item.get("period", ""),
                "confidence": item.get("confidence", ""),
                "review_note": item.get("review", ""),
                "notes": item.get("notes", ""),
                "sensitive": item["category"] in SENSITIVE_CATEGORIES or item["code"] in SENSITIVE_CODES,
                "enabled": item.get("enabled", True),
            }
        )
    return rows


def load_catalogue(
    version_model,
    criterion_model,
    data: dict[str, Any],
    *,
    key: str,
    title: str,
    effective_from: dt.date,
    region=None,
    based_on=None,
    replace: bool = False,
):
    """Create catalogue version ``key`` with the criteria of ``data``. Idempotent: an existing version
    is left as it is (versions are immutable once assessments refer to them) unless ``replace``."""
    version = version_model.objects.filter(key=key).first()
    if version is not None and not replace:
        return version, False
    if version is None:
        version = version_model.objects.create(
            key=key,
            title=title,
            region=region,
            effective_from=effective_from,
            based_on=based_on,
            fields_spec=data["fields"],
        )
    else:
        criterion_model.objects.filter(version=version).delete()
    criterion_model.objects.bulk_create(
        [criterion_model(version=version, **row) for row in criterion_rows(data)]
    )
    return version, True


def merge_variant(base: dict[str, Any], variant: dict[str, Any]) -> dict[str, Any]:
    """A regional variant file lists ``criteria`` to add or replace (by code), ``disable`` codes, and
    extra ``fields``; the result is a complete catalogue (the base's order, additions at the end)."""
    by_code = {item["code"]: dict(item) for item in base["criteria"]}
    order = [item["code"] for item in base["criteria"]]
    for item in variant.get("criteria", []):
        if item["code"] not in by_code:
            order.append(item["code"])
        by_code[item["code"]] = {**by_code.get(item["code"], {}), **item}
    for code in variant.get("disable", []):
        if code in by_code:
            by_code[code]["enabled"] = False
    fields = {**base["fields"], **variant.get("fields", {})}
    return {**base, "fields": fields, "criteria": [by_code[code] for code in order]}
