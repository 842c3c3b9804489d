"""The Danish catalogue: complete, compiles, and the committed .mo matches the .po."""

import gettext
import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parent.parent
PO_PATH = ROOT / "locale" / "da" / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")

SOURCE_DIRS = ("caseflow", "permissions", "workflows", "templates")


@pytest.fixture(scope="module")
def catalogue():
    return polib.pofile(str(PO_PATH))


def test_danish_catalogue_is_complete(catalogue):
    assert catalogue.percent_translated() == 100, [e.msgid for e in catalogue.untranslated_entries()]
    assert not catalogue.fuzzy_entries(), [e.msgid for e in catalogue.fuzzy_entries()]


def test_danish_catalogue_keeps_placeholders(catalogue):
    for entry in catalogue.translated_entries():
        for placeholder in ("%(counter)s", "%(number)s", "%(total)s", "%(name)s"):
            if placeholder in entry.msgid:
                translations = [entry.msgstr] if not entry.msgid_plural else list(entry.msgstr_plural.values())
                assert all(placeholder in t for t in translations), entry.msgid


def test_danish_catalogue_compiles(tmp_path, catalogue):
    compiled = tmp_path / "django.mo"
    catalogue.save_as_mofile(str(compiled))
    with open(compiled, "rb") as fh:
        translations = gettext.GNUTranslations(fh)
    assert translations.gettext("Sign in") == "Log ind"
    msgfmt = shutil.which("msgfmt")
    if msgfmt:  # GNU gettext's own checker, when installed (make test installs it as root)
        result = subprocess.run([msgfmt, "--check", "-o", os.devnull, str(PO_PATH)], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr


def test_committed_mo_matches_po(catalogue):
    """`make messages` was run after the last .po change (the .mo is what Django loads)."""
    with open(MO_PATH, "rb") as fh:
        translations = gettext.GNUTranslations(fh)
    for entry in catalogue.translated_entries():
        if entry.msgid_plural and entry.msgctxt:
            found = translations.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, 1)
            assert found == entry.msgstr_plural[0], entry.msgid
        elif entry.msgid_plural:
            assert translations.ngettext(entry.msgid, entry.msgid_plural, 1) == entry.msgstr_plural[0]
        elif entry.msgctxt:
            assert translations.pgettext(entry.msgctxt, entry.msgid) == entry.msgstr, entry.msgid
        else:
            assert translations.gettext(entry.msgid) == entry.msgstr, entry.msgid


def test_every_source_string_is_in_the_catalogue(tmp_path, catalogue):
    """Extract the strings from the code now and compare with the committed catalogue."""
    if shutil.which("xgettext") is None:
        pytest.fail("GNU gettext (xgettext) is needed to extract strings; make test installs it as root")
    # makemessages writes into the nearest locale/ under its working directory, so it
    # runs on a copy of the sources and never touches the committed catalogue.
    for name in SOURCE_DIRS:
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "locale").mkdir()
    env = {**os.environ, "CASEFLOW_DEBUG": "true", "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "makemessages", "--locale", "da", "--no-obsolete"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    extracted = polib.pofile(str(tmp_path / "locale" / "da" / "LC_MESSAGES" / "django.po"))
    in_code = {(e.msgctxt, e.msgid) for e in extracted}
    in_catalogue = {(e.msgctxt, e.msgid) for e in catalogue}
    assert in_code - in_catalogue == set(), "run `make messages` and translate the new strings"
