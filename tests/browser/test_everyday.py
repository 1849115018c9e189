"""Issue 11 in a browser: errors said where they happen (with what was written kept), the first
public post on the first try, asking before a post is deleted or a person blocked and saying so
afterwards, to whom one's own limited posts went, and a phone layout with everything in reach.

Each person is signed up through the pages of a real pod (tests/browser/conftest.py), with
JavaScript on unless a test says otherwise.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, axe_violations, label, run_in_pod, screenshot

pytestmark = pytest.mark.server

MAX_POST_CHARS = 65_535


def mark(page) -> None:
    page.evaluate("window.__stayed = true")


def stayed(page) -> bool:
    """True when no page load happened since mark(): the answer was shown in place."""
    return page.evaluate("window.__stayed === true")


def expect_refused(page, status: int, path: str) -> None:
    """The fixture fails a test on any failed request; these were refused on purpose."""
    refused = [error for error in page.js_errors if re.fullmatch(rf"{status} .*{re.escape(path)}", error)]
    assert refused, page.js_errors
    for error in refused:
        page.js_errors.remove(error)


def audience_box(page, name: str):
    return page.locator("#compose .audience-options").get_by_label(name, exact=True)


# ---- point 3: every composer error is shown in place, with the text kept ----------------


def test_composer_errors_are_shown_in_place_with_the_text_kept(people, tmp_path):
    ana = people.sign_up("errana")
    box = ana.locator("#compose")
    mark(ana)

    too_long = "word " * (MAX_POST_CHARS // 5) + "over"
    box.get_by_label("What do you want to share?").fill(too_long)
    audience_box(ana, "Public").check()
    box.get_by_role("button", name="Post", exact=True).click()
    alert = ana.locator("#compose [role=alert]")
    expect(alert).to_have_text(f"The post is longer than {MAX_POST_CHARS} characters.")
    expect(ana.locator("#compose").get_by_label("What do you want to share?")).to_have_value(too_long)
    expect(audience_box(ana, "Public")).to_be_checked()  # the choice is kept too
    expect(ana.locator("#compose-post")).to_be_focused()  # back on the button pressed
    expect_refused(ana, 422, "/posts")

    ana.locator("#compose").get_by_label("What do you want to share?").fill("   ")
    ana.locator("#compose").get_by_role("button", name="Post", exact=True).click()
    expect(ana.locator("#compose [role=alert]")).to_have_text("A post needs some text, a photo or a poll.")
    expect_refused(ana, 422, "/posts")

    not_a_picture = tmp_path / "holiday.jpg"
    not_a_picture.write_text("this is a letter, not a photo")
    box = ana.locator("#compose")
    box.get_by_label("What do you want to share?").fill("Look at this view")
    box.get_by_text("Add photos").click()
    box.get_by_label(label("Photo 1")).set_input_files(str(not_a_picture))
    box.get_by_role("button", name="Post", exact=True).click()
    expect(ana.locator("#compose [role=alert]")).to_have_text("That file is not an image Kith can read.")
    expect(ana.locator("#compose").get_by_label("What do you want to share?")).to_have_value("Look at this view")
    expect_refused(ana, 422, "/posts")

    assert stayed(ana)
    expect(ana.locator("main")).not_to_contain_text("That did not work")
    expect(ana.locator("#post-list > li")).to_have_count(0)


def test_refused_comments_replies_and_actions_say_why_in_place(people, pod):
    bo = people.sign_up("errbo")
    bo.locator("#compose").get_by_label("What do you want to share?").fill("A post to answer")
    audience_box(bo, "Public").check()
    bo.locator("#compose").get_by_role("button", name="Post", exact=True).click()
    expect(bo.locator("#post-list > li").first).to_contain_text("A post to answer")
    bo.locator("#post-list > li").first.locator("a.permalink").click()
    bo.get_by_label(label("Comment")).fill("First!")
    bo.get_by_role("button", name="Comment", exact=True).click()
    expect(bo.locator("#comments .comment")).to_contain_text("First!")
    post_url = bo.url

    cy = people.sign_up("errcy")
    cy.goto(post_url)
    mark(cy)
    too_long = "y" * (MAX_POST_CHARS + 1)
    comment = cy.get_by_label(label("Comment"))
    comment.fill(too_long)
    cy.get_by_role("button", name="Comment", exact=True).click()
    expect(cy.locator(".comment-form [role=alert]")).to_contain_text(f"The comment is longer than {MAX_POST_CHARS} characters.")
    expect(cy.get_by_label(label("Comment"))).to_have_value(too_long)
    expect_refused(cy, 422, "/comments")

    cy.get_by_label(label("Comment")).fill("")
    cy.locator(".comment").first.locator("summary", has_text="Reply").click()
    reply = cy.get_by_label("Reply to errbo")
    reply.fill(too_long)
    cy.locator(".comment").first.get_by_role("button", name="Reply", exact=True).click()
    reply_box = cy.locator(".comment").first.locator("details.reply")
    expect(reply_box).to_have_attribute("open", "")
    expect(reply_box.get_by_role("alert")).to_contain_text("The comment is longer than")
    expect(cy.get_by_label("Reply to errbo")).to_have_value(too_long)
    expect_refused(cy, 422, "/comments")

    # The post goes away while cy looks at it: the Like button says so, instead of nothing happening.
    cy.goto("/public")
    mark(cy)
    run_in_pod(pod, (
        "from kith.social.models import Post\n"
        "from kith.social.services import delete_post\n"
        "post = Post.objects.get(source='A post to answer')\n"
        "delete_post(post.author, post)\n"
    ))
    article = cy.locator("article.post", has_text="A post to answer")
    article.get_by_role("button", name="Like").click()
    expect(article.locator(".request-error")).to_have_text("No such post.")
    expect(article.locator(".request-error")).to_have_attribute("role", "alert")
    expect_refused(cy, 404, "/like")
    assert stayed(cy)


# ---- point 4: the first public post goes out on the first try -----------------------------


def test_the_first_public_post_goes_out_on_the_first_try(people):
    dee = people.sign_up("pubdee")
    box = dee.locator("#compose")
    expect(audience_box(dee, "All aspects")).to_be_checked()  # the default
    box.get_by_label("What do you want to share?").fill("Hello, world")
    audience_box(dee, "Public").check()
    # As in diaspora*'s publisher, Public and the aspects exclude each other, and the preview follows.
    expect(audience_box(dee, "All aspects")).not_to_be_checked()
    expect(dee.locator("#audience-preview")).to_contain_text("Everyone: anyone can read it")
    box.get_by_role("button", name="Post", exact=True).click()
    first = dee.locator("#post-list > li").first
    expect(first).to_contain_text("Hello, world")
    expect(first.locator(".audience-marker")).to_have_text("Public")
    expect(dee.locator("#live-status")).to_have_text("Your post is published.")

    # Ticking an aspect (or All aspects) unticks Public again.
    audience_box(dee, "Public").check()
    audience_box(dee, "All aspects").check()
    expect(audience_box(dee, "Public")).not_to_be_checked()
    expect(dee.locator("#audience-preview")).not_to_contain_text("Everyone")
    dee.locator("#compose").get_by_label("Also these people").fill("pubdee")
    audience_box(dee, "Public").check()
    dee.locator("#compose").get_by_label("Also these people").press_sequentially(" ")
    expect(audience_box(dee, "Public")).not_to_be_checked()  # naming people makes it limited


def test_without_javascript_public_wins_over_the_default_box(people):
    eli = people.sign_up("pubeli", javascript=False)
    box = eli.locator("#compose")
    box.get_by_label("What do you want to share?").fill("Plain first post")
    box.get_by_label("Public").check()  # "All aspects" stays ticked: no script unticks it
    expect(box.get_by_label("All aspects")).to_be_checked()
    box.get_by_role("button", name="Show who will see it").click()
    expect(eli.locator("#audience-preview")).to_contain_text("Everyone: anyone can read it")
    expect(eli.locator("#compose").get_by_label("All aspects")).not_to_be_checked()  # shown as it is understood
    eli.locator("#compose").get_by_role("button", name="Post", exact=True).click()
    eli.wait_for_url(re.compile(r"/posts/\d+$"))
    expect(eli.locator("article.post .audience-marker")).to_have_text("Public")


# ---- point 8: asking first, saying so afterwards, and to whom one's posts went ------------


def publish_from_stream(page, text: str, *audience: str) -> None:
    box = page.locator("#compose")
    box.get_by_label("What do you want to share?").fill(text)
    for name in audience:
        audience_box(page, name).check()
    box.get_by_role("button", name="Post", exact=True).click()
    expect(page.locator("#post-list > li").first).to_contain_text(text)


def test_deleting_a_post_asks_first_and_says_so_afterwards(people):
    fay = people.sign_up("delfay")
    publish_from_stream(fay, "Something I will regret", "Public")
    post = fay.locator("#post-list > li").first
    expect(post.get_by_role("link", name="Edit")).to_be_visible()  # offered in the stream, not only on the post page

    delete = post.get_by_role("button", name="Delete")
    delete.click()
    dialog = fay.get_by_role("dialog", name="Delete this post?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Something I will regret")
    expect(dialog.get_by_role("link", name="Cancel")).to_be_focused()
    dialog.get_by_role("link", name="Cancel").click()
    expect(fay.get_by_role("dialog")).to_have_count(0)
    expect(delete).to_be_focused()
    expect(fay.locator("#post-list")).to_contain_text("Something I will regret")

    delete.click()
    fay.get_by_role("dialog").get_by_role("button", name="Delete post").click()
    messages = fay.locator("#messages")
    expect(messages).to_have_text("Your post has been deleted.")
    expect(messages).to_be_focused()  # read first
    expect(fay.locator("#post-list")).not_to_contain_text("Something I will regret")


def test_without_javascript_deleting_and_blocking_ask_on_a_page(people):
    gus = people.sign_up("delgus", javascript=False)
    gus.locator("#compose").get_by_label("What do you want to share?").fill("Plain and deletable")
    gus.locator("#compose").get_by_label("Public").check()
    gus.locator("#compose").get_by_role("button", name="Post", exact=True).click()
    gus.wait_for_url(re.compile(r"/posts/\d+$"))
    gus.get_by_role("button", name="Delete").click()
    expect(gus.get_by_role("heading", level=1)).to_have_text("Delete this post?")
    gus.get_by_role("button", name="Delete post").click()
    gus.wait_for_url(re.compile(r"/$"))
    expect(gus.locator("#messages")).to_have_text("Your post has been deleted.")

    people.sign_up("blockhal")
    gus.goto("/@blockhal")
    gus.get_by_role("button", name="Block").click()
    expect(gus.get_by_role("heading", level=1)).to_have_text("Block blockhal?")
    gus.get_by_role("link", name="Cancel").click()
    expect(gus.locator(".relationship-status")).not_to_contain_text("You block this person.")
    gus.get_by_role("button", name="Block").click()
    gus.locator("main form[method=post]").get_by_role("button", name="Block").click()
    expect(gus.locator("#messages")).to_contain_text("You have blocked blockhal")
    expect(gus.locator(".relationship-status")).to_have_text("You block this person.")


def test_blocking_asks_first_in_a_dialog_and_says_so_afterwards(people):
    people.sign_up("blockida")
    jo = people.sign_up("blockjo")
    jo.goto("/@blockida")
    jo.get_by_role("button", name="Block").click()
    dialog = jo.get_by_role("dialog", name="Block blockida?")
    expect(dialog).to_contain_text("You will no longer see each other's posts")
    jo.keyboard.press("Escape")
    expect(jo.get_by_role("dialog")).to_have_count(0)
    jo.get_by_role("button", name="Block").click()
    jo.get_by_role("dialog").get_by_role("button", name="Block").click()
    expect(jo.locator("#messages")).to_contain_text("You have blocked blockida")
    expect(jo.locator(".relationship-status")).to_have_text("You block this person.")


def test_own_limited_posts_name_their_aspects_to_the_author_only(people):
    kai = people.sign_up("audkai")
    lou = people.sign_up("audlou")
    kai.goto("/aspects")
    kai.get_by_label(label("Name")).fill("Climbing partners")
    kai.get_by_role("button", name="Create").click()
    aspect = kai.locator("section.aspect", has=kai.get_by_role("heading", name="Climbing partners"))
    aspect.get_by_label("Add someone by handle").fill("audlou")
    aspect.get_by_role("button", name="Add").click()
    expect(kai.locator("section.aspect", has=kai.get_by_role("heading", name="Climbing partners"))).to_contain_text("audlou")
    kai.goto("/")
    publish_from_stream(kai, "Saturday at the crag?", "Climbing partners")
    expect(kai.locator("#post-list > li").first.locator(".audience-marker")).to_have_text("Limited to Climbing partners")

    lou.goto("/")
    post = lou.locator("#post-list > li", has_text="Saturday at the crag?")
    expect(post.locator(".audience-marker")).to_have_text("Limited")
    expect(lou.locator("main")).not_to_contain_text("Climbing partners")
    expect(post.get_by_role("button", name="Delete")).to_have_count(0)


# ---- point 9: the phone layout ------------------------------------------------------------


def no_sideways_scroll(page) -> None:
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{page.url}: page {width[0]} px wide in a {width[1]} px viewport"


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_on_a_phone_everything_is_in_reach(people, javascript):
    mia = people.sign_up(f"phonemia{int(javascript)}", viewport=PHONE, javascript=javascript)
    screenshot(mia, f"everyday-stream-phone{'' if javascript else '-nojs'}")
    header = mia.locator(".site-header").bounding_box()
    assert header["height"] <= 64, header  # a compact header (was about a tenth of the screen)
    post_button = mia.locator("#compose").get_by_role("button", name="Post", exact=True).bounding_box()
    assert post_button["y"] + post_button["height"] <= PHONE["height"], post_button  # on the first screen
    no_sideways_scroll(mia)

    # Every place is reachable from the menu, inside the screen, without sideways scrolling.
    mia.locator(".nav-menu > summary").click()
    nav = mia.get_by_role("navigation", name="Main")
    for name in ("Stream", "Public", "Notifications", "Conversations", "Contacts", "Profile", "Settings"):
        link = nav.get_by_role("link", name=re.compile(rf"^{name}"))
        expect(link).to_be_visible()
        box = link.bounding_box()
        assert box["x"] >= 0, (name, box)
        assert box["x"] + box["width"] <= PHONE["width"], (name, box)
    expect(nav.get_by_role("button", name="Log out")).to_be_in_viewport()
    no_sideways_scroll(mia)
    if javascript:
        screenshot(mia, "everyday-menu-phone")
    nav.get_by_role("link", name="Settings").click()
    mia.wait_for_url("**/settings/profile")
    pages = ("/", "/settings/profile", "/contacts", "/aspects", "/public", "/notifications", "/conversations", f"/@phonemia{int(javascript)}")
    for path in pages:
        mia.goto(path)
        no_sideways_scroll(mia)
    mia.set_viewport_size({"width": 320, "height": 640})  # a small phone too
    for path in pages:
        mia.goto(path)
        no_sideways_scroll(mia)
    mia.set_viewport_size(PHONE)
    mia.locator(".nav-menu > summary").click()
    mia.get_by_role("navigation", name="Main").get_by_role("button", name="Log out").click()
    expect(mia.get_by_role("heading", level=1)).to_be_visible()
    mia.locator(".nav-menu > summary").click()
    expect(mia.get_by_role("navigation", name="Main").get_by_role("link", name="Log in")).to_be_visible()


def test_on_a_wide_screen_the_links_stand_in_the_header(people):
    ned = people.sign_up("widened")
    expect(ned.locator(".nav-menu > summary")).to_be_hidden()
    nav = ned.get_by_role("navigation", name="Main")
    for name in ("Contacts", "Profile", "Settings"):
        expect(nav.get_by_role("link", name=name)).to_be_visible()
    expect(nav.get_by_role("button", name="Log out")).to_be_visible()
    assert ned.locator(".site-header").bounding_box()["height"] <= 64
    screenshot(ned, "everyday-stream-desktop")
    nav.get_by_role("link", name="Contacts").click()
    ned.wait_for_url("**/contacts")


def test_the_menu_and_the_dialog_pass_axe(people):
    """axe is injected by the test, so this context lets it past the page's CSP (as test_pages.py does)."""
    oli = people.sign_up("axeoli", viewport=PHONE, bypass_csp=True)
    publish_from_stream(oli, "Checked by axe", "Public")
    oli.locator(".nav-menu > summary").click()
    assert not axe_violations(oli), "the open menu"
    oli.locator(".nav-menu > summary").click()
    oli.locator("#post-list > li").first.get_by_role("button", name="Delete").click()
    expect(oli.get_by_role("dialog")).to_be_visible()
    assert not axe_violations(oli), "the dialog"
