"""The access matrix: every endpoint and page × every persona, generated from one table.

Each row names an endpoint or page and the expected status for each persona. All rows share the
same setup (one pregnancy managed at the home facility), so a denial cannot pass because of missing
data: the same request succeeds for the personas that are allowed.

Personas: anonymous; ``same`` = a midwife at the managing facility; ``other`` = an obstetrician at an
unrelated facility; ``supervisor`` of the region containing the facility; ``other_supervisor`` of a
sibling region; ``auditor``; ``admin`` = facility administrator; ``break_glass`` = the ``other``
clinician after opening an emergency access.
"""

import pytest

from cases.services import break_glass_open

PERSONAS = ["anonymous", "same", "other", "supervisor", "other_supervisor", "auditor", "admin", "break_glass"]

# (name, method, url template, body, expected statuses by persona)
API = [
    ("me", "get", "/api/v1/me/", None, dict.fromkeys(PERSONAS[1:], 200) | {"anonymous": 401}),
    ("facility list", "get", "/api/v1/facilities/", None, dict.fromkeys(PERSONAS[1:], 200) | {"anonymous": 401}),
    ("facility detail", "get", "/api/v1/facilities/{facility}/", None,
     dict.fromkeys(PERSONAS[1:], 200) | {"anonymous": 401}),
    ("pregnancy list", "get", "/api/v1/pregnancies/", None, dict.fromkeys(PERSONAS[1:], 200) | {"anonymous": 401}),
    ("pregnancy detail", "get", "/api/v1/pregnancies/{pregnancy}/", None,
     {"anonymous": 401, "same": 200, "other": 404, "supervisor": 200, "other_supervisor": 404, "auditor": 404,
      "admin": 404, "break_glass": 200}),
    ("patient list", "get", "/api/v1/patients/", None, dict.fromkeys(PERSONAS[1:], 200) | {"anonymous": 401}),
    ("patient detail", "get", "/api/v1/patients/{patient}/", None,
     {"anonymous": 401, "same": 200, "other": 404, "supervisor": 200, "other_supervisor": 404, "auditor": 404,
      "admin": 404, "break_glass": 200}),
    ("reveal identifiers", "post", "/api/v1/patients/{patient}/reveal-id/", {},
     {"anonymous": 401, "same": 200, "other": 404, "supervisor": 403, "other_supervisor": 404, "auditor": 404,
      "admin": 404, "break_glass": 200}),
    ("change a woman", "patch", "/api/v1/patients/{patient}/", {"address": "幸福路 1 号"},
     {"anonymous": 401, "same": 200, "other": 404, "supervisor": 403, "other_supervisor": 404, "auditor": 404,
      "admin": 404, "break_glass": 403}),
    ("visit list", "get", "/api/v1/pregnancies/{pregnancy}/visits/", None,
     {"anonymous": 401, "same": 200, "other": 404, "supervisor": 200, "other_supervisor": 404, "auditor": 404,
      "admin": 404, "break_glass": 200}),
    ("record a visit", "post", "/api/v1/pregnancies/{pregnancy}/visits/", {"sbp_mmhg": 112, "dbp_mmhg": 70},
     {"anonymous": 401, "same": 201, "other": 404, "supervisor": 403, "other_supervisor": 404, "auditor": 404,
      "admin": 404, "break_glass": 403}),
    ("change care arrangements", "patch", "/api/v1/pregnancies/{pregnancy}/", {"fetuses": 2},
     {"anonymous": 401, "same": 200, "other": 404, "supervisor": 403, "other_supervisor": 404, "auditor": 404,
      "admin": 404, "break_glass": 403}),
    ("emergency registration", "post", "/api/v1/emergency-registrations/",
     {"estimated_age_years": 30, "estimated_ga_weeks": 36},
     {"anonymous": 401, "same": 201, "other": 201, "supervisor": 403, "other_supervisor": 403, "auditor": 403,
      "admin": 403, "break_glass": 201}),
    ("care tasks", "get", "/api/v1/care-tasks/", None, dict.fromkeys(PERSONAS[1:], 200) | {"anonymous": 401}),
    ("stateless grading", "post", "/api/v1/risk/grade/", {"measurements": {"age_years": 41}},
     dict.fromkeys(PERSONAS[1:], 200) | {"anonymous": 401}),
    ("risk criteria", "get", "/api/v1/risk/criteria/", None, dict.fromkeys(PERSONAS[1:], 200) | {"anonymous": 401}),
    ("risk assessments", "get", "/api/v1/pregnancies/{pregnancy}/risk-assessments/", None,
     {"anonymous": 401, "same": 200, "other": 404, "supervisor": 200, "other_supervisor": 404, "auditor": 404,
      "admin": 404, "break_glass": 200}),
    # "same" is a midwife: she may see and record but not confirm a five-colour grade (403 by role).
    ("grade a pregnancy", "post", "/api/v1/pregnancies/{pregnancy}/risk-assessments/", {"measurements": {
        "pasp_mmhg": 55}},
     {"anonymous": 401, "same": 403, "other": 404, "supervisor": 403, "other_supervisor": 404, "auditor": 404,
      "admin": 404, "break_glass": 403}),
    ("observation chart", "get", "/api/v1/pregnancies/{pregnancy}/observations/", None,
     {"anonymous": 401, "same": 200, "other": 404, "supervisor": 200, "other_supervisor": 404, "auditor": 404,
      "admin": 404, "break_glass": 200}),
    ("record observations", "post", "/api/v1/pregnancies/{pregnancy}/observations/", {"pulse_bpm": 88},
     {"anonymous": 401, "same": 201, "other": 404, "supervisor": 403, "other_supervisor": 404, "auditor": 404,
      "admin": 404, "break_glass": 403}),
    ("case management list", "get", "/api/v1/case-management/", None,
     dict.fromkeys(PERSONAS[1:], 200) | {"anonymous": 401}),
    ("grading reports", "get", "/api/v1/risk/reports/", None, dict.fromkeys(PERSONAS[1:], 200) | {"anonymous": 401}),
    ("audit events", "get", "/api/v1/audit-events/", None,
     dict.fromkeys(PERSONAS[1:], 403) | {"anonymous": 401, "auditor": 200}),
    ("emergency accesses", "get", "/api/v1/break-glass/", None,
     dict.fromkeys(PERSONAS[1:], 403) | {"anonymous": 401, "auditor": 200, "admin": 200}),
    ("open emergency access", "post", "/api/v1/pregnancies/{pregnancy}/break-glass/",
     {"reason": "Arrived bleeding, no records at hand"},
     {"anonymous": 401, "same": 201, "other": 201, "supervisor": 403, "other_supervisor": 403, "auditor": 403,
      "admin": 403, "break_glass": 201}),
]

PAGES = [
    ("home", "/", dict.fromkeys(PERSONAS[1:], 200) | {"anonymous": 302}),
    ("facility directory", "/facilities/", dict.fromkeys(PERSONAS[1:], 200) | {"anonymous": 302}),
    ("facility page", "/facilities/{facility}/", dict.fromkeys(PERSONAS[1:], 200) | {"anonymous": 302}),
    ("staff directory", "/facilities/staff/", dict.fromkeys(PERSONAS[1:], 200) | {"anonymous": 302}),
    ("audit search", "/audit/", dict.fromkeys(PERSONAS[1:], 404) | {"anonymous": 302, "auditor": 200}),
    ("case page", "/cases/pregnancies/{pregnancy}/",
     {"anonymous": 302, "same": 200, "other": 404, "supervisor": 200, "other_supervisor": 404, "auditor": 404,
      "admin": 404, "break_glass": 200}),
    ("case print", "/cases/pregnancies/{pregnancy}/print/",
     {"anonymous": 302, "same": 200, "other": 404, "supervisor": 200, "other_supervisor": 404, "auditor": 404,
      "admin": 404, "break_glass": 200}),
    # Registering is for clinicians, at their own facility: roles that may not register get 403.
    ("register a woman", "/cases/register/",
     {"anonymous": 302, "same": 200, "other": 200, "supervisor": 403, "other_supervisor": 403, "auditor": 403,
      "admin": 403, "break_glass": 200}),
    ("emergency arrival", "/cases/emergency/",
     {"anonymous": 302, "same": 200, "other": 200, "supervisor": 403, "other_supervisor": 403, "auditor": 403,
      "admin": 403, "break_glass": 200}),
    *[
        (name, "/cases/pregnancies/{pregnancy}/" + suffix,
         {"anonymous": 302, "same": 200, "other": 404, "supervisor": 403, "other_supervisor": 404,
          "auditor": 404, "admin": 404, "break_glass": 403})
        for name, suffix in (("visit entry", "visits/new/"), ("delivery entry", "delivery/new/"),
                             ("dating entry", "datings/new/"), ("status change", "status/"))
    ],
    ("emergency access form", "/cases/pregnancies/{pregnancy}/break-glass/",
     dict.fromkeys(PERSONAS[1:], 404) | {"anonymous": 302, "same": 200, "other": 200, "break_glass": 200}),
    ("emergency access reviews", "/cases/emergency-accesses/",
     dict.fromkeys(PERSONAS[1:], 404) | {"anonymous": 302, "auditor": 200, "admin": 200}),
]


@pytest.fixture
def cast(request, pregnancy, midwife, outsider, supervisor, other_supervisor, auditor, facility_admin):
    return {
        "anonymous": None, "same": midwife, "other": outsider, "supervisor": supervisor,
        "other_supervisor": other_supervisor, "auditor": auditor, "admin": facility_admin,
    }


def _user_for(persona, cast, pregnancy):
    if persona == "break_glass":
        break_glass_open(actor=cast["other"], pregnancy_id=pregnancy.external_id, reason="Emergency: no records here")
        return cast["other"]
    return cast[persona]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("row", API, ids=[row[0] for row in API])
def test_api_access(row, persona, cast, pregnancy, home_facility, api):
    name, method, template, body, expected = row
    user = _user_for(persona, cast, pregnancy)
    url = template.format(pregnancy=pregnancy.external_id, facility=home_facility.external_id,
                          patient=pregnancy.patient.external_id)
    response = getattr(api.as_user(user), method)(url, body, format="json")
    assert response.status_code == expected[persona], response.content[:300]
    if response.status_code >= 400:
        assert set(response.json()) == {"message", "errors"}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("row", PAGES, ids=[row[0] for row in PAGES])
def test_page_access(row, persona, cast, pregnancy, home_facility, client):
    name, template, expected = row
    user = _user_for(persona, cast, pregnancy)
    if user is not None:
        client.force_login(user)
    url = template.format(pregnancy=pregnancy.external_id, facility=home_facility.external_id)
    response = client.get(url)
    assert response.status_code == expected[persona]
    if response.status_code == 302:
        assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    ("persona", "expected_count"),
    [("same", 1), ("other", 0), ("supervisor", 1), ("other_supervisor", 0), ("auditor", 0), ("admin", 0),
     ("break_glass", 1)],
)
def test_pregnancy_list_is_scoped(persona, expected_count, cast, pregnancy, api):
    user = _user_for(persona, cast, pregnancy)
    body = api.as_user(user).get("/api/v1/pregnancies/").json()
    assert body["count"] == expected_count
    assert [row["id"] for row in body["results"]] == [str(pregnancy.external_id)] * expected_count
