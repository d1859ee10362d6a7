"""Step: open the follow-up window of every demo pregnancy that has none.

The bulk cohort (``--pregnancies N``) is loaded in SQL, past the services that recompute windows, so the
seed ends with the same backfill an existing deployment runs (``manage.py followups_backfill``). It is
idempotent like every step: a re-run opens nothing new. It covers any open pregnancy without a window,
not only the demo region's, exactly as the command does.
"""

from django.db import connection

from reminders.backfill import followups_backfill

from .context import SeedContext


def build_followups(ctx: SeedContext) -> None:
    if ctx.analyze_tables:  # the bulk load's fresh tables: statistics first, or the batches plan badly
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE " + ", ".join(sorted(ctx.analyze_tables)))
        ctx.analyze_tables.clear()
    result = followups_backfill(now=ctx.now)
    if result.total:
        ctx.analyze_tables.update({"reminders_followup", "reminders_remindermessage"})
        ctx.count("follow-up windows", "created", result.total)
        ctx.note(
            f"Opened {result.total:,} follow-up windows ({result.messages:,} text messages queued) in "
            f"{result.seconds:.1f} s."
        )
    else:
        ctx.count("follow-up windows", "unchanged", 0)
