import datetime as dt
import io

import pytest
from django.core.management import call_command

NOW = dt.datetime(2026, 3, 15, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def seeded_region(db):
    """The demo region (Guangxi 450000) with a synthetic cohort inserted in bulk SQL (the path of a
    million rows). Do not combine with the region fixtures of tests/conftest.py (same codes)."""
    from facilities.models import Facility

    call_command(
        "seed_demo",
        "--no-progress",
        seed=2026,
        now=NOW.isoformat(),
        pregnancies=300,
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    return Facility.objects.order_by("id")
