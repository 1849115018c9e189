"""A domain suspension tells each local person what they lost: on the notifications page and as
Mastodon's `severed_relationships` notification (a RelationshipSeveranceEvent) in the API."""

from __future__ import annotations

import pytest

from kith.graph.models import Follow
from kith.moderation import domains
from tests import factories
from tests.api.conftest import ApiClient
from tests.web.conftest import client_for, page

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def suspended(alice):
    eve = factories.remote_person("eve", "bad.example")
    sam = factories.remote_person("sam", "bad.example")
    Follow.objects.create(follower=eve, followee=alice)
    Follow.objects.create(follower=sam, followee=alice)
    Follow.objects.create(follower=alice, followee=eve)
    domains.set_policy(None, "bad.example", severity="suspend")
    return alice


def test_the_notifications_page_says_what_was_lost(suspended):
    html = page(client_for(suspended), "/notifications")
    assert "suspended bad.example" in html
    assert "followers lost: 2; people you followed: 1" in html


def test_the_api_gives_a_relationship_severance_event(suspended):
    status, notes = ApiClient(suspended).get("/api/v1/notifications")
    assert status == 200
    (note,) = notes
    assert note["type"] == "severed_relationships"
    event = note["event"]
    assert event["type"] == "domain_block"
    assert event["target_name"] == "bad.example"
    assert (event["followers_count"], event["following_count"], event["purged"]) == (2, 1, True)
    status, only = ApiClient(suspended).get("/api/v1/notifications", {"types[]": ["severed_relationships"]})
    assert [n["id"] for n in only] == [note["id"]]
    status, others = ApiClient(suspended).get("/api/v1/notifications", {"exclude_types[]": ["severed_relationships"]})
    assert others == []
