"""``core.storage.ManifestStaticStorage``: production's static URLs, worked out once per process."""

import json

import pytest
from django.test import override_settings
from whitenoise.storage import CompressedManifestStaticFilesStorage

from core.storage import ManifestStaticStorage


@pytest.fixture
def collected(tmp_path):
    """A collected static folder: just its manifest, as ``collectstatic`` writes it."""
    manifest = {"paths": {"css/app.css": "css/app.0123abcd.css", "img/logo.svg": "img/logo.4567ef01.svg"}}
    (tmp_path / "staticfiles.json").write_text(json.dumps({**manifest, "version": "1.1"}))
    return tmp_path


def _both(folder):
    return (
        ManifestStaticStorage(location=str(folder), base_url="/static/"),
        CompressedManifestStaticFilesStorage(location=str(folder), base_url="/static/"),
    )


@override_settings(DEBUG=False)
def test_urls_are_the_manifest_storages_every_time(collected):
    ours, theirs = _both(collected)
    for _ in range(2):
        for name in ("css/app.css", "img/logo.svg"):
            assert ours.url(name) == theirs.url(name)
    assert ours.url("css/app.css") == "/static/css/app.0123abcd.css"
    ours.hashed_files = {}  # the manifest is not read again for a URL already worked out
    assert ours.url("css/app.css") == "/static/css/app.0123abcd.css"


@override_settings(DEBUG=False)
def test_a_file_missing_from_the_manifest_fails_every_time(collected):
    ours, _ = _both(collected)
    for _ in range(2):
        with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
            ours.url("js/nowhere.js")


def test_with_debug_on_names_stay_unhashed_and_nothing_is_kept(collected):
    ours, _ = _both(collected)
    with override_settings(DEBUG=True):
        assert ours.url("css/app.css") == "/static/css/app.css"
    with override_settings(DEBUG=False):
        assert ours.url("css/app.css") == "/static/css/app.0123abcd.css"
