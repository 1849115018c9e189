"""Malformed hosts on the pages (issue 12) and user domain blocks however the host is written."""

from __future__ import annotations

import pytest
from django.utils import timezone

from kith.federation.activitypub import actors
from kith.federation.activitypub.models import RemoteActor
from kith.graph import services as graph
from kith.graph.models import DomainBlock
from kith.people.remote import upsert_remote_person

pytestmark = pytest.mark.django_db(transaction=True)

HOSTS = ["127.000.003.002", "0x7f.1", "[::1", "xn--", "\u2603.example", "a..b", "1.2.3.4:99999", "[fe80::1%25eth0]"]


@pytest.mark.parametrize("host", HOSTS)
def test_search_and_person_pages_with_a_malformed_host_are_not_a_500(as_alice, settings, host):
    """`https://127.000.003.002/...` in search with resolve made httpx raise: a 500."""
    settings.KITH_ALLOW_PRIVATE_FEDERATION = True
    for query in (f"https://{host}/users/bob", f"bob@{host}", f"@bob@{host}"):
        assert as_alice.get("/search", {"q": query}).status_code == 200, query
    assert as_alice.get(f"/@bob@{host}").status_code == 404


def _remote_poster(actor_id: str):
    person = upsert_remote_person("zed", actors.domain_of(actor_id))
    RemoteActor.objects.create(person=person, uri=actor_id, inbox=f"{actor_id}/inbox", key_id=f"{actor_id}#k",
                               public_key_pem="unused", fetched_at=timezone.now())
    return person


@pytest.mark.parametrize(("actor_id", "blocked"), [
    ("https://Far.Example./users/zed", "far.example"),  # the actor's id with a trailing dot and capitals
    ("https://far.example/users/zed", "FAR.example."),  # the block written with them
    ("https://xn--bcher-kva.example/users/zed", "bücher.example"),  # the block written in Unicode
    ("https://xn--bcher-kva.example/users/zed", "https://BÜCHER.example./@zed"),
])
def test_a_domain_block_matches_however_the_host_is_written(alice, actor_id, blocked):
    """Before, a block of 'FAR.example.' or 'bücher.example' could miss (Person.domain kept the
    actor id's spelling: a trailing dot); visibility and the selectors compare Person.domain with
    DomainBlock.domain as strings, so both go through the one host normaliser."""
    zed = _remote_poster(actor_id)
    graph.block_domain(alice, blocked)
    assert DomainBlock.objects.filter(person=alice, domain=zed.domain).exists()
