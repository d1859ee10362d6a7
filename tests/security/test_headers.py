"""Browser-facing defences: a Content-Security-Policy without inline code and framing refused on every
main page, HSTS and secure cookies behind the production proxy, CSRF on forms and on session-authenticated
API calls, and an idle (sliding) session expiry.

Covered elsewhere, not repeated here: ``check --deploy`` clean under production settings
(tests/test_deployment.py), lockout after failed sign-ins per user name and the expiry of a timed-out
session (tests/accounts/test_auth.py), CSRF on the follow-up decision forms (tests/reminders/test_pages.py).
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from tests.test_deployment import _manage

pytestmark = pytest.mark.django_db

MAIN_PAGES = [
    "/",
    "/cases/register/",
    "/cases/emergency/",
    "/cases/pregnancies/{pregnancy}/",
    "/cases/pregnancies/{pregnancy}/visits/new/",
    "/cases/pregnancies/{pregnancy}/delivery/new/",
    "/risk/pregnancies/{pregnancy}/grade/",
    "/referrals/",
    "/referrals/new/?pregnancy={pregnancy}",
    ("/consults/board/", "coordinator"),
    "/consults/my-actions/",
    ("/dashboards/", "supervisor"),
    "/consults/new/?pregnancy={pregnancy}",
    "/notifications/",
    "/reminders/worklist/",
    "/facilities/",
    "/api/docs/",
    "/api/v1/pregnancies/",
]


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


@pytest.mark.parametrize("page", MAIN_PAGES, ids=lambda page: page if isinstance(page, str) else page[0])
def test_every_main_page_forbids_inline_code_and_framing(request, client, pregnancy, page):
    path, persona = (page, "obstetrician") if isinstance(page, str) else page
    if persona == "coordinator":
        from accounts.choices import Role
        from tests.factories import UserFactory

        user = UserFactory(facility=pregnancy.managing_facility, roles=[Role.MDT_COORDINATOR], specialty="")
    else:
        user = request.getfixturevalue(persona)
    client.force_login(user)
    response = client.get(path.format(pregnancy=pregnancy.external_id))
    assert response.status_code == 200, path
    csp = csp_directives(response["Content-Security-Policy"])
    for directive in ("script-src", "style-src"):
        sources = csp.get(directive, csp["default-src"])  # a missing directive falls back to default-src
        assert "'unsafe-inline'" not in sources and "'unsafe-eval'" not in sources, (path, directive)
        assert "*" not in sources and "data:" not in sources, (path, directive)
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src" if "object-src" in csp else "default-src"] in (["'none'"], ["'self'"])
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_sign_in_page_forbids_inline_code_and_framing(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    csp = csp_directives(response["Content-Security-Policy"])
    assert "'unsafe-inline'" not in csp.get("script-src", csp["default-src"])
    assert csp["frame-ancestors"] == ["'none'"] and response["X-Frame-Options"] == "DENY"


def test_error_pages_carry_the_same_headers(client, obstetrician):
    client.force_login(obstetrician)
    response = client.get("/cases/pregnancies/00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 404
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


# A JSON answer (no template, so no collected static files and no database are needed).
PRODUCTION_PROBE = """
import json
from django.conf import settings
from django.test import Client
browser = Client(SERVER_NAME="maternal.example.org")
plain = browser.get("/api/v1/pregnancies/")
secure = browser.get("/api/v1/pregnancies/", HTTP_X_FORWARDED_PROTO="https")
print(json.dumps({
    "plain": [plain.status_code, plain.get("Location", "")],
    "secure": secure.status_code,
    "hsts": secure.get("Strict-Transport-Security", ""),
    "csp": secure.get("Content-Security-Policy", ""),
}))
print(json.dumps({k: getattr(settings, k) for k in (
    "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SESSION_COOKIE_SAMESITE",
)}))
"""


def test_production_redirects_to_https_sends_hsts_and_marks_cookies_secure():
    result = _manage(
        "shell",
        "-c",
        PRODUCTION_PROBE,
        DJANGO_SETTINGS_MODULE="maternal_safety.settings.production",
        SECRET_KEY="x" * 20 + "a-long-random-production-secret-for-the-probe-only-41c2",
        ALLOWED_HOSTS="maternal.example.org",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    responses, values = (json.loads(line) for line in result.stdout.strip().splitlines()[-2:])
    status, location = responses["plain"]
    assert status == 301 and location == "https://maternal.example.org/api/v1/pregnancies/"
    assert responses["secure"] in (401, 403)  # behind the proxy: served (and refused without a sign-in)
    assert "max-age=31536000" in responses["hsts"] and "includeSubDomains" in responses["hsts"]
    assert "frame-ancestors 'none'" in responses["csp"]
    assert (
        values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"] and values["SESSION_COOKIE_HTTPONLY"]
    )
    assert values["SECURE_HSTS_SECONDS"] >= 31536000 and values["SECURE_HSTS_INCLUDE_SUBDOMAINS"]
    assert values["SESSION_COOKIE_SAMESITE"] in ("Lax", "Strict")


# -- CSRF ---------------------------------------------------------------------------------------------


def _csrf_browser(user) -> Client:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    return browser


def test_form_post_without_the_csrf_token_is_refused_and_saves_nothing(midwife):
    from cases.models import Patient

    browser = _csrf_browser(midwife)
    page = browser.get("/cases/register/")
    assert page.status_code == 200
    data = {
        "name": "王芳",
        "birth_date": "1994-03-07",
        "lmp": str(timezone.localdate() - dt.timedelta(days=70)),
    }
    refused = browser.post("/cases/register/", data)
    assert refused.status_code == 403
    forged = browser.post("/cases/register/", {**data, "csrfmiddlewaretoken": "x" * 64})
    assert forged.status_code == 403
    assert not Patient.objects.exists()
    token = browser.cookies["csrftoken"].value
    accepted = browser.post("/cases/register/", {**data, "csrfmiddlewaretoken": token})
    assert accepted.status_code != 403


def test_session_authenticated_api_post_needs_the_csrf_header(midwife):
    from cases.models import Patient

    browser = _csrf_browser(midwife)
    browser.get("/")  # the page sets the CSRF cookie, as the browser would get it
    body = json.dumps({"name": "李梅", "birth_date": "1994-03-07"})
    refused = browser.post("/api/v1/patients/", body, content_type="application/json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["message"]
    assert not Patient.objects.exists()
    accepted = browser.post(
        "/api/v1/patients/",
        body,
        content_type="application/json",
        HTTP_X_CSRFTOKEN=browser.cookies["csrftoken"].value,
    )
    assert accepted.status_code == 201, accepted.content[:300]


def test_token_authenticated_api_post_needs_no_csrf_token(api, midwife):
    """A token is not sent by the browser on its own, so a forged cross-site request cannot carry it."""
    from accounts.services import api_token_issue

    raw, _token = api_token_issue(actor=midwife)
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/api/v1/patients/",
        json.dumps({"name": "李梅", "birth_date": "1994-03-07"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {raw}",
    )
    assert response.status_code == 201, response.content[:300]


# -- idle session ---------------------------------------------------------------------------------------


def test_each_request_pushes_the_session_expiry_to_the_idle_limit(client, midwife):
    """The expiry slides: it is always SESSION_IDLE_SECONDS after the last request, never a fixed
    time after sign-in, and the cookie dies with the browser."""
    from django.contrib.sessions.models import Session

    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    client.force_login(midwife)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    # as if she had been idle for 29 of the 30 minutes
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() + dt.timedelta(minutes=1))
    assert client.get("/").status_code == 200
    remaining = (Session.objects.get(session_key=key).expire_date - timezone.now()).total_seconds()
    assert settings.SESSION_COOKIE_AGE - 10 <= remaining <= settings.SESSION_COOKIE_AGE
    assert client.cookies[settings.SESSION_COOKIE_NAME]["expires"] == ""  # a browser-session cookie
