"""Production settings pass Django's deployment checks; the OpenAPI schema generates without warnings;
gunicorn reads the project's settings file."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _manage(*args, **env):
    # `make test` and tests/e2e/conftest.py set DJANGO_ALLOW_ASYNC_UNSAFE for the browser tests; a
    # deployment never has it, and `check --deploy` rightly reports it (async.E001).
    base = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=base | env,
    )


def test_check_deploy_is_clean_under_production_settings():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SETTINGS_MODULE="maternal_safety.settings.production",
        SECRET_KEY="x" * 20 + "a-long-random-production-secret-for-the-check-only-7f3e9",
        ALLOWED_HOSTS="maternal.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env | {"DJANGO_SETTINGS_MODULE": "maternal_safety.settings.production", "ALLOWED_HOSTS": "x.org"},
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.django_db
def test_openapi_schema_generates_without_warnings(tmp_path):
    from django.core.management import call_command

    target = tmp_path / "schema.yml"
    call_command("spectacular", "--file", str(target), "--validate", "--fail-on-warn")
    text = target.read_text()
    for path in ("/api/v1/auth/token/", "/api/v1/me/", "/api/v1/facilities/", "/api/v1/pregnancies/{id}/"):
        assert path in text


def test_published_schema_file_is_current(tmp_path):
    """docs/openapi.yaml is what partner systems read; regenerate it with `make schema`."""
    result = _manage(
        "spectacular",
        "--file",
        str(tmp_path / "s.yml"),
        DJANGO_SETTINGS_MODULE="maternal_safety.settings.test",
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "s.yml").read_text() == (ROOT / "docs" / "openapi.yaml").read_text()


def test_gunicorn_reads_the_projects_settings_file_and_its_workers_freeze_what_they_loaded():
    """``gunicorn.conf.py`` at the root is read by every gunicorn started from there (make run, the
    image, make bench) without a ``-c``; its ``post_worker_init`` moves the loaded objects out of the
    garbage collector's reach, and ``post_request`` what the first requests added."""
    gunicorn = Path(sys.executable).with_name("gunicorn")
    shown = subprocess.run(
        [str(gunicorn), "--print-config", "maternal_safety.wsgi"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert re.search(r"^post_worker_init\s+= <post_worker_init\(\)>$", shown, re.MULTILINE), shown
    assert re.search(r"^post_request\s+= <post_request\(\)>$", shown, re.MULTILINE), shown


# In a new process, as a worker starts: the hook, then what a first request needs (the URL conf,
# reversing a case page's address, a Chinese and an English catalogue). Prints the frozen objects, the
# objects the collector tracked before and after that request's needs, and whether the views were loaded.
_WORKER_START = """
import gc, json, runpy, sys
import django
django.setup()
runpy.run_path("gunicorn.conf.py")["post_worker_init"](None)
frozen, before = gc.get_freeze_count(), len(gc.get_objects())
views_loaded = "consults.views" in sys.modules and "referrals.api.views" in sys.modules
from django.urls import resolve, reverse
from django.utils import translation
resolve("/")
reverse("cases:pregnancy_detail", args=["0b0c1a86-8f52-4a7e-9a55-3c1f1b1e2f01"])
for code in ("zh-hans", "en"):
    with translation.override(code):
        translation.gettext("Worklist")
gc.collect()
print(json.dumps({"frozen": frozen, "before": before, "after": len(gc.get_objects()), "views": views_loaded}))
"""


def test_a_worker_loads_the_url_conf_and_catalogues_before_it_freezes():
    """What the first request would load lazily (about 500 modules behind the URL conf: 40,000 objects)
    is loaded and frozen at the worker's start, so full collections do not walk it again and again."""
    import json

    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    done = subprocess.run(
        [sys.executable, "-c", _WORKER_START],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["views"] is True
    assert figures["frozen"] > 100_000
    # Without the warm-up the first request's needs left some 40,000 new objects to the collector.
    assert figures["after"] - figures["before"] < 2_000, figures


def test_a_worker_freezes_again_after_its_hundredth_and_thousandth_requests(monkeypatch):
    """The hook freezes at the 100th and the 1,000th request only, and what was alive then is frozen.
    Counts compare with a margin: a frozen object that dies (another thread of the test process) leaves
    the permanent generation, so its size can also shrink between two reads (seen in CI: by 2)."""
    import gc
    import runpy
    from types import SimpleNamespace

    from maternal_safety import warmup

    frozen_at, real_freeze = [], warmup.freeze_what_is_alive
    hook = runpy.run_path(str(ROOT / "gunicorn.conf.py"))["post_request"]
    gc.unfreeze()
    try:
        kept = [[n] for n in range(1_000)]  # alive since the worker started serving
        counts = {}
        for nr in (1, 99, 100, 101, 999):
            monkeypatch.setattr(
                warmup, "freeze_what_is_alive", lambda nr=nr: (frozen_at.append(nr), real_freeze())
            )
            hook(SimpleNamespace(nr=nr), None, {}, None)
            counts[nr] = gc.get_freeze_count()
        assert counts[1] == counts[99] == 0
        assert counts[100] >= len(kept)
        later = [[n] for n in range(1_000)]  # built by requests 101 to 1,000
        for nr in (1_000, 1_001):
            monkeypatch.setattr(
                warmup, "freeze_what_is_alive", lambda nr=nr: (frozen_at.append(nr), real_freeze())
            )
            hook(SimpleNamespace(nr=nr), None, {}, None)
            counts[nr] = gc.get_freeze_count()
        assert counts[1_000] >= counts[999] + len(later) - 100
        assert frozen_at == [100, 1_000]
    finally:
        gc.unfreeze()
