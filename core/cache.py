"""A Redis cache that degrades instead of failing while Redis is unreachable.

Django's ``RedisCache`` raises on every connection error, so with Redis down any cache use on the
request path (the ``cached_db`` session engine reads and writes the cache on every request) turns
into a 500. ``ResilientRedisCache`` treats "cannot reach Redis" (``redis.ConnectionError``,
``redis.TimeoutError``) as a miss on reads and as a no-op on writes:

- ``get`` → the default, ``get_many`` → ``{}``, ``has_key`` / ``add`` / ``touch`` / ``delete`` →
  ``False``, ``incr`` / ``decr`` → ``ValueError`` (what a missing key gives), ``set`` → nothing,
  ``set_many`` → every key reported as not stored. ``clear`` still raises: it is an explicit
  operator action, not request-path caching.
- After a failure the backend leaves Redis alone for ``pause_seconds`` (every call is a miss at once)
  and then tries again, so a Redis host that does not answer costs one connect timeout (``OPTIONS``
  ``socket_connect_timeout``) every few seconds per process, not one per cache call.
- The warning is rate-limited: one when Redis becomes unreachable, then at most one every
  ``warn_every_seconds`` with the number of skipped operations, and one when it is back.
- Keys whose ``set`` / ``delete`` did not reach Redis are remembered (per process, at most
  ``max_stale_keys``) and deleted first when Redis answers again: a Redis that was only unreachable
  (not restarted empty) must not serve a value the application replaced or removed meanwhile, such
  as a session the user logged out of. The caveat: a process that dies before Redis comes back
  forgets its list, and such a key lives until its own timeout (for sessions,
  ``SESSION_IDLE_SECONDS``); callers that need a strict guarantee must not rely on the cache alone
  (``cached_db`` sessions write the database first).

Other Redis errors (a wrong command, a read-only replica) are bugs or misconfiguration and still raise.

Django's client wraps its connection pool in a new ``redis.Redis`` for every cache call, and that
constructor fills a table of some 170 response callbacks: about 0.1 ms of CPU per call, on every
request (the session read). ``KeptClientRedisCacheClient`` keeps one ``redis.Redis`` per pool instead
(a ``redis.Redis`` is only a front of its pool; Django's cache objects are per thread already).
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError)
_MISSING = object()


@dataclass
class _Health:
    """What one process knows about one Redis location; shared by the backend instances of every
    thread (Django keeps one cache instance per thread)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    down_since: float | None = None
    paused_until: float = 0.0
    last_warned: float = 0.0
    skipped: int = 0
    stale: set[str] = field(default_factory=set)
    stale_overflow: bool = False


_health: dict[str, _Health] = {}
_health_lock = threading.Lock()


def _public(location: str) -> str:
    """The location without credentials, for logs."""
    parts = urlsplit(location)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


class KeptClientRedisCacheClient(RedisCacheClient):
    """Django's client with one ``redis.Redis`` per connection pool, made at its first use (see module)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, tuple[object, object]] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        kept = self._clients.get(id(pool))
        if kept is None or kept[0] is not pool:
            kept = self._clients[id(pool)] = (pool, self._client(connection_pool=pool))
        return kept[1]


class ResilientRedisCache(RedisCache):
    """``RedisCache`` that serves misses and skips writes while Redis cannot be reached (see module)."""

    pause_seconds = 2.0
    warn_every_seconds = 60.0
    max_stale_keys = 10_000

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = KeptClientRedisCacheClient
        self._location = _public(self._servers[0])
        with _health_lock:
            self._health = _health.setdefault(",".join(self._servers), _Health())

    # --- the guard ---------------------------------------------------------------------------------

    def _guard(self, operation, fallback, *, writes=None):
        """Run ``operation``; if Redis is unreachable (now, or recently), return ``fallback`` and
        remember the keys ``writes()`` returns (final keys) as possibly stale in Redis."""
        health = self._health
        now = time.monotonic()
        if health.down_since is not None and now < health.paused_until:
            self._note_skipped(health, now, writes)
            return fallback
        try:
            if health.stale or health.stale_overflow:
                self._purge_stale(health)
            result = operation()
        except UNREACHABLE as exc:
            self._note_failure(health, now, writes, exc)
            return fallback
        if health.down_since is not None:
            self._note_recovered(health, now)
        return result

    def _remember(self, health: _Health, writes) -> None:
        if writes is None or health.stale_overflow:
            return
        health.stale.update(writes())
        if len(health.stale) > self.max_stale_keys:
            health.stale.clear()
            health.stale_overflow = True

    def _note_skipped(self, health: _Health, now: float, writes) -> None:
        with health.lock:
            health.skipped += 1
            self._remember(health, writes)
            self._warn_still_down(health, now)

    def _note_failure(self, health: _Health, now: float, writes, exc: Exception) -> None:
        with health.lock:
            health.paused_until = now + self.pause_seconds
            self._remember(health, writes)
            if health.down_since is None:
                health.down_since, health.last_warned, health.skipped = now, now, 1
                log.warning(
                    "cache %s unreachable (%s: %s): serving misses and skipping writes until it answers",
                    self._location,
                    type(exc).__name__,
                    exc,
                )
                return
            health.skipped += 1
            self._warn_still_down(health, now)

    def _warn_still_down(self, health: _Health, now: float) -> None:
        if now - health.last_warned >= self.warn_every_seconds:
            log.warning(
                "cache %s still unreachable after %.0f s: %d operations served as misses or skipped",
                self._location,
                now - (health.down_since or now),
                health.skipped,
            )
            health.last_warned = now

    def _note_recovered(self, health: _Health, now: float) -> None:
        with health.lock:
            if health.down_since is None:
                return
            log.warning(
                "cache %s reachable again after %.0f s (%d operations served as misses or skipped)",
                self._location,
                now - health.down_since,
                health.skipped,
            )
            health.down_since, health.skipped, health.paused_until = None, 0, 0.0

    def _purge_stale(self, health: _Health) -> None:
        """Delete what this process may have left stale in Redis while it could not reach it."""
        with health.lock:
            keys, overflow = list(health.stale), health.stale_overflow
        if overflow:
            log.error(
                "cache %s: more than %d writes were skipped while it was unreachable; stale values "
                "may be served until they expire",
                self._location,
                self.max_stale_keys,
            )
        if keys:
            self._cache.delete_many(keys)  # raises UNREACHABLE if it is down again: kept for next time
        with health.lock:
            health.stale.difference_update(keys)
            health.stale_overflow = False

    # --- the cache API -----------------------------------------------------------------------------

    def get(self, key, default=None, version=None):
        return self._guard(functools.partial(super().get, key, default, version), default)

    def get_many(self, keys, version=None):
        return self._guard(functools.partial(super().get_many, keys, version), {})

    def has_key(self, key, version=None):
        return self._guard(functools.partial(super().has_key, key, version), False)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard(functools.partial(super().add, key, value, timeout, version), False)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard(functools.partial(super().touch, key, timeout, version), False)

    def _final_keys(self, keys, version):
        """The keys as stored in Redis (prefix, version), computed only when a write was skipped."""
        return lambda: [self.make_key(key, version=version) for key in keys]

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        operation = functools.partial(super().set, key, value, timeout, version)
        self._guard(operation, None, writes=self._final_keys([key], version))

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        operation = functools.partial(super().set_many, data, timeout, version)
        return self._guard(operation, list(data), writes=self._final_keys(list(data), version))

    def delete(self, key, version=None):
        operation = functools.partial(super().delete, key, version)
        return self._guard(operation, False, writes=self._final_keys([key], version))

    def delete_many(self, keys, version=None):
        keys = list(keys)
        operation = functools.partial(super().delete_many, keys, version)
        self._guard(operation, None, writes=self._final_keys(keys, version))

    def incr(self, key, delta=1, version=None):
        result = self._guard(functools.partial(super().incr, key, delta, version), _MISSING)
        if result is _MISSING:
            raise ValueError(f"Key '{key}' not found (the cache is unreachable).")
        return result
