import datetime as dt

import pytest
from django.utils import timezone

from reminders.models import FollowUp
from reminders.services import followup_recompute


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def noon(day: dt.date) -> dt.datetime:
    """A moment on ``day`` in Asia/Shanghai, after the text-message hour."""
    return dt.datetime.combine(day, dt.time(12, 0), tzinfo=timezone.get_current_timezone())


def open_window(pregnancy) -> FollowUp:
    return FollowUp.objects.exclude(status="closed").get(pregnancy=pregnancy)


@pytest.fixture
def followed(pregnancy, obstetrician):
    """20+0 weeks today, booked today, green, with a phone: her next window is the 25-week one."""
    today = timezone.localdate()
    pregnancy.edd = today + days(140)
    pregnancy.booked_on = today
    pregnancy.risk_color = "green"
    pregnancy.responsible_clinician = obstetrician
    pregnancy.save()
    pregnancy.patient.phone = "+8613800138000"
    pregnancy.patient.save()
    followup_recompute(pregnancy=pregnancy)
    return pregnancy
