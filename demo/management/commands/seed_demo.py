"""``manage.py seed_demo``: a synthetic Guangxi region: facilities, departments, staff, on-call rotas and
curated demo stories (women with grades, referrals and consultations, created through the services)."""

import datetime as dt
import json
import sys
from pathlib import Path

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone
from tqdm import tqdm

from demo.builders import STEPS, SeedContext, build_summary
from demo.builders.staff import DEMO_LOGINS

DEFAULT_SEED = 2026
DEFAULT_PASSWORD = "demo-password-2026"  # noqa: S105 - synthetic demo accounts only


class Command(BaseCommand):
    help = (
        "Build (or bring up to date) a synthetic demo region: Guangxi 450000, three cities, eight counties, "
        "their hospitals, MCH institutes and health centres, departments, staff and 12-hour obstetric "
        "on-call shifts from yesterday to 14 days ahead. Safe to re-run: rows are matched by stable codes "
        "and usernames and only differing fields change. "
        "Usernames are <who>.<where>: ob1.binyang.ph (obstetrician 1, Binyang County People's Hospital), "
        "mw2.nanning.mch, admin.liucheng.dapu, mdt.guilin.gh, icu.nanning.mch, aud.guangxi.mch; regional "
        "supervisors sup.guangxi / sup.nanning / sup.binyang, provincial auditor aud.guangxi. Short logins: "
        + ", ".join(p.username for p in DEMO_LOGINS)
        + ". All share one password (--password). "
        "Unless --no-stories, about thirty curated women are added through the services (registration, "
        "visits, grades, referrals, MDT consultations, a delivery, alerts) so the demo logins see real "
        "work; they are found again by name and phone, so re-running adds none. "
        "--pregnancies N adds a synthetic cohort of N pregnancies in bulk SQL (a million in minutes): women "
        "with resident ID numbers that validate, visits, deliveries, newborns, near misses, deaths and PMTCT "
        "tasks. It writes no audit rows: the audit trail records what real users did to real women's "
        "records, and a synthetic seed is not a clinical action. Re-running with the same N adds nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help=f"Seed for names, bed counts and phone numbers (default {DEFAULT_SEED}).",
        )
        parser.add_argument(
            "--password",
            default=None,
            help=f"Password of every demo user (default {DEFAULT_PASSWORD!r} for new users). "
            "Given explicitly, it also replaces existing demo users' passwords.",
        )
        parser.add_argument(
            "--summary-json",
            type=Path,
            default=None,
            help="Write the demo facilities and users (ids, tiers, roles, regions) to this file.",
        )
        parser.add_argument(
            "--pregnancies",
            type=int,
            default=0,
            metavar="N",
            help="Make sure the demo region has at least N pregnancies (all of women registered at demo "
            "facilities): add only the missing ones, with their women, visits, deliveries and tasks. "
            "About 75 %% active, 15 %% postpartum, 8 %% closed; 5 %% of women also have an earlier "
            "pregnancy.",
        )
        parser.add_argument(
            "--jobs",
            type=int,
            default=None,
            help="Parallel database connections loading --pregnancies, one batch of women per transaction "
            "(default: the number of CPUs, at most 4). With 1, or inside an open transaction, everything "
            "loads in one transaction.",
        )
        parser.add_argument(
            "--no-stories",
            action="store_true",
            help="Do not add the curated demo stories (about thirty women at the demo logins' hospitals with "
            "grades, referrals, MDT consultations, a delivery and alerts, created through the services).",
        )
        parser.add_argument(
            "--no-care",
            action="store_true",
            help="With --pregnancies: do not grade the cohort (five-colour grades, case management, reports, "
            "referrals with their access grants, MDT consultations and their alerts, about 50 %% yellow or "
            "above and 11 %% orange or above). Without it, every run grades what is not graded yet, so "
            "re-running upgrades a cohort seeded before.",
        )
        parser.add_argument("--no-progress", action="store_true", help="Do not show progress bars.")
        parser.add_argument(
            "--now",
            type=dt.datetime.fromisoformat,
            default=None,
            help="Pretend it is this moment (ISO 8601) when laying out on-call shifts.",
        )

    def handle(self, *args, **options):
        if (options.get("pregnancies") or 0) < 0:
            raise CommandError("--pregnancies must be 0 or more.")
        if options.get("jobs") is not None and options["jobs"] < 1:
            raise CommandError("--jobs must be 1 or more.")
        password = options["password"] if options["password"] is not None else DEFAULT_PASSWORD
        try:
            validate_password(password)
        except ValidationError as exc:
            raise CommandError("Invalid --password: " + " ".join(exc.messages)) from exc
        now = options["now"] or timezone.now()
        if isinstance(now, str):  # call_command(now="...") skips argparse's type conversion
            now = dt.datetime.fromisoformat(now)
        if timezone.is_naive(now):
            now = timezone.make_aware(now)
        stream = options.get("stderr") or sys.stderr
        quiet = options["no_progress"] or not stream.isatty()

        def progress(items, desc):
            return tqdm(items, desc=desc, file=stream, disable=quiet, leave=False)

        ctx = SeedContext(
            seed=options["seed"],
            password=password,
            password_explicit=options["password"] is not None,
            now=now,
            options=options,
            progress=progress,
            warn=lambda message: self.stderr.write(self.style.WARNING(message)),
        )
        steps = [step for step in STEPS if step.enabled(ctx)]
        with tqdm(total=len(steps), desc="seed_demo", file=stream, disable=quiet) as bar:

            def run(step):
                bar.set_postfix_str(step.name)
                step.build(ctx)
                bar.update()

            with transaction.atomic():
                for step in steps:
                    if not step.own_transactions:
                        run(step)
            for step in steps:  # bulk steps commit batch by batch, once the region they need is committed
                if step.own_transactions:
                    run(step)
        if ctx.analyze_tables:  # after the commit, so the statistics (and pg_stat counts) see the rows
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE " + ", ".join(sorted(ctx.analyze_tables)))

        if options["summary_json"]:
            Path(options["summary_json"]).write_text(
                json.dumps(build_summary(ctx), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
            )
        self._report(ctx)

    def _report(self, ctx: SeedContext) -> None:
        labels = list(dict.fromkeys(label for label, _ in ctx.stats))
        for label in labels:
            counts = ", ".join(
                f"{ctx.stats[(label, o)]} {o}"
                for o in ("created", "updated", "unchanged")
                if ctx.stats[(label, o)]
            )
            self.stdout.write(f"{label}: {counts or 'nothing to do'}")
        for note in ctx.notes:
            self.stdout.write(note)
        self.stdout.write(self.style.SUCCESS(f"Demo region ready (seed {ctx.seed})."))
