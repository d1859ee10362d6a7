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
    # Alerts: everyone has her own inbox and bell (signed out, the bell is empty: 204, polling stops);
    # the operations page is for administrators (facility administrator: her facility).
    ("alert inbox", "/notifications/", dict.fromkeys(PERSONAS[1:], 200) | {"anonymous": 302}),
    ("alert bell", "/notifications/bell/", dict.fromkeys(PERSONAS[1:], 200) | {"anonymous": 204}),
    ("alert operations", "/notifications/operations/",
     dict.fromkeys(PERSONAS[1:], 404) | {"anonymous": 302, "admin": 200}),
]


# Referrals: one routine referral of the woman from the home facility to a city critical care centre
# where none of the personas works, so "other" stays unrelated. The home facility is the sending side:
# its midwife ("same") may cancel and write in the thread (her role refers); for the receiving side's
# steps everyone who may see the referral is on the wrong side (403), everyone else gets 404; a step
# the sender may take but not yet (departure before acceptance) is 409. The regional supervisor and
# the emergency access read, never act.
_SEES_REFERRAL = {"anonymous": 401, "same": 200, "other": 404, "supervisor": 200, "other_supervisor": 404,
                  "auditor": 404, "admin": 404, "break_glass": 200}
_RECEIVER_STEP = _SEES_REFERRAL | {"same": 403, "supervisor": 403, "break_glass": 403}
REFERRAL_API = [
    ("referral list", "get", "/api/v1/referrals/", None,
     dict.fromkeys(PERSONAS[1:], 200) | {"anonymous": 401}),
    ("referral detail", "get", "/api/v1/referrals/{referral}/", None, _SEES_REFERRAL),
    ("accept a referral", "post", "/api/v1/referrals/{referral}/accept/", {}, _RECEIVER_STEP),
    ("decline a referral", "post", "/api/v1/referrals/{referral}/decline/", {"reason": "No beds"},
     _RECEIVER_STEP),
    ("record an arrival", "post", "/api/v1/referrals/{referral}/arrive/", {}, _RECEIVER_STEP),
    ("complete a referral", "post", "/api/v1/referrals/{referral}/complete/",
     {"summary": "Seen", "disposition": "Home"}, _RECEIVER_STEP),
    ("cancel a referral", "post", "/api/v1/referrals/{referral}/cancel/", {"reason": "Delivered here"},
     _SEES_REFERRAL | {"supervisor": 403, "break_glass": 403}),
    ("depart before acceptance", "post", "/api/v1/referrals/{referral}/depart/", {},
     _SEES_REFERRAL | {"same": 409, "supervisor": 403, "break_glass": 403}),
    ("referral thread", "get", "/api/v1/referrals/{referral}/comments/", None, _SEES_REFERRAL),
    ("write in a referral thread", "post", "/api/v1/referrals/{referral}/comments/", {"text": "Bed ready?"},
     _SEES_REFERRAL | {"same": 201, "supervisor": 403, "break_glass": 403}),
    # Suggestions are for staff who may refer, at their facility: the supervisor reads, never refers.
    ("referral suggestions", "get", "/api/v1/referrals/suggestions/?pregnancy={pregnancy}", None,
     _SEES_REFERRAL | {"supervisor": 403}),
]
REFERRAL_PAGES = [
    # The inboxes are for staff who refer or receive, at a facility (403 for every other role).
    ("referral inbox", "/referrals/",
     dict.fromkeys(PERSONAS[1:], 403) | {"anonymous": 302, "same": 200, "other": 200, "break_glass": 200}),
    *[
        (name, "/referrals/{referral}/" + suffix, _SEES_REFERRAL | {"anonymous": 302})
        for name, suffix in (("referral page", ""), ("referral letter", "letter/"),
                             ("return slip", "return-slip/"))
    ],
    # The form needs change access to her record (read-only access: 403).
    ("referral form", "/referrals/new/?pregnancy={pregnancy}",
     {"anonymous": 302, "same": 200, "other": 404, "supervisor": 403, "other_supervisor": 404, "auditor": 404,
      "admin": 404, "break_glass": 403}),
]
API = [*API, *REFERRAL_API]
PAGES = [*PAGES, *REFERRAL_PAGES]

# Dashboards: full figures for the own scope (facility administrator: her facility; supervisor: her region),
# aggregates with numbers below 5 suppressed for view_aggregates (a neighbouring region's supervisor, the
# auditor); clinicians 403. The women behind a figure only for those who may read them in that region.
_DASHBOARD = dict.fromkeys(PERSONAS[1:], 403) | {"supervisor": 200, "other_supervisor": 200, "auditor": 200,
                                                 "admin": 200}
DASHBOARD_API = [
    ("dashboard summary", "get", "/api/v1/dashboard/summary/", None, _DASHBOARD | {"anonymous": 401}),
    ("dashboard summary of the home region", "get", "/api/v1/dashboard/summary/?region=450100", None,
     _DASHBOARD | {"anonymous": 401, "admin": 403}),
    ("dashboard timeliness", "get", "/api/v1/dashboard/timeliness/", None, _DASHBOARD | {"anonymous": 401}),
    ("dashboard timeliness of the home region", "get", "/api/v1/dashboard/timeliness/?region=450100", None,
     _DASHBOARD | {"anonymous": 401, "admin": 403}),
]
DASHBOARD_PAGES = [
    ("dashboard", "/dashboards/", _DASHBOARD | {"anonymous": 302}),
    ("women behind a dashboard figure", "/dashboards/women/?region=450100&color=red",
     dict.fromkeys(PERSONAS[1:], 403) | {"anonymous": 302, "supervisor": 200}),
    ("dashboard export", "/dashboards/export.csv", _DASHBOARD | {"anonymous": 302, "auditor": 403}),
]
API = [*API, *DASHBOARD_API]
PAGES = [*PAGES, *DASHBOARD_PAGES]

# Follow-up windows: the window of the woman's pregnancy, proposed as lost to follow-up (so a decision can
# succeed). The list and the windows are her facility's worklist (a supervisor: her region), so the
# emergency access, which opens one woman's record and not another facility's worklist, does not show them;
# roles without view_case are refused by role (403) before any lookup. Deciding needs change access and a
# clinical role: the supervisor reads, never decides.
_SEES_FOLLOWUP = {"anonymous": 401, "same": 200, "other": 404, "supervisor": 200, "other_supervisor": 404,
                  "auditor": 403, "admin": 403, "break_glass": 404}
FOLLOWUP_API = [
    ("follow-up list", "get", "/api/v1/follow-ups/", None,
     dict.fromkeys(PERSONAS[1:], 200) | {"anonymous": 401, "auditor": 403, "admin": 403}),
    ("follow-up detail", "get", "/api/v1/follow-ups/{followup}/", None, _SEES_FOLLOWUP),
    ("confirm lost to follow-up", "post", "/api/v1/follow-ups/{followup}/confirm-lost/",
     {"reason": "Three calls and a home visit"}, _SEES_FOLLOWUP | {"supervisor": 403}),
    ("keep tracing", "post", "/api/v1/follow-ups/{followup}/keep-tracing/", {"reason": "Reached by phone"},
     _SEES_FOLLOWUP | {"supervisor": 403}),
]
FOLLOWUP_PAGES = [
    # Everyone signed in gets the page; roles without view_case see that their role has no follow-ups.
    ("follow-up list page", "/reminders/worklist/", dict.fromkeys(PERSONAS[1:], 200) | {"anonymous": 302}),
]
API = [*API, *FOLLOWUP_API]
PAGES = [*PAGES, *FOLLOWUP_PAGES]


@pytest.fixture
def matrix_followup(pregnancy):
    """The follow-up rows' window: the pregnancy's, swept to a lost-to-follow-up proposal."""
    import datetime as dt

    from django.utils import timezone

    from reminders.services import followup_recompute, followups_sweep

    window = followup_recompute(pregnancy=pregnancy)
    noon = dt.datetime.combine(window.lost_on, dt.time(12), tzinfo=timezone.get_current_timezone())
    followups_sweep(now=noon)
    window.refresh_from_db()
    assert window.status == "lost_proposed"
    return window


@pytest.fixture
def matrix_referral(pregnancy, obstetrician, city):
    """The referral the referral rows use (created only for them): home facility → a city centre."""
    from facilities.choices import CriticalCareLevel, Tier
    from referrals.services import referral_request
    from tests.factories import FacilityFactory

    centre = FacilityFactory(tier=Tier.TERTIARY, critical_care_level=CriticalCareLevel.CITY, region=city)
    return referral_request(
        actor=obstetrician, pregnancy=pregnancy, to_facility=centre, urgency="routine", reason="Grading"
    )


def _object_ids(template, request) -> dict:
    """Ids of objects only some rows need, created only for those rows."""
    ids = {}
    if "{referral}" in template:
        ids["referral"] = request.getfixturevalue("matrix_referral").external_id
    if "{followup}" in template:
        ids["followup"] = request.getfixturevalue("matrix_followup").external_id
    return ids


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
def test_api_access(row, persona, cast, pregnancy, home_facility, api, request):
    name, method, template, body, expected = row
    user = _user_for(persona, cast, pregnancy)
    url = template.format(pregnancy=pregnancy.external_id, facility=home_facility.external_id,
                          patient=pregnancy.patient.external_id, **_object_ids(template, request))
    response = getattr(api.as_user(user), method)(url, body, format="json")
    assert response.status_code == expected[persona], response.content[:300]
    if response.status_code >= 400:
        assert set(response.json()) == {"message", "errors"}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("row", PAGES, ids=[row[0] for row in PAGES])
def test_page_access(row, persona, cast, pregnancy, home_facility, client, request):
    name, template, expected = row
    user = _user_for(persona, cast, pregnancy)
    if user is not None:
        client.force_login(user)
    url = template.format(pregnancy=pregnancy.external_id, facility=home_facility.external_id,
                          **_object_ids(template, request))
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


# --- MDT consultations ----------------------------------------------------------------------------------
# One consult about the same pregnancy: requested by an obstetrician of the home facility (not a persona),
# scheduled by the home facility's MDT coordinator with a specialist of a city hospital. Two personas join:
# ``coordinator`` (that coordinator) and ``invited`` (that specialist: she reads the woman's record only
# through her invitation). Requests that change something succeed only for the people who may take part.

CONSULT_PERSONAS = [*PERSONAS, "coordinator", "invited"]
_SEES_CONSULT = {"anonymous": 401, "same": 200, "other": 404, "supervisor": 200, "other_supervisor": 404,
                 "auditor": 404, "admin": 404, "break_glass": 200, "coordinator": 200, "invited": 200}
_ANYONE = dict.fromkeys(CONSULT_PERSONAS[1:], 200) | {"anonymous": 401}

CONSULT_API = [
    ("consult list", "get", "/api/v1/consults/", None, _ANYONE),
    ("consult detail", "get", "/api/v1/consults/{consult}/", None, _SEES_CONSULT),
    ("consult calendar file", "get", "/api/v1/consults/{consult}.ics", None, _SEES_CONSULT),
    ("consult calendar variant", "get", "/api/v1/consults/{consult}/?format=ics", None, _SEES_CONSULT),
    ("my action items", "get", "/api/v1/consult-actions/", None, _ANYONE),
    # The midwife and the supervisor may not request; the emergency-access obstetrician may.
    ("request a consult", "post", "/api/v1/consults/",
     {"pregnancy": "{pregnancy}", "urgency": "routine", "question": "Timing of delivery?",
      "specialties": ["cardiology"]},
     {"anonymous": 401, "same": 403, "other": 404, "supervisor": 403, "other_supervisor": 404, "auditor": 404,
      "admin": 404, "break_glass": 201, "coordinator": 201, "invited": 403}),
    # Only those taking part with record_opinion: the invited specialist.
    ("record an opinion", "post", "/api/v1/consults/{consult}/opinions/",
     {"specialty": "cardiology", "text": "Moderate PAH"},
     {"anonymous": 401, "same": 403, "other": 404, "supervisor": 403, "other_supervisor": 404, "auditor": 404,
      "admin": 404, "break_glass": 403, "coordinator": 403, "invited": 201}),
    # The requester or the coordinator cancels.
    ("cancel a consult", "post", "/api/v1/consults/{consult}/cancel/", {"reason": "Transferred"},
     {"anonymous": 401, "same": 403, "other": 404, "supervisor": 403, "other_supervisor": 404, "auditor": 404,
      "admin": 404, "break_glass": 403, "coordinator": 200, "invited": 403}),
]

_SEES_CONSULT_PAGE = _SEES_CONSULT | {"anonymous": 302}
CONSULT_PAGES = [
    ("consult board", "/consults/board/",
     dict.fromkeys(CONSULT_PERSONAS[1:], 404) | {"anonymous": 302, "coordinator": 200}),
    ("consult page", "/consults/{consult}/", _SEES_CONSULT_PAGE),
    ("consult print", "/consults/{consult}/print/", _SEES_CONSULT_PAGE),
    ("consult scheduling", "/consults/{consult}/schedule/",
     _SEES_CONSULT_PAGE | {"same": 403, "supervisor": 403, "break_glass": 403, "invited": 403}),
    ("consult request form", "/consults/new/?pregnancy={pregnancy}",
     {"anonymous": 302, "same": 403, "other": 404, "supervisor": 403, "other_supervisor": 404, "auditor": 404,
      "admin": 404, "break_glass": 200, "coordinator": 200, "invited": 403}),
    ("my action items page", "/consults/my-actions/",
     dict.fromkeys(CONSULT_PERSONAS[1:], 200) | {"anonymous": 302}),
]


@pytest.fixture
def consult_cast(cast, pregnancy, home_facility, city):
    import datetime as dt

    from django.utils import timezone

    from accounts.choices import Role
    from consults.services import consult_request, consult_schedule
    from facilities.choices import Tier
    from tests.factories import FacilityFactory, UserFactory

    requester = UserFactory(facility=home_facility, roles=[Role.OBSTETRICIAN])
    coordinator = UserFactory(facility=home_facility, roles=[Role.MDT_COORDINATOR], specialty="")
    centre = FacilityFactory(tier=Tier.TERTIARY, region=city)
    invited = UserFactory(facility=centre, roles=[Role.SPECIALIST], specialty="cardiology")
    consult = consult_request(actor=requester, pregnancy=pregnancy, urgency="routine", question="Continue?",
                              specialties=["cardiology"])
    start = timezone.now() + dt.timedelta(hours=2)
    consult_schedule(actor=coordinator, consult=consult, start=start, end=start + dt.timedelta(hours=1),
                     participants=[(invited, "")], location="MDT room")
    return {**cast, "coordinator": coordinator, "invited": invited, "consult": consult}


def _format(value, pregnancy, consult):
    if isinstance(value, str):
        return value.format(pregnancy=pregnancy.external_id, consult=consult.external_id)
    if isinstance(value, dict):
        return {k: _format(v, pregnancy, consult) for k, v in value.items()}
    return value


@pytest.mark.parametrize("persona", CONSULT_PERSONAS)
@pytest.mark.parametrize("row", CONSULT_API, ids=[row[0] for row in CONSULT_API])
def test_consult_api_access(row, persona, consult_cast, pregnancy, api):
    name, method, template, body, expected = row
    user = _user_for(persona, consult_cast, pregnancy)
    consult = consult_cast["consult"]
    response = getattr(api.as_user(user), method)(
        _format(template, pregnancy, consult), _format(body, pregnancy, consult), format="json"
    )
    assert response.status_code == expected[persona], response.content[:300]
    if response.status_code >= 400:
        assert set(response.json()) == {"message", "errors"}


@pytest.mark.parametrize("persona", CONSULT_PERSONAS)
@pytest.mark.parametrize("row", CONSULT_PAGES, ids=[row[0] for row in CONSULT_PAGES])
def test_consult_page_access(row, persona, consult_cast, pregnancy, client):
    name, template, expected = row
    user = _user_for(persona, consult_cast, pregnancy)
    if user is not None:
        client.force_login(user)
    response = client.get(_format(template, pregnancy, consult_cast["consult"]))
    assert response.status_code == expected[persona]
    if response.status_code == 302:
        assert response["Location"].startswith("/accounts/login/")
