"""What people do on a pod, in Chromium, against a running pod (issue 5's journeys).

Every journey checks that the page did not navigate when htmx was meant to update it in
place (a marker set on `window` survives only without a page load), and the fixture fails
any test whose pages raised a script error (a CSP refusal included).
"""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import label, run_in_pod
from tests.harness.pod import PASSWORD

pytestmark = pytest.mark.server


def mark(page) -> None:
    page.evaluate("window.__stayed = true")


def stayed(page) -> bool:
    """True when no page load happened since mark(): the update was made in place."""
    return page.evaluate("window.__stayed === true")


def compose(page, text: str, *audience: str, people: str = "") -> None:
    """Fill the stream's compose box; `audience` names the boxes to tick (all others unticked)."""
    box = page.locator("#compose")
    box.get_by_label("What do you want to share?").fill(text)
    for option in box.locator(".audience-option input").all():
        label = box.locator(f"label[for='{option.get_attribute('id')}']").inner_text()
        option.set_checked(label in audience)
    if people:
        box.get_by_label("Also these people").fill(people)


def post_on_stream(page, text: str) -> None:
    page.locator("#compose").get_by_role("button", name="Post", exact=True).click()
    expect(page.locator("#post-list > li").first).to_contain_text(text)


def test_sign_up_log_out_and_log_in(people):
    page = people.sign_up("walt")
    expect(page.get_by_role("heading", name="Your stream")).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()

    page.goto("/login")
    page.get_by_label("Username or e-mail address").fill("walt")
    page.get_by_label(label("Password")).fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("main")).to_contain_text("Please enter a correct")

    page.get_by_label("Username or e-mail address").fill("walt@example.test")  # the e-mail address works too
    page.get_by_label(label("Password")).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Your stream")).to_be_visible()


def test_aspects_contacts_and_a_post_only_one_aspect_sees(people, pod):
    ann, bea, cem = (people.sign_up(name) for name in ("ann", "bea", "cem"))

    ann.goto("/aspects")
    for name in ("Family", "Friends", "Work", "Acquaintances"):  # every account starts with diaspora*'s four
        expect(ann.get_by_role("heading", name=name, exact=True)).to_be_visible()
    family = ann.locator("section.aspect", has=ann.get_by_role("heading", name="Family"))
    family.get_by_label("Add someone by handle").fill("bea")
    family.get_by_role("button", name="Add").click()
    expect(ann.locator("section.aspect", has=ann.get_by_role("heading", name="Family"))).to_contain_text("bea")

    # cem goes into Work from cem's profile, through the aspect menu (in place).
    ann.goto("/@cem")
    mark(ann)
    ann.locator(".aspect-menu").get_by_label("Work").check()
    ann.get_by_role("button", name="Save aspects").click()
    expect(ann.locator(".relationship-status")).to_have_text("You share with this person.")
    assert stayed(ann)
    ann.goto("/contacts")
    expect(ann.locator("main")).to_contain_text("cem")

    # The compose box names who will see the post before it is sent.
    ann.goto("/")
    compose(ann, "Only for the family: dinner on Sunday", "Family")
    preview = ann.locator("#audience-preview")
    expect(preview).to_contain_text("Only you and 1 person")
    expect(preview).to_contain_text("@bea@")
    expect(preview).not_to_contain_text("cem")
    post_on_stream(ann, "dinner on Sunday")
    expect(ann.locator("#post-list > li").first).to_contain_text("Limited")
    post_url = ann.locator("#post-list > li").first.locator("a.permalink").get_attribute("href")

    bea.goto("/")
    expect(bea.locator("#post-list")).to_contain_text("dinner on Sunday")
    cem.goto("/")
    expect(cem.get_by_role("heading", name="Your stream")).to_be_visible()
    expect(cem.locator("main")).not_to_contain_text("dinner on Sunday")
    response = cem.goto(post_url)
    assert response.status == 404
    expect(cem.locator("main")).not_to_contain_text("dinner on Sunday")


def test_comment_like_and_reshare_a_public_post_then_read_the_notifications(people):
    eve = people.sign_up("eve")
    compose(eve, "Spring is here #flowers", "Public")
    post_on_stream(eve, "Spring is here")

    fay = people.sign_up("fay")
    fay.goto("/public")
    post = fay.locator("article.post", has_text="Spring is here")
    mark(fay)
    post.get_by_role("button", name="Like").click()
    expect(post.get_by_role("button", name="Unlike")).to_be_visible()
    expect(post.locator(".post-actions")).to_contain_text("1 like")
    expect(post.get_by_role("button", name="Unlike")).to_be_focused()  # focus stays on the button swapped in
    post.get_by_role("button", name="Reshare").click()
    expect(post.get_by_role("button", name="Undo reshare")).to_be_visible()
    expect(post.locator(".post-actions")).to_contain_text("1 reshare")
    assert stayed(fay)

    post.locator("a.permalink").click()
    fay.wait_for_url(re.compile(r"/posts/\d+$"))
    mark(fay)
    fay.get_by_label(label("Comment")).fill("Lovely! Where is this?")
    fay.get_by_role("button", name="Comment", exact=True).click()
    expect(fay.locator("#comments .comment")).to_contain_text("Lovely! Where is this?")
    expect(fay.get_by_label(label("Comment"))).to_have_value("")
    assert stayed(fay)

    # eve is told, in the header and on the notifications page, which names the post; looking
    # at them reads them (issue 11): new this once, and the header's count is gone at once.
    eve.goto("/")
    badge = eve.locator("#unread-notifications")
    expect(badge).to_contain_text("3")
    eve.get_by_role("link", name=re.compile("^Notifications")).click()
    notes = eve.locator("#notification-list")
    expect(notes).to_contain_text("fay liked your post “Spring is here #flowers”.")
    expect(notes).to_contain_text("fay reshared your post “Spring is here #flowers”.")
    expect(notes).to_contain_text("fay commented on your post “Spring is here #flowers”.")
    expect(eve.locator(".notification.unread")).to_have_count(3)
    expect(eve.locator("#unread-notifications")).to_have_count(0)
    eve.reload()
    expect(eve.locator(".notification.unread")).to_have_count(0)
    notes.filter(has_text="commented").get_by_role("link", name="“Spring is here #flowers”").first.click()
    expect(eve.locator("#comments")).to_contain_text("Lovely! Where is this?")


def png(tmp_path) -> str:
    path = tmp_path / "sunset.png"
    Image.new("RGB", (300, 200), (240, 140, 60)).save(path)
    return str(path)


def test_photo_with_alt_text_and_its_thumbnail(people, tmp_path):
    gil = people.sign_up("gil")
    compose(gil, "Sunset from the balcony", "Public")
    box = gil.locator("#compose")
    box.get_by_text("Add photos").click()
    box.get_by_label(label("Photo 1")).set_input_files(png(tmp_path))
    expect(box.locator("img.photo-preview")).to_be_visible()  # shown before anything is uploaded
    box.get_by_label("Description of photo 1, for people who cannot see it").fill("An orange sky over the rooftops")
    post_on_stream(gil, "Sunset from the balcony")

    # The worker cleans and thumbnails the photo; the post page shows it with its description.
    gil.locator("#post-list > li").first.locator("a.permalink").click()
    thumbnail = gil.get_by_role("img", name="An orange sky over the rooftops")
    for _ in range(40):
        if thumbnail.count() and thumbnail.evaluate("img => img.complete && img.naturalWidth > 0"):
            break
        gil.wait_for_timeout(250)
        gil.reload()
    assert thumbnail.evaluate("img => img.naturalWidth") > 0
    assert "/thumbnail" in thumbnail.get_attribute("src")
    response = gil.request.get(thumbnail.get_attribute("src"))
    assert response.headers["content-type"] in ("image/png", "image/jpeg", "image/webp")
    assert response.headers["x-content-type-options"] == "nosniff"


def test_vote_in_a_poll(people):
    hal = people.sign_up("hal")
    hal.locator("#compose").get_by_text("Add a poll").click()
    compose(hal, "Tea or coffee?", "Public")
    hal.get_by_label("Poll options, one per line (optional)").fill("Tea\nCoffee\nNeither")
    post_on_stream(hal, "Tea or coffee?")

    ida = people.sign_up("ida")
    ida.goto("/public")
    poll = ida.locator("article.post", has_text="Tea or coffee?").locator(".poll")
    mark(ida)
    poll.get_by_role("button", name="Vote").click()  # nothing chosen: told so, in place
    expect(poll.get_by_role("alert")).to_have_text("Choose an answer to vote.")
    poll.get_by_label("Coffee").check()
    poll.get_by_role("button", name="Vote").click()
    results = ida.locator("article.post", has_text="Tea or coffee?").locator(".poll-results")
    expect(results).to_contain_text("Coffee (your vote)")
    expect(ida.locator("article.post", has_text="Tea or coffee?").locator(".poll-meta")).to_contain_text("1 person voted")
    assert stayed(ida)


def test_search_for_a_person_and_a_tag(people):
    jon = people.sign_up("jonsearch")
    compose(jon, "Notes on #birdwatching at dawn", "Public")
    post_on_stream(jon, "birdwatching")

    kim = people.sign_up("kim")
    kim.get_by_role("searchbox", name="Search").fill("jonsearch")
    kim.get_by_role("searchbox", name="Search").press("Enter")
    people_found = kim.locator("section", has=kim.get_by_role("heading", name="People"))
    people_found.get_by_role("link", name=re.compile("jonsearch")).click()
    expect(kim.get_by_role("heading", level=1)).to_have_text("jonsearch")

    kim.get_by_role("searchbox", name="Search").fill("#birdwatching")
    kim.get_by_role("searchbox", name="Search").press("Enter")
    kim.locator("section", has=kim.get_by_role("heading", name="Tags")).get_by_role("link", name="#birdwatching").click()
    expect(kim.get_by_role("heading", level=1)).to_have_text("#birdwatching")
    expect(kim.locator("#post-list")).to_contain_text("Notes on #birdwatching at dawn")
    mark(kim)
    kim.get_by_role("button", name="Follow this tag").click()
    expect(kim.get_by_role("button", name="Stop following this tag")).to_be_visible()


def test_export_data(people):
    lea = people.sign_up("lea")
    compose(lea, "Something to keep", "Public")
    post_on_stream(lea, "Something to keep")
    lea.get_by_role("link", name="Settings").click()
    lea.get_by_role("link", name="Export your data").click()
    with lea.expect_download() as download:
        lea.get_by_role("button", name="Download my data").click()
    assert download.value.suggested_filename == "kith-lea.zip"
    with zipfile.ZipFile(io.BytesIO(open(download.value.path(), "rb").read())) as archive:
        names = archive.namelist()
        everything = " ".join(archive.read(name).decode(errors="replace") for name in names if name.endswith(".json"))
    assert any(name.endswith(".json") for name in names), names
    assert "Something to keep" in everything


def test_delete_account(people):
    max_ = people.sign_up("maxdel")
    max_.goto("/settings/delete")
    max_.get_by_label(label("Your password")).fill(PASSWORD)
    max_.get_by_role("button", name="Delete my account").click()
    # Not confirmed yet: the browser does not send the form, nothing happens.
    expect(max_.get_by_role("heading", name="Delete your account")).to_be_visible()
    assert max_.url.endswith("/settings/delete")
    max_.get_by_label("I understand that my posts, comments and messages are deleted for good.").check()
    max_.get_by_role("button", name="Delete my account").click()
    expect(max_.locator("main")).to_contain_text("Your account has been deleted.")

    max_.get_by_label("Username or e-mail address").fill("maxdel")
    max_.get_by_label(label("Password")).fill(PASSWORD)
    max_.get_by_role("button", name="Log in").click()
    expect(max_.locator("main")).to_contain_text("Please enter a correct")
    assert max_.goto("/@maxdel").status == 404


def test_load_more_appends_in_place_and_moves_focus(people, pod):
    nia = people.sign_up("nia")
    run_in_pod(pod, (
        "from kith.people.models import Person\n"
        "from kith.social.services import publish_post\n"
        "nia = Person.objects.get(username='nia', domain='')\n"
        "for number in range(45): publish_post(nia, f'numbered post {number}')\n"
    ))
    nia.goto("/")
    posts = nia.locator("#post-list > li")
    expect(posts).to_have_count(20)
    mark(nia)
    nia.get_by_role("link", name="Load more").click()
    expect(posts).to_have_count(40)
    expect(posts.nth(20)).to_be_focused()
    expect(posts.nth(20)).to_contain_text("numbered post 24")
    nia.get_by_role("link", name="Load more").click()
    expect(posts).to_have_count(45)
    expect(nia.get_by_role("link", name="Load more")).to_have_count(0)
    assert stayed(nia)


def test_everything_works_without_javascript(people):
    ola = people.sign_up("ola", javascript=False)
    ola.locator("#compose").get_by_label("What do you want to share?").fill("Plain HTML still works")
    ola.locator("#compose").get_by_label("Public").check()
    ola.locator("#compose").get_by_label("All aspects").uncheck()
    ola.get_by_role("button", name="Show who will see it").click()
    expect(ola.locator("#audience-preview")).to_contain_text("Everyone: anyone can read it")
    ola.get_by_role("button", name="Post", exact=True).click()
    ola.wait_for_url(re.compile(r"/posts/\d+$"))
    expect(ola.locator("article.post")).to_contain_text("Plain HTML still works")

    pia = people.sign_up("pia", javascript=False)
    pia.goto("/public")
    post = pia.locator("article.post", has_text="Plain HTML still works")
    post.get_by_role("button", name="Like").click()
    expect(pia.locator("article.post", has_text="Plain HTML still works").get_by_role("button", name="Unlike")).to_be_visible()
    assert "/public" in pia.url


def test_the_interface_speaks_german(people):
    rut = people.sign_up("rut", locale="de-DE")
    expect(rut.locator("html")).to_have_attribute("lang", "de")
    expect(rut.get_by_role("heading", name="Dein Stream")).to_be_visible()
    expect(rut.locator("#compose")).to_contain_text("Neuer Beitrag")
    expect(rut.get_by_role("button", name="Abmelden")).to_be_visible()
    rut.goto("/settings/profile")
    expect(rut.get_by_role("heading", level=1)).to_have_text("Dein Profil")
    text = rut.locator("body").inner_text()
    for english in ("Settings", "Notifications", "Your profile", "Save", "Log out"):
        assert not re.search(rf"\b{english}\b", text), english


def test_keyboard_only(people):
    uma = people.sign_up("uma")
    compose(uma, "Typed and liked by keyboard", "Public")
    post_on_stream(uma, "Typed and liked by keyboard")
    vic = people.sign_up("vic")
    vic.goto("/public")
    vic.keyboard.press("Tab")
    expect(vic.get_by_role("link", name="Skip to content")).to_be_focused()
    vic.keyboard.press("Enter")
    expect(vic.locator("main")).to_be_focused()
    for _ in range(40):
        vic.keyboard.press("Tab")
        if vic.evaluate("document.activeElement.textContent.trim()").endswith("Like"):
            break
    else:
        pytest.fail("the Like button is not reachable with the Tab key")
    vic.keyboard.press("Enter")
    expect(vic.locator("article.post", has_text="Typed and liked by keyboard").get_by_role("button", name="Unlike")).to_be_focused()


def test_security_headers_on_every_page(people):
    wes = people.sign_up("wes")
    response = wes.goto("/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "'unsafe-inline'" not in policy
    assert "'unsafe-eval'" not in policy
    assert json.loads(wes.locator("meta[name='htmx-config']").get_attribute("content"))["allowEval"] is False
