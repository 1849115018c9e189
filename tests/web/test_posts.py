"""Composing, reading and acting on posts and comments through the pages."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from PIL import Image

from kith.social import services
from kith.social.models import Comment, Like, Media, MediaState, Post, PostAudience, Visibility
from tests import factories
from tests.web.conftest import client_for, page, publish

pytestmark = pytest.mark.django_db(transaction=True)


def jpeg() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 90)).save(out, format="JPEG")
    return SimpleUploadedFile("cat.jpg", out.getvalue(), content_type="image/jpeg")


# ---- composing --------------------------------------------------------------------


def test_compose_page_names_who_is_in_each_aspect(alice, bob, as_alice):
    factories.aspect(alice, "Family", bob)
    factories.aspect(alice, "Work")
    html = page(as_alice, "/posts/new")
    assert 'name="audience" value="public"' in html
    assert 'name="audience" value="all_aspects"' in html
    assert "Family" in html
    assert "bob" in html
    assert "Nobody in this aspect yet." in html


def test_post_to_an_aspect_reaches_its_members_only(alice, bob, carol, as_alice):
    friends = factories.aspect(alice, "Friends", bob)
    post = publish(as_alice, "for friends", f"aspect:{friends.id}", content_warning="")
    assert post.visibility == Visibility.LIMITED
    assert set(PostAudience.objects.filter(post=post).values_list("person_id", flat=True)) == {bob.id}


def test_public_post_with_content_warning_is_collapsed(as_alice):
    post = publish(as_alice, "the spoiler", "public", content_warning="film ending")
    assert post.visibility == Visibility.PUBLIC
    html = page(as_alice, f"/posts/{post.id}")
    assert "<details class=\"content-warning\">" in html
    assert re.search(r"<summary>.*film ending.*</summary>", html)


def test_post_to_chosen_people_by_handle(carol, as_alice):
    post = publish(as_alice, "just carol", people="carol")
    assert post.visibility == Visibility.LIMITED
    assert list(PostAudience.objects.filter(post=post).values_list("person_id", flat=True)) == [carol.id]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"audience": []}, "Choose who will see the post."),
        ({"audience": ["public"], "people": "bob"}, "untick Public to send it only to the people you named"),
        ({"audience": ["all_aspects"], "people": "nobody_here"}, "Nobody called nobody_here is known here."),
        ({"audience": ["aspect:999"]}, "Select a valid choice."),
    ],
)
def test_compose_refuses_unclear_audiences(bob, as_alice, fields, message):
    response = as_alice.post("/posts", {"text": "hello", **fields})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Post.objects.exists()


def test_the_first_public_post_goes_out_with_the_default_box_still_ticked(alice, bob, as_alice):
    """Without JavaScript "All aspects" stays ticked when Public is ticked: Public wins (issue 11)."""
    factories.aspect(alice, "Friends", bob)
    assert 'value="all_aspects" id="audience-2" aria-describedby="audience-2-who" checked' in page(as_alice, "/")
    post = publish(as_alice, "hello world", "public", "all_aspects")
    assert post.visibility == Visibility.PUBLIC
    assert not PostAudience.objects.filter(post=post).exists()


def test_public_wins_over_single_aspects_and_the_preview_says_so(alice, bob, as_alice):
    friends = factories.aspect(alice, "Friends", bob)
    fields = {"text": "hi", "audience": ["public", f"aspect:{friends.id}"], "preview": "1"}
    html = as_alice.post("/posts", fields).content.decode()
    assert "Everyone: anyone can read it" in html
    # The boxes come back as the choice was understood: Public alone.
    assert re.search(r'value="public"[^>]* checked', html)
    assert not re.search(rf'value="aspect:{friends.id}"[^>]* checked', html)
    post = publish(as_alice, "hi", "public", f"aspect:{friends.id}")
    assert post.visibility == Visibility.PUBLIC


def test_a_single_aspect_narrows_the_default_all_aspects(alice, bob, carol, as_alice):
    """Ticking Family while "All aspects" is still ticked means Family (what kith.js does at once)."""
    family = factories.aspect(alice, "Family", bob)
    factories.aspect(alice, "Work", carol)
    preview = as_alice.post("/posts", {"text": "hi", "audience": ["all_aspects", f"aspect:{family.id}"], "preview": "1"})
    html = preview.content.decode()
    assert "Only you and 1 person" in html
    assert "carol" not in html[html.index('id="audience-preview"'):]
    post = publish(as_alice, "for the family", "all_aspects", f"aspect:{family.id}")
    assert set(PostAudience.objects.filter(post=post).values_list("person_id", flat=True)) == {bob.id}


def test_an_empty_post_shows_the_services_reason(as_alice):
    response = as_alice.post("/posts", {"text": "  ", "audience": "public"})
    assert response.status_code == 422
    assert "A post needs some text, a photo or a poll." in response.content.decode()


def test_preview_says_who_will_see_the_post_without_publishing(alice, bob, carol, as_alice):
    friends = factories.aspect(alice, "Friends", bob)
    response = as_alice.post(
        "/posts", {"text": "draft", "audience": [f"aspect:{friends.id}"], "people": "carol", "preview": "1"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Only you and these 2 people:" in html
    assert "@bob@" in html
    assert "@carol@" in html
    assert not Post.objects.exists()
    public = as_alice.post("/posts", {"text": "draft", "audience": ["public"], "preview": "1"}).content.decode()
    assert "Everyone: anyone can read it" in public


def test_post_with_photos_and_alt_text(alice, as_alice):
    post = publish(as_alice, "", "public", photo_1=jpeg(), alt_1="A green rectangle", photo_2=jpeg(), alt_2="Another")
    photos = list(Media.objects.filter(post=post).order_by("position"))
    assert [m.description for m in photos] == ["A green rectangle", "Another"]
    assert all(m.state == MediaState.READY for m in photos)
    html = page(as_alice, f"/posts/{post.id}")
    assert f'src="/media/{photos[0].id}/thumbnail" alt="A green rectangle"' in html


def test_photos_survive_a_preview(alice, as_alice):
    response = as_alice.post("/posts", {"text": "", "audience": "public", "photo_1": jpeg(), "alt_1": "kept", "preview": "1"})
    media = Media.objects.get(owner=alice)
    assert f'name="media" value="{media.id}"' in response.content.decode()
    post = publish(as_alice, "", "public", media=[str(media.id)])
    media.refresh_from_db()
    assert media.post_id == post.id


def test_poll_and_voting(alice, bob, as_alice, as_bob):
    post = publish(as_alice, "tea or coffee?", "public", poll_options="tea\ncoffee\n", poll_duration="3600")
    assert [o.title for o in post.poll.options.all()] == ["tea", "coffee"]
    assert 'name="option"' in page(as_bob, f"/posts/{post.id}")
    assert as_bob.post(f"/posts/{post.id}/vote", {"option": "1"}).status_code == 302
    html = page(as_bob, f"/posts/{post.id}")
    assert "(your vote)" in html
    assert 'name="option"' not in html
    # Voting again is refused, said on the page it came from (without JavaScript).
    again = as_bob.post(f"/posts/{post.id}/vote", {"option": "0", "next": "/public"}, follow=True)
    assert again.redirect_chain == [("/public", 302)]
    assert "You have voted in this poll already." in again.content.decode()


# ---- reading and acting --------------------------------------------------------------


def test_comments_are_threaded(alice, bob, as_alice, as_bob):
    post = publish(as_alice, "thread", "public")
    assert as_bob.post(f"/posts/{post.id}/comments", {"text": "first"}).status_code == 302
    first = Comment.objects.get(source="first")
    response = as_alice.post(f"/posts/{post.id}/comments", {"text": "a reply", "parent": first.id})
    reply = Comment.objects.get(source="a reply")
    assert response["Location"] == f"/posts/{post.id}#comment-{reply.id}"
    assert reply.parent_id == first.id
    html = page(as_bob, f"/posts/{post.id}")
    nested = html[html.index(f'id="comment-{first.id}"') :]
    assert nested.index('class="replies"') < nested.index(f'id="comment-{reply.id}"')


def test_an_empty_comment_is_refused(as_alice):
    post = publish(as_alice, "x", "public")
    assert as_alice.post(f"/posts/{post.id}/comments", {"text": ""}).status_code == 400
    assert not Comment.objects.exists()


def test_like_and_unlike_a_post(alice, bob, as_alice, as_bob):
    post = publish(as_alice, "likeable", "public")
    response = as_bob.post(f"/posts/{post.id}/like", {"next": "/public"})
    assert response["Location"] == "/public"
    assert Like.objects.filter(person=bob, post=post).exists()
    html = page(as_alice, f"/posts/{post.id}")
    assert "1 like" in html
    assert "Liked by" in html
    assert "bob" in page(as_alice, f"/posts/{post.id}/likes")
    as_bob.post(f"/posts/{post.id}/unlike", {"next": "https://evil.example/"})
    assert not Like.objects.filter(person=bob, post=post).exists()


def test_reshare_a_public_post(alice, bob, as_alice, as_bob):
    post = publish(as_alice, "worth sharing", "public")
    assert f'action="/posts/{post.id}/reshare"' in page(as_bob, f"/posts/{post.id}")
    assert f'action="/posts/{post.id}/reshare"' not in page(as_alice, f"/posts/{post.id}")  # own post
    as_bob.post(f"/posts/{post.id}/reshare")
    reshare = Post.objects.get(author=bob, reshare_of=post)
    assert as_bob.get(f"/posts/{reshare.id}")["Location"] == f"/posts/{post.id}"
    assert "bob reshared" in page(as_bob, "/@bob")
    assert "Undo reshare" in page(as_bob, f"/posts/{post.id}")
    as_bob.post(f"/posts/{post.id}/unreshare")
    assert not Post.objects.filter(author=bob, reshare_of=post).exists()


def test_limited_posts_cannot_be_reshared(alice, bob, as_alice, as_bob):
    friends = factories.aspect(alice, "Friends", bob)
    post = publish(as_alice, "private", f"aspect:{friends.id}")
    assert "/reshare" not in page(as_bob, f"/posts/{post.id}")
    assert as_bob.post(f"/posts/{post.id}/reshare").status_code == 403
    assert not Post.objects.filter(reshare_of=post).exists()


def test_edit_keeps_history_and_marks_the_post(alice, bob, as_alice, as_bob):
    post = publish(as_alice, "first version", "public")
    assert "first version" in page(as_alice, f"/posts/{post.id}/edit")
    assert as_bob.get(f"/posts/{post.id}/edit")["Location"] == f"/posts/{post.id}"  # not the author
    as_alice.post(f"/posts/{post.id}/edit", {"text": "second version", "content_warning": ""})
    html = page(as_bob, f"/posts/{post.id}")
    assert "second version" in html
    assert '<span class="edited">edited</span>' in html
    history = html[html.index('class="history"') :]
    assert "first version" in history




def test_only_the_author_deletes_a_post(alice, bob, as_alice, as_bob):
    post = publish(as_alice, "to delete", "public")
    assert as_bob.get(f"/posts/{post.id}/delete").status_code == 403
    assert as_bob.post(f"/posts/{post.id}/delete").status_code == 403
    assert as_alice.post(f"/posts/{post.id}/delete")["Location"] == "/"
    assert not Post.objects.filter(id=post.id).exists()
    assert as_alice.get(f"/posts/{post.id}").status_code == 404


def test_deleting_a_post_asks_first_then_says_it_is_done(alice, as_alice):
    post = publish(as_alice, "a post to think twice about", "public")
    stream = page(as_alice, "/")
    # Offered on the stream too, as a step that asks first (a GET form: no JavaScript needed).
    assert f'<form method="get" action="/posts/{post.id}/delete" class="inline" data-confirm>' in stream
    assert f'href="/posts/{post.id}/edit"' in stream
    asked = page(as_alice, f"/posts/{post.id}/delete?next=/@alice")
    assert "Delete this post?" in asked
    assert "a post to think twice about" in asked
    assert "data-confirm-box" in asked
    assert 'name="next" value="/@alice"' in asked
    assert 'href="/@alice" class="button-link" data-cancel' in asked  # Cancel goes back where it was
    assert Post.objects.filter(id=post.id).exists()  # asking deletes nothing
    done = as_alice.post(f"/posts/{post.id}/delete", {"next": "/@alice"}, follow=True)
    assert done.redirect_chain == [("/@alice", 302)]
    html = done.content.decode()
    assert '<ul class="messages" role="status" id="messages" tabindex="-1">' in html
    assert "Your post has been deleted." in html
    assert not Post.objects.filter(id=post.id).exists()


def test_deleting_from_the_post_page_goes_to_the_stream_and_next_stays_on_this_site(as_alice):
    first = publish(as_alice, "one", "public")
    assert f'name="next" value="/posts/{first.id}"' in page(as_alice, f"/posts/{first.id}")
    assert as_alice.post(f"/posts/{first.id}/delete", {"next": f"/posts/{first.id}#post-{first.id}"})["Location"] == "/"
    second = publish(as_alice, "two", "public")
    assert "evil.example" not in page(as_alice, f"/posts/{second.id}/delete?next=https://evil.example/")
    assert as_alice.post(f"/posts/{second.id}/delete", {"next": "https://evil.example/"})["Location"] == "/"


def test_edit_and_delete_are_offered_only_on_ones_own_posts(alice, bob, as_alice, as_bob):
    post = publish(as_alice, "mine", "public")
    assert f"/posts/{post.id}/delete" in page(as_alice, "/@alice")
    for html in (page(as_bob, "/@alice"), page(as_bob, f"/posts/{post.id}"), page(Client(), "/@alice")):
        assert f"/posts/{post.id}/delete" not in html
        assert f"/posts/{post.id}/edit" not in html


# ---- to whom one's own limited posts went: the author's eyes only ------------------------

MARKER = re.compile(r'<span class="audience-marker limited">([^<]*)</span>')


def test_own_limited_posts_name_their_aspects_for_the_author_only(alice, bob, carol, dave, as_alice, as_bob):
    family = factories.aspect(alice, "Family", bob)
    work = factories.aspect(alice, "Work Secret Name", dave)
    post = publish(as_alice, "sunday dinner", f"aspect:{family.id}", f"aspect:{work.id}", people="carol")
    for url in ("/", f"/posts/{post.id}", "/@alice"):
        assert MARKER.findall(page(as_alice, url)) == ["Limited to Family, Work Secret Name and 1 other person"], url
    for client in (as_bob, client_for(carol)):
        for url in ("/", f"/posts/{post.id}", "/@alice"):
            html = page(client, url)
            assert MARKER.findall(html) == ["Limited"], url
            assert "Work Secret Name" not in html
            assert "other person" not in html
    people_only = publish(as_alice, "just two", people="bob, carol")
    assert MARKER.findall(page(as_alice, f"/posts/{people_only.id}")) == ["Limited to 2 people"]
    public = publish(as_alice, "for all", "public")
    assert MARKER.findall(page(as_alice, f"/posts/{public.id}")) == []


def test_the_audience_label_in_place_after_publishing(alice, bob, as_alice):
    family = factories.aspect(alice, "Family", bob)
    html = as_alice.post("/posts", {"text": "in place", "audience": [f"aspect:{family.id}"]}, HTTP_HX_REQUEST="true").content.decode()
    assert MARKER.findall(html) == ["Limited to Family"]


def queries_for(client, url: str) -> tuple[int, str]:
    counted: list[str] = []
    with connection.execute_wrapper(lambda execute, sql, *args: counted.append(sql) or execute(sql, *args)):
        html = page(client, url)
    return len(counted), html


def test_audience_labels_do_not_add_queries_per_post(alice, bob, carol, as_alice):
    family = factories.aspect(alice, "Family", bob)
    publish(as_alice, "limited 0", f"aspect:{family.id}")
    few, _ = queries_for(as_alice, "/@alice")
    for number in range(1, 15):
        publish(as_alice, f"limited {number}", f"aspect:{family.id}", people="carol" if number % 2 else "")
    many, html = queries_for(as_alice, "/@alice")
    assert many <= few
    assert len(MARKER.findall(html)) == 15
    assert "Limited to Family and 1 other person" in html


def test_comment_edit_like_and_delete(alice, bob, as_alice, as_bob):
    post = publish(as_alice, "p", "public")
    comment = services.add_comment(bob, post, "typo")
    assert "typo" in page(as_bob, f"/comments/{comment.id}/edit")
    as_bob.post(f"/comments/{comment.id}/edit", {"text": "fixed"})
    comment.refresh_from_db()
    assert (comment.source, comment.edited_at is not None) == ("fixed", True)
    as_alice.post(f"/comments/{comment.id}/like")
    assert Like.objects.filter(person=alice, comment=comment).exists()
    assert f'action="/comments/{comment.id}/unlike"' in page(as_alice, f"/posts/{post.id}")
    as_alice.post(f"/comments/{comment.id}/unlike")
    assert not Like.objects.filter(person=alice, comment=comment).exists()
    # The post's author may remove comments on their post.
    assert as_alice.post(f"/comments/{comment.id}/delete").status_code == 302
    assert not Comment.objects.filter(id=comment.id).exists()


def test_others_cannot_delete_a_comment(alice, bob, carol, as_carol):
    post = services.publish_post(alice, "p")
    comment = services.add_comment(bob, post, "mine")
    assert as_carol.post(f"/comments/{comment.id}/delete").status_code == 403
    assert Comment.objects.filter(id=comment.id).exists()


def test_actions_are_post_only(alice, as_alice):
    post = publish(as_alice, "p", "public")
    for url in [f"/posts/{post.id}/like", f"/posts/{post.id}/reshare", "/posts", f"/posts/{post.id}/vote"]:
        assert as_alice.get(url).status_code == 405, url
