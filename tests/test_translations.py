"""Every catalogue ships complete Chinese, and the compiled .mo files say what the .po files say."""

import ast
import gettext
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = sorted(
    path
    for path in ROOT.glob("**/locale/*/LC_MESSAGES/django.po")
    if not any(part.startswith(".") for part in path.relative_to(ROOT).parts)
)


def parse_po(path: Path) -> list[dict]:
    """The entries of a .po file (blocks separated by blank lines): context, id, plural id,
    translations by index, and flags. Obsolete (``#~``) entries and the header are left out."""
    entries = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        entry, field = {"flags": set(), "msgstr": {}}, None
        assert block.count("\nmsgid ") + block.startswith("msgid ") <= 1, (
            f"{path}: entries not separated: {block[:200]}"
        )
        for line in block.strip().splitlines():
            line = line.strip()
            if line.startswith("#,"):
                entry["flags"].update(flag.strip() for flag in line[2:].split(","))
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                if field[0] == "msgstr":
                    entry["msgstr"][field[1]] += ast.literal_eval(line)
                else:
                    entry[field[0]] += ast.literal_eval(line)
            else:
                keyword, _, rest = line.partition(" ")
                if keyword.startswith("msgstr"):
                    index = int(keyword[7:-1]) if "[" in keyword else 0
                    entry["msgstr"][index] = ast.literal_eval(rest)
                    field = ("msgstr", index)
                else:
                    entry[keyword] = ast.literal_eval(rest)
                    field = (keyword, None)
        if entry.get("msgid"):
            entries.append(entry)
    return entries


def test_catalogues_exist():
    languages = {path.parent.parent.name for path in CATALOGUES}
    assert {"zh_Hans", "en"} <= languages
    assert len([p for p in CATALOGUES if p.parent.parent.name == "zh_Hans"]) >= 4


@pytest.mark.parametrize(
    "path",
    [p for p in CATALOGUES if p.parent.parent.name == "zh_Hans"],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_chinese_catalogue_is_complete(path):
    entries = parse_po(path)
    assert entries, f"{path} has no entries"
    missing = [e["msgid"] for e in entries if any(not text for text in e["msgstr"].values())]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert not missing, f"untranslated in {path.relative_to(ROOT)}: {missing[:10]}"
    assert not fuzzy, f"fuzzy (unchecked) in {path.relative_to(ROOT)}: {fuzzy[:10]}"


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_compiled_catalogue_matches_its_source(path):
    with path.with_suffix(".mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)._catalog
    expected = {}
    for e in parse_po(path):
        if "fuzzy" in e["flags"]:
            continue
        key = f"{e['msgctxt']}\x04{e['msgid']}" if "msgctxt" in e else e["msgid"]
        if "msgid_plural" in e:
            for index, text in e["msgstr"].items():
                if text:
                    expected[(key, index)] = text
        elif e["msgstr"].get(0):
            expected[key] = e["msgstr"][0]
    actual = {k: v for k, v in compiled.items() if k != ""}
    assert actual == expected, f"{path.with_suffix('.mo').relative_to(ROOT)} is stale: run make messages"


_TRANSLATE_CALLS = {"gettext", "ngettext", "pgettext", "npgettext", "_", "gettext_lazy", "ngettext_lazy"}
_TRANSLATE_CALLS |= {"pgettext_lazy", "npgettext_lazy", "gettext_noop", "_lazy"}


def _translations_inside_f_strings(source: str) -> list[int]:
    """Lines of the translation calls written inside an f-string's ``{…}``."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.JoinedStr):
            for inner in ast.walk(node):
                if (
                    isinstance(inner, ast.Call)
                    and isinstance(inner.func, ast.Name)
                    and inner.func.id in _TRANSLATE_CALLS
                ):
                    lines.append(inner.lineno)
    return lines


def test_no_message_is_translated_inside_an_f_string():
    """xgettext (``makemessages``) does not look inside f-strings: a message translated there is missing
    from the next catalogue run, or marked obsolete and shown untranslated. Translate it into a name
    first and put the name in the f-string."""
    assert _translations_inside_f_strings('x = f"<b>{gettext(\'Hi\')}</b>"\ny = gettext("Hi")') == [1]
    found = []
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT).parts
        if parts[0] in {"tests", "node_modules", "artifacts"} or any(p.startswith(".") for p in parts):
            continue
        found += [
            f"{path.relative_to(ROOT)}:{line}" for line in _translations_inside_f_strings(path.read_text())
        ]
    assert found == []
