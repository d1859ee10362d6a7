"""Sign-in, API tokens, lockout after repeated failures, session expiry."""

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.models import ApiToken

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def _reset_axes():
    from axes.utils import reset

    reset()
    yield
    reset()


def test_token_is_issued_and_authenticates(api, midwife):
    response = api.post("/api/v1/auth/token/", {"username": "midwife", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    me = api.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}")
    assert me.status_code == 200
    assert me.json()["username"] == "midwife"
    assert not ApiToken.objects.filter(digest=token).exists(), "only the digest is stored"


def test_new_token_replaces_the_old_one(api, midwife):
    first = api.post(
        "/api/v1/auth/token/", {"username": "midwife", "password": PASSWORD}, format="json"
    ).json()
    api.post("/api/v1/auth/token/", {"username": "midwife", "password": PASSWORD}, format="json")
    response = api.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {first['token']}")
    assert response.status_code == 401
    assert response.json()["message"] == "Invalid token."


def test_expired_token_is_refused(api, midwife):
    token = api.post(
        "/api/v1/auth/token/", {"username": "midwife", "password": PASSWORD}, format="json"
    ).json()
    ApiToken.objects.filter(user=midwife).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = api.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token['token']}")
    assert response.status_code == 401
    assert set(response.json()) == {"message", "errors"}


def test_wrong_password_is_400_in_the_error_shape(api, midwife):
    response = api.post("/api/v1/auth/token/", {"username": "midwife", "password": "nope"}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "message": "Unable to sign in with the given user name and password.",
        "errors": {},
    }


def test_missing_fields_are_named(api):
    response = api.post("/api/v1/auth/token/", {}, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"username", "password"}


def test_anonymous_api_call_is_401_in_the_error_shape(api):
    response = api.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json() == {"message": "Authentication credentials were not provided.", "errors": {}}


def test_api_lockout_after_repeated_failures_even_with_the_right_password(api, midwife):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        api.post("/api/v1/auth/token/", {"username": "midwife", "password": "wrong"}, format="json")
    response = api.post("/api/v1/auth/token/", {"username": "midwife", "password": PASSWORD}, format="json")
    assert response.status_code == 403
    assert "locked" in response.json()["message"]
    assert not ApiToken.objects.filter(user=midwife).exists()


def test_web_lockout_after_repeated_failures(client, midwife):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "midwife", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "midwife", "password": PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_lockout_is_per_user_name_so_colleagues_on_the_same_address_can_sign_in(
    client, midwife, obstetrician
):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "midwife", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "obstetrician", "password": PASSWORD})
    assert response.status_code == 302


def test_successful_web_sign_in_redirects_home(client, midwife):
    response = client.post("/accounts/login/", {"username": "midwife", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"


def test_idle_session_expires(client, midwife):
    client.force_login(midwife)
    assert client.get("/").status_code == 200
    session = client.session
    session.set_expiry(-1)
    session.save()
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_session_settings_are_an_idle_timeout():
    assert settings.SESSION_COOKIE_AGE <= 60 * 60
    # Activity slides the expiry, written at most once a minute (not on every request).
    assert settings.SESSION_SAVE_EVERY_REQUEST is False
    assert 0 < settings.SESSION_REFRESH_SECONDS <= 60
    middleware = settings.MIDDLEWARE
    assert middleware.index("accounts.middleware.SessionRefreshMiddleware") == (
        middleware.index("django.contrib.sessions.middleware.SessionMiddleware") + 1
    )


def test_activity_refreshes_the_session_at_most_once_per_interval(client, midwife):
    from django.contrib.sessions.models import Session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.middleware import SEEN_KEY

    client.force_login(midwife)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert client.get("/").status_code == 200  # the first request after sign-in refreshes
    expiry = Session.objects.get(session_key=key).expire_date
    # Within the interval: no session write (no UPDATE of django_session), the expiry stays.
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/").status_code == 200
    assert not [q for q in ctx.captured_queries if "django_session" in q["sql"]]
    assert Session.objects.get(session_key=key).expire_date == expiry
    # The last refresh older than the interval: the next request writes the new expiry.
    session = client.session
    session[SEEN_KEY] -= settings.SESSION_REFRESH_SECONDS
    session.save()
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() + dt.timedelta(minutes=2))
    assert client.get("/").status_code == 200
    remaining = (Session.objects.get(session_key=key).expire_date - timezone.now()).total_seconds()
    assert settings.SESSION_COOKIE_AGE - 10 <= remaining <= settings.SESSION_COOKIE_AGE


def test_me_contract(api, obstetrician):
    body = api.as_user(obstetrician).get("/api/v1/me/").json()
    assert body["id"] == str(obstetrician.external_id)
    assert body["roles"] == ["obstetrician"]
    assert body["facility"] == {
        "id": str(obstetrician.facility.external_id),
        "name": "County A People's Hospital",
        "tier": "secondary",
    }
    assert "confirm_grade" in body["permissions"]
    chinese = api.get("/api/v1/me/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert chinese["facility"]["name"] == "甲县人民医院"


def test_me_for_a_regional_user_has_no_facility(api, supervisor):
    body = api.as_user(supervisor).get("/api/v1/me/").json()
    assert body["facility"] is None
    assert body["region"] == "450100"
