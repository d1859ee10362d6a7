"""The runtime tooling stays consistent with the settings: no database, no processes started."""

import importlib.util
import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def _load_run_module():
    spec = importlib.util.spec_from_file_location("ms_run_script", ROOT / "scripts" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_env_example_documents_every_variable_the_settings_read():
    read = set()
    for path in (ROOT / "maternal_safety" / "settings").glob("*.py"):
        read |= set(re.findall(r"""env(?:\.\w+)?\(\s*["']([A-Z][A-Z0-9_]*)["']""", path.read_text()))
    assert {"DATABASE_URL", "SECRET_KEY"} <= read
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", (ROOT / ".env.example").read_text(), re.M))
    assert sorted(read - documented) == []


def test_makefile_has_the_documented_targets():
    text = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][a-z-]*):", text, re.M))
    assert {"run", "test", "migrate", "seed", "lint", "messages", "schema", "clean-run"} <= targets


@pytest.mark.parametrize("script", ["scripts/test.sh", "scripts/services.sh", ".ci/run"])
def test_shell_scripts_are_executable_and_parse(script):
    path = ROOT / script
    assert os.access(path, os.X_OK), f"{script} is not executable"
    subprocess.run(["bash", "-n", str(path)], check=True)


def test_compose_has_every_service_from_one_image():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"db", "redis", "migrate", "web", "worker", "beat"} <= set(services)
    assert services["db"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")
    for name in ("migrate", "web", "worker", "beat"):
        env = services[name]["environment"]
        assert env["DJANGO_SETTINGS_MODULE"] == "maternal_safety.settings.production"
    assert services["web"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_run_prints_one_demo_login_per_role(tmp_path):
    run = _load_run_module()
    summary = tmp_path / "summary.json"
    summary.write_text(
        json.dumps(
            {
                "facilities": [{"id": "f1", "name": "甲县人民医院"}],
                "users": [
                    {"username": "ob.a", "role": "obstetrician", "facility": "f1", "region": "450102"},
                    {"username": "ob.b", "role": "obstetrician", "facility": "f1", "region": "450102"},
                    {"username": "sup", "role": "regional_supervisor", "facility": None, "region": "450100"},
                ],
            }
        ),
        encoding="utf-8",
    )
    assert run.demo_logins(summary) == [
        ("obstetrician", "ob.a  (甲县人民医院)"),
        ("regional_supervisor", "sup  (region 450100)"),
    ]
    assert run.demo_logins(tmp_path / "missing.json") == []
