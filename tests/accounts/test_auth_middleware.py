"""``accounts.middleware.AuthenticationMiddleware``: ``request.user`` is read lazily, at most once, and is
the user herself (not a proxy) once read."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.middleware import SessionMiddleware
from django.test import RequestFactory
from django.utils.functional import SimpleLazyObject

from accounts.middleware import AuthenticationMiddleware
from accounts.models import User

pytestmark = pytest.mark.django_db


def _request(client=None):
    request = RequestFactory().get("/")
    if client is not None:
        request.COOKIES = {k: v.value for k, v in client.cookies.items()}
    SessionMiddleware(lambda r: None).process_request(request)
    AuthenticationMiddleware(lambda r: None).process_request(request)
    return request


def test_the_user_is_unwrapped_once_read(client, midwife, django_assert_num_queries):
    client.force_login(midwife)
    request = _request(client)
    lazy = request.user
    assert isinstance(lazy, SimpleLazyObject)
    assert lazy.is_authenticated  # the first read
    assert type(request.user) is User and request.user.pk == midwife.pk
    assert lazy.pk == midwife.pk  # whoever kept the proxy still reads the same user
    with django_assert_num_queries(0):
        assert request.user.roles == midwife.roles


def test_nothing_is_read_for_a_request_that_never_looks(client, midwife, django_assert_num_queries):
    client.force_login(midwife)
    with django_assert_num_queries(0):
        request = _request(client)
    assert isinstance(request.user, SimpleLazyObject)


def test_without_a_session_the_user_is_anonymous(django_assert_num_queries):
    request = _request()
    with django_assert_num_queries(0):
        assert not request.user.is_authenticated
    assert isinstance(request.user, AnonymousUser)


def test_pages_and_the_api_see_the_user_herself(client, midwife):
    client.force_login(midwife)
    response = client.get("/")
    assert response.status_code == 200
    assert type(response.wsgi_request.user) is User
    assert type(response.context["user"]) is User
