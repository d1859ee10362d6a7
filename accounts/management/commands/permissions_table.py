from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import translation

from accounts.permissions import render_markdown


class Command(BaseCommand):
    help = "Write docs/permissions.md (the role × action table) from accounts/permissions.py."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Exit 1 if the file is out of date.")

    def handle(self, *args, check: bool = False, **options):
        path = Path(settings.BASE_DIR) / "docs" / "permissions.md"
        with translation.override("en"):
            text = render_markdown()
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                self.stderr.write("docs/permissions.md is out of date: run manage.py permissions_table")
                raise SystemExit(1)
            return
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        self.stdout.write(f"wrote {path}")
