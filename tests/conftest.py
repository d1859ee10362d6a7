"""Shared fixtures: a named cast of personas around one woman's pregnancy.

The home facility (a county hospital in city 450100) manages the pregnancy. Everyone else is defined
relative to it, so an access test that denies someone shares its setup with the one that allows.
"""

import os

import pytest
from rest_framework.test import APIClient

# Playwright's sync API leaves an event loop on the main thread; Django would then refuse ORM calls in
# the tests that follow the browser tests. tests/test_deployment.py removes this for its subprocesses.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from accounts.choices import Role, Title
from facilities.choices import RegionLevel, Specialty, Tier
from tests.factories import FacilityFactory, PregnancyFactory, RegionFactory, UserFactory


@pytest.fixture
def province(db):
    return RegionFactory(code="450000", name_zh="测试省", name_en="Test Province", level=RegionLevel.PROVINCE)


@pytest.fixture
def city(province):
    return RegionFactory(
        code="450100", name_zh="甲市", name_en="City A", level=RegionLevel.CITY, parent=province
    )


@pytest.fixture
def other_city(province):
    return RegionFactory(
        code="450200", name_zh="乙市", name_en="City B", level=RegionLevel.CITY, parent=province
    )


@pytest.fixture
def county(city):
    return RegionFactory(
        code="450102", name_zh="甲县", name_en="County A", level=RegionLevel.COUNTY, parent=city
    )


@pytest.fixture
def other_county(other_city):
    return RegionFactory(
        code="450203", name_zh="乙县", name_en="County B", level=RegionLevel.COUNTY, parent=other_city
    )


@pytest.fixture
def home_facility(county):
    return FacilityFactory(
        name_zh="甲县人民医院", name_en="County A People's Hospital", tier=Tier.SECONDARY, region=county
    )


@pytest.fixture
def other_facility(other_county):
    return FacilityFactory(
        name_zh="乙县人民医院", name_en="County B People's Hospital", tier=Tier.SECONDARY, region=other_county
    )


@pytest.fixture
def midwife(home_facility):
    """On the woman's care team (her managing facility)."""
    return UserFactory(
        username="midwife", facility=home_facility, roles=[Role.MIDWIFE], specialty=Specialty.MIDWIFERY
    )


@pytest.fixture
def obstetrician(home_facility):
    return UserFactory(
        username="obstetrician",
        facility=home_facility,
        roles=[Role.OBSTETRICIAN],
        title=Title.ASSOCIATE_CHIEF,
    )


@pytest.fixture
def outsider(other_facility):
    """A clinician elsewhere, with no relation to the woman: must see nothing."""
    return UserFactory(username="outsider", facility=other_facility, roles=[Role.OBSTETRICIAN])


@pytest.fixture
def supervisor(city):
    """Regional maternal-health supervisor of the city that contains the home facility."""
    return UserFactory(
        username="supervisor",
        facility=None,
        region=city,
        roles=[Role.REGIONAL_SUPERVISOR],
        specialty=Specialty.PUBLIC_HEALTH,
    )


@pytest.fixture
def other_supervisor(other_city):
    return UserFactory(
        username="other_supervisor",
        facility=None,
        region=other_city,
        roles=[Role.REGIONAL_SUPERVISOR],
        specialty=Specialty.PUBLIC_HEALTH,
    )


@pytest.fixture
def auditor(db):
    return UserFactory(username="auditor", facility=None, roles=[Role.AUDITOR], specialty="")


@pytest.fixture
def facility_admin(home_facility):
    return UserFactory(
        username="facility_admin", facility=home_facility, roles=[Role.FACILITY_ADMIN], specialty=""
    )


@pytest.fixture
def system_admin(db):
    return UserFactory(
        username="sysadmin",
        facility=None,
        roles=[Role.SYSTEM_ADMIN],
        specialty="",
        is_staff=True,
        is_superuser=True,
    )


@pytest.fixture
def pregnancy(home_facility):
    return PregnancyFactory(managing_facility=home_facility)


@pytest.fixture
def pg_observer():
    """A second connection to the test database (``tests.pg.Observer``)."""
    from tests.pg import Observer

    observer = Observer()
    yield observer
    observer.close()


@pytest.fixture
def api():
    """An API client; ``api.as_user(user)`` signs in through the session like a browser would."""

    class Client(APIClient):
        def as_user(self, user):
            if user is None:
                self.logout()
            else:
                self.force_login(user)
            return self

    return Client()


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the settings' language (English under the test settings) and leaves it so.

    Django's LocaleMiddleware activates the language of a request for the thread and leaves it active
    after the response; in gunicorn the next request activates its own, but in a test process the next
    test inherited it: a test rendering without a request after a Chinese request by the test client
    saw Chinese, depending on which tests pytest-xdist had given the same worker before it."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _reference_data(request, django_db_blocker):
    """The national catalogue that migration risk/0002 loads. Transactional tests (browser tests, the
    concurrency test) flush the tables afterwards, and a re-used test database may start without it:
    reload it, idempotently, for every test that uses the database."""
    uses_db = request.node.get_closest_marker("django_db") or {"db", "transactional_db", "live_server"} & set(
        request.fixturenames
    )
    if not uses_db:
        return
    from tests.reference import ensure_national_catalogue

    with django_db_blocker.unblock():
        ensure_national_catalogue()
