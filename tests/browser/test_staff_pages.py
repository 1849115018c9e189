"""The moderation area's pod pages in Chromium: axe-core finds no serious or critical violation
on the rules, staff and audit log pages and /about, on a 375 px phone and on a desktop; nothing
needs sideways scrolling on the phone; an admin edits the rules with the keyboard alone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, axe_violations, label, run_in_pod, screenshot

pytestmark = pytest.mark.server

SMALL_PHONE = {"width": 375, "height": 812}
PAGES = ["/moderation/pod/rules", "/moderation/pod/roles", "/moderation/pod/log", "/about"]

WORLD = """
from kith.moderation import rules
from kith.moderation.services import file_report
from kith.people.models import Role
from kith.people.services import create_local_account, set_role

PASSWORD = "correct horse battery staple"
boss = create_local_account("boss", "boss@example.test", PASSWORD, is_admin=True)
mod = create_local_account("mod", "mod@example.test", PASSWORD)
spammer = create_local_account("spammer", "spammer@example.test", PASSWORD)
set_role(boss, mod, Role.MODERATOR, "helps with the reports in the evening")
rules.add_rule(boss, "Be kind to each other.", "No insults, no pile-ons, no harassment, here or elsewhere.")
rules.add_rule(boss, "No spam or undisclosed advertising.")
rules.add_rule(boss, "Mark adult content and spoilers with a content warning.")
file_report(spammer.person, reporter=mod.person, comment="Posts the same link everywhere.")
"""


@pytest.fixture(scope="module")
def staff_world(pod):
    run_in_pod(pod, WORLD)
    return pod


def logged_in(people, username: str, viewport):
    page = people.page(bypass_csp=True, viewport=viewport)  # axe is injected by the test (conftest)
    page.goto("/login")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill("correct horse battery staple")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/")
    return page


@pytest.mark.parametrize("viewport", [SMALL_PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_pod_pages_pass_axe_and_fit_the_screen(staff_world, people, viewport):
    page = logged_in(people, "boss", viewport)
    found = {}
    for path in PAGES:
        page.goto(path)
        violations = axe_violations(page)
        if violations:
            found[path] = violations
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {viewport['width']}px"
        screenshot(page, f"staff{path.replace('/', '-')}-{viewport['width']}")
    assert not found, found
    # The staff nav: every part one tap away, no link cut off.
    page.goto("/moderation/pod/log")
    nav = page.get_by_role("navigation", name="Moderation")
    for name in ("Reports", "Accounts", "Domains", "Rules", "Staff", "Audit log"):
        link = nav.get_by_role("link", name=name, exact=False)
        expect(link).to_be_visible()
        box = link.bounding_box()
        assert box is not None, name
        assert box["x"] >= 0, name
        assert box["x"] + box["width"] <= viewport["width"], name
        assert box["height"] >= 36, f"{name} is too small a target: {box['height']}px"


def test_the_main_nav_leads_staff_to_moderation_with_the_open_reports(staff_world, people):
    page = logged_in(people, "mod", SMALL_PHONE)
    page.get_by_text("Menu").click()
    link = page.get_by_role("navigation", name="Main").get_by_role("link", name="Moderation")
    expect(link).to_contain_text("1")
    expect(link.locator(".visually-hidden")).to_have_text(" open reports")
    other = logged_in(people, "spammer", SMALL_PHONE)
    other.get_by_text("Menu").click()
    expect(other.get_by_role("navigation", name="Main").get_by_role("link", name="Moderation")).to_have_count(0)


def test_an_admin_edits_the_rules_with_the_keyboard(staff_world, people):
    page = logged_in(people, "boss", SMALL_PHONE)
    page.goto("/moderation/pod/rules")
    # Add a rule: type into the field and press Enter.
    field = page.get_by_label(label("Rule")).last
    field.focus()
    page.keyboard.type("Respect other people's privacy.")
    page.keyboard.press("Enter")
    page.wait_for_url("**/moderation/pod/rules")
    rules = page.locator("ol.staff-rules > li .rule-text")
    expect(rules).to_have_count(4)
    expect(rules.nth(3)).to_have_text("Respect other people's privacy.")
    # Move it up: Tab to its button, press Space.
    page.get_by_role("button", name="Move rule 4 up").focus()
    page.keyboard.press("Space")
    page.wait_for_url("**/moderation/pod/rules#rule-*")
    expect(rules.nth(2)).to_have_text("Respect other people's privacy.")
    # Open its editor from the keyboard, change the words, save with Enter.
    page.get_by_text("Edit rule 3").focus()
    page.keyboard.press("Enter")
    text = page.locator("ol.staff-rules > li").nth(2).get_by_label(label("Rule"))
    expect(text).to_be_visible()
    text.focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("Respect privacy: no doxxing.")
    page.keyboard.press("Enter")
    page.wait_for_url("**/moderation/pod/rules")
    expect(rules.nth(2)).to_have_text("Respect privacy: no doxxing.")
    # Anyone sees the rules on the about page, in that order.
    visitor = people.page(viewport=SMALL_PHONE)
    visitor.goto("/about")
    expect(visitor.locator("ol.pod-rules .rule-text").nth(2)).to_have_text("Respect privacy: no doxxing.")
