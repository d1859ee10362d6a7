"""``core.markup.translator``: the active language's ``gettext``, found once, translates as Django's."""

import pytest
from django.utils import translation

from core.markup import translator

MESSAGES = ["Record a visit", "Mark done", "Overdue", "The woman", "a message no catalogue holds"]


@pytest.mark.parametrize("language", ["zh-hans", "en", None])
def test_it_translates_as_djangos_gettext_in_each_language_and_with_none_active(language):
    with translation.override(language):
        found = translator()
        assert [found(m) for m in MESSAGES] == [translation.gettext(m) for m in MESSAGES]
    if language == "zh-hans":  # not a trivial identity: the catalogue is there
        with translation.override(language):
            assert translator()("Record a visit") != "Record a visit"


def test_it_is_the_language_active_when_it_was_found():
    with translation.override("zh-hans"):
        chinese, expected = translator(), translation.gettext("Mark done")
    assert expected != "Mark done"
    with translation.override("en"):
        assert chinese("Mark done") == expected
        assert translator()("Mark done") == "Mark done"
