"""Load a catalogue version: the national file, or a regional variant based on an existing version.

A regional variant file (YAML) has ``key``, ``title``, ``region`` (GB/T 2260 code), ``effective_from``
(YYYY-MM-DD), ``based_on`` (an existing version key) and any of ``criteria`` (items to add, or to
replace by code — e.g. a tightened threshold), ``disable`` (codes) and ``fields`` (new measurement
fields). No code changes are needed: the grading engine compiles whatever the version holds.
"""

import datetime as dt
from pathlib import Path

import yaml
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from audit.services import audit_record
from facilities.models import Region
from risk.catalogue import catalogue_from_data
from risk.engine import CatalogueError
from risk.loading import criterion_rows, load_catalogue, merge_variant
from risk.models import CatalogueCriterion, CatalogueVersion


def version_data(version: CatalogueVersion) -> dict:
    """A version's criteria back as catalogue data (the base a variant is merged onto)."""
    items = []
    for row in CatalogueCriterion.objects.filter(version=version).order_by("position"):
        item = {k: getattr(row, k) for k in ("code", "stage", "category", "name_en", "name_zh")}
        item["color"] = row.color or None
        for key, attr in (
            ("rule", "rule"),
            ("confirm", "confirm"),
            ("period", "period"),
            ("confidence", "confidence"),
            ("review", "review_note"),
            ("notes", "notes"),
            ("also_fires_when", "also_fires_when"),
            ("rule_basis", "rule_basis"),
        ):
            if getattr(row, attr):
                item[key] = getattr(row, attr)
        item["enabled"] = row.enabled
        items.append(item)
    return {"catalogue_id": version.key, "fields": version.fields_spec, "criteria": items}


class Command(BaseCommand):
    help = (
        "Load a regional variant of the five-colour catalogue (see the module docstring for the file format)."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)

    @transaction.atomic
    def handle(self, *args, path: Path, **options):
        variant = yaml.safe_load(path.read_text(encoding="utf-8"))
        for key in ("key", "title", "region", "effective_from", "based_on"):
            if key not in variant:
                raise CommandError(f"the variant file needs '{key}'")
        base = CatalogueVersion.objects.filter(key=variant["based_on"]).first()
        if base is None:
            raise CommandError(f"unknown base version {variant['based_on']!r}")
        region = Region.objects.filter(code=str(variant["region"])).first()
        if region is None:
            raise CommandError(f"unknown region {variant['region']!r}")
        data = merge_variant(version_data(base), variant)
        try:
            catalogue_from_data(data, variant["key"])  # compiles every rule: refuses a malformed file
        except (CatalogueError, KeyError) as exc:
            raise CommandError(f"invalid catalogue: {exc}") from exc
        effective = variant["effective_from"]
        if isinstance(effective, str):
            effective = dt.date.fromisoformat(effective)
        version, created = load_catalogue(
            CatalogueVersion,
            CatalogueCriterion,
            data,
            key=variant["key"],
            title=variant["title"],
            effective_from=effective,
            region=region,
            based_on=base,
        )
        if created:
            audit_record(
                actor=None,
                action="create",
                obj=version,
                username="load_risk_catalogue",
                changes={"criteria": len(criterion_rows(data)), "based_on": base.key},
            )
        self.stdout.write(f"{'loaded' if created else 'already present'}: {version.key} ({region.code})")
