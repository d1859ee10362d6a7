"""Browser tests: Debian's Chromium driven by Playwright against Django's live server.

Playwright's sync API runs an event loop in the test thread; Django refuses ORM calls from a thread
with a running loop unless DJANGO_ALLOW_ASYNC_UNSAFE is set (safe here: the test thread is the only
caller). The variable is set only while a browser test runs: set for the whole session it leaks into
subprocesses of other tests (``manage.py check --deploy`` then fails with async.E001).
"""

import os
from pathlib import Path

import pytest

ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"
E2E_DIR = Path(__file__).resolve().parent

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"

DESKTOP = {"width": 1366, "height": 768}
TABLET = {"width": 1024, "height": 768}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Allow synchronous ORM calls during the setup, call and teardown of browser tests only."""
    if E2E_DIR not in Path(item.path).parents:
        yield
        return
    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(ASYNC_UNSAFE, None)
        else:
            os.environ[ASYNC_UNSAFE] = previous


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # A Chinese-speaking clinician's browser on a ward desktop.
    return {**browser_context_args, "locale": "zh-CN", "viewport": DESKTOP}


@pytest.fixture
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
