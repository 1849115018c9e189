"""Browser tests: Debian's Chromium, driven by Playwright, against a real pod process.

Each module starts one pod (tests/harness/pod.py: `kith serve` on a loopback port with its
own database and worker) and drives it as people would, through the pages.  Chromium is
the system's (`apt-get install chromium`, which `make test` does); Playwright's own browser
downloads are never used.  Chromium is kept off the network: every host name but the
loopback address fails to resolve, and its background services are switched off.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness.pod import PASSWORD, Pod

# Playwright's sync API runs an event loop in this thread; Django refuses ORM calls there without it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

REPO_ROOT = Path(__file__).resolve().parents[2]
AXE = Path(__file__).with_name("vendor") / "axe-4.14.1.min.js"
# `make screenshots` (KITH_TEST_SCREENSHOTS=1) refreshes the committed ones in docs/screenshots/;
# an ordinary test run still takes them, into a scratch directory, so it never dirties the tree.
SCREENSHOTS = (
    REPO_ROOT / "docs" / "screenshots"
    if os.environ.get("KITH_TEST_SCREENSHOTS") == "1"
    else Path(tempfile.gettempdir()) / f"kith-screenshots-{os.getpid()}"
)
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
TIMEOUT_MS = 15_000
IGNORED_CONSOLE = ("Failed to load resource", "htmx:sendAbort", "htmx:afterRequest")

CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    # Loopback only: 127.0.0.1, and 127.0.0.2-4 where the journeys over several pods run them
    # (tests/browser/test_first_hour.py; IP addresses go through these rules too).
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE 127.0.0.2, EXCLUDE 127.0.0.3, EXCLUDE 127.0.0.4",
]


def label(text: str) -> re.Pattern:
    """A form label exactly, with or without Django's ':' after it."""
    return re.compile(rf"^{re.escape(text)}:?$")


def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        pytest.fail("Debian's chromium is needed for the browser tests: `apt-get install chromium` (make test does it)")
    return path


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, chromium_sandbox=False, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def pod(tmp_path_factory) -> Iterator[Pod]:
    name = re.sub(r"\W", "", os.environ.get("PYTEST_XDIST_WORKER", "main"))
    started = Pod(f"browser{name}", tmp_path_factory.mktemp("browser-pod"), PYTHONPATH=str(REPO_ROOT)).start()
    yield started
    started.destroy()


class People:
    """Opens a browser context per person (own cookies, locale, colour scheme, viewport)."""

    def __init__(self, browser, pod: Pod):
        self.browser = browser
        self.pod = pod
        self.contexts: list = []

    def page(self, *, viewport=DESKTOP, javascript: bool = True, **options):
        context = self.browser.new_context(
            base_url=self.pod.url, viewport=viewport, java_script_enabled=javascript, accept_downloads=True, **options
        )
        context.set_default_timeout(TIMEOUT_MS)
        self.contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        # Script errors and CSP refusals fail the test; a page answering 404 on purpose does not,
        # but a stylesheet, script or image of ours that fails to load does.
        # htmx reports a request cut short by leaving the page (sendAbort) as an error too: not one here.
        page.on("console", lambda message: message.type == "error" and not message.text.startswith(IGNORED_CONSOLE)
                and errors.append(message.text))
        # (400 is a form's answer with its errors, swapped in on purpose.)
        page.on("response", lambda response: response.status > 400 and response.request.resource_type != "document"
                and errors.append(f"{response.status} {response.url}"))
        page.js_errors = errors
        return page

    def sign_up(self, username: str, **options):
        """A new person, signed up through the page and logged in."""
        page = self.page(**options)
        page.goto("/signup")
        # By field id, so that the same helper works in every language.
        page.locator("#id_username").fill(username)
        page.locator("#id_email").fill(f"{username}@example.test")
        page.locator("#id_password").fill(PASSWORD)
        page.locator("#id_password2").fill(PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_url("**/")
        return page

    def log_in(self, username: str, **options):
        page = self.page(**options)
        page.goto("/login")
        page.locator("#id_username").fill(username)
        page.locator("#id_password").fill(PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_url("**/")
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def people(browser, pod) -> Iterator[People]:
    opened = People(browser, pod)
    yield opened
    for context in opened.contexts:
        for page in context.pages:
            # No page may have failed a script (a CSP refusal shows up here too).
            assert not page.js_errors, page.js_errors
    opened.close()


def run_in_pod(pod: Pod, code: str) -> str:
    """Run Python inside the pod's Django (to build a lot of data quickly); returns what it printed."""
    try:
        return pod.kith("manage", "shell", "--no-imports", "-c", code).stdout
    except subprocess.CalledProcessError as exc:
        raise AssertionError(f"pod shell failed:\n{exc.stdout}\n{exc.stderr}") from exc


def axe_violations(page, impacts=("serious", "critical")) -> list[dict]:
    """axe-core's violations of the given impacts on the page as it is now (injected for the test only)."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in impacts
    ]


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False, animations="disabled")
