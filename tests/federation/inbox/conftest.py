"""The hostile-inbox modules' fixtures: two misbehaving remote servers on loopback (tests/federation/peers.py),
local people with keys, and remote actors on those servers."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from kith.federation.models import InstanceKey
from kith.people.models import Person, PersonKey
from tests import factories
from tests.federation.inbox.support import OTHER_ADDRESS, PEER_ADDRESS
from tests.federation.peers import FakePeer, key_pair

# ---- fixtures ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def _servers():
    peer, other = FakePeer.start(PEER_ADDRESS), FakePeer.start(OTHER_ADDRESS)
    yield peer, other
    peer.close()
    other.close()


@pytest.fixture
def peers(_servers, settings):
    settings.KITH_ALLOW_PRIVATE_FEDERATION = True
    for server in _servers:
        server.reset()
    cache.clear()  # the key-refetch throttle lives there
    # Keys from the session pool: generating 2048-bit keys per test would dominate the run time.
    public, private = key_pair(5)
    InstanceKey.objects.create(id=1, public_key_pem=public, private_key_pem=private)
    return _servers


@pytest.fixture
def peer(peers):
    return peers[0]


@pytest.fixture
def other(peers):
    return peers[1]


def _local(username: str, key_index: int) -> Person:
    person = factories.person(username)
    public, private = key_pair(key_index)
    PersonKey.objects.create(person=person, public_key_pem=public, private_key_pem=private)
    return person


@pytest.fixture
def alice(peers):
    return _local("alice", 6)


@pytest.fixture
def carol(peers):
    return _local("carol", 7)


@pytest.fixture
def bob(peer):
    return peer.actor("bob", key_index=0)


@pytest.fixture
def eve(peer):
    """bob's neighbour on the same server, trying to act on bob's things."""
    return peer.actor("eve", key_index=1)


@pytest.fixture
def mallory(other):
    """Someone on another server entirely."""
    return other.actor("mallory", key_index=2)
