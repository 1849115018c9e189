"""WebFinger, NodeInfo, host-meta and actor documents, as Mastodon and others read them."""

from __future__ import annotations

import pytest
from django.conf import settings

from kith.people.services import delete_account, suspend_account

pytestmark = pytest.mark.django_db(transaction=True)
AP = "application/activity+json"


def test_webfinger_acct(client, alice):
    response = client.get("/.well-known/webfinger", {"resource": f"acct:alice@{settings.KITH_DOMAIN}"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/jrd+json")
    assert response["Access-Control-Allow-Origin"] == "*"
    document = response.json()
    assert document["subject"] == f"acct:alice@{settings.KITH_DOMAIN}"
    self_link = next(link for link in document["links"] if link["rel"] == "self")
    assert self_link == {"rel": "self", "type": AP, "href": f"{settings.KITH_URL}/users/alice"}
    profile = next(link for link in document["links"] if link["rel"] == "http://webfinger.net/rel/profile-page")
    assert profile["href"] == f"{settings.KITH_URL}/@alice"


def test_webfinger_by_actor_uri_and_case(client, alice):
    by_uri = client.get("/.well-known/webfinger", {"resource": f"{settings.KITH_URL}/users/alice"})
    by_case = client.get("/.well-known/webfinger", {"resource": f"acct:ALICE@{settings.KITH_DOMAIN.upper()}"})
    assert by_uri.json()["subject"] == by_case.json()["subject"] == f"acct:alice@{settings.KITH_DOMAIN}"


@pytest.mark.parametrize(
    "resource",
    ["acct:nobody@testserver", "acct:alice@other.example", "https://other.example/users/alice", "acct:", "acct:alice"],
)
def test_webfinger_unknown(client, alice, resource):
    assert client.get("/.well-known/webfinger", {"resource": resource}).status_code == 404


def test_webfinger_requires_resource(client):
    assert client.get("/.well-known/webfinger").status_code == 400


def test_webfinger_hides_suspended_and_deleted(client, alice, bob):
    suspend_account(bob.account, alice.account, "spam")
    delete_account(bob.account)
    for name in ("alice", "bob"):
        assert client.get("/.well-known/webfinger", {"resource": f"acct:{name}@testserver"}).status_code == 404


def test_host_meta_points_at_webfinger(client):
    response = client.get("/.well-known/host-meta")
    assert response["Content-Type"] == "application/xrd+xml"
    assert f"{settings.KITH_URL}/.well-known/webfinger?resource={{uri}}" in response.content.decode()


def test_nodeinfo(client, alice):
    links = client.get("/.well-known/nodeinfo").json()["links"]
    assert {link["rel"] for link in links} == {
        "http://nodeinfo.diaspora.software/ns/schema/2.0",
        "http://nodeinfo.diaspora.software/ns/schema/2.1",
    }
    for version in ("2.0", "2.1"):
        document = client.get(f"/nodeinfo/{version}").json()
        assert document["version"] == version
        assert document["software"]["name"] == "kith"
        assert document["protocols"] == ["activitypub"]
        assert document["usage"]["users"]["total"] >= 1
        assert isinstance(document["openRegistrations"], bool)


def test_actor_document(client, alice):
    response = client.get("/users/alice", HTTP_ACCEPT=AP)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(AP)
    actor = response.json()
    base = f"{settings.KITH_URL}/users/alice"
    assert actor["id"] == base
    assert actor["type"] == "Person"
    assert actor["inbox"] == f"{base}/inbox"
    assert actor["outbox"] == f"{base}/outbox"
    assert actor["followers"] == f"{base}/followers"
    assert actor["endpoints"]["sharedInbox"] == f"{settings.KITH_URL}/inbox"
    assert actor["manuallyApprovesFollowers"] is False
    assert actor["publicKey"]["id"] == f"{base}#main-key"
    assert actor["publicKey"]["owner"] == base
    assert actor["publicKey"]["publicKeyPem"].startswith("-----BEGIN PUBLIC KEY-----")
    assert "location" not in actor
    assert "birthday" not in actor


def test_deleted_actor_is_a_tombstone(client, alice):
    delete_account(alice.account)
    response = client.get("/users/alice", HTTP_ACCEPT=AP)
    assert response.status_code == 410
    assert response.json()["type"] == "Tombstone"


def test_instance_actor_fetchable_unsigned(client):
    actor = client.get("/actor", HTTP_ACCEPT=AP).json()
    assert actor["type"] == "Application"
    assert actor["id"] == f"{settings.KITH_URL}/actor"
    assert actor["publicKey"]["owner"] == actor["id"]
