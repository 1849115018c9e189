"""The same views answer htmx with fragments to swap in place, and plain forms as before."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from kith.graph.models import Follow
from kith.social import services
from kith.social.models import Like, Post, Visibility
from tests import factories
from tests.web.conftest import page

pytestmark = pytest.mark.django_db(transaction=True)

HX = {"HTTP_HX_REQUEST": "true"}


def test_publishing_from_the_stream_returns_a_fresh_box_and_the_post_for_the_top(as_alice):
    response = as_alice.post("/posts", {"text": "in place", "audience": ["public"]}, **HX)
    assert response.status_code == 200
    html = response.content.decode()
    post = Post.objects.get()
    assert post.visibility == Visibility.PUBLIC
    assert 'id="compose"' in html
    assert 'hx-swap-oob="afterbegin:#post-list"' in html
    assert f'id="post-{post.id}"' in html
    assert "in place</textarea>" not in html  # the new box is empty
    assert "HX-Request" in response["Vary"]


def test_every_out_of_band_target_of_a_new_post_is_on_the_stream_page(as_alice):
    """htmx logs an error (a console error in the browser) for each out-of-band element whose target is
    not on the page: the "nothing here yet" line was missing once the stream had posts, and deleted by
    the first post made in place, so every later post raised `htmx:oobErrorNoTarget`.  Here three
    posts are made on one page visit, on an empty stream (what the page holds followed as htmx swaps)."""
    on_page = set(re.findall(r'\bid="([^"]+)"', as_alice.get("/").content.decode()))
    for text in ("the first post", "the second post", "the third post"):
        answer = as_alice.post("/posts", {"text": text, "audience": ["public"]}, **HX).content.decode()
        swapped = []
        for attributes, swap in re.findall(r'<\w+([^>]*?)\shx-swap-oob="([^"]*)"', answer):
            if ":" in swap:  # "afterbegin:#post-list": the target named
                swapped.append((swap.split(":", 1)[0], swap.split(":", 1)[1].removeprefix("#")))
            else:  # "true", "delete": the element with the same id
                swapped.append((swap, re.search(r'\bid="([^"]+)"', attributes).group(1)))
        assert {"post-list", "post-list-empty", "live-status"} <= {target for _, target in swapped}, swapped
        for swap, target in swapped:
            assert target in on_page, (text, target)
            if swap == "delete":
                on_page.discard(target)
    stream = as_alice.get("/").content.decode()
    assert 'id="post-list-empty" hidden>' in stream  # a stream with posts has the line too, neither seen nor read
    assert "Nothing here yet" not in stream


def test_an_invalid_post_comes_back_in_the_box_with_its_error(as_alice):
    response = as_alice.post("/posts", {"text": "nobody", "audience": []}, **HX)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose who will see the post." in html
    assert "<html" not in html
    assert not Post.objects.exists()


def test_preview_names_the_audience_without_publishing(alice, bob, carol, as_alice):
    factories.aspect(alice, "Family", bob)
    factories.aspect(alice, "Work", carol)
    family = alice.aspects.get(name="Family")
    response = as_alice.post("/posts/audience", {"audience": [f"aspect:{family.id}"]}, **HX)
    html = response.content.decode()
    assert "Only you and 1 person" in html
    assert "@bob@" in html
    assert "carol" not in html
    assert not Post.objects.exists()
    # Public wins over an aspect ticked too, as publishing reads it (issue 11): the preview says what will happen.
    mixed = as_alice.post("/posts/audience", {"audience": ["public", f"aspect:{family.id}"]}, **HX).content.decode()
    assert "Everyone: anyone can read it" in mixed
    with_people = as_alice.post("/posts/audience", {"audience": ["public"], "people": "carol"}, **HX).content.decode()
    assert "untick Public to send it only to the people you named" in with_people


def test_like_and_reshare_answer_with_the_post_actions(bob, as_alice):
    post = services.publish_post(bob, "likeable")
    response = as_alice.post(f"/posts/{post.id}/like", {"next": "/public#post-1", "item": str(post.id)}, **HX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.strip().startswith('<footer class="post-actions">')
    assert "Unlike" in html
    assert "1 like" in html
    assert 'value="/public#post-' in html  # the plain form still comes back to the page it was on
    assert Like.objects.filter(post=post).count() == 1
    html = as_alice.post(f"/posts/{post.id}/reshare", {"item": str(post.id)}, **HX).content.decode()
    assert "Undo reshare" in html
    assert "1 reshare" in html


def test_without_htmx_the_like_goes_back_to_the_page(bob, as_alice):
    post = services.publish_post(bob, "likeable")
    response = as_alice.post(f"/posts/{post.id}/like", {"next": "/public"})
    assert response.status_code == 302
    assert response["Location"] == "/public"


def test_a_vote_answers_with_the_poll(bob, as_alice):
    post = services.publish_post(bob, "tea?", poll=services.PollDraft(["tea", "coffee"]))
    empty = as_alice.post(f"/posts/{post.id}/vote", {}, **HX)
    assert empty.status_code == 400
    assert "Choose an answer to vote." in empty.content.decode()
    html = as_alice.post(f"/posts/{post.id}/vote", {"option": "1"}, **HX).content.decode()
    assert html.strip().startswith('{}<section class="poll"'.format("") ) or '<section class="poll"' in html
    assert "coffee <span class=\"voted\">" in html


def test_following_answers_with_the_relationship_box(bob, as_alice):
    html = as_alice.post("/@bob/follow", **HX).content.decode()
    assert 'id="relationship"' in html
    assert "Unfollow" in html
    assert "<html" not in html
    assert Follow.objects.filter(follower__username="alice", followee=bob).exists()


def test_load_more_gets_only_the_next_posts_and_link(alice, as_alice):
    for number in range(45):
        services.publish_post(alice, f"number {number}")
    first = page(as_alice, "/")
    assert first.count('<article class="post"') == 20
    next_id = first.split("max_id=")[1].split('"')[0]
    response = as_alice.get(f"/?max_id={next_id}", **HX)
    html = response.content.decode()
    assert "<html" not in html
    assert html.count('<article class="post"') == 20
    assert "data-first-new" in html
    assert 'hx-swap-oob="true"' in html
    assert "number 24" in html
    assert "HX-Request" in response["Vary"]
    # Plain "load more" still gets the whole page.
    assert "<html" in page(as_alice, f"/?max_id={next_id}")


def test_notifications_load_more_in_place(alice, bob, as_alice):
    for number in range(25):
        services.add_comment(bob, services.publish_post(alice, f"post {number}"), "hi")
    first = page(as_alice, "/notifications")
    next_id = first.split("max_id=")[1].split('"')[0]
    html = as_alice.get(f"/notifications?max_id={next_id}", **HX).content.decode()
    assert html.count('class="notification') == 5
    assert "<html" not in html


# ---- errors come back where they happened, with what was written -------------------------


def test_a_refused_post_comes_back_in_the_box_with_the_reason_and_the_text(as_alice):
    long_text = "x" * (services.MAX_POST_CHARS + 1)
    response = as_alice.post("/posts", {"text": long_text, "audience": ["public"]}, **HX)
    assert response.status_code == 422
    html = response.content.decode()
    assert html.lstrip().startswith("<form")
    assert 'id="compose"' in html
    assert f"The post is longer than {services.MAX_POST_CHARS} characters." in html
    assert f"{long_text}</textarea>" in html
    assert 'id="compose-post"' in html  # htmx gives the focus back to the Post button
    assert "<html" not in html
    not_an_image = as_alice.post(
        "/posts", {"text": "look", "audience": ["public"], "photo_1": SimpleUploadedFile("a.jpg", b"not a picture")}, **HX
    )
    assert not_an_image.status_code == 422
    assert "look</textarea>" in not_an_image.content.decode()
    assert not Post.objects.exists()


def test_a_refused_reply_comes_back_in_its_own_box_open_with_its_text(alice, bob, as_alice):
    post = services.publish_post(bob, "a post")
    comment = services.add_comment(bob, post, "a comment")
    reply = "y" * (services.MAX_COMMENT_CHARS + 1)
    response = as_alice.post(f"/posts/{post.id}/comments", {"text": reply, "parent": str(comment.id)}, **HX)
    assert response.status_code == 422
    html = response.content.decode()
    box = html[html.index(f'id="comment-{comment.id}-actions"'):]
    assert '<details class="reply" open>' in box
    assert f'id="reply-{comment.id}-errors"' in box
    assert "The comment is longer than" in box
    assert f">{reply}</textarea>" in box
    main_box = html[html.index('class="comment-form"'):].split("</form>")[0]
    assert reply not in main_box  # the box for a new comment stays empty, and is not turned into a reply
    assert f'value="{comment.id}"' not in main_box


def test_a_reply_to_a_comment_that_has_gone_comes_back_as_a_new_comment(alice, bob, as_alice, as_bob):
    post = services.publish_post(bob, "a post")
    comment = services.add_comment(bob, post, "soon gone")
    gone_id = comment.id
    services.delete_comment(bob, comment)
    response = as_alice.post(f"/posts/{post.id}/comments", {"text": "my answer", "parent": str(gone_id)}, **HX)
    assert response.status_code == 404
    main_box = response.content.decode().split('class="comment-form"', 1)[1].split("</form>")[0]
    assert "No such comment." in main_box
    assert "my answer</textarea>" in main_box
    assert f'value="{gone_id}"' not in main_box


def test_a_refused_vote_says_why_in_the_poll(bob, as_alice):
    post = services.publish_post(bob, "tea?", poll=services.PollDraft(["tea", "coffee"]))
    as_alice.post(f"/posts/{post.id}/vote", {"option": "1"}, **HX)
    again = as_alice.post(f"/posts/{post.id}/vote", {"option": "0"}, **HX)
    assert again.status_code == 409
    html = again.content.decode()
    assert html.lstrip().startswith('<section class="poll"')
    assert '<p class="error" role="alert">You have voted in this poll already.</p>' in html


def test_htmx_without_a_session_is_sent_to_the_login_page(bob):
    post = services.publish_post(bob, "likeable")
    response = Client().post(
        f"/posts/{post.id}/like", HTTP_HX_CURRENT_URL=f"http://testserver/posts/{post.id}", **HX
    )
    assert response.status_code == 401
    assert response["HX-Redirect"] == f"/login?next=/posts/{post.id}"
    # A page elsewhere is not where it goes back to.
    away = Client().post(f"/posts/{post.id}/like", HTTP_HX_CURRENT_URL="https://evil.example/x", **HX)
    assert away["HX-Redirect"] == "/login?next=/"
    assert Client().post(f"/posts/{post.id}/like")["Location"].startswith("/login?next=")
