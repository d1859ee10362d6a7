"""Schemathesis against the published OpenAPI schema, through the Django WSGI application in-process.

Every operation is called with generated data, as a clinician of the home facility and as a clinician of
another facility, each holding an API token. Each answer must be: no 5xx, a status, content type and body
that the schema documents, and no trace of the woman the caller may not see (her name, record number or
ids) — facility directories and referral suggestions are shared on purpose and carry no patient data.

The default run is a fast subset (two examples per read and per creation). The full budget — every
operation, ``FUZZ_EXAMPLES`` examples each (25 unless set) — is marked ``fuzz`` and runs only when asked
for: ``pytest -m fuzz tests/security`` (tests/security/conftest.py leaves it out otherwise).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import schemathesis
import yaml
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.services import api_token_issue
from tests.factories import PregnancyFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


SCHEMA = schemathesis.openapi.from_dict(
    yaml.safe_load((ROOT / "docs" / "openapi.yaml").read_text(encoding="utf-8"))
).exclude(
    # issuing a token signs the caller in with a password: fuzzing it only feeds the lockout
    path="/api/v1/auth/token/"
)
# The fast subset: every read (where another facility's data could leak) and the creations whose body
# reaches validation without an existing object (a random id in a path only ever meets a 404).
READS = SCHEMA.include(method="GET")
CREATIONS = SCHEMA.include(
    method="POST",
    path_regex=r"^/api/v1/(patients|pregnancies|referrals|consults|emergency-registrations|risk/grade)/$",
)
FAST_EXAMPLES = 2
FULL_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))

# Checked on every answer, against docs/openapi.yaml as published (no patching).
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

APP = get_wsgi_application()
HYPOTHESIS = {
    "deadline": None,
    "derandomize": True,
    "database": None,
    "suppress_health_check": list(HealthCheck),
}


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """The WSGI handler closes the database connection at the end of each request; the test's
    transaction lives on it. django.test.Client does the same disconnection."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def callers(obstetrician, outsider, pregnancy, other_facility):
    """Two clinicians, each with a woman the other may not see."""
    elsewhere = PregnancyFactory(
        managing_facility=other_facility, patient__registered_facility=other_facility
    )
    return {
        "clinician": (api_token_issue(actor=obstetrician)[0], elsewhere),
        "outsider": (api_token_issue(actor=outsider)[0], pregnancy),
    }


def secrets_of(pregnancy) -> list[str]:
    patient = pregnancy.patient
    return [patient.name, patient.record_number, str(patient.external_id), str(pregnancy.external_id)]


def call_and_check(case, callers, persona):
    token, hidden = callers[persona]
    headers = {"Authorization": f"Token {token}", "Host": "localhost"}
    response = case.call(app=APP, headers=headers, base_url="http://localhost")
    case.validate_response(response, checks=CHECKS, headers=headers)
    leaked = [value for value in secrets_of(hidden) if value in response.text]
    assert not leaked, (persona, case.method, case.formatted_path, leaked)


@pytest.mark.parametrize("persona", ["clinician", "outsider"])
@READS.parametrize()
@settings(max_examples=FAST_EXAMPLES, **HYPOTHESIS)
def test_reads_answer_within_the_schema_and_leak_no_other_womans_data(case, callers, persona):
    call_and_check(case, callers, persona)


@pytest.mark.parametrize("persona", ["clinician", "outsider"])
@CREATIONS.parametrize()
@settings(max_examples=FAST_EXAMPLES, **HYPOTHESIS)
def test_creations_answer_within_the_schema_and_leak_no_other_womans_data(case, callers, persona):
    call_and_check(case, callers, persona)


@pytest.mark.fuzz
@pytest.mark.parametrize("persona", ["clinician", "outsider"])
@SCHEMA.parametrize()
@settings(max_examples=FULL_EXAMPLES, **HYPOTHESIS)
def test_full_budget_every_operation_within_the_schema_and_no_leak(case, callers, persona):
    call_and_check(case, callers, persona)
