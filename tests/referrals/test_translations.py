"""The referral catalogue (referrals/locale) is complete and is what users read.

The project catalogue (locale/) wins over an app catalogue for the same message, so a short word the
project translates in another sense ("from" as in a date range) must carry a context here. The test reads
the app's .po files, checks that every message has a Chinese translation, and that at run time the
message comes out as the referral catalogue says — or is one of the few project translations that were
checked and read well in a referral too.
"""

import re
from pathlib import Path

from django.utils import translation

from referrals.choices import Purpose, ReferralStatus
from referrals.models import Referral
from referrals.selectors import join_list

LOCALE = Path(__file__).resolve().parents[2] / "referrals" / "locale"

# The project catalogue's translation is used for these, and it fits a referral as well.
PROJECT_WINS = {
    (None, "arrived at"): "到院时间",
    (None, "Grade"): "分级",
    (None, "Criteria"): "评估条目",
}


def _unescape(text: str) -> str:
    return text.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")


def catalogue(language: str) -> dict[tuple[str | None, str], tuple[str, bool]]:
    """(context, msgid) → (msgstr, fuzzy) for every singular entry of the app's .po file."""
    text = (LOCALE / language / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    entries = {}
    for block in text.split("\n\n"):
        fields: dict[str, str] = {}
        current = None
        for line in block.splitlines():
            match = re.match(r'^(msgctxt|msgid|msgid_plural|msgstr|msgstr\[0\]) "(.*)"$', line)
            if match:
                current = match.group(1)
                fields[current] = match.group(2)
            elif current and re.match(r'^"(.*)"$', line):
                fields[current] += line[1:-1]
        if fields.get("msgid") and "msgid_plural" not in fields:
            key = (_unescape(fields["msgctxt"]) if "msgctxt" in fields else None, _unescape(fields["msgid"]))
            entries[key] = (_unescape(fields.get("msgstr", "")), "#, fuzzy" in block or ", fuzzy" in block)
    return entries


def test_every_referral_message_has_a_chinese_translation():
    entries = catalogue("zh_Hans")
    assert len(entries) > 200
    missing = [key for key, (text, fuzzy) in entries.items() if not text or fuzzy]
    assert missing == []


def test_the_referral_catalogue_is_what_users_read():
    entries = catalogue("zh_Hans")
    with translation.override("zh-hans"):
        shown = {
            key: translation.pgettext(key[0], key[1]) if key[0] else translation.gettext(key[1])
            for key in entries
        }
    differing = {key: shown[key] for key, (text, _fuzzy) in entries.items() if shown[key] != text}
    assert differing == PROJECT_WINS


def test_from_and_to_name_the_facilities_not_a_date_range():
    with translation.override("zh-hans"):
        assert str(Referral._meta.get_field("from_facility").verbose_name) == "转出机构"
        assert str(Referral._meta.get_field("to_facility").verbose_name) == "接收机构"
        assert str(Referral._meta.get_field("purpose").verbose_name) == "转诊目的"
        assert str(ReferralStatus.CANCELLED.label) == "已撤销"
        assert str(Purpose.POSTPARTUM_FOLLOW_UP.label) == "产后随访"
    with translation.override("en"):
        assert str(Referral._meta.get_field("from_facility").verbose_name) == "from"
        assert str(ReferralStatus.CANCELLED.label) == "Cancelled"


def test_lists_are_joined_the_way_each_language_writes_them():
    with translation.override("zh-hans"):
        assert join_list(["心脏外科", "介入放射"]) == "心脏外科、介入放射"
    with translation.override("en"):
        assert join_list(["Cardiac surgery", "ICU"]) == "Cardiac surgery, ICU"
