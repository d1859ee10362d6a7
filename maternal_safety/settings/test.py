"""Test settings: real PostgreSQL and Redis, our own database name and Redis DB index."""

from .base import *  # noqa: F403
from .base import env

SECRET_KEY = "test-only-secret-key-not-for-any-deployment"  # noqa: S105
DEBUG = False
DATABASES = {
    "default": env.db_url("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/maternal_safety"),
}
DATABASES["default"]["CONN_MAX_AGE"] = 0
# production's backend and health check (base.py), on the test database
DATABASES["default"] |= {"ENGINE": "core.db.postgresql", "CONN_HEALTH_CHECKS": True}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
REDIS_URL = env("TEST_REDIS_URL", default="redis://127.0.0.1:6379/8")
CACHES = {
    "default": {
        "BACKEND": "core.cache.ResilientRedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "mstest",
        "OPTIONS": {"socket_connect_timeout": 0.3, "socket_timeout": 0.5},
    }
}
CELERY_BROKER_URL = env("TEST_CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = CELERY_BROKER_URL
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
LANGUAGE_CODE = "en"
# The reliability tests kill workers: look for their unacknowledged messages on every restore interval
# (5 s) instead of every tenth, so that with a short CELERY_VISIBILITY_TIMEOUT they come back in seconds.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    **CELERY_BROKER_TRANSPORT_OPTIONS,  # noqa: F405
    "unacked_restore_throttle": 1,
}
