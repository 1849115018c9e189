"""The search page: people, tags and posts, as the viewer may see them."""

from __future__ import annotations

import pytest
from django.test import Client

from kith.people.services import update_profile
from kith.social import services
from tests.web.conftest import page

pytestmark = pytest.mark.django_db(transaction=True)


def test_search_finds_people_tags_and_posts(alice, bob, as_bob):
    update_profile(alice, display_name="Alice Wonder")
    services.publish_post(alice, "Gardening notes #gardening")
    html = page(as_bob, "/search?q=gardening")
    assert 'href="/tags/gardening"' in html
    assert "Gardening notes" in html
    people = page(as_bob, "/search?q=wonder")
    assert "Alice Wonder" in people
    assert "Search" in page(Client(), "/search")


def test_search_load_more_keeps_the_query(alice, as_alice):
    for number in range(21):
        services.publish_post(alice, f"findme {number}")
    html = page(as_alice, "/search?q=findme")
    assert 'href="?q=findme&amp;max_id=' in html
