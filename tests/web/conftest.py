"""Fixtures and helpers for the page tests: logged-in clients for the shared people."""

from __future__ import annotations

import pytest
from django.test import Client

from kith.people.models import Person
from kith.social.models import Post


def client_for(person: Person) -> Client:
    client = Client()
    client.force_login(person.account)
    return client


def publish(client: Client, text: str, *audience: str, **fields) -> Post:
    """Post through the page as the form does; fails the test unless it redirects to the new post."""
    response = client.post("/posts", {"text": text, "audience": list(audience), **fields})
    assert response.status_code == 302, response.content.decode()[:2000]
    return Post.objects.get(id=int(response["Location"].rsplit("/", 1)[1]))


def page(client: Client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, f"{url}: {response.status_code}"
    return response.content.decode()


@pytest.fixture
def as_alice(alice) -> Client:
    return client_for(alice)


@pytest.fixture
def as_bob(bob) -> Client:
    return client_for(bob)


@pytest.fixture
def as_carol(carol) -> Client:
    return client_for(carol)
