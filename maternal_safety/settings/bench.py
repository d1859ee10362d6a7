"""``make bench``: production's settings on 127.0.0.1, plus the bench-only minimal views.

Everything production does stays on (DEBUG off, persistent database connections from ``CONN_MAX_AGE``,
sessions in the database behind the cache, audit rows, HTTPS behind a proxy: the load generator sends
``X-Forwarded-Proto: https`` as the reverse proxy would). ``bench/regional.py`` sets ``SECRET_KEY``,
``ALLOWED_HOSTS``, ``DATABASE_URL``, the cache and the broker in the environment.
"""

import os

from .production import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
# As in the production image, static files are collected (hashed, compressed) before gunicorn starts;
# the harness collects them into its own temporary folder (BENCH_STATIC_ROOT is set by bench/regional.py
# only, so it is not an operator setting of .env.example).
STATIC_ROOT = os.environ.get("BENCH_STATIC_ROOT", str(STATIC_ROOT))  # noqa: F405
