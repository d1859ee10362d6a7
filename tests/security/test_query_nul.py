"""Hostile values (a NUL byte first) in any query parameter of any list endpoint (every GET of the
published schema without a path parameter) and of the pages that read parameters by hand: never a server
error.

PostgreSQL refuses a NUL in a text parameter; a filter read by hand that passed the value to the query
answered 500 (CI's schemathesis run found it on ``/api/v1/notifications/?kind=``). Form fields refuse NUL
themselves (Django's ``ProhibitNullCharactersValidator``); this walks the rest deterministically rather
than waiting for the fuzzer to draw one."""

from pathlib import Path

import pytest
import yaml

from accounts.choices import Role
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = yaml.safe_load((ROOT / "docs" / "openapi.yaml").read_text(encoding="utf-8"))

pytestmark = pytest.mark.django_db


def _parameters(operation: dict) -> list[str]:
    return [p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"]


LISTS = sorted(
    (path, name)
    for path, item in SCHEMA["paths"].items()
    if "{" not in path and "get" in item
    for name in _parameters(item["get"])
)
PAGES = [
    ("/facilities/staff/", "q"),
    ("/facilities/staff/", "facility"),
    ("/facilities/", "q"),
    ("/", "q"),
    ("/", "status"),
    ("/referrals/", "box"),
    ("/risk/reports/", "status"),
    ("/consults/board/", "week"),
    ("/dashboards/", "period"),
    ("/dashboards/", "region"),
    ("/audit/", "actor"),
    ("/notifications/", "page"),
]


def test_the_walk_covers_the_hand_read_filters():
    """The filters that answered 500 are among the parameters walked (the schema documents them)."""
    assert {
        ("/api/v1/notifications/", "kind"),
        ("/api/v1/notifications/", "status"),
        ("/api/v1/referrals/", "status"),
        ("/api/v1/consults/", "status"),
        ("/api/v1/risk/reports/", "status"),
        ("/api/v1/patients/", "q"),
    } <= set(LISTS)


# As sent on the wire (percent-encoded): NUL, numbers out of every range, text far over any limit, bytes
# that are not UTF-8 (a lone surrogate's encoding, 0xFF), a stray "%", an impossible date.
HOSTILE = {
    "nul": "%00",
    "nul inside": "a%00b",
    "40 digits": "9" * 40,
    "minus one": "-1",
    "1e400": "1e400",
    "NaN": "NaN",
    "5,000 characters": "x" * 5000,
    "surrogate bytes": "%ED%A0%80",
    "0xFF": "%FF",
    "stray percent": "%",
    "30 February": "2026-02-30",
}


@pytest.mark.parametrize(("path", "name"), LISTS)
@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
def test_api_lists(api, obstetrician, pregnancy, path, name, value):
    response = api.as_user(obstetrician).get(f"{path}?{name}={value}")
    assert response.status_code < 500, (path, name, response.content[:300])


@pytest.mark.parametrize(("path", "name"), PAGES)
@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
def test_pages(client, system_admin, obstetrician, home_facility, path, name, value):
    if path.startswith(("/facilities", "/audit")):
        user = system_admin
    elif path.startswith("/consults/board"):
        user = UserFactory(facility=home_facility, roles=[Role.MDT_COORDINATOR])
    else:
        user = obstetrician
    client.force_login(user)
    response = client.get(f"{path}?{name}={value}")
    assert response.status_code < 500, (path, name)
    assert response.status_code != 404 or name in ("region", "period"), (path, name, response.status_code)


def test_the_staff_directory_says_why_a_search_found_nobody(client, system_admin, obstetrician):
    client.force_login(system_admin)
    found = client.get("/facilities/staff/", {"q": obstetrician.display_name})
    assert obstetrician.display_name in found.content.decode()
    refused = client.get(
        "/facilities/staff/", {"q": obstetrician.display_name + "\x00"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    page = refused.content.decode()
    assert refused.status_code == 200
    assert "Null characters are not allowed." in page
    assert 'aria-invalid="true"' in page
    assert obstetrician.display_name + "</td>" not in page
    malformed = client.get("/facilities/staff/", {"facility": "nope"}).content.decode()
    assert "The facility link is not valid." in malformed
