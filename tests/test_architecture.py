"""The layer contracts of pyproject.toml (import-linter, run by `make lint`) hold for the checkout,
and a new import that breaks one makes the check fail: each case adds one module to a copy of
the package and runs the real `lint-imports` on it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = str(Path(sys.executable).with_name("lint-imports"))


def _lint(tree: Path) -> subprocess.CompletedProcess:
    return subprocess.run([LINT_IMPORTS, "--no-cache"], cwd=tree, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def copy_of_kith(tmp_path_factory):
    """A copy of the package and its pyproject.toml; each test adds a module and removes it again."""
    tree = tmp_path_factory.mktemp("arch")
    shutil.copytree(REPO_ROOT / "kith", tree / "kith", ignore=shutil.ignore_patterns("__pycache__", "static", "locale"))
    shutil.copy(REPO_ROOT / "pyproject.toml", tree / "pyproject.toml")
    return tree


def test_the_checkout_keeps_every_contract(copy_of_kith):
    done = _lint(copy_of_kith)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@pytest.mark.parametrize(
    ("module", "imports", "contract", "message"),
    [
        ("kith/social/_added.py", "from kith.web import helpers", "The domain never imports an adapter",
         "kith.social is not allowed to import kith.web"),
        ("kith/people/_added.py", "from kith.federation import delivery", "The domain never imports an adapter",
         "kith.people is not allowed to import kith.federation"),
        ("kith/graph/_added.py", "from kith.timelines import services", "Domain layers",
         "kith.graph is not allowed to import kith.timelines"),
        ("kith/social/_added.py", "from kith.moderation import services", "Domain layers",
         "kith.social is not allowed to import kith.moderation"),
        ("kith/web/_added.py", "from kith.api import entities", "The adapters (web pages, client API, federation)",
         "kith.web is not allowed to import kith.api"),
        ("kith/federation/activitypub/_added.py", "from kith.web import helpers",
         "The adapters (web pages, client API, federation)", "kith.federation is not allowed to import kith.web"),
    ],
)
def test_a_new_import_that_breaks_a_contract_fails_the_check(copy_of_kith, module, imports, contract, message):
    added = copy_of_kith / module
    added.write_text(f"{imports}  # noqa: F401\n")
    try:
        done = _lint(copy_of_kith)
    finally:
        added.unlink()
    assert done.returncode != 0, done.stdout
    broken = done.stdout.split("Broken contracts", 1)[1]
    assert contract in broken
    assert message in broken


def test_the_federation_core_may_not_import_a_protocol_adapter(copy_of_kith):
    """kith.federation's own modules are protocol-neutral: ActivityPub (and diaspora*, beside it)
    plug in at app ready; the core never imports them."""
    core = copy_of_kith / "kith" / "federation" / "keys.py"
    original = core.read_text()
    core.write_text(original + "\nfrom kith.federation.activitypub import uris  # noqa: E402, F401\n")
    try:
        done = _lint(copy_of_kith)
    finally:
        core.write_text(original)
    assert done.returncode != 0, done.stdout
    broken = done.stdout.split("Broken contracts", 1)[1]
    assert "The federation core knows no protocol adapter" in broken
    assert "kith.federation.keys is not allowed to import kith.federation.activitypub" in broken


def test_a_new_federation_core_module_must_be_listed(copy_of_kith):
    """The contract lists every core module (exhaustive): a new one fails until it is placed."""
    added = copy_of_kith / "kith" / "federation" / "_added.py"
    added.write_text("from kith.federation.activitypub import uris  # noqa: F401\n")
    try:
        done = _lint(copy_of_kith)
    finally:
        added.unlink()
    assert done.returncode != 0, done.stdout
    broken = done.stdout.split("Broken contracts", 1)[1]
    assert "The federation core knows no protocol adapter" in broken
    assert "kith.federation._added" in broken
