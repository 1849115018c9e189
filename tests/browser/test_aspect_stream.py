"""The aspect stream in Chromium (issue 11, point 5): a person chooses one, several or all of
their aspects and sees only the posts of the people in them, with JavaScript and without."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, run_in_pod, screenshot

pytestmark = pytest.mark.server

POSTS = {
    "bo": "Family news: the cat had kittens",
    "cy": "Work news: the office moves in May",
    "di": "Just a follow: di posts about birds",
}


@pytest.fixture(scope="module")
def circle(pod):
    """asa has bo in Family and cy in Work (put there on the aspects page by the test), and
    follows di, who is in none of her aspects."""
    for name in ("asa", "bo", "cy", "di"):
        pod.create_user(name)
    return pod


def add_to(page, aspect: str, handle: str) -> None:
    section = page.locator("section.aspect", has=page.get_by_role("heading", name=aspect, exact=True))
    section.get_by_label("Add someone by handle").fill(handle)
    section.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator("section.aspect", has=page.get_by_role("heading", name=aspect, exact=True))).to_contain_text(handle)


def post_texts(page) -> list[str]:
    return [text for text in POSTS.values() if page.locator("#post-list").get_by_text(text).count()]


def test_choosing_aspects_shows_only_their_peoples_posts(circle, people):
    asa = people.log_in("asa")
    asa.goto("/aspects")
    add_to(asa, "Family", "bo")
    add_to(asa, "Work", "cy")
    run_in_pod(circle, (
        "from kith.graph.services import follow\n"
        "from kith.people.models import Person\n"
        "from kith.social.services import publish_post\n"
        "people = {p.username: p for p in Person.objects.filter(domain='')}\n"
        "follow(people['asa'], people['di'])\n"
        + "".join(f"publish_post(people[{name!r}], {text!r})\n" for name, text in POSTS.items())
    ))

    # The stream has all three; "My aspects" (linked from it) only the people in her aspects.
    asa.goto("/")
    expect(asa.locator("#post-list")).to_contain_text(POSTS["di"])
    asa.get_by_role("link", name="My aspects").first.click()
    expect(asa.get_by_role("heading", name="Posts from all your aspects")).to_be_visible()
    assert post_texts(asa) == [POSTS["bo"], POSTS["cy"]]
    screenshot(asa, "aspect-stream-all-desktop")

    # Several by unticking the others: the form is a plain GET, the choice is in the address.
    asa.get_by_label("Work", exact=True).uncheck()
    asa.get_by_label("Acquaintances", exact=True).uncheck()
    asa.get_by_role("button", name="Show", exact=True).click()
    expect(asa.get_by_role("heading", name="Posts from Family, Friends", exact=True)).to_be_visible()
    assert re.search(r"/stream/aspects\?aspect=\d+&aspect=\d+$", asa.url), asa.url
    assert post_texts(asa) == [POSTS["bo"]]
    expect(asa.get_by_label("Family", exact=True)).to_be_checked()
    expect(asa.get_by_label("Work", exact=True)).not_to_be_checked()
    screenshot(asa, "aspect-stream-family-desktop")

    # One by its link; then all again.
    asa.get_by_role("link", name="Only Work").click()
    expect(asa.get_by_role("heading", name="Posts from Work", exact=True)).to_be_visible()
    assert re.search(r"/stream/aspects\?aspect=\d+$", asa.url), asa.url
    assert post_texts(asa) == [POSTS["cy"]]
    asa.get_by_role("link", name="All aspects").click()
    expect(asa.get_by_role("heading", name="Posts from all your aspects")).to_be_visible()
    assert post_texts(asa) == [POSTS["bo"], POSTS["cy"]]

    # Ticking two of four shows both, nothing else.
    asa.get_by_label("Friends", exact=True).uncheck()
    asa.get_by_label("Acquaintances", exact=True).uncheck()
    asa.get_by_role("button", name="Show", exact=True).click()
    expect(asa.get_by_role("heading", name="Posts from Family, Work", exact=True)).to_be_visible()
    assert post_texts(asa) == [POSTS["bo"], POSTS["cy"]]


def test_the_same_without_javascript_and_on_a_phone(circle, people):
    asa = people.log_in("asa", javascript=False, viewport=PHONE)
    asa.goto("/stream/aspects")
    for name in ("Family", "Friends", "Acquaintances"):
        asa.get_by_label(name, exact=True).uncheck()
    asa.get_by_role("button", name="Show", exact=True).click()
    expect(asa.get_by_role("heading", name="Posts from Work", exact=True)).to_be_visible()
    assert post_texts(asa) == [POSTS["cy"]]
    screenshot(asa, "aspect-stream-work-phone")
    # Nothing is remembered: the next visit without a choice shows every aspect again.
    asa.goto("/stream/aspects")
    assert post_texts(asa) == [POSTS["bo"], POSTS["cy"]]
    # One aspect by its link, on a phone too (the compose box's phone layout once hid these links).
    asa.get_by_role("link", name="Only Family").click()
    expect(asa.get_by_role("heading", name="Posts from Family", exact=True)).to_be_visible()
    assert post_texts(asa) == [POSTS["bo"]]


def test_the_starting_aspects_are_renamed_and_removed_in_the_page(pod, people):
    """A new account's four aspects (issue 11, point 6) are ordinary ones: renamed and removed on
    the aspects page, and the compose box and the aspect stream follow."""
    page = people.sign_up("eli")
    page.goto("/aspects")
    family = page.locator("section.aspect", has=page.get_by_role("heading", name="Family", exact=True))
    family.get_by_label("New name").fill("Kin")
    family.get_by_role("button", name="Rename").click()
    expect(page.get_by_role("heading", name="Kin", exact=True)).to_be_visible()
    page.get_by_role("button", name="Delete the aspect Acquaintances").click()
    expect(page.get_by_role("heading", name="Acquaintances", exact=True)).to_have_count(0)
    headings = page.locator("section.aspect h2").all_inner_texts()
    assert headings == ["Kin", "Friends", "Work"], headings
    page.goto("/")
    compose = page.locator("#compose")
    expect(compose.get_by_label("Kin", exact=True)).to_be_visible()
    expect(compose.get_by_label("Acquaintances", exact=True)).to_have_count(0)
    page.goto("/stream/aspects")
    expect(page.get_by_label("Kin", exact=True)).to_be_checked()
    expect(page.get_by_label("Acquaintances", exact=True)).to_have_count(0)
