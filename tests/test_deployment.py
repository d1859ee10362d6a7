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
    garbage collector's reach."""
    import gc
    import runpy

    gunicorn = Path(sys.executable).with_name("gunicorn")
    shown = subprocess.run(
        [str(gunicorn), "--print-config", "maternal_safety.wsgi"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert re.search(r"^post_worker_init\s+= <post_worker_init\(\)>$", shown, re.MULTILINE), shown
    hook = runpy.run_path(str(ROOT / "gunicorn.conf.py"))["post_worker_init"]
    gc.unfreeze()
    try:
        hook(None)
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
