"""German is complete: every string the pages can show has a translation, and the compiled
catalog that ships (kith/locale/de/LC_MESSAGES/django.mo) is the one its .po gives.

`make messages` updates the .po from the code and compiles it (needs gettext: make test installs it).
"""

from __future__ import annotations

import gettext
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client, override_settings

from tests.web.conftest import client_for

KITH = Path(__file__).resolve().parents[2] / "kith"
CATALOG = KITH / "locale" / "de" / "LC_MESSAGES"
# Strings outside the web pages (the API answers in English, as Mastodon's does) are not extracted.
IGNORED = ["api/*", "federation/*", "locale/*"]


def msgfmt() -> str:
    path = shutil.which("msgfmt")
    if path is None:
        pytest.fail("gettext's msgfmt is needed: `apt-get install gettext` (make test does it)")
    return path


def catalog(mo: Path) -> dict:
    """The translations in a compiled catalog (its header, with dates, left out)."""
    with mo.open("rb") as handle:
        return {key: value for key, value in gettext.GNUTranslations(handle)._catalog.items() if key != ""}


def test_every_string_of_the_pages_is_translated(tmp_path):
    msgfmt()
    copy = tmp_path / "kith"
    shutil.copytree(KITH, copy, ignore=shutil.ignore_patterns("__pycache__", "api", "federation"))
    _makemessages(copy)
    result = subprocess.run(
        [msgfmt(), "--check", "--statistics", "-o", str(tmp_path / "out.mo"), str(copy / "locale/de/LC_MESSAGES/django.po")],
        capture_output=True, text=True, check=True,
    )
    assert "untranslated" not in result.stderr, result.stderr
    assert "fuzzy" not in result.stderr, result.stderr
    assert catalog(tmp_path / "out.mo") == catalog(CATALOG / "django.mo"), "the .po is newer than the .mo: run make messages"


def _makemessages(root: Path) -> None:
    """makemessages over a copy of the package (it writes next to what it reads)."""
    here = os.getcwd()
    os.chdir(root)
    try:
        with override_settings(LOCALE_PATHS=[str(root / "locale")]):
            call_command("makemessages", locale=["de"], ignore_patterns=IGNORED, no_location=True, no_obsolete=True, verbosity=0)
    finally:
        os.chdir(here)


def test_the_shipped_catalog_is_the_compiled_po(tmp_path):
    subprocess.run([msgfmt(), "-o", str(tmp_path / "de.mo"), str(CATALOG / "django.po")], check=True)
    assert catalog(tmp_path / "de.mo") == catalog(CATALOG / "django.mo")


@pytest.mark.django_db(transaction=True)
def test_pages_follow_the_browser_language(alice):
    german = client_for(alice).get("/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9").content.decode()
    assert '<html lang="de">' in german
    assert "Dein Stream" in german
    assert "Neuer Beitrag" in german
    english = client_for(alice).get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Your stream" in english
    assert "Anmelden" in Client().get("/login", HTTP_ACCEPT_LANGUAGE="de").content.decode()
