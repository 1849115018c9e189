"""A new person's first hour, in Chromium, over three real pods (issue 11's first acceptance item).

Pods A, B and C run as processes of their own (tests/harness/pod.py) on 127.0.0.2, .3 and .4,
and federate over HTTP as real servers do.  bob (on B) and carol (on C) have accounts already;
the newcomer signs up on A through the sign-up page and does, through the pages only, what a
diaspora* user does in a first hour: a face, finding bob on the other pod, aspects, posts of
every kind, answers from the other side, a conversation across three pods, notifications, the
aspect stream, editing, deleting, blocking, and taking their data home.  bob and carol act in
browser contexts of their own on their own pods.

The journey runs at desktop width (alice) and at phone width (amy, who goes everywhere through
the menu).  Every step asserts what the person sees; every wait for another pod is bounded and
ends when the page shows what was expected (the person presses reload, as people do).
"""

from __future__ import annotations

import io
import json
import re
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, REPO_ROOT, People, label, screenshot
from tests.harness.pod import Pod

pytestmark = [pytest.mark.server, pytest.mark.xdist_group("first-hour")]

MAX_POST_CHARS = 65_535
# Federation on loopback takes a second or two; a busy CI machine may take much longer.
FEDERATION_S = 90


# ---- the pods and the people already on them ----------------------------------------------------


@pytest.fixture(scope="module")
def pods(tmp_path_factory):
    pods = [Pod(f"hour{name}", tmp_path_factory.mktemp(f"hour-{name}"), host=host, PYTHONPATH=str(REPO_ROOT))
            for name, host in (("a", "127.0.0.2"), ("b", "127.0.0.3"), ("c", "127.0.0.4"))]
    try:
        with ThreadPoolExecutor(len(pods)) as pool:  # independent: started together
            list(pool.map(Pod.start, pods))
            list(pool.map(lambda item: item[0].create_user(item[1]), ((pods[1], "bob"), (pods[2], "carol"))))
        yield pods
    finally:
        for pod in pods:
            pod.destroy()


def picture(path, colour: tuple, size=(160, 160), face=True) -> str:
    """A PNG made here (tests ship no images): a face for an avatar, a landscape for a photo."""
    image = Image.new("RGB", size, colour)
    draw = ImageDraw.Draw(image)
    width, height = size
    if face:
        draw.ellipse([width * 0.3, height * 0.15, width * 0.7, height * 0.55], fill=(250, 236, 220))
        draw.ellipse([width * 0.12, height * 0.62, width * 0.88, height * 1.3], fill=(250, 236, 220))
    else:
        draw.ellipse([width * 0.6, height * 0.15, width * 0.75, height * 0.38], fill=(255, 214, 120))
        draw.polygon([(0, height), (0, height * 0.7), (width * 0.4, height * 0.5), (width, height * 0.75), (width, height)],
                     fill=(60, 90, 70))
    image.save(path, format="PNG")
    return str(path)


@pytest.fixture(scope="module")
def bob_has_a_face(browser, pods, tmp_path_factory):
    """bob gives himself a name and an avatar on pod B's profile page, before anyone on A knows him."""
    crowd = People(browser, pods[1])
    try:
        bob = crowd.log_in("bob")
        go(bob, "Settings")
        bob.get_by_label(label("Display name")).fill("Bob Baker")
        bob.get_by_label(label("Avatar")).set_input_files(picture(tmp_path_factory.mktemp("bob") / "bob.png", (176, 96, 60)))
        bob.get_by_role("button", name="Save").click()
        expect(bob.get_by_role("img", name="Your current avatar")).to_be_visible()
        assert not bob.js_errors, bob.js_errors
    finally:
        crowd.close()


@dataclass
class Journey:
    """One run of the first hour: the newcomer on A, bob on B and carol on C, at one width."""

    width: str  # "desktop" or "phone"
    me: str  # the newcomer's username
    full_name: str
    viewport: dict
    a: Pod
    b: Pod
    c: Pod
    crowds: list[People]

    def handle(self, username: str, pod: Pod) -> str:
        return f"{username}@{pod.domain}"

    def first(self) -> str:
        return self.full_name.split()[0]

    def look(self, page, name: str) -> None:
        """What the person sees fits the screen (nothing to scroll sideways), and is kept as a
        screenshot (docs/screenshots/ with `make screenshots`, a scratch directory otherwise)."""
        page.evaluate("document.fonts.ready")
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], f"{page.url}: the page is {width[0]} px wide in a {width[1]} px window"
        screenshot(page, f"first-hour-{name}-{self.width}")


@pytest.fixture(params=["desktop", "phone"])
def journey(request, browser, pods, bob_has_a_face):
    a, b, c = pods
    me, full_name, viewport = {"desktop": ("alice", "Alice Liddell", DESKTOP), "phone": ("amy", "Amy Pond", PHONE)}[request.param]
    crowds = [People(browser, pod) for pod in pods]
    yield Journey(request.param, me, full_name, viewport, a, b, c, crowds)
    # No page may have had a script error, a CSP refusal or a failed request (but those refused on purpose).
    errors = {page.url: page.js_errors for crowd in crowds for context in crowd.contexts for page in context.pages if page.js_errors}
    for crowd in crowds:
        crowd.close()
    assert not errors, errors


# ---- what a person does -------------------------------------------------------------------


def go(page, name: str) -> None:
    """To a place through the main navigation, as a person would: on a phone, through the menu."""
    menu = page.locator(".nav-menu > summary")
    if menu.is_visible():
        menu.click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile(rf"^{name}\b")).click()


def until_shown(page, find, what: str, timeout: float = FEDERATION_S):
    """Reload until `find()` (a locator) is visible: what another pod sends takes a moment."""
    deadline = time.monotonic() + timeout
    while True:
        locator = find()
        try:
            expect(locator).to_be_visible(timeout=1_500)
            return locator
        except AssertionError:
            if time.monotonic() > deadline:
                shown = page.locator("main").inner_text()[:12000]
                raise AssertionError(f"{page.url}: timed out after {timeout:.0f} s waiting for {what}; the page shows:\n{shown}") from None
            page.reload()


def until_gone(page, find, what: str, timeout: float = FEDERATION_S) -> None:
    deadline = time.monotonic() + timeout
    while find().count():
        if time.monotonic() > deadline:
            raise AssertionError(f"{page.url}: timed out after {timeout:.0f} s waiting for {what}")
        page.wait_for_timeout(500)
        page.reload()


def expect_loaded(image, pod: Pod) -> None:
    """The picture is this pod's own copy (its address is on the pod the person uses) and shows."""
    expect(image).to_be_visible()
    src = image.evaluate("img => img.currentSrc || img.src")
    assert src.startswith(pod.url + "/"), f"{src} is not served by {pod.url}"
    image.page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle(), timeout=15_000)


def search(page, query: str) -> None:
    box = page.get_by_role("searchbox", name="Search")
    box.fill(query)
    box.press("Enter")
    expect(page.get_by_role("heading", name="People")).to_be_visible()


def find_and_follow(page, handle: str, name: str, then: str, *, new_here: bool = False) -> None:
    """Search for someone on another pod by name@pod, open their profile and follow them; `then`: how
    the profile says the two relate once they have accepted."""
    search(page, handle)
    found = page.locator("section", has=page.get_by_role("heading", name="People")).locator(".person").first
    expect(found).to_contain_text(f"@{handle}")
    found.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    if new_here:  # what reached this pod is all there is to see: not "Nothing here yet" (as if they never posted)
        expect(page.locator("#post-list-empty")).to_contain_text("None of their posts has reached this pod yet.")
    page.get_by_role("button", name="Follow", exact=True).click()
    until_shown(page, lambda: page.get_by_role("button", name="Unfollow"), f"{handle} to accept the follow")
    expect(page.locator(".relationship-status")).to_have_text(then)


def compose(page, text: str, *audience: str) -> None:
    box = page.locator("#compose")
    box.get_by_label("What do you want to share?").fill(text)
    for name in audience:
        box.locator(".audience-options").get_by_label(name, exact=True).check()


def post(page, text: str):
    """Press Post: the new post is on top of the stream, said so, with no error."""
    page.locator("#compose").get_by_role("button", name="Post", exact=True).click()
    expect(page.locator("#live-status")).to_have_text("Your post is published.")
    expect(page.locator("#compose [role=alert]")).to_have_count(0)
    first = page.locator("#post-list > li").first
    expect(first).to_contain_text(text)
    return first


def refused(page, status: int, path: str) -> None:
    """The fixture fails on any failed request; this one was refused on purpose (and said so)."""
    matching = [error for error in page.js_errors if re.fullmatch(rf"{status} .*{re.escape(path)}", error)]
    assert matching, page.js_errors
    for error in matching:
        page.js_errors.remove(error)


def beside_its_name(box) -> bool:
    """A checkbox and the words of its label are on one line (not the box above its name)."""
    return box.evaluate("""input => {
        const words = document.createRange();
        words.selectNodeContents(input.closest("label") || input.labels[0]);
        if (input.closest("label")) { words.setStartAfter(input); }
        const text = words.getBoundingClientRect(), box = input.getBoundingClientRect();
        return Math.abs((text.top + text.bottom) / 2 - (box.top + box.bottom) / 2) < box.height;
    }""")


def article(page, text: str):
    """The post showing `text` (itself, not a row saying someone reshared it)."""
    return page.locator("article.post", has_text=text).filter(has_not=page.locator(".reshared-by"))


# ---- the first hour -----------------------------------------------------------------------


def test_the_first_hour(journey: Journey, tmp_path):
    j = journey
    crowd_a, crowd_b, crowd_c = j.crowds
    bob_handle, carol_handle = j.handle("bob", j.b), j.handle("carol", j.c)
    my_handle = j.handle(j.me, j.a)
    first = j.first()

    # -- Sign up on pod A, from its front page: the stream greets with how to find people elsewhere.
    me = crowd_a.page(viewport=j.viewport)
    me.goto("/")
    go(me, "Sign up")
    me.get_by_label(label("Username")).fill(j.me)
    me.get_by_label(label("E-mail address")).fill(f"{j.me}@example.test")
    me.get_by_label(label("Password")).fill("correct horse battery staple")
    me.get_by_label(label("Password again")).fill("correct horse battery staple")
    me.locator("main form").get_by_role("button", name="Sign up").click()
    expect(me.get_by_role("heading", name="Your stream")).to_be_visible()
    hint = me.get_by_role("complementary", name="Finding people on other pods")
    expect(hint).to_contain_text(f"as yours is {my_handle}")
    j.look(me, "new-stream")

    # -- A face: a display name and an avatar on the profile page.
    go(me, "Settings")
    me.get_by_label(label("Display name")).fill(j.full_name)
    me.get_by_label(label("Avatar")).set_input_files(picture(tmp_path / "me.png", (52, 120, 98)))
    me.get_by_role("button", name="Save").click()
    expect(me.locator("#messages")).to_have_text("Your profile has been saved.")
    go(me, "Profile")
    expect(me.get_by_role("heading", level=1)).to_have_text(j.full_name)
    expect_loaded(me.locator(".profile-head img.avatar"), j.a)

    # -- Find bob on pod B by his full address and follow him; his face is pod A's own copy.
    find_and_follow(me, bob_handle, "Bob Baker", "You follow this person.")
    expect_loaded(until_shown(me, lambda: me.locator(".profile-head img.avatar"), "bob's avatar copied to pod A"), j.a)
    expect(me.locator(".profile .handle")).to_contain_text(f"on {j.b.domain}")
    j.look(me, "remote-profile")
    search(me, bob_handle)  # in search results too
    expect_loaded(me.locator(".person", has_text=f"@{bob_handle}").locator("img.avatar"), j.a)

    # -- Aspects: the four every account starts with; bob goes into Friends from his profile.
    me.locator(".person", has_text=f"@{bob_handle}").get_by_role("link").click()
    menu = me.locator(".aspect-menu")
    for name in ("Family", "Friends", "Work", "Acquaintances"):
        expect(menu.get_by_label(name, exact=True)).to_be_visible()
        assert beside_its_name(menu.get_by_label(name, exact=True)), f"the box for {name} is not beside its name"
    menu.get_by_label("Friends", exact=True).check()
    menu.get_by_role("button", name="Save aspects").click()
    expect(me.locator(".aspect-menu").get_by_label("Friends", exact=True)).to_be_checked()
    expect(me.locator(".relationship-status")).to_have_text("You share with this person.")
    go(me, "Contacts")
    me.get_by_role("link", name="Aspects").first.click()
    friends = me.locator("section.aspect", has=me.get_by_role("heading", name="Friends", exact=True))
    expect(friends).to_contain_text("Bob Baker")
    expect(me.locator("section.aspect", has=me.get_by_role("heading", name="Work", exact=True))).to_contain_text("Nobody yet.")

    # bob and carol, on their pods, find the newcomer and follow back (so carol gets public posts).
    bob = crowd_b.log_in("bob", viewport=j.viewport)
    carol = crowd_c.log_in("carol", viewport=j.viewport)
    find_and_follow(bob, my_handle, j.full_name, "You follow each other.", new_here=True)
    expect_loaded(until_shown(bob, lambda: bob.locator(".profile-head img.avatar"), "the newcomer's avatar at pod B"), j.b)
    find_and_follow(carol, my_handle, j.full_name, "You follow this person.", new_here=True)
    go(bob, "Stream")
    compose(bob, f"Fresh bread from pod B, welcome {first}!", "Public")
    post(bob, f"welcome {first}")

    # -- bob's post is in the stream (followed), with his face; a public post, with the defaults, on the first try.
    go(me, "Stream")
    bread = until_shown(me, lambda: article(me, f"Fresh bread from pod B, welcome {first}!"), "bob's post at pod A")
    expect_loaded(bread.locator("img.avatar"), j.a)
    hello = f"Hello, fediverse! {first} here, on my first day."
    box = me.locator("#compose")
    expect(box.locator(".audience-options").get_by_label("All aspects", exact=True)).to_be_checked()  # the default
    compose(me, hello, "Public")
    expect(box.locator(".audience-options").get_by_label("All aspects", exact=True)).not_to_be_checked()
    expect(me.locator("#audience-preview")).to_contain_text("Everyone")
    expect(post(me, hello).locator(".audience-marker")).to_have_text("Public")

    # -- An error, with JavaScript on: said precisely, in place, with what was written kept.
    too_long = "word " * (MAX_POST_CHARS // 5) + "over"
    compose(me, too_long, "Public")
    me.locator("#compose").get_by_role("button", name="Post", exact=True).click()
    expect(me.locator("#compose [role=alert]")).to_have_text(f"The post is longer than {MAX_POST_CHARS} characters.")
    expect(me.locator("#compose").get_by_label("What do you want to share?")).to_have_value(too_long)
    refused(me, 422, "/posts")
    not_a_photo = tmp_path / "holiday.jpg"
    not_a_photo.write_text("a letter, not a photo")
    compose(me, "My holiday photo")
    me.locator("#compose").get_by_text("Add photos").click()
    me.locator("#compose").get_by_label(label("Photo 1")).set_input_files(str(not_a_photo))
    me.locator("#compose").get_by_role("button", name="Post", exact=True).click()
    expect(me.locator("#compose [role=alert]")).to_have_text("That file is not an image Kith can read.")
    expect(me.locator("#compose").get_by_label("What do you want to share?")).to_have_value("My holiday photo")
    refused(me, 422, "/posts")
    go(me, "Stream")  # a fresh compose box

    # -- A post to one aspect: the box says who will see it; bob sees it on B.
    secret = f"Only my friends may read this, says {first}"
    compose(me, secret, "Friends")
    expect(me.locator("#audience-preview")).to_contain_text(f"@{bob_handle}")
    expect(post(me, secret).locator(".audience-marker")).to_have_text("Limited to Friends")

    # -- A photo with its description.
    photo_text = f"The view from {first}'s window"
    compose(me, photo_text, "Public")
    me.locator("#compose").get_by_text("Add photos").click()
    me.locator("#compose").get_by_label(label("Photo 1")).set_input_files(picture(tmp_path / "view.png", (240, 140, 60), (480, 320), face=False))
    expect(me.locator("#compose img.photo-preview")).to_be_visible()
    me.locator("#compose").get_by_label("Description of photo 1, for people who cannot see it").fill("Rooftops under an orange sky")
    post(me, photo_text)
    expect_loaded(until_shown(me, lambda: article(me, photo_text).get_by_role("img", name="Rooftops under an orange sky"),
                              "the photo, cleaned by the worker"), j.a)

    # -- A poll.
    poll_text = f"Tea or coffee, asks {first}?"
    compose(me, poll_text, "Public")
    me.locator("#compose").get_by_text("Add a poll").click()
    me.get_by_label("Poll options, one per line (optional)").fill("Tea\nCoffee")
    expect(post(me, poll_text).locator(".poll-meta")).to_contain_text("0 people voted")

    # -- A content warning: the post is folded under it.
    cw_text = f"The butler did it, {first} says"
    compose(me, cw_text, "Public")
    me.locator("#compose").get_by_text("Add a content warning").click()
    me.get_by_label("Content warning (optional)").fill("Spoilers for the finale")
    cw_post = post(me, cw_text)
    expect(cw_post.locator("details.content-warning summary")).to_contain_text("Spoilers for the finale")
    expect(cw_post.get_by_text(cw_text)).to_be_hidden()

    # -- On pod B, bob sees all of it: the limited post, the photo with its description, the poll,
    # the warning; he comments, likes and reshares the first post and votes.
    go(bob, "Stream")
    for text in (hello, secret, poll_text, cw_text):
        until_shown(bob, lambda text=text: article(bob, text), f"“{text}” at pod B")
    expect(article(bob, secret).locator(".audience-marker")).to_have_text("Limited")
    expect_loaded(until_shown(bob, lambda: article(bob, photo_text).get_by_role("img", name="Rooftops under an orange sky"),
                              "the photo copied to pod B"), j.b)
    expect_loaded(article(bob, hello).locator("img.avatar"), j.b)
    warned = article(bob, cw_text).locator("details.content-warning")
    expect(warned.get_by_text(cw_text)).to_be_hidden()
    warned.locator("summary").click()
    expect(warned.get_by_text(cw_text)).to_be_visible()
    poll = article(bob, poll_text).locator(".poll")
    poll.get_by_label("Coffee").check()
    poll.get_by_role("button", name="Vote").click()
    expect(article(bob, poll_text).locator(".poll-results")).to_contain_text("Coffee (your vote)")
    hello_at_b = article(bob, hello)
    hello_at_b.get_by_role("button", name="Like").click()
    expect(hello_at_b.get_by_role("button", name="Unlike")).to_be_visible()
    hello_at_b.get_by_role("button", name="Reshare").click()
    expect(hello_at_b.get_by_role("button", name="Undo reshare")).to_be_visible()
    hello_at_b.locator("a.permalink").click()
    bob.get_by_label(label("Comment")).fill(f"Welcome aboard, {first}!")
    bob.get_by_role("button", name="Comment", exact=True).click()
    expect(bob.locator("#comments .comment")).to_contain_text(f"Welcome aboard, {first}!")

    # carol (on C, following the newcomer, not in any aspect) has the public posts, never the limited one.
    go(carol, "Stream")
    for text in (hello, photo_text, poll_text, cw_text):
        until_shown(carol, lambda text=text: article(carol, text), f"“{text}” at pod C")
    expect(carol.locator("main")).not_to_contain_text(secret)

    # -- Back on A: bob's answers arrive.
    go(me, "Stream")
    mine = until_shown(me, lambda: article(me, hello).locator(".post-actions", has_text="1 comment"), "bob's comment at pod A")
    expect(mine).to_contain_text("1 like")
    expect(mine).to_contain_text("1 reshare")
    reshared = me.locator("article.post", has=me.locator(".reshared-by", has_text="Bob Baker reshared"))
    expect(reshared).to_contain_text(hello)  # bob's reshare is in the stream too, as in diaspora*
    until_shown(me, lambda: article(me, poll_text).locator(".poll-meta", has_text="1 person voted"), "bob's vote at pod A")
    article(me, hello).locator("a.permalink").click()
    expect(me.locator("#comments .comment")).to_contain_text(f"Welcome aboard, {first}!")
    expect_loaded(me.locator("#comments .comment").first.locator("img.avatar"), j.a)
    expect(me.locator(".likers")).to_contain_text("Bob Baker")
    j.look(me, "post-with-remote-comment")

    # -- Notifications: counted in the header, each naming its post, read by looking.
    go(me, "Stream")
    counted = me.locator(".nav-menu > summary .badge") if me.locator(".nav-menu > summary").is_visible() else me.locator("#unread-notifications")
    expect(counted).to_contain_text(re.compile(r"\d"))
    go(me, "Notifications")
    notes = me.locator("#notification-list")
    excerpt = f"“{hello}”"
    for said in (f"Bob Baker commented on your post {excerpt}.", f"Bob Baker liked your post {excerpt}.",
                 f"Bob Baker reshared your post {excerpt}.", "carol followed you."):
        expect(notes).to_contain_text(said)
    expect(me.locator(".notification.unread").first).to_be_visible()  # new this once
    expect(me.locator("#unread-notifications")).to_have_count(0)
    expect(me.locator(".nav-menu > summary .badge")).to_have_count(0)
    j.look(me, "notifications")
    me.reload()
    expect(me.locator(".notification.unread")).to_have_count(0)
    notes.locator("li", has_text="commented on your post").get_by_role("link", name=excerpt).click()
    expect(me.locator("#comments")).to_contain_text(f"Welcome aboard, {first}!")

    # -- A conversation across three pods, with a subject; bob and carol reply; everyone reads all.
    subject = f"Picnic on Sunday with {first}"
    pods_of = {bob: j.b, carol: j.c}
    go(me, "Conversations")
    me.get_by_role("link", name="Start a conversation").click()
    me.get_by_label(label("To")).fill(f"{bob_handle}, {carol_handle}")
    me.get_by_label(label("Subject")).fill(subject)
    me.get_by_label(label("Message")).fill("Shall we meet at noon by the lake?")
    me.get_by_role("button", name="Send").click()
    expect(me.get_by_role("heading", level=1)).to_have_text(subject)
    expect(me.locator(".participants")).to_contain_text("Bob Baker")
    expect(me.locator(".participants")).to_contain_text("carol")
    for person, answer in ((bob, "Noon is good, I will bring bread."), (carol, "I will be late, save me a seat.")):
        go(person, "Conversations")
        until_shown(person, lambda person=person: person.get_by_role("link", name=subject), "the conversation on the other pod").click()
        opening = person.locator(".chat-message", has_text="Shall we meet at noon by the lake?")
        expect(opening).to_contain_text(j.full_name)
        expect_loaded(until_shown(person, lambda person=person: person.locator(".chat-message").first.locator("img.avatar"),
                                  "the newcomer's avatar on the other pod"), pods_of[person])
        for name in (j.full_name, "Bob Baker", "carol"):
            expect(person.locator(".participants")).to_contain_text(name)
        person.get_by_label(label("Reply")).fill(answer)
        person.get_by_role("button", name="Send").click()
        expect(person.locator(".messages-list")).to_contain_text(answer)
    for person in (me, bob, carol):
        for answer in ("Noon is good, I will bring bread.", "I will be late, save me a seat."):
            until_shown(person, lambda person=person, answer=answer: person.locator(".messages-list").get_by_text(answer),
                        f"“{answer}” in {person.url}")
    texts = me.locator(".chat-message .content").all_inner_texts()
    assert texts == ["Shall we meet at noon by the lake?", "Noon is good, I will bring bread.", "I will be late, save me a seat."], texts
    j.look(me, "conversation")

    # -- The aspect stream: only the chosen aspect's people, and one's own posts to it.
    go(me, "Stream")
    me.get_by_role("link", name="My aspects").first.click()
    expect(me.get_by_role("heading", name="Posts from all your aspects")).to_be_visible()
    me.get_by_role("link", name="Only Friends").click()
    expect(me.get_by_role("heading", name="Posts from Friends", exact=True)).to_be_visible()
    expect(me.locator("#post-list")).to_contain_text(f"Fresh bread from pod B, welcome {first}!")
    expect(me.locator("#post-list")).to_contain_text(secret)
    j.look(me, "aspect-stream")
    me.get_by_role("link", name="Only Work").click()
    expect(me.get_by_role("heading", name="Posts from Work", exact=True)).to_be_visible()
    expect(article(me, hello)).to_be_visible()  # one's public posts go to every aspect, as in diaspora*
    expect(me.locator("#post-list")).not_to_contain_text("Fresh bread")
    expect(me.locator("#post-list")).not_to_contain_text(secret)

    # -- Edit a post from the stream, and see its history; bob sees the new text.
    edited = f"Hello, fediverse! {first} here, an hour in."
    go(me, "Stream")
    article(me, hello).get_by_role("link", name="Edit").click()
    me.get_by_label(label("Text")).fill(edited)
    me.get_by_role("button", name="Save").click()
    shown = article(me, edited)
    expect(shown.locator(".edited")).to_have_text("edited")
    me.locator("details.history summary").click()
    expect(me.locator("details.history")).to_contain_text(hello)
    go(bob, "Stream")
    until_shown(bob, lambda: article(bob, edited), "the edit at pod B")

    # -- Delete a post: asked first, told afterwards; gone here and on B.
    go(me, "Stream")
    article(me, poll_text).get_by_role("button", name="Delete").click()
    dialog = me.get_by_role("dialog", name="Delete this post?")
    expect(dialog).to_contain_text(poll_text)
    dialog.get_by_role("button", name="Delete post").click()
    expect(me.locator("#messages")).to_have_text("Your post has been deleted.")
    expect(me.locator("#post-list")).not_to_contain_text(poll_text)
    until_gone(bob, lambda: article(bob, poll_text), "the deletion at pod B")

    # -- Block bob: asked first, told afterwards; his posts and his comment are gone.
    article(me, f"Fresh bread from pod B, welcome {first}!").locator("a.author").click()
    expect(me.get_by_role("heading", level=1)).to_have_text("Bob Baker")
    me.get_by_role("button", name="Block").click()
    dialog = me.get_by_role("dialog", name="Block Bob Baker?")
    expect(dialog).to_contain_text("You will no longer see each other's posts")
    dialog.get_by_role("button", name="Block").click()
    expect(me.locator("#messages")).to_contain_text("You have blocked Bob Baker")
    expect(me.locator(".relationship-status")).to_have_text("You block this person.")
    go(me, "Stream")
    expect(article(me, edited)).to_be_visible()
    expect(me.locator("#post-list")).not_to_contain_text("Fresh bread from pod B")
    expect(me.locator("#post-list")).not_to_contain_text("Bob Baker reshared")
    expect(article(me, edited).locator(".post-actions")).to_contain_text("0 comments")
    article(me, edited).locator("a.permalink").click()
    expect(me.locator("#comments")).not_to_contain_text("Welcome aboard")

    # -- Export: a ZIP with the data and the pictures.
    go(me, "Settings")
    me.get_by_role("link", name="Export your data").click()
    with me.expect_download() as download:
        me.get_by_role("button", name="Download my data").click()
    assert download.value.suggested_filename == f"kith-{j.me}.zip"
    with zipfile.ZipFile(io.BytesIO(open(download.value.path(), "rb").read())) as archive:
        names = archive.namelist()
        document = json.loads(archive.read("kith-export.json"))
    assert "media/avatar.png" in names or "media/avatar.jpg" in names, names
    assert any(re.fullmatch(r"media/\d+\.(png|jpg|webp)", name) for name in names), names  # the photo
    texts = json.dumps(document, ensure_ascii=False)
    for text in (edited, secret, photo_text, cw_text):
        assert text in texts, text
    assert poll_text not in texts  # deleted
    assert bob_handle in texts  # in Friends and blocked
