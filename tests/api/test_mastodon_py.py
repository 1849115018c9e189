"""Mastodon.py, a real client library, drives a running pod through a whole session.

Two pods run as real `kith serve` processes.  alice registers an app and logs in
through the authorization-code flow (the consent page approved in her browser
session); bob gets a token from `kith token create`, as a script would.  Then they
post with a photo, a poll and a content warning, page through timelines, follow each
other (and carol on the second pod), favourite, boost, reply, read the thread, read
and clear notifications, search, edit and read the history, delete, and watch new
posts arrive over the streaming WebSocket.  The tests build on each other, in order.
"""

from __future__ import annotations

import queue
import time

import pytest
from mastodon import Mastodon, StreamListener

from tests.api.realpod import authorize_in_browser
from tests.api.richdata import png_bytes
from tests.harness import Pod
from tests.harness.pod import PASSWORD, wait_until

pytestmark = [pytest.mark.server, pytest.mark.xdist_group("mastodon-py")]

OOB = "urn:ietf:wg:oauth:2.0:oob"
SCOPES = ["read", "write", "follow", "push"]


@pytest.fixture(scope="module")
def pods(tmp_path_factory):
    home = Pod("mastopy", tmp_path_factory.mktemp("pod-mastopy"), host="127.0.0.5",
               KITH_API_ALLOW_PASSWORD_GRANT="true")
    away = Pod("mastopy-away", tmp_path_factory.mktemp("pod-mastopy-away"), host="127.0.0.6")
    try:
        home.start()
        away.start()
        home.create_users("alice", "bob")  # one `kith` process for both
        away.create_user("carol")
        yield home, away
    finally:
        home.destroy()
        away.destroy()


@pytest.fixture(scope="module")
def state() -> dict:
    """What earlier tests made, for the later ones (they run in order on one worker)."""
    return {}


def client(pod: Pod, token: str) -> Mastodon:
    return Mastodon(access_token=token, api_base_url=pod.url, request_timeout=30)


def test_register_an_app_and_log_in_through_the_consent_page(pods, state):
    home, _ = pods
    client_id, client_secret = Mastodon.create_app(
        "Kith acceptance", scopes=SCOPES, redirect_uris=OOB, website="https://example.test", api_base_url=home.url
    )
    app = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=home.url, request_timeout=30)
    url = app.auth_request_url(scopes=SCOPES, redirect_uris=OOB, allow_http=True)  # the pod is http on loopback
    code = authorize_in_browser(home.session("alice"), url)
    token = app.log_in(code=code, scopes=SCOPES, redirect_uri=OOB, allow_http=True)
    alice = client(home, token)
    me = alice.account_verify_credentials()
    assert me.acct == "alice"
    assert me.username == "alice"
    # The version Mastodon.py keys its features on.
    assert alice.retrieve_mastodon_version().startswith("4.")
    state["alice"], state["alice_id"] = alice, me.id


def test_a_token_from_the_command_line_and_from_the_password_grant(pods, state):
    home, _ = pods
    bob = client(home, home.token("bob"))
    me = bob.account_verify_credentials()
    assert me.acct == "bob"
    state["bob"], state["bob_id"] = bob, me.id
    # The password grant, enabled on this pod: the e-mail address is the username.
    client_id, client_secret = Mastodon.create_app("Kith password", scopes=SCOPES, api_base_url=home.url)
    app = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=home.url, request_timeout=30)
    token = app.log_in(username=home.email("bob"), password=PASSWORD, scopes=SCOPES, allow_http=True)
    assert client(home, token).account_verify_credentials().id == me.id


def test_post_with_a_photo_a_poll_and_a_content_warning(state):
    alice = state["alice"]
    media = alice.media_post(png_bytes((64, 48)), mime_type="image/png", description="A red rectangle",
                             synchronous=True)
    assert media.type == "image"
    assert media.url
    assert media.description == "A red rectangle"
    status = alice.status_post(
        "Which colour do you like? #kithcolours",
        media_ids=[media],
        poll=alice.make_poll(["red", "blue"], expires_in=3600),
        spoiler_text="colour talk",
        visibility="public",
    )
    assert status.spoiler_text == "colour talk"
    assert [m.id for m in status.media_attachments] == [media.id]
    assert [o.title for o in status.poll.options] == ["red", "blue"]
    assert [t.name for t in status.tags] == ["kithcolours"]
    state["poll_status"] = status


def test_follow_and_get_followed(pods, state):
    alice, bob = state["alice"], state["bob"]
    relationship = bob.account_follow(state["alice_id"])
    assert relationship.following
    alice.account_follow(state["bob_id"])
    [alice_to_bob] = alice.account_relationships(state["bob_id"])
    assert alice_to_bob.following
    assert alice_to_bob.followed_by
    followers = alice.account_followers(state["alice_id"])
    assert state["bob_id"] in [a.id for a in followers]


def test_follow_someone_on_another_pod(pods, state):
    home, away = pods
    alice = state["alice"]
    handle = f"carol@{away.domain}"
    found = alice.search_v2(handle, resolve=True, result_type="accounts")
    assert [a.acct for a in found.accounts] == [handle]
    carol = found.accounts[0]
    alice.account_follow(carol.id)
    wait_until(lambda: alice.account_relationships(carol.id)[0].following, message="carol's pod to accept")


def test_a_direct_conversation_across_pods(pods, state):
    home, away = pods
    alice = state["alice"]
    carol = client(away, away.token("carol"))
    handle = f"carol@{away.domain}"
    sent = alice.status_post(f"@{handle} @bob a word in private", visibility="direct")
    assert sent.visibility == "direct"
    wait_until(lambda: carol.conversations(), message="the conversation at carol's pod")
    [at_carol] = carol.conversations()
    assert at_carol.unread
    assert sorted(a.acct for a in at_carol.accounts) == sorted([f"alice@{home.domain}", f"bob@{home.domain}"])
    reply = carol.status_reply(at_carol.last_status, "carol answers in private", visibility="direct")
    assert carol.conversations_read(at_carol.id).unread is False
    wait_until(lambda: alice.conversations()[0].last_status.content.count("carol answers in private") == 1,
               message="carol's answer in alice's conversation")
    [at_alice] = alice.conversations()
    assert at_alice.unread
    assert [s.id for s in alice.status_context(at_alice.last_status.id).ancestors] == [sent.id]
    assert reply.visibility == "direct"
    # bob, on alice's pod, reads the same conversation; strangers see none of it.
    assert state["bob"].conversations()[0].last_status.id == at_alice.last_status.id
    assert all(status.visibility != "direct" for status in alice.timeline_home())


def test_timelines_page_with_fetch_next(state):
    alice, bob = state["alice"], state["bob"]
    made = [alice.status_post(f"Paging post {n} #kithpaging").id for n in range(5)]
    for name, read in (
        ("home", lambda: bob.timeline_home(limit=2)),
        ("public", lambda: bob.timeline_public(limit=2)),
        ("tag", lambda: bob.timeline_hashtag("kithpaging", limit=2)),
    ):
        wait_until(lambda read=read: made[-1] in [s.id for s in read()], message=f"the newest post on {name}")
        seen: list = []
        page = read()
        while page and len(seen) < 5:
            assert len(page) <= 2
            seen += [s.id for s in page if s.id in made]
            page = bob.fetch_next(page)
        assert seen == list(reversed(made)), f"{name}: paged through {seen}"


def test_favourite_boost_reply_and_read_the_thread(state):
    alice, bob = state["alice"], state["bob"]
    original = alice.status_post("Thread starter about #kiththreads")
    assert bob.status_favourite(original.id).favourited
    boost = bob.status_reblog(original.id)
    assert boost.reblog.id == original.id
    reply = bob.status_reply(original, "A reply from bob")
    assert reply.in_reply_to_id == original.id
    answer = alice.status_reply(reply, "And alice answers")
    context = alice.status_context(original.id)
    assert [s.id for s in context.descendants] == [reply.id, answer.id]
    assert [s.id for s in alice.status_context(answer.id).ancestors] == [original.id, reply.id]
    fresh = alice.status(original.id)
    assert (fresh.favourites_count, fresh.reblogs_count, fresh.replies_count) == (1, 1, 2)
    assert [a.id for a in alice.status_favourited_by(original.id)] == [state["bob_id"]]
    assert [a.id for a in alice.status_reblogged_by(original.id)] == [state["bob_id"]]
    state["thread"] = original


def test_read_and_clear_notifications(state):
    alice = state["alice"]
    wait_until(lambda: {"favourite", "reblog", "follow"} <= {n.type for n in alice.notifications()},
               message="alice's notifications of bob's follow, favourite and boost")
    mentions = alice.notifications(types=["mention"])
    assert mentions
    assert mentions[0].status.account.acct == "bob"
    alice.notifications_clear()
    assert alice.notifications() == []


def test_search_finds_posts_accounts_and_tags(state):
    alice, bob = state["alice"], state["bob"]
    alice.status_post("Searching for the word periwinkle #kithsearch")
    wait_until(lambda: bob.search_v2("periwinkle", result_type="statuses").statuses,
               message="the post in the search index")
    results = bob.search_v2("periwinkle")
    assert ["Searching for the word periwinkle" in s.content for s in results.statuses] == [True]
    assert "alice" in [a.acct for a in bob.search_v2("alice", result_type="accounts").accounts]
    assert "kithsearch" in [t.name for t in bob.search_v2("#kithsearch", result_type="hashtags").hashtags]


def test_edit_a_post_and_read_its_history_then_delete_it(state):
    alice, bob = state["alice"], state["bob"]
    status = alice.status_post("First words")
    edited = alice.status_update(status.id, "Second thoughts", spoiler_text="edited")
    assert "Second thoughts" in edited.content
    assert edited.edited_at is not None
    history = alice.status_history(status.id)
    assert ["First words" in h.content for h in history] == [True, False]
    assert "Second thoughts" in history[-1].content
    deleted = alice.status_delete(status.id)
    assert deleted.text == "Second thoughts"  # delete-and-redraft hands back the source
    with pytest.raises(Exception, match="404|not found"):
        bob.status(status.id)


class Collect(StreamListener):
    def __init__(self) -> None:
        self.updates: queue.Queue = queue.Queue()
        self.notifications: queue.Queue = queue.Queue()

    def on_update(self, status) -> None:
        self.updates.put(status)

    def on_notification(self, notification) -> None:
        self.notifications.put(notification)


def _next(items: queue.Queue, matching, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            item = items.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            break
        if matching(item):
            return item
    raise AssertionError("nothing matching arrived on the stream")


def test_new_posts_arrive_over_the_websocket_stream(state):
    alice, bob = state["alice"], state["bob"]
    listener, public = Collect(), Collect()
    handle = bob.stream_open_websocket()
    try:
        # Two streams multiplexed on one WebSocket, as Mastodon's web app does.
        bob.stream_user(listener, websocket_handle=handle)
        bob.stream_public(public, websocket_handle=handle)
        time.sleep(1)  # subscribing is asynchronous: nothing confirms it
        posted = alice.status_post("Live from alice over the stream")
        arrived = _next(listener.updates, lambda s: s.id == posted.id)
        assert arrived.account.acct == "alice"
        assert _next(public.updates, lambda s: s.id == posted.id).content == arrived.content
        alice.status_favourite(bob.status_post("bob posts for a like").id)
        liked = _next(listener.notifications, lambda n: n.type == "favourite")
        assert liked.account.acct == "alice"
    finally:
        handle.close()
