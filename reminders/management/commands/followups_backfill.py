"""``manage.py followups_backfill``: open the current follow-up window of every open pregnancy that has
none (see ``reminders.backfill``). Safe to re-run; run it once after deploying the reminders app."""

from django.core.management.base import BaseCommand, CommandError

from reminders.backfill import followups_backfill


class Command(BaseCommand):
    help = (
        "Open the current follow-up window of every active or postpartum pregnancy that has none "
        "(records created before follow-up reminders existed, bulk-loaded demo data). Batched, idempotent: "
        "a re-run opens nothing new. Windows start in the state their dates give today without the alerts "
        "of the steps they skipped; windows due today queue the woman's text message."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch", type=int, default=None, help="Pregnancies per batch (default FOLLOWUP_SWEEP_BATCH)."
        )

    def handle(self, *args, **options):
        if options["batch"] is not None and options["batch"] < 1:
            raise CommandError("--batch must be 1 or more.")
        verbose = options["verbosity"] > 1

        def progress(result):
            if verbose:
                self.stdout.write(f"batch {result.batches}: {result.total} windows opened so far")

        result = followups_backfill(batch=options["batch"], progress=progress)
        states = ", ".join(f"{n} {status}" for status, n in result.opened.items() if n)
        self.stdout.write(
            f"Opened {result.total} follow-up windows ({states or 'none'}); queued {result.messages} text "
            f"messages; {result.without_window} open pregnancies without enough data for a window; "
            f"{result.batches} batches in {result.seconds:.1f} s."
        )
