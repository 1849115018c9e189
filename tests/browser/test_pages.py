"""The main pages, looked at: screenshots at phone and desktop widths (docs/screenshots/), in light
and dark, and axe-core's accessibility check with no serious or critical violations.

axe is injected by the test only (tests/browser/vendor/, MPL-2.0); these contexts bypass the
page's CSP for that one script, so the journeys (test_journeys.py) are where the CSP is exercised.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, axe_violations, run_in_pod, screenshot
from tests.harness.pod import PASSWORD

pytestmark = pytest.mark.server

# name -> (path, needs login); the first five are the pages issue 5 names for the accessibility check.
PAGES = {
    "stream": ("/", True),
    "post": (None, True),
    "profile": ("/@chloe", True),
    "compose": ("/posts/new", True),
    "settings": ("/settings/profile", True),
    "notifications": ("/notifications", True),
    "contacts": ("/contacts", True),
    "aspects": ("/aspects", True),
    "aspect-stream": ("/stream/aspects", True),
    "search": ("/search?q=gardening", True),
    "public": ("/public", False),
    "login": ("/login", False),
}
CHECKED = ("stream", "post", "profile", "compose", "settings")


@pytest.fixture(scope="module")
def world(pod):
    run_in_pod(pod, "from tests.browser.world import build; build()")
    return pod


def open_as(people, who: str | None, **options):
    page = people.page(bypass_csp=True, **options)
    if who:
        page.goto("/login")
        page.locator("#id_username").fill(who)
        page.locator("#id_password").fill(PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_url("**/")
    return page


def visit(page, name: str) -> None:
    path, _ = PAGES[name]
    if path is None:  # the post page: ada's walk, with photo, comments and likes
        page.goto("/@ada")
        path = page.locator("article.post", has_text="Morning walk").locator("a.permalink").get_attribute("href")
    page.goto(path)
    # Photos are cleaned and thumbnailed by the pod's worker: wait until every one has loaded.
    for _ in range(60):
        if page.evaluate("[...document.images].every(img => img.complete && img.naturalWidth > 0)"):
            break
        page.wait_for_timeout(250)
        page.reload()
    page.evaluate("document.fonts.ready")


def check_and_capture(people, viewport, suffix: str, names, *, axe_names=(), **options) -> dict:
    found = {}
    logged_in = open_as(people, "ada", viewport=viewport, **options)
    visitor = open_as(people, None, viewport=viewport, **options)
    for name in names:
        page = logged_in if PAGES[name][1] else visitor
        visit(page, name)
        screenshot(page, f"{name}-{suffix}")
        if name in axe_names:
            violations = axe_violations(page)
            if violations:
                found[name] = violations
    return found


def test_desktop_light(world, people):
    found = check_and_capture(people, DESKTOP, "desktop", PAGES, axe_names=PAGES)
    assert not found, found


def test_phone_light(world, people):
    found = check_and_capture(people, PHONE, "phone", PAGES, axe_names=CHECKED)
    assert not found, found


def test_dark(world, people):
    found = check_and_capture(people, DESKTOP, "desktop-dark", ("stream", "post"), axe_names=CHECKED, color_scheme="dark")
    found |= check_and_capture(people, PHONE, "phone-dark", CHECKED, axe_names=CHECKED, color_scheme="dark")
    assert not found, found


def test_german(world, people):
    found = check_and_capture(people, DESKTOP, "desktop-de", ("stream", "settings"), axe_names=CHECKED, locale="de-DE")
    assert not found, found


def test_content_warning_is_collapsed_and_opens(world, people):
    page = open_as(people, "ada")
    page.goto("/@dev")
    warning = page.locator("details.content-warning")
    expect(warning).to_contain_text("Spoilers for the series finale")
    expect(warning.get_by_text("That ending")).to_be_hidden()
    warning.locator("summary").click()
    expect(warning.get_by_text("That ending")).to_be_visible()
