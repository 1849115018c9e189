"""A reader's own content filters apply alike on the web pages, the client API and the streaming
API (kith.timelines.reading): a `warn` match is shown behind the filter's title, a `hide` match
is left out, in the contexts the filter names, never on the reader's own posts.  (The API's
side, in detail: tests/api/test_filters.py.)"""

from __future__ import annotations

import json
import time

import pytest

from kith.api.streaming.channels import Channel
from kith.api.streaming.source import EventSource, Listener
from kith.graph import services as graph
from kith.graph.models import Follow, FollowState
from kith.social import remote, services
from kith.social.models import Visibility
from kith.timelines.models import Filter, FilterAction, FilterKeyword
from tests import factories
from tests.api.conftest import ApiClient
from tests.web.conftest import client_for

pytestmark = pytest.mark.django_db(transaction=True)


def _filter(owner, action: str, contexts: list[str], keyword: str = "cats") -> Filter:
    made = Filter.objects.create(owner=owner, title=f"no {keyword}", contexts=contexts, action=action)
    FilterKeyword.objects.create(filter=made, keyword=keyword, whole_word=True)
    return made


def _articles(html: str) -> dict[str, str]:
    """The post articles of a page by post id, as text."""
    found = {}
    for chunk in html.split('<article class="post" id="post-')[1:]:
        post_id, _, rest = chunk.partition('"')
        found[post_id] = rest.split("</article>", 1)[0]
    return found


# ---- the web pages ------------------------------------------------------------------------------


def test_the_web_stream_shows_warned_posts_behind_the_filter_and_leaves_hidden_ones_out(alice, bob):
    graph.follow(alice, bob)
    cats = services.publish_post(bob, "I love cats.")
    dogs = services.publish_post(bob, "dogs only")
    own = services.publish_post(alice, "my own cats")
    warn = _filter(alice, FilterAction.WARN, ["home"])
    client = client_for(alice)

    articles = _articles(client.get("/").content.decode())
    assert '<details class="filtered">' in articles[str(cats.id)]
    assert "no cats" in articles[str(cats.id)]
    assert "I love cats." in articles[str(cats.id)]  # behind the title, not gone
    assert '<details class="filtered">' not in articles[str(dogs.id)]
    assert '<details class="filtered">' not in articles[str(own.id)]  # one's own posts are never filtered

    warn.action = FilterAction.HIDE
    warn.save()
    articles = _articles(client.get("/").content.decode())
    assert str(cats.id) not in articles
    assert {str(dogs.id), str(own.id)} <= set(articles)
    # Other contexts are the filter's choice: the public timeline still shows the post.
    assert str(cats.id) in _articles(client.get("/public").content.decode())
    _filter(alice, FilterAction.HIDE, ["public"])
    assert str(cats.id) not in _articles(client.get("/public").content.decode())


def test_a_profile_page_applies_the_account_context(alice, bob):
    cats = services.publish_post(bob, "cats everywhere")
    dogs = services.publish_post(bob, "dogs")
    client = client_for(alice)
    profile = f"/@{bob.username}"
    assert str(cats.id) in _articles(client.get(profile).content.decode())
    _filter(alice, FilterAction.HIDE, ["account"])
    shown = _articles(client.get(profile).content.decode())
    assert str(cats.id) not in shown
    assert str(dogs.id) in shown


def _comments(html: str) -> dict[str, str]:
    """The comments of a post page by comment id, as text (their own article, replies apart)."""
    found = {}
    for chunk in html.split('<li class="comment" id="comment-')[1:]:
        comment_id, _, rest = chunk.partition('"')
        found[comment_id] = rest.split("</article>", 1)[0]
    return found


def test_the_post_page_applies_the_thread_context_to_comments(alice, bob, carol):
    """As the API's context endpoint: a warned comment is shown behind the filter's title, a
    hidden one is left out (its reply stays), one's own comments are never filtered."""
    post = services.publish_post(carol, "a walk in the park")
    cats = services.add_comment(bob, post, "I love cats.")
    reply = services.add_comment(carol, post, "so do I", parent=cats)
    dogs = services.add_comment(bob, post, "dogs only")
    own = services.add_comment(alice, post, "my own cats")
    client = client_for(alice)
    url = f"/posts/{post.id}"
    assert '<details class="filtered">' not in client.get(url).content.decode()  # no filter yet

    # A "home" filter is not a thread filter.
    _filter(alice, FilterAction.HIDE, ["home"])
    assert str(cats.id) in _comments(client.get(url).content.decode())

    warn = _filter(alice, FilterAction.WARN, ["thread"])
    shown = _comments(client.get(url).content.decode())
    assert '<details class="filtered">' in shown[str(cats.id)]
    assert "no cats" in shown[str(cats.id)]
    assert "I love cats." in shown[str(cats.id)]  # behind the title, not gone
    assert '<details class="filtered">' not in shown[str(dogs.id)]
    assert '<details class="filtered">' not in shown[str(own.id)]  # one's own comments are never filtered
    # The post itself is what the page is about: the filter judges the thread around it.
    assert "a walk in the park" in client.get(url).content.decode()

    warn.action = FilterAction.HIDE
    warn.save()
    shown = _comments(client.get(url).content.decode())
    assert str(cats.id) not in shown
    assert {str(reply.id), str(dogs.id), str(own.id)} <= set(shown)
    # Other readers' pages are theirs: bob, with no filters, sees his comment.
    assert str(cats.id) in _comments(client_for(bob).get(url).content.decode())


# ---- the streaming API ------------------------------------------------------------------------


def _listen(source: EventSource, listeners: list[Listener]) -> dict[tuple[int, str], list[dict]]:
    """What one poll sends, by (connection, event), payloads parsed."""
    sent: dict[tuple[int, str], list[dict]] = {}
    for delivery in source.poll(listeners):
        if delivery.event == "update":
            sent.setdefault((delivery.key, delivery.channel.kind), []).append(json.loads(delivery.payload or "{}"))
    return sent


def test_the_user_and_public_streams_apply_the_readers_filters(alice, bob, carol):
    graph.follow(alice, bob)
    source = EventSource()
    source.start()
    since = int(time.time() * 1000)
    listeners = [
        Listener(key=1, viewer_id=alice.id, channel=Channel("user"), since_ms=since),
        Listener(key=2, viewer_id=alice.id, channel=Channel("public"), since_ms=since),
        Listener(key=3, viewer_id=carol.id, channel=Channel("public"), since_ms=since),
    ]
    _filter(alice, FilterAction.WARN, ["home"])
    _filter(alice, FilterAction.HIDE, ["public"])
    cats = services.publish_post(bob, "cats and more cats")
    dogs = services.publish_post(bob, "dogs")

    sent = _listen(source, listeners)

    home = {status["id"]: status for status in sent[(1, "user")]}
    assert set(home) == {str(cats.id), str(dogs.id)}
    assert [result["filter"]["title"] for result in home[str(cats.id)]["filtered"]] == ["no cats"]
    assert home[str(cats.id)]["filtered"][0]["keyword_matches"] == ["cats"]
    assert not home[str(dogs.id)].get("filtered")
    assert [status["id"] for status in sent[(2, "public")]] == [str(dogs.id)]  # hidden from alice's public stream
    # Everyone else's public stream is untouched, and carries nobody else's filter results.
    carols = {status["id"]: status for status in sent[(3, "public")]}
    assert set(carols) == {str(cats.id), str(dogs.id)}
    assert not any(status.get("filtered") for status in carols.values())


def test_the_user_stream_leaves_out_what_a_hide_filter_matches(alice, bob):
    graph.follow(alice, bob)
    source = EventSource()
    source.start()
    listener = Listener(key=1, viewer_id=alice.id, channel=Channel("user"), since_ms=int(time.time() * 1000))
    _filter(alice, FilterAction.HIDE, ["home"])
    services.publish_post(bob, "cats")
    dogs = services.publish_post(bob, "dogs")
    own = services.publish_post(alice, "my cats")

    sent = _listen(source, [listener])

    assert sorted(status["id"] for status in sent[(1, "user")]) == sorted([str(dogs.id), str(own.id)])


# ---- mutes and domain blocks, everywhere alike ------------------------------------------------


def test_mutes_and_domain_blocks_apply_alike_on_the_web_stream_the_api_and_the_streaming_api(alice, bob, carol):
    """A reader's mutes and domain blocks (kith.timelines.reading) leave the same posts out of
    the web stream, the client API's home timeline and the streaming API's user stream, read
    after the posts reached the stream (a mute also hides what fan-out wrote before it)."""
    dave = factories.remote_person("dave", "far.example")
    graph.follow(alice, bob)
    graph.follow(alice, carol)
    # A remote person followed (as an accepted Follow arrives; no ActivityPub actor is needed here).
    Follow.objects.create(follower=alice, followee=dave, state=FollowState.ACCEPTED)
    source = EventSource()
    source.start()
    listener = Listener(key=1, viewer_id=alice.id, channel=Channel("user"), since_ms=int(time.time() * 1000))
    muted = services.publish_post(bob, "from bob, muted")
    far = remote.record_remote_post(dave, remote.RemoteContent(html="<p>from a blocked domain</p>"),
                                    visibility=Visibility.PUBLIC)
    kept = services.publish_post(carol, "from carol")

    def home_ids() -> tuple[set[str], set[str]]:
        web = set(_articles(client_for(alice).get("/").content.decode()))
        status, home = ApiClient(alice).get("/api/v1/timelines/home")
        assert status == 200
        return web, {entry["id"] for entry in home}

    # The control: before the mute and the block, the web and the API show all three.
    for shown in home_ids():
        assert {str(kept.id), str(muted.id), str(far.id)} <= shown

    graph.mute(alice, bob)
    graph.block_domain(alice, "far.example")
    streamed = {entry["id"] for entry in _listen(source, [listener]).get((1, "user"), [])}
    for shown in (*home_ids(), streamed):
        assert str(kept.id) in shown
        assert str(muted.id) not in shown
        assert str(far.id) not in shown
