"""Moderation in Chromium against a running pod: a person reports a post from its Report
action; a moderator works the queue on a phone-sized page, looks at the report, acts, and
the reporter sees the outcome in their notifications."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe_violations, run_in_pod, screenshot

pytestmark = pytest.mark.server

PHONE_SMALL = {"width": 375, "height": 812}


def _moderator(pod, username: str) -> None:
    run_in_pod(pod, (
        "from kith.people.services import create_local_account, set_role\n"
        f"account = create_local_account({username!r}, {username + '@example.test'!r}, "
        "'correct horse battery staple', is_admin=False, default_aspects=False, language=None)\n"
        "set_role(None, account, 'moderator')\n"
    ))


def _report_a_post(people, reporter: str, author: str, text: str, comment: str):
    """`author` posts `text` (publicly); `reporter` reports it from the post's Report action as spam."""
    run_in_pod(people.pod, (
        "from kith.people.services import create_local_account\n"
        "from kith.social.services import publish_post\n"
        f"account = create_local_account({author!r}, {author + '@example.test'!r}, "
        "'correct horse battery staple', is_admin=False, default_aspects=False, language=None)\n"
        f"publish_post(account.person, {text!r})\n"
    ))

    page = people.sign_up(reporter)
    page.goto(f"/@{author}")
    post = page.locator("article", has_text=text).first
    post.get_by_role("link", name="Report").click()
    expect(page.get_by_role("heading", name=f"Report {author}")).to_be_visible()
    # The reported post is attached already; the form is usable by label alone.
    expect(page.get_by_role("checkbox", name=text[:20], exact=False)).to_be_checked()
    page.get_by_role("radio", name="It is spam").check()
    page.get_by_label("What is wrong?").fill(comment)
    page.get_by_role("button", name="Send report").click()
    expect(page.locator("#messages")).to_contain_text("the moderators will look at it")
    return page


def _open_the_report_on_a_phone(people, moderator: str, author: str, text: str, comment: str):
    # bypass_csp: only so that the accessibility checker (axe) can be injected.
    mod = people.log_in(moderator, viewport=PHONE_SMALL, bypass_csp=True)
    mod.goto("/notifications")
    expect(mod.locator("main")).to_contain_text(f"reported {author}@")
    mod.goto("/moderation/")
    row = mod.locator(".report-row", has_text=author).first
    expect(row).to_contain_text("spam")
    expect(row).to_contain_text(comment[:20])
    # Nothing wider than the phone: no sideways scrolling.
    assert mod.evaluate("document.scrollingElement.scrollWidth") <= PHONE_SMALL["width"]
    assert axe_violations(mod) == []
    screenshot(mod, "moderation-queue-phone")
    row.get_by_role("link").first.click()
    expect(mod.get_by_role("heading", name="As reported")).to_be_visible()
    expect(mod.locator(".snapshot").first).to_contain_text(text)
    assert mod.evaluate("document.scrollingElement.scrollWidth") <= PHONE_SMALL["width"]
    assert axe_violations(mod) == []
    screenshot(mod, "moderation-report-phone")
    return mod


def test_a_report_is_resolved_from_the_queue_and_the_reporter_is_told(people, pod):
    _moderator(pod, "mona")
    reporter = _report_a_post(people, "rita", "sam", "Cheap followers at example dot com", "Sam posts spam all day")
    mod = _open_the_report_on_a_phone(people, "mona", "sam", "Cheap followers at example dot com", "Sam posts spam all day")
    mod.get_by_role("button", name="Assign to me").click()
    expect(mod.get_by_role("button", name="Unassign")).to_be_visible()
    mod.get_by_label("Add a note").fill("Second report this week")
    mod.get_by_role("button", name="Add note").click()
    expect(mod.locator(".report-notes")).to_contain_text("Second report this week")
    mod.get_by_label("What the reporter is told").fill("We had a word with them.")
    mod.get_by_role("button", name="Resolve").click()
    expect(mod.locator("#messages")).to_contain_text("resolved")

    reporter.goto("/notifications")
    expect(reporter.locator("main")).to_contain_text("Your report about sam was handled: We had a word with them.")


def test_a_moderator_suspends_a_reported_account_on_a_phone(people, pod):
    _moderator(pod, "max")
    reporter = _report_a_post(people, "ria", "sly", "Click here for free coins", "A scam")
    mod = _open_the_report_on_a_phone(people, "max", "sly", "Click here for free coins", "A scam")
    form = mod.locator("form.action-form")
    form.get_by_role("radio", name="Suspend the account").check()
    form.get_by_label("Reason (they are told it)").fill("Scams are not allowed here")
    form.get_by_role("button", name="Take this action").click()
    # Back on the report, closed by the action.
    expect(mod.locator("main")).to_contain_text("resolved")

    reporter.goto("/notifications")
    expect(reporter.locator("main")).to_contain_text("Your report about sly was handled")
