"""The resilient Redis cache: with Redis unreachable every read is a miss and every write a no-op, the
warning is not repeated per call, a browser session keeps working, and values written or deleted while
Redis could not be reached are not served stale once it answers again.

The unreachable Redis is a unix socket that does not exist (a real connection error), except where
Redis must keep its data through the outage: there the connection is refused by a patched client.
"""

import logging
import time
import uuid
from types import SimpleNamespace

import pytest
import redis
from django.conf import settings
from django.core.cache import caches

import core.cache
from core.cache import ResilientRedisCache

PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def _fresh_health(monkeypatch):
    """What the backend knows about each Redis is per process: start every test from nothing."""
    monkeypatch.setattr(core.cache, "_health", {})


@pytest.fixture
def dead_location(tmp_path):
    return f"unix://{tmp_path}/no-redis-here.sock?db=0"


def backend(location, **attributes):
    params = {"KEY_PREFIX": f"t{uuid.uuid4().hex[:8]}", "OPTIONS": settings.CACHES["default"]["OPTIONS"]}
    cache = ResilientRedisCache(location, params)
    for name, value in attributes.items():
        setattr(cache, name, value)
    return cache


def cache_warnings(caplog):
    return [r for r in caplog.records if r.name == "core.cache" and r.levelno == logging.WARNING]


def test_unreachable_redis_reads_miss_and_writes_do_nothing(dead_location):
    cache = backend(dead_location)
    assert cache.get("k") is None and cache.get("k", "fallback") == "fallback"
    assert cache.get_many(["a", "b"]) == {}
    assert cache.has_key("k") is False and "k" not in cache
    assert cache.set("k", 1) is None and cache.add("k", 1) is False
    assert cache.touch("k") is False and cache.delete("k") is False
    assert cache.set_many({"a": 1, "b": 2}) == ["a", "b"]  # the keys that were not stored
    assert cache.delete_many(["a", "b"]) is None
    assert cache.get_or_set("k", lambda: "computed") == "computed"
    with pytest.raises(ValueError):
        cache.incr("counter")
    with pytest.raises(ValueError):
        cache.decr("counter")


def test_other_redis_errors_still_raise(dead_location):
    """``clear`` is an operator's action, not request-path caching: it reports the outage."""
    with pytest.raises(redis.ConnectionError):
        backend(dead_location).clear()


def test_the_outage_is_logged_once_not_per_call(dead_location, caplog):
    cache = backend(dead_location, pause_seconds=0)  # try Redis on every call
    with caplog.at_level(logging.WARNING, logger="core.cache"):
        for n in range(20):
            cache.get(f"k{n}")
            cache.set(f"k{n}", n)
    [warning] = cache_warnings(caplog)
    assert "unreachable" in warning.getMessage() and "no-redis-here.sock" in warning.getMessage()


def test_after_a_failure_redis_is_left_alone_for_a_pause(dead_location, monkeypatch):
    """One connection attempt, then misses without touching the network until the pause is over."""
    cache = backend(dead_location, pause_seconds=3600)
    tried = []
    get_client = cache._cache.get_client
    monkeypatch.setattr(cache._cache, "get_client", lambda *a, **k: tried.append(1) or get_client(*a, **k))
    for n in range(10):
        assert cache.get(f"k{n}") is None
        cache.set(f"k{n}", n)
    assert len(tried) == 1
    later = time.monotonic() + 3601
    monkeypatch.setattr(core.cache, "time", SimpleNamespace(monotonic=lambda: later))  # pause over
    assert cache.get("k") is None
    assert len(tried) == 2


@pytest.fixture
def partitioned(monkeypatch):
    """The test Redis (our own DB index) with a switch that makes it unreachable while it keeps its
    data — a network partition rather than a restart."""
    cache = backend(settings.CACHES["default"]["LOCATION"], pause_seconds=0)
    real = cache._cache.get_client
    state = {"down": False}

    def get_client(*args, **kwargs):
        if state["down"]:
            raise redis.ConnectionError("Error 111 connecting to redis. Connection refused.")
        return real(*args, **kwargs)

    monkeypatch.setattr(cache._cache, "get_client", get_client)
    yield cache, state
    state["down"] = False
    real(write=True).delete(*[cache.make_key(k) for k in ("session", "other", "new")])


def test_what_was_deleted_or_replaced_during_the_outage_is_not_served_stale_afterwards(partitioned, caplog):
    cache, state = partitioned
    cache.set("session", "signed in")
    cache.set("other", "old")
    state["down"] = True
    with caplog.at_level(logging.WARNING, logger="core.cache"):
        assert cache.delete("session") is False  # signed out while Redis was unreachable
        cache.set("other", "new value")  # the database has the new value; Redis still the old one
        cache.set("new", "x")
        state["down"] = False
        assert cache.get("session") is None  # not the session the user signed out of
        assert cache.get("other") is None  # a miss (read from the database), not "old"
    raw = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    assert raw.exists(cache.make_key("session"), cache.make_key("other"), cache.make_key("new")) == 0
    messages = [r.getMessage() for r in cache_warnings(caplog)]
    assert len(messages) == 2 and "unreachable" in messages[0] and "reachable again" in messages[1]
    cache.set("other", "newer")
    assert cache.get("other") == "newer"


@pytest.fixture
def redis_down(settings, dead_location):
    """This process's caches point at a Redis that is not there (sessions use the cache too)."""
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "LOCATION": dead_location, "KEY_PREFIX": "down"}
    }
    assert isinstance(caches["default"], ResilientRedisCache)
    return caches["default"]


@pytest.mark.django_db
def test_browser_sign_in_pages_and_sign_out_work_while_redis_is_down(client, midwife, redis_down):
    from axes.utils import reset

    reset()
    response = client.post("/accounts/login/", {"username": "midwife", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/notifications/").status_code == 200
    assert client.get("/notifications/").status_code == 200
    client.post("/accounts/logout/")
    assert client.get("/").status_code == 302  # signed out: back to the sign-in page
    assert redis_down.get("anything") is None


def test_one_redis_client_is_kept_per_pool_not_built_per_call(monkeypatch):
    """Django built a ``redis.Redis`` for every cache call (~0.1 ms each); the backend keeps one."""
    cache = backend(settings.CACHES["default"]["LOCATION"])
    built = []
    real_init = redis.Redis.__init__

    def counting_init(self, *args, **kwargs):
        built.append(kwargs.get("connection_pool"))
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(redis.Redis, "__init__", counting_init)
    for n in range(5):
        cache.set("k", n)
        assert cache.get("k") == n
    assert cache.get_many(["k", "missing"]) == {"k": 4}
    cache.delete("k")
    assert cache.get("k") is None
    assert len(built) == 1 and built[0] is not None
    assert cache._cache.get_client() is cache._cache.get_client(write=True)
