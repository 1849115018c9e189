"""Search, hashtags and followed hashtags, trends, the directory, suggestions and reports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kith.federation.activitypub.models import RemoteActor
from kith.graph import services as graph
from kith.moderation.models import Report
from kith.people.remote import upsert_remote_person
from kith.social import services
from kith.social.models import Post, Visibility
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def _queries(call) -> int:
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured)


def _limited(author, text, *members):
    aspect = factories.aspect(author, f"aspect for {text[:20]}", *members)
    return services.publish_post(author, text, visibility=Visibility.LIMITED, aspect_ids=[aspect.id])


def _remote_actor(username: str, domain: str = "mastodon.example") -> RemoteActor:
    person = upsert_remote_person(username, domain)
    base = f"https://{domain}/users/{username}"
    return RemoteActor.objects.create(
        person=person, uri=base, inbox=f"{base}/inbox", key_id=f"{base}#main-key", public_key_pem="unused",
        profile_url=f"https://{domain}/@{username}", fetched_at=timezone.now(),
    )


def _days_ago(post, days: int) -> None:
    Post.objects.filter(id=post.id).update(created_at=timezone.now() - timedelta(days=days))


# ---- search: accounts ----------------------------------------------------------------------


def test_search_accounts_puts_the_exact_local_handle_first(api_as, alice, bob):
    factories.person("bobby")
    factories.person("bobcat")
    status, body = api_as(alice).get(
        "/api/v2/search", {"q": "bob@testserver", "resolve": "true", "type": "accounts"}
    )
    assert status == 200
    assert body["accounts"][0]["acct"] == "bob"
    assert body["accounts"][0]["id"] == str(bob.id)
    assert body["statuses"] == []
    assert body["hashtags"] == []
    # The same with a leading @ and without resolving, as toot and other clients send it.
    _, body = api_as(alice).get("/api/v2/search", {"q": "@bob", "type": "accounts"})
    assert [a["acct"] for a in body["accounts"]][:1] == ["bob"]


def test_people_who_are_not_searchable_are_found_only_by_exact_handle(api_as, alice, bob):
    bob.searchable = False
    bob.save(update_fields=["searchable"])
    _, partial = api_as(alice).get("/api/v2/search", {"q": "bo", "type": "accounts"})
    assert partial["accounts"] == []
    _, exact = api_as(alice).get("/api/v2/search", {"q": "bob@testserver", "type": "accounts"})
    assert [a["acct"] for a in exact["accounts"]] == ["bob"]


def test_a_blocked_person_is_not_found(api_as, carol, dave):
    graph.block(dave, carol)  # dave blocked carol: neither finds the other
    _, body = api_as(carol).get("/api/v2/search", {"q": "dave", "resolve": "true"})
    assert body["accounts"] == []
    _, body = api_as(carol).get("/api/v2/search", {"q": "dave@testserver", "resolve": "true"})
    assert body["accounts"] == []
    assert [a["acct"] for a in api_as(None).get("/api/v2/search", {"q": "dave"})[1]["accounts"]] == ["dave"]


def test_search_accounts_pages_by_offset_and_can_keep_to_followed_people(api_as, alice):
    people = [factories.person(f"zed{n}") for n in range(5)]
    client = api_as(alice)
    _, first = client.get("/api/v2/search", {"q": "zed", "type": "accounts", "limit": 2})
    _, third = client.get("/api/v2/search", {"q": "zed", "type": "accounts", "limit": 2, "offset": 4})
    assert [a["acct"] for a in first["accounts"]] == ["zed0", "zed1"]
    assert [a["acct"] for a in third["accounts"]] == ["zed4"]
    graph.follow(alice, people[3])
    _, followed = client.get("/api/v2/search", {"q": "zed", "type": "accounts", "following": "true"})
    assert [a["acct"] for a in followed["accounts"]] == ["zed3"]


def test_anonymous_search_may_neither_resolve_nor_page(api_as, alice):
    status, body = api_as(None).get("/api/v2/search", {"q": "alice@testserver", "resolve": "true"})
    assert status == 401
    assert "resolve" in body["error"]
    status, body = api_as(None).get("/api/v2/search", {"q": "alice", "offset": 0})
    assert status == 401
    status, body = api_as(None).get("/api/v2/search", {"q": "alice"})
    assert status == 200
    assert [a["acct"] for a in body["accounts"]] == ["alice"]


def test_search_needs_a_query_and_the_read_search_scope(api_as, alice):
    assert api_as(alice).get("/api/v2/search")[0] == 400
    assert api_as(alice).get("/api/v2/search", {"q": "  "})[0] == 400
    assert api_as(alice, scopes="write").get("/api/v2/search", {"q": "alice"})[0] == 403
    assert api_as(alice, scopes="read:search").get("/api/v2/search", {"q": "alice"})[0] == 200


def test_the_v1_search_of_mastodon_3_is_not_served(api_as, alice):
    assert api_as(alice).get("/api/v1/search", {"q": "alice"})[0] == 404


# ---- search: statuses ---------------------------------------------------------------------------


def test_a_limited_post_is_found_only_by_its_audience(api_as, alice, bob, carol):
    open_post = services.publish_post(alice, "pineapple belongs on pizza")
    family = _limited(alice, "pineapple secret for family", bob)
    _, for_bob = api_as(bob).get("/api/v2/search", {"q": "pineapple", "type": "statuses"})
    assert [s["id"] for s in for_bob["statuses"]] == [str(family.id), str(open_post.id)]
    _, for_carol = api_as(carol).get("/api/v2/search", {"q": "pineapple", "type": "statuses"})
    assert [s["id"] for s in for_carol["statuses"]] == [str(open_post.id)]
    _, secret = api_as(carol).get("/api/v2/search", {"q": "secret family"})
    assert secret["statuses"] == []


def test_statuses_are_searched_only_for_logged_in_people(api_as, alice):
    services.publish_post(alice, "pineapple belongs on pizza")
    _, body = api_as(None).get("/api/v2/search", {"q": "pineapple"})
    assert body["statuses"] == []


def test_search_statuses_of_one_account_and_by_id_range(api_as, alice, bob):
    mine = [services.publish_post(alice, f"walnut {n}") for n in range(3)]
    theirs = services.publish_post(bob, "walnut too")
    client = api_as(alice)
    _, by_bob = client.get("/api/v2/search", {"q": "walnut", "type": "statuses", "account_id": bob.id})
    assert [s["id"] for s in by_bob["statuses"]] == [str(theirs.id)]
    _, older = client.get("/api/v2/search", {"q": "walnut", "type": "statuses", "max_id": mine[2].id})
    assert [s["id"] for s in older["statuses"]] == [str(mine[1].id), str(mine[0].id)]
    _, paged = client.get("/api/v2/search", {"q": "walnut", "type": "statuses", "limit": 1, "offset": 1})
    assert [s["id"] for s in paged["statuses"]] == [str(mine[2].id)]


def test_resolving_this_pods_own_addresses(api_as, alice, bob, carol):
    post = services.publish_post(alice, "hello")
    family = _limited(alice, "family only", bob)
    client = api_as(carol)
    _, found = client.get("/api/v2/search", {"q": f"http://testserver/posts/{post.id}", "resolve": "true"})
    assert [s["id"] for s in found["statuses"]] == [str(post.id)]
    assert found["accounts"] == []
    assert found["hashtags"] == []
    _, hidden = client.get("/api/v2/search", {"q": f"http://testserver/posts/{family.id}", "resolve": "true"})
    assert hidden["statuses"] == []
    _, shown = api_as(bob).get(
        "/api/v2/search", {"q": f"http://testserver/users/alice/posts/{family.id}", "resolve": "true"}
    )
    assert [s["id"] for s in shown["statuses"]] == [str(family.id)]
    _, person = client.get("/api/v2/search", {"q": "http://testserver/@alice", "resolve": "true"})
    assert [a["acct"] for a in person["accounts"]] == ["alice"]


def test_resolving_a_known_remote_actor_by_its_address(api_as, alice):
    actor = _remote_actor("zoe")
    for address in (actor.uri, actor.profile_url):
        _, body = api_as(alice).get("/api/v2/search", {"q": address, "resolve": "true", "type": "accounts"})
        assert [a["acct"] for a in body["accounts"]] == ["zoe@mastodon.example"]


def test_resolving_a_profile_address_on_another_server(api_as, alice, settings):
    """A profile page's address (Mastodon answers with the actor; Kith's is a web page its
    WebFinger answers for) finds the person; an address that finds nobody is Mastodon's
    empty answer, never an error."""
    import socket

    from tests.federation.peers import FakePeer

    settings.KITH_ALLOW_PRIVATE_FEDERATION = True
    peer = FakePeer.start("127.0.0.16")
    try:
        bob = peer.actor("bob")
        peer.serve_json("/@bob", bob.document())
        carol = peer.actor("carol")
        peer.wrong_type("/@carol", {"not": "activitypub"})
        client = api_as(alice)
        for address, acct in ((peer.url("/@bob"), f"bob@{peer.netloc}"), (peer.url("/@carol"), carol.handle)):
            status, body = client.get("/api/v2/search", {"q": address, "resolve": "true"})
            assert status == 200
            assert [a["acct"] for a in body["accounts"]] == [acct], address
        probe = socket.socket()
        probe.bind(("127.0.0.16", 0))
        closed = probe.getsockname()[1]
        probe.close()
        for address in (peer.url("/@nobody"), f"http://127.0.0.16:{closed}/@bob", "https://exa mple.org/@bob"):
            status, body = client.get("/api/v2/search", {"q": address, "resolve": "true"})
            assert (status, body) == (200, {"accounts": [], "statuses": [], "hashtags": []}), address
    finally:
        peer.close()


def test_resolving_a_known_remote_handle_puts_it_first(api_as, alice):
    _remote_actor("zoe")
    factories.person("zoey")
    _, body = api_as(alice).get(
        "/api/v2/search", {"q": "zoe@mastodon.example", "resolve": "true", "type": "accounts"}
    )
    assert body["accounts"][0]["acct"] == "zoe@mastodon.example"


# ---- search: hashtags -----------------------------------------------------------------------------


def test_search_hashtags_lists_tags_of_public_posts_with_history(api_as, alice, bob):
    services.publish_post(alice, "tonight #cooking and #cookies")
    _limited(alice, "psst #cookingsecrets", bob)
    _, body = api_as(bob).get("/api/v2/search", {"q": "#cook", "type": "hashtags"})
    assert [t["name"] for t in body["hashtags"]] == ["cookies", "cooking"]
    tag = body["hashtags"][1]
    assert tag["url"] == "http://testserver/tags/cooking"
    assert len(tag["history"]) == 7
    assert (tag["history"][0]["uses"], tag["history"][0]["accounts"]) == ("1", "1")
    assert tag["following"] is False
    _, exact_first = api_as(bob).get("/api/v2/search", {"q": "cooking", "type": "hashtags"})
    assert [t["name"] for t in exact_first["hashtags"]] == ["cooking"]


def test_search_result_pages_cost_the_same_whatever_they_hold(api_as, alice):
    client = api_as(alice)
    factories.person("quill0")
    services.publish_post(alice, "quill #quill0")

    def run():
        assert client.get("/api/v2/search", {"q": "quill"})[0] == 200

    one = _queries(run)
    for n in range(1, 6):
        author = factories.person(f"quill{n}")
        services.publish_post(author, f"quill #quill{n}")
    many = _queries(run)
    _, body = client.get("/api/v2/search", {"q": "quill"})
    assert [len(body[kind]) for kind in ("accounts", "statuses", "hashtags")] == [6, 6, 6]
    assert many == one


# ---- hashtags and followed hashtags ----------------------------------------------------------------


def test_a_tag_can_be_read_followed_and_unfollowed(api_as, alice):
    client = api_as(alice)
    status, tag = client.get("/api/v1/tags/Gardening")
    assert status == 200
    assert tag["name"] == "gardening"
    assert tag["following"] is False
    assert [day["uses"] for day in tag["history"]] == ["0"] * 7
    status, followed = client.post("/api/v1/tags/gardening/follow")
    assert status == 200
    assert followed["following"] is True
    assert followed["id"]
    assert client.get("/api/v1/tags/gardening")[1]["following"] is True
    assert "following" not in api_as(None).get("/api/v1/tags/gardening")[1]
    _, unfollowed = client.post("/api/v1/tags/gardening/unfollow")
    assert unfollowed["following"] is False
    assert client.get("/api/v1/followed_tags")[1] == []


def test_a_tag_name_that_cannot_be_a_tag_is_a_404(api_as, alice):
    assert api_as(alice).get("/api/v1/tags/no-such")[0] == 404
    assert api_as(alice).post("/api/v1/tags/123/follow")[0] == 404


def test_following_tags_needs_the_write_follows_scope(api_as, alice):
    assert api_as(alice, scopes="read").post("/api/v1/tags/cats/follow")[0] == 403
    assert api_as(alice, scopes="follow").post("/api/v1/tags/cats/follow")[0] == 200


def test_followed_tags_page_newest_first_with_link_headers(api_as, alice):
    client = api_as(alice)
    names = [f"topic{n}" for n in range(5)]
    for name in names:
        client.post(f"/api/v1/tags/{name}/follow")
    _, first = client.get("/api/v1/followed_tags", {"limit": 2})
    assert [t["name"] for t in first] == ["topic4", "topic3"]
    assert all(t["following"] for t in first)
    link = client.last["Link"]
    assert 'rel="next"' in link
    next_url = link.split(">")[0].lstrip("<").replace("http://testserver", "")
    _, second = client.get(next_url)
    assert [t["name"] for t in second] == ["topic2", "topic1"]
    _, everything = client.get("/api/v1/followed_tags")
    assert len(everything) == 5


def test_followed_tags_cost_the_same_for_one_tag_or_many(api_as, alice):
    client = api_as(alice)
    client.post("/api/v1/tags/first/follow")

    def run():
        assert client.get("/api/v1/followed_tags")[0] == 200

    one = _queries(run)
    for n in range(8):
        client.post(f"/api/v1/tags/more{n}/follow")
    assert _queries(run) == one


# ---- trends ----------------------------------------------------------------------------------


def test_trending_tags_rank_by_distinct_authors_of_public_posts(api_as, alice, bob, carol, dave):
    for author in (alice, bob, carol):
        services.publish_post(author, "sunrise #alpha")
    for n in range(4):
        services.publish_post(dave, f"again {n} #beta")
    for author in (alice, bob, carol):
        services.publish_post(author, "quietly #gamma", visibility=Visibility.UNLISTED)
        _limited(author, "privately #delta", dave)
        _days_ago(services.publish_post(author, "long ago #stale"), 8)
    status, body = api_as(None).get("/api/v1/trends/tags")
    assert status == 200
    assert [t["name"] for t in body] == ["alpha", "beta"]
    alpha, beta = body
    assert (alpha["history"][0]["uses"], alpha["history"][0]["accounts"]) == ("3", "3")
    assert (beta["history"][0]["uses"], beta["history"][0]["accounts"]) == ("4", "1")
    assert "following" not in alpha
    assert api_as(None).get("/api/v1/trends")[1] == body


def test_tag_history_counts_each_day(api_as, alice, bob):
    today = services.publish_post(alice, "#harvest today")
    _days_ago(services.publish_post(bob, "#harvest yesterday"), 1)
    _days_ago(services.publish_post(alice, "#harvest three days ago"), 3)
    _days_ago(services.publish_post(bob, "#harvest too"), 3)
    _, tag = api_as(None).get("/api/v1/tags/harvest")
    midnight = datetime.combine(today.created_at.astimezone(UTC).date(), datetime.min.time(), tzinfo=UTC)
    days = [str(int((midnight - timedelta(days=n)).timestamp())) for n in range(7)]
    assert [d["day"] for d in tag["history"]] == days
    assert [(d["uses"], d["accounts"]) for d in tag["history"]] == [
        ("1", "1"), ("1", "1"), ("0", "0"), ("2", "2"), ("0", "0"), ("0", "0"), ("0", "0"),
    ]


def test_trending_tags_page_by_offset_in_a_constant_number_of_queries(api_as, alice):
    services.publish_post(alice, "#one")
    client = api_as(alice)

    def run():
        assert client.get("/api/v1/trends/tags", {"limit": 20})[0] == 200

    one = _queries(run)
    services.publish_post(alice, " ".join(f"#tag{n}" for n in range(12)))
    assert _queries(run) == one
    _, first = client.get("/api/v1/trends/tags", {"limit": 5})
    assert len(first) == 5
    assert "offset=5" in client.last["Link"]
    _, rest = client.get("/api/v1/trends/tags", {"limit": 20, "offset": 10})
    assert len(rest) == 3
    assert 'rel="next"' not in client.last["Link"]


def test_trending_statuses_are_liked_public_local_posts(api_as, alice, bob, carol, dave):
    quiet = services.publish_post(alice, "nobody likes this")
    liked = services.publish_post(alice, "one like")
    loved = services.publish_post(bob, "two likes")
    family = _limited(alice, "family news", bob, carol)
    for person in (bob,):
        services.like(person, post=liked)
    for person in (alice, carol):
        services.like(person, post=loved)
    for person in (bob, carol):
        services.like(person, post=family)
    _, for_dave = api_as(dave).get("/api/v1/trends/statuses")
    assert [s["id"] for s in for_dave] == [str(loved.id), str(liked.id)]
    # Only public posts trend: a limited post stays out even for its own audience.
    _, for_bob = api_as(bob).get("/api/v1/trends/statuses")
    assert [s["id"] for s in for_bob] == [str(loved.id), str(liked.id)]
    assert not {str(quiet.id), str(family.id)} & {s["id"] for s in for_bob}
    graph.block(bob, alice)
    assert [s["id"] for s in api_as(bob).get("/api/v1/trends/statuses")[1]] == [str(loved.id)]
    _, second = api_as(dave).get("/api/v1/trends/statuses", {"limit": 1, "offset": 1})
    assert [s["id"] for s in second] == [str(liked.id)]


def test_no_links_trend_without_preview_cards(api_as):
    assert api_as(None).get("/api/v1/trends/links") == (200, [])


# ---- the directory and suggestions ---------------------------------------------------------------


def test_the_directory_lists_searchable_people_most_recently_active_first(api_as, alice, bob, carol):
    services.publish_post(bob, "earlier")
    services.publish_post(alice, "later")
    carol.searchable = False
    carol.save(update_fields=["searchable"])
    remote = _remote_actor("zoe").person
    client = api_as(None)
    _, active = client.get("/api/v1/directory")
    assert [a["acct"] for a in active] == ["alice", "bob", "zoe@mastodon.example"]
    _, local = client.get("/api/v1/directory", {"local": "true", "order": "new"})
    assert [a["acct"] for a in local] == ["bob", "alice"]
    _, paged = client.get("/api/v1/directory", {"limit": 1, "offset": 1})
    assert [a["acct"] for a in paged] == ["bob"]
    graph.block(alice, remote)
    assert "zoe@mastodon.example" not in [a["acct"] for a in api_as(alice).get("/api/v1/directory")[1]]


def test_suggestions_are_friends_of_friends_then_popular_people(api_as, alice, bob, carol, dave):
    erin = factories.person("erin")
    graph.follow(alice, bob)
    graph.follow(bob, carol)
    graph.follow(erin, dave)
    _, body = api_as(alice).get("/api/v2/suggestions")
    assert [(s["account"]["acct"], s["sources"], s["source"]) for s in body] == [
        ("carol", ["friends_of_friends"], "past_interactions"),
        ("dave", ["most_followed"], "global"),
    ]
    graph.mute(alice, carol)
    assert [s["account"]["acct"] for s in api_as(alice).get("/api/v2/suggestions")[1]] == ["dave"]
    assert api_as(None).get("/api/v2/suggestions")[0] == 401


# ---- reports ------------------------------------------------------------------------------------


def test_a_report_is_stored_with_its_statuses(api_as, alice, bob):
    spam = services.publish_post(bob, "buy now")
    reply = services.add_comment(bob, services.publish_post(alice, "hello"), "buy now too")
    status, body = api_as(alice).post(
        "/api/v1/reports",
        {"account_id": str(bob.id), "status_ids": [str(spam.id), str(reply.id)], "comment": "spam", "category": "spam"},
    )
    assert status == 200
    assert body["target_account"]["id"] == str(bob.id)
    assert body["status_ids"] == sorted([str(spam.id), str(reply.id)])
    assert (body["category"], body["comment"], body["forwarded"], body["action_taken"]) == ("spam", "spam", False, False)
    report = Report.objects.get(id=body["id"])
    assert report.reporter_id == alice.id
    assert list(report.posts.all()) == [spam]
    assert list(report.comments.all()) == [reply]


def test_a_report_accepts_form_bodies_with_rails_keys(api_as, alice, bob):
    spam = services.publish_post(bob, "buy now")
    status, body = api_as(alice).post(
        "/api/v1/reports", {"account_id": bob.id, "status_ids[]": [spam.id], "forward": "false"}, form=True
    )
    assert status == 200
    assert body["status_ids"] == [str(spam.id)]
    assert body["category"] == "other"


def test_a_report_may_not_name_someone_elses_or_unseen_statuses(api_as, alice, bob, carol):
    of_carol = services.publish_post(carol, "mine")
    hidden = _limited(bob, "not for alice", carol)
    client = api_as(alice)
    for status_id in (of_carol.id, hidden.id, 999):
        status, body = client.post("/api/v1/reports", {"account_id": bob.id, "status_ids": [status_id]})
        assert status == 404
    assert not Report.objects.exists()


def test_a_report_of_a_violation_names_the_pods_rules(api_as, alice, bob):
    from kith.moderation import rules as pod_rules

    kind = pod_rules.add_rule(None, "Be kind.")
    ads = pod_rules.add_rule(None, "No advertising.")
    removed = pod_rules.add_rule(None, "Removed.")
    pod_rules.remove_rule(None, removed.id)
    client = api_as(alice)
    # The ids are those /api/v1/instance/rules gives.
    assert [rule["id"] for rule in client.get("/api/v1/instance/rules")[1]] == [str(kind.id), str(ads.id)]
    status, body = client.post("/api/v1/reports", {"account_id": bob.id, "category": "violation", "rule_ids": [ads.id]})
    assert status == 200
    assert (body["category"], body["rule_ids"]) == ("violation", [str(ads.id)])
    assert Report.objects.get(id=body["id"]).rules == [{"id": str(ads.id), "text": "No advertising."}]
    # Rules alone mean a violation (clients that send only rule_ids[]).
    _, body = client.post("/api/v1/reports", {"account_id": bob.id, "rule_ids[]": [str(kind.id)]}, form=True)
    assert (body["category"], body["rule_ids"]) == ("violation", [str(kind.id)])
    for wrong in ({"category": "violation"}, {"category": "violation", "rule_ids": [removed.id]},
                  {"category": "violation", "rule_ids": [ads.id + 1000]},
                  {"category": "spam", "rule_ids": [kind.id]}, {"category": "nonsense"}):
        assert client.post("/api/v1/reports", {"account_id": bob.id, **wrong})[0] == 422
    assert Report.objects.count() == 2


def test_a_report_names_at_most_100_rules_as_at_most_100_statuses(api_as, alice, bob):
    from kith.moderation import rules as pod_rules

    kind = pod_rules.add_rule(None, "Be kind.")
    client = api_as(alice)
    status, _body = client.post("/api/v1/reports", {"account_id": bob.id, "rule_ids": [kind.id] * 101})
    assert status == 422
    assert not Report.objects.exists()
    status, _body = client.post("/api/v1/reports", {"account_id": bob.id, "rule_ids": [kind.id] * 100})
    assert status == 200


def test_reports_refuse_rules_a_pod_does_not_have_and_hidden_people(api_as, alice, bob):
    client = api_as(alice)
    assert client.post("/api/v1/reports", {"account_id": bob.id, "category": "violation", "rule_ids": [1]})[0] == 422
    assert client.post("/api/v1/reports", {"account_id": bob.id, "comment": "x" * 1001})[0] == 422
    assert client.post("/api/v1/reports", {"account_id": alice.id})[0] == 422
    graph.block(bob, alice)
    assert client.post("/api/v1/reports", {"account_id": bob.id})[0] == 404
    assert api_as(alice, scopes="read").post("/api/v1/reports", {"account_id": bob.id})[0] == 403
    assert not Report.objects.exists()


def test_a_report_about_a_remote_person_can_be_forwarded(api_as, alice):
    from kith.federation.models import Delivery

    remote = _remote_actor("spammer")
    status, body = api_as(alice).post("/api/v1/reports", {"account_id": remote.person.id, "forward": True})
    assert status == 200
    assert body["forwarded"] is True
    assert Delivery.objects.filter(subject=f"report:{body['id']}", inbox=remote.inbox).exists()


def test_numbers_beyond_the_databases_range_are_refused_not_crashed_on(api_as, alice):
    client = api_as(alice)
    huge = 2**70
    for params in ({"account_id": huge}, {"max_id": huge}, {"min_id": -huge}, {"offset": huge}):
        assert client.get("/api/v2/search", {"q": "x", **params})[0] == 422
    assert client.get("/api/v1/followed_tags", {"max_id": huge})[0] == 422
    assert client.get("/api/v1/trends/tags", {"offset": huge})[0] == 422
    assert client.get("/api/v1/directory", {"offset": huge})[0] == 422
    assert client.post("/api/v1/reports", {"account_id": huge})[0] == 422
    assert client.post("/api/v1/reports", {"account_id": alice.id, "status_ids": [huge]})[0] == 422


# ---- resolve against another real pod ----------------------------------------------------------


@pytest.mark.server
@pytest.mark.xdist_group("discovery-pods")
def test_resolve_finds_a_person_and_a_post_on_another_real_pod(tmp_path_factory):
    """Two `kith serve` processes on loopback: alice@A resolves bob@B by handle, by actor id and
    one of his posts by its address, through the client API as an app would."""
    import httpx

    from tests.harness import Pod

    here, there = (Pod(name, tmp_path_factory.mktemp(f"pod-{name}"), host=host)
                   for name, host in (("search-a", "127.0.0.7"), ("search-b", "127.0.0.8")))
    try:
        here.start()
        there.start()
        # Accounts from the sign-up page and a token from the consent page: HTTP only, where
        # `kith user create` and `kith token create` cost a process start (~2 CPU-s) each.
        alice = here.signup("alice")
        bob = f"bob@{there.domain}"
        post_id = there.signup("bob").publish("Resolvable from afar")
        token = alice.bearer_token("read")
        api = httpx.Client(base_url=here.url, headers={"Authorization": f"Bearer {token}"}, timeout=30)

        def search(query: str, **params: str) -> dict:
            response = api.get("/api/v2/search", params={"q": query, "resolve": "true", **params})
            assert response.status_code == 200, response.text[:500]
            return response.json()

        assert api.get("/api/v2/search", params={"q": bob, "type": "accounts"}).json()["accounts"] == []
        found = search(bob, type="accounts")["accounts"]
        assert found[0]["acct"] == bob
        assert found[0]["url"].startswith(here.url)
        assert [a["acct"] for a in search(f"{there.url}/users/bob")["accounts"]] == [bob]
        assert [a["acct"] for a in search(f"{there.url}/@bob")["accounts"]] == [bob]  # the profile page
        statuses = search(f"{there.url}/users/bob/posts/{post_id}")["statuses"]
        assert len(statuses) == 1
        assert "Resolvable from afar" in statuses[0]["content"]
        assert statuses[0]["account"]["acct"] == bob
    finally:
        here.destroy()
        there.destroy()
