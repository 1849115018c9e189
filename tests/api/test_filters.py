"""Filters v2: managing filters, keywords and statuses, and applying them (warn, hide)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kith.graph import services as graph
from kith.social import services
from kith.timelines.models import Filter

pytestmark = pytest.mark.django_db(transaction=True)


def make_filter(client, action: str = "warn", context=("home",), keywords=(("cats", True),)) -> dict:
    status, body = client.post("/api/v2/filters", {
        "title": "no cats", "context": list(context), "filter_action": action,
        "keywords_attributes": [{"keyword": k, "whole_word": w} for k, w in keywords],
    })
    assert status == 200, body
    return body


def test_create_with_form_keywords_read_update_delete(api_as, alice, bob):
    client = api_as(alice)
    status, made = client.post("/api/v2/filters", {
        "title": "Spoilers", "context[]": ["home", "public"], "filter_action": "hide", "expires_in": "3600",
        "keywords_attributes[][keyword]": ["dragon", "finale"], "keywords_attributes[][whole_word]": ["true", "false"],
    }, form=True)
    assert status == 200, made
    assert made["title"] == "Spoilers"
    assert made["context"] == ["home", "public"]
    assert made["filter_action"] == "hide"
    assert made["expires_at"].endswith("Z")
    assert [(k["keyword"], k["whole_word"]) for k in made["keywords"]] == [("dragon", True), ("finale", False)]
    assert made["statuses"] == []
    assert client.get("/api/v2/filters")[1] == [made]
    assert client.get(f"/api/v2/filters/{made['id']}")[1] == made
    assert api_as(bob).get(f"/api/v2/filters/{made['id']}")[0] == 404

    dragon = made["keywords"][0]
    status, changed = client.put(f"/api/v2/filters/{made['id']}", {
        "title": "Spoilers!", "expires_in": "", "filter_action": "warn",
        "keywords_attributes": [{"id": dragon["id"], "_destroy": True}, {"keyword": "ending"}],
    })
    assert status == 200, changed
    assert changed["title"] == "Spoilers!"
    assert changed["expires_at"] is None
    assert changed["filter_action"] == "warn"
    assert [k["keyword"] for k in changed["keywords"]] == ["finale", "ending"]
    assert changed["context"] == ["home", "public"]
    assert api_as(bob).delete(f"/api/v2/filters/{made['id']}")[0] == 404
    assert client.delete(f"/api/v2/filters/{made['id']}") == (200, {})
    assert client.get("/api/v2/filters")[1] == []


def test_refusals(api_as, alice):
    client = api_as(alice)
    assert client.post("/api/v2/filters", {"title": "x", "context": []})[0] == 422
    assert client.post("/api/v2/filters", {"title": "x", "context": ["everywhere"]})[0] == 422
    assert client.post("/api/v2/filters", {"title": "", "context": ["home"]})[0] == 422
    assert client.post("/api/v2/filters", {"title": "x", "context": ["home"], "filter_action": "explode"})[0] == 422
    assert client.post("/api/v2/filters", {"title": "x", "context": ["home"], "expires_in": "soon"})[0] == 422
    assert api_as(alice, scopes="read").post("/api/v2/filters", {"title": "x", "context": ["home"]})[0] == 403
    assert api_as(alice, scopes="write").get("/api/v2/filters")[0] == 403


def test_keywords_endpoints(api_as, alice, bob):
    client = api_as(alice)
    made = make_filter(client)
    status, added = client.post(f"/api/v2/filters/{made['id']}/keywords", {"keyword": "dogs", "whole_word": "false"},
                                form=True)
    assert status == 200
    assert added["keyword"] == "dogs"
    assert added["whole_word"] is False
    assert [k["keyword"] for k in client.get(f"/api/v2/filters/{made['id']}/keywords")[1]] == ["cats", "dogs"]
    assert client.get(f"/api/v2/filter_keywords/{added['id']}")[1] == added
    assert api_as(bob).get(f"/api/v2/filter_keywords/{added['id']}")[0] == 404
    status, changed = client.put(f"/api/v2/filter_keywords/{added['id']}", {"keyword": "hounds", "whole_word": True})
    assert changed == {"id": added["id"], "keyword": "hounds", "whole_word": True}
    assert client.delete(f"/api/v2/filter_keywords/{added['id']}") == (200, {})
    assert client.get(f"/api/v2/filter_keywords/{added['id']}")[0] == 404


def test_statuses_endpoints(api_as, alice, bob, carol):
    post = services.publish_post(bob, "a post")
    client = api_as(alice)
    made = make_filter(client, keywords=())
    status, row = client.post(f"/api/v2/filters/{made['id']}/statuses", {"status_id": str(post.id)})
    assert status == 200
    assert row["status_id"] == str(post.id)
    assert client.get(f"/api/v2/filters/{made['id']}/statuses")[1] == [row]
    assert client.get(f"/api/v2/filter_statuses/{row['id']}")[1] == row
    assert api_as(carol).get(f"/api/v2/filter_statuses/{row['id']}")[0] == 404
    assert client.post(f"/api/v2/filters/{made['id']}/statuses", {"status_id": "12345"})[0] == 404
    assert client.delete(f"/api/v2/filter_statuses/{row['id']}") == (200, {})
    assert client.get(f"/api/v2/filters/{made['id']}/statuses")[1] == []


def test_warn_and_hide_in_home(api_as, alice, bob):
    graph.follow(alice, bob)
    cats = services.publish_post(bob, "I love Cats.")
    catalogue = services.publish_post(bob, "a catalogue")  # not the whole word
    warned_cw = services.publish_post(bob, "behind a warning", content_warning="cats inside")
    dogs = services.publish_post(bob, "dogs only")
    chosen = services.publish_post(bob, "filtered by hand")
    own = services.publish_post(alice, "my own cats")  # your own posts are never filtered
    client = api_as(alice)
    warn = make_filter(client)
    client.post(f"/api/v2/filters/{warn['id']}/statuses", {"status_id": chosen.id})

    body = {s["id"]: s for s in client.get("/api/v1/timelines/home")[1]}
    assert body[str(cats.id)]["filtered"] == [{
        "filter": {k: warn[k] for k in ("id", "title", "context", "expires_at", "filter_action")},
        "keyword_matches": ["cats"], "status_matches": None,
    }]
    assert body[str(warned_cw.id)]["filtered"][0]["keyword_matches"] == ["cats"]
    assert body[str(chosen.id)]["filtered"][0]["status_matches"] == [str(chosen.id)]
    assert body[str(catalogue.id)]["filtered"] == []
    assert body[str(dogs.id)]["filtered"] == []
    assert body[str(own.id)]["filtered"] == []

    client.put(f"/api/v2/filters/{warn['id']}", {"filter_action": "hide"})
    shown = [s["id"] for s in client.get("/api/v1/timelines/home")[1]]
    assert shown == [str(own.id), str(dogs.id), str(catalogue.id)]
    # Other contexts are untouched: the public timeline still shows them.
    assert str(cats.id) in [s["id"] for s in client.get("/api/v1/timelines/public")[1]]


def test_a_reshare_is_matched_by_what_it_reshares(api_as, alice, bob, carol):
    graph.follow(alice, bob)
    reshare = services.reshare(bob, services.publish_post(carol, "cats again"))
    client = api_as(alice)
    make_filter(client)
    status = client.get("/api/v1/timelines/home")[1][0]
    assert status["id"] == str(reshare.id)
    assert status["filtered"][0]["keyword_matches"] == ["cats"]
    assert status["reblog"]["filtered"][0]["keyword_matches"] == ["cats"]


def test_expired_filters_do_not_apply(api_as, alice, bob):
    graph.follow(alice, bob)
    services.publish_post(bob, "cats")
    client = api_as(alice)
    made = make_filter(client, action="hide")
    assert client.get("/api/v1/timelines/home")[1] == []
    Filter.objects.filter(id=made["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert len(client.get("/api/v1/timelines/home")[1]) == 1


def test_warn_and_hide_in_notifications(api_as, alice, bob, carol):
    post = services.publish_post(alice, "my post")
    services.add_comment(bob, post, "cats are great")
    services.add_comment(carol, post, "dogs are great")
    graph.follow(bob, alice)
    client = api_as(alice)
    made = make_filter(client, context=("notifications",))
    body = client.get("/api/v1/notifications")[1]
    assert [n["type"] for n in body] == ["follow", "mention", "mention"]
    assert body[2]["status"]["filtered"][0]["keyword_matches"] == ["cats"]
    assert body[1]["status"]["filtered"] == []
    client.put(f"/api/v2/filters/{made['id']}", {"filter_action": "hide"})
    body = client.get("/api/v1/notifications")[1]
    assert [(n["type"], n["account"]["id"]) for n in body] == [("follow", str(bob.id)), ("mention", str(carol.id))]


def test_filters_cost_a_fixed_number_of_queries(api_as, alice, bob):
    graph.follow(alice, bob)
    services.publish_post(bob, "cats")
    client = api_as(alice)
    made = make_filter(client)
    client.post(f"/api/v2/filters/{made['id']}/keywords", {"keyword": "dogs"})

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/api/v1/timelines/home")[0] == 200
        return len(captured.captured_queries)

    one = queries()
    for n in range(15):
        services.publish_post(bob, f"cats and dogs {n}")
    assert queries() == one


def test_account_and_thread_contexts(api_as, alice, bob):
    cats = services.publish_post(bob, "cats on a profile")
    plain = services.publish_post(bob, "nothing to see")
    comment = services.add_comment(bob, plain, "cats in a thread")
    client = api_as(alice)
    made = make_filter(client, action="hide", context=("account",))
    shown = [s["id"] for s in client.get(f"/api/v1/accounts/{bob.id}/statuses")[1]]
    assert str(cats.id) not in shown
    assert str(plain.id) in shown
    client.put(f"/api/v2/filters/{made['id']}", {"context": ["thread"], "filter_action": "warn"})
    assert str(cats.id) in [s["id"] for s in client.get(f"/api/v1/accounts/{bob.id}/statuses")[1]]
    context = client.get(f"/api/v1/statuses/{plain.id}/context")[1]
    assert [s["id"] for s in context["descendants"]] == [str(comment.id)]
    assert context["descendants"][0]["filtered"][0]["keyword_matches"] == ["cats"]
