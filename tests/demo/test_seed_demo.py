"""``seed_demo``: the synthetic region, its summary contract, idempotence, on-call cover and logins.

The region is seeded once per module inside a transaction that is rolled back at the end, so other test
modules (and ``--reuse-db``) never see it; each test runs in its own savepoint within it.
"""

import datetime as dt
import io
import json
import re
import uuid
from collections import defaultdict

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import RequestFactory
from django.utils import timezone

from accounts.choices import Role
from accounts.models import OnCallShift, User
from facilities.choices import CriticalCareLevel, Specialty, Tier
from facilities.models import Department, Facility, Region
from facilities.services import ACCESS_GROUP_PREFIX, facility_access_group_name
from tests.factories import UserFactory
from tests.reference import ensure_national_catalogue

PASSWORD = "seed-test-password-42"
SHORT_LOGINS = [
    "obstetrician",
    "midwife",
    "coordinator",
    "specialist",
    "admin",
    "supervisor",
    "auditor",
    "sysadmin",
]

# Where each role must appear (None: users without a facility). Written out here rather than imported from
# demo.builders.staff.ROLE_TIERS, so the test states the requirement independently.
EXPECTED_ROLE_TIERS = {
    "obstetrician": {"primary", "secondary", "tertiary"},
    "midwife": {"primary", "secondary", "tertiary"},
    "facility_admin": {"primary", "secondary", "tertiary"},
    "mdt_coordinator": {"secondary", "tertiary"},
    "specialist": {"secondary", "tertiary"},
    "auditor": {"tertiary", None},
    "regional_supervisor": {None},
    "system_admin": {None},
}


def seed(tmp_path, name="summary.json", **options) -> tuple[dict, str]:
    path = tmp_path / name
    out = io.StringIO()
    call_command(
        "seed_demo", "--no-progress", summary_json=str(path), stdout=out, stderr=io.StringIO(), **options
    )
    return json.loads(path.read_text(encoding="utf-8")), out.getvalue()


def table_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Region, Facility, Department, User, OnCallShift, Group)
    }


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, tmp_path_factory):
    """(summary, counts after the first run, tmp dir) — the region seeded once, rolled back afterwards."""
    tmp_path = tmp_path_factory.mktemp("seed_demo")
    with django_db_blocker.unblock():
        # Module fixtures are set up before the autouse per-test one that reloads the catalogue after a
        # transactional test's flush on this worker: seeding grades women, it needs the catalogue.
        ensure_national_catalogue()
    with django_db_blocker.unblock(), transaction.atomic():
        summary, _ = seed(tmp_path, password=PASSWORD)
        yield summary, table_counts(), tmp_path
        transaction.set_rollback(True)


@pytest.fixture
def summary(seeded, db):
    return seeded[0]


def test_summary_matches_the_contract(summary):
    assert set(summary) == {"facilities", "users"}
    facility_ids = set()
    for row in summary["facilities"]:
        assert set(row) == {"id", "name", "tier", "critical_care_level", "region"}
        assert str(uuid.UUID(row["id"])) == row["id"]
        assert re.fullmatch(r"[\u4e00-\u9fff]+", row["name"]), row["name"]
        assert row["tier"] in Tier.values
        assert row["critical_care_level"] in {None, *CriticalCareLevel.values}
        assert re.fullmatch(r"\d{6}", row["region"])
        facility_ids.add(row["id"])
    assert len(facility_ids) == len(summary["facilities"])
    tier_of = {row["id"]: row["tier"] for row in summary["facilities"]}
    for row in summary["users"]:
        assert set(row) == {"id", "username", "role", "facility", "facility_tier", "region"}
        assert str(uuid.UUID(row["id"])) == row["id"]
        assert row["role"] in Role.values
        assert re.fullmatch(r"\d{6}", row["region"]), row
        if row["facility"] is None:
            assert row["facility_tier"] is None
        else:
            assert row["facility_tier"] == tier_of[row["facility"]]
    assert {row["username"] for row in summary["users"]} >= set(SHORT_LOGINS)


def test_summary_rows_agree_with_the_database(summary):
    users = {str(u.external_id): u for u in User.objects.select_related("facility", "region")}
    for row in summary["users"]:
        user = users[row["id"]]
        assert user.username == row["username"]
        assert row["role"] in user.roles
        if user.facility is not None:
            assert row["region"] == user.facility.region_code
        else:
            assert row["region"] == user.region.code


def test_every_role_appears_at_every_tier_where_it_exists(summary):
    seen = defaultdict(set)
    for row in summary["users"]:
        seen[row["role"]].add(row["facility_tier"])
    assert dict(seen) == EXPECTED_ROLE_TIERS


def test_every_facility_has_the_core_staff(summary):
    roles = defaultdict(list)
    for row in summary["users"]:
        if row["facility"]:
            roles[row["facility"]].append(row["role"])
    for facility in summary["facilities"]:
        staff = roles[facility["id"]]
        assert staff.count("obstetrician") >= 2 and staff.count("midwife") >= 2, facility
        assert "facility_admin" in staff, facility
    for facility in Facility.objects.prefetch_related("staff"):
        staff = list(facility.staff.all())
        assert sum(u.is_medical_director for u in staff) == 1, facility
        assert any(Role.OBSTETRICIAN in u.roles and u.is_department_head and u.is_senior for u in staff), (
            facility
        )


def test_each_tier_has_two_unrelated_facilities(summary):
    """Unrelated: in different cities, so neither sits inside the other's region."""
    for tier in Tier.values:
        regions = {row["region"] for row in summary["facilities"] if row["tier"] == tier}
        cities = {code[:4] for code in regions if code[2:4] != "00"}
        assert len(cities) >= 2, tier
        if tier != Tier.TERTIARY:
            assert len({code for code in regions if code[4:] != "00"}) >= 2, tier


def test_critical_care_centres_at_every_level(summary):
    levels = {row["critical_care_level"] for row in summary["facilities"]}
    assert levels == {None, "county", "city", "province"}
    centres = Facility.objects.exclude(critical_care_level=None)
    assert all(f.tier == Tier.TERTIARY for f in centres if f.critical_care_level != "county")
    # Every city and every county has at least one centre.
    for region in Region.objects.filter(level__in=["city", "county"]):
        assert centres.filter(region=region).exists(), region.code


def test_rerun_changes_nothing_and_gives_the_same_summary(seeded, db):
    first_summary, first_counts, tmp_path = seeded
    again, output = seed(tmp_path, name="again.json")
    assert again == first_summary
    assert table_counts() == first_counts
    assert "created" not in output and "updated" not in output


def test_rerun_with_an_explicit_password_replaces_it(seeded, db):
    seed(seeded[2], name="new-password.json", password="another-demo-password")
    request = RequestFactory().post("/accounts/login/")
    assert authenticate(request, username="midwife", password="another-demo-password") is not None
    assert not User.objects.get(username="midwife").check_password(PASSWORD)


def test_rerun_without_password_keeps_existing_passwords(seeded, db):
    seed(seeded[2], name="default-password.json")
    assert User.objects.get(username="ob1.binyang.ph").check_password(PASSWORD)


def test_demo_users_can_sign_in_with_the_given_password(summary):
    request = RequestFactory().post("/accounts/login/")
    for username in [*SHORT_LOGINS, "ob1.binyang.ph", "sup.nanning"]:
        assert authenticate(request, username=username, password=PASSWORD) is not None, username
    assert User.objects.get(username="sysadmin").is_superuser


def test_staff_are_members_of_their_facility_access_group(summary):
    for user in User.objects.select_related("facility").prefetch_related("groups"):
        access_groups = {g.name for g in user.groups.all() if g.name.startswith(ACCESS_GROUP_PREFIX)}
        expected = {facility_access_group_name(user.facility.external_id)} if user.facility else set()
        assert access_groups == expected, user.username


def _lead_shifts_by_facility():
    shifts = defaultdict(list)
    for shift in OnCallShift.objects.filter(is_lead=True).select_related("department", "user"):
        shifts[shift.facility_id].append(shift)
    return shifts


def test_every_facility_is_on_call_now_and_for_the_next_24_hours(summary):
    now = timezone.now()
    shifts = _lead_shifts_by_facility()
    for facility in Facility.objects.all():
        own = sorted(shifts[facility.pk], key=lambda s: s.starts_at)
        assert all(
            s.department.specialty == Specialty.OBSTETRICS
            and s.user.facility_id == facility.pk
            and Role.OBSTETRICIAN in s.user.roles
            for s in own
        )
        for hours in range(0, 25):
            moment = now + dt.timedelta(hours=hours)
            assert sum(s.starts_at <= moment < s.ends_at for s in own) == 1, (facility.code, moment)
        assert own[-1].ends_at >= now + dt.timedelta(days=14)
        assert len({s.user_id for s in own}) >= 2  # the rota rotates


def test_a_later_rerun_extends_on_call_without_overlap(seeded, db):
    later = timezone.now() + dt.timedelta(days=3)
    before = OnCallShift.objects.count()
    seed(seeded[2], name="later.json", now=later.isoformat())
    assert OnCallShift.objects.count() == before + 6 * Facility.objects.count()
    for facility_shifts in _lead_shifts_by_facility().values():
        own = sorted(facility_shifts, key=lambda s: s.starts_at)
        assert all(
            a.ends_at == b.starts_at for a, b in zip(own, own[1:], strict=False)
        )  # contiguous, no overlap
        assert own[-1].ends_at >= later + dt.timedelta(days=14)


def test_an_existing_account_with_a_demo_username_is_left_alone(seeded, db):
    User.objects.get(username="admin").delete()
    theirs = UserFactory(username="admin", facility=None, roles=[Role.SYSTEM_ADMIN], specialty="")
    err = io.StringIO()
    call_command("seed_demo", "--no-progress", password=PASSWORD, stdout=io.StringIO(), stderr=err)
    theirs.refresh_from_db()
    assert theirs.roles == [Role.SYSTEM_ADMIN] and theirs.facility is None
    assert not theirs.check_password(PASSWORD)
    assert "Skipped user 'admin'" in err.getvalue()


@pytest.mark.parametrize("password", ["short", "12345678901234"])
def test_a_weak_password_is_refused(password, db):
    with pytest.raises(CommandError, match="password"):
        call_command("seed_demo", "--no-progress", password=password, stdout=io.StringIO())
