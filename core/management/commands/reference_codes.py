from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import translation

from core.codes import render_markdown


class Command(BaseCommand):
    help = "Write docs/codes.md (every published code: roles, tiers, capabilities, statuses…) from the code."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Exit 1 if the file is out of date.")

    def handle(self, *args, check: bool = False, **options):
        path = Path(settings.BASE_DIR) / "docs" / "codes.md"
        with translation.override("en"):
            english = render_markdown()
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != english:
                self.stderr.write("docs/codes.md is out of date: run manage.py reference_codes")
                raise SystemExit(1)
            return
        path.write_text(english, encoding="utf-8")
        self.stdout.write(f"wrote {path}")
