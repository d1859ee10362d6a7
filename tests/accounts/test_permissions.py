from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from accounts.choices import Role
from accounts.permissions import PERMISSIONS, Action, has_action, render_markdown
from tests.factories import UserFactory


def test_published_table_equals_the_code():
    with translation.override("en"):
        expected = render_markdown()
    assert (Path(settings.BASE_DIR) / "docs" / "permissions.md").read_text(encoding="utf-8") == expected


def test_every_action_has_a_row_and_only_known_roles():
    assert set(PERMISSIONS) == set(Action)
    for roles in PERMISSIONS.values():
        assert roles <= set(Role)


@pytest.mark.django_db
def test_a_user_with_several_roles_has_the_union():
    user = UserFactory(roles=[Role.MIDWIFE, Role.MDT_COORDINATOR])
    assert has_action(user, Action.REGISTER_PATIENT)
    assert has_action(user, Action.SCHEDULE_CONSULT)
    assert not has_action(user, Action.CONFIRM_GRADE)


@pytest.mark.django_db
def test_inactive_and_anonymous_have_nothing():
    from django.contrib.auth.models import AnonymousUser

    user = UserFactory(roles=[Role.OBSTETRICIAN], is_active=False)
    assert not any(has_action(user, a) for a in Action)
    assert not any(has_action(AnonymousUser(), a) for a in Action)


def test_published_codes_equal_the_code():
    from core.codes import render_markdown as render_codes

    with translation.override("en"):
        expected = render_codes()
    assert (Path(settings.BASE_DIR) / "docs" / "codes.md").read_text(encoding="utf-8") == expected
