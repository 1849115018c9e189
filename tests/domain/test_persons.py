"""Persons: handles, profiles (tags, bio, private fields) and key pairs."""

from __future__ import annotations

from datetime import date

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.conf import settings

from kith.core.errors import Invalid
from kith.graph import services as graph
from kith.people.keys import key_for
from kith.people.models import PersonKey
from kith.people.selectors import person_by_handle, split_handle
from kith.people.services import update_profile
from kith.visibility import can_see_private_profile
from tests import factories
from tests.domain.htmlcheck import assert_safe_html

pytestmark = pytest.mark.django_db(transaction=True)


# ---- handles -------------------------------------------------------------------------


def test_local_handle_is_name_at_this_pods_domain(alice):
    assert alice.handle == f"alice@{settings.KITH_DOMAIN}"
    assert alice.is_local


def test_remote_handle_is_name_at_their_domain():
    remote = factories.remote_person("zed", "other.example")
    assert remote.handle == "zed@other.example"
    assert not remote.is_local


@pytest.mark.parametrize(
    ("handle", "expected"),
    [
        ("alice", ("alice", "")),
        ("@alice", ("alice", "")),
        (f"alice@{settings.KITH_DOMAIN}", ("alice", "")),
        ("@zed@Other.Example", ("zed", "other.example")),
    ],
)
def test_handles_are_split_into_name_and_domain(handle, expected):
    assert split_handle(handle) == expected


def test_person_by_handle_finds_local_and_remote_people_in_any_case(alice):
    remote = factories.remote_person("zed", "other.example")
    assert person_by_handle("ALICE") == alice
    assert person_by_handle(f"@alice@{settings.KITH_DOMAIN}") == alice
    assert person_by_handle("zed@other.example") == remote
    assert person_by_handle("zed") is None  # no local zed


# ---- profile ---------------------------------------------------------------------------


def test_profile_update_changes_the_given_fields_only(alice):
    update_profile(alice, display_name="  Alice A.  ", location="Lyon", searchable=False, locked=True)
    alice.refresh_from_db()
    assert alice.display_name == "Alice A."
    assert alice.location == "Lyon"
    assert (alice.searchable, alice.locked) == (False, True)
    update_profile(alice, gender="f")
    alice.refresh_from_db()
    assert (alice.display_name, alice.location, alice.gender) == ("Alice A.", "Lyon", "f")


def test_profile_refuses_unknown_fields_and_overlong_text(alice):
    with pytest.raises(Invalid):
        update_profile(alice, favourite_colour="blue")
    with pytest.raises(Invalid):
        update_profile(alice, display_name="x" * 101)
    with pytest.raises(Invalid):
        update_profile(alice, birthday="1990-01-01")


def test_profile_keeps_up_to_five_tags_normalised_and_in_order(alice):
    update_profile(alice, tags=["#Cats", "dogs", "cats", "Hiking", "tea", "  books "])
    assert list(alice.profile_tags.values_list("name", flat=True)) == ["cats", "dogs", "hiking", "tea", "books"]


def test_profile_refuses_a_sixth_tag_and_keeps_the_old_ones(alice):
    update_profile(alice, tags=["one", "two"])
    with pytest.raises(Invalid):
        update_profile(alice, tags=["a", "b", "c", "d", "e", "f"])
    assert list(alice.profile_tags.values_list("name", flat=True)) == ["one", "two"]


def test_profile_tags_drop_things_that_are_not_tags(alice):
    update_profile(alice, tags=["ok", "not a tag", "semi;colon", ""])
    assert list(alice.profile_tags.values_list("name", flat=True)) == ["ok"]


def test_bio_is_rendered_from_markdown(alice):
    update_profile(alice, bio="I like **bold** things and #tea")
    alice.refresh_from_db()
    assert alice.bio_source == "I like **bold** things and #tea"
    assert "<strong>bold</strong>" in alice.bio_html
    assert 'class="hashtag"' in alice.bio_html


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[click](javascript:alert(1))",
        '<a href="https://x.example" onclick="alert(1)">x</a>',
        "<style>body{display:none}</style>",
        "<iframe src=https://evil.example></iframe>",
    ],
)
def test_bio_is_sanitised(alice, hostile):
    update_profile(alice, bio=hostile)
    alice.refresh_from_db()
    assert_safe_html(alice.bio_html)


def test_private_profile_fields_are_for_people_the_person_shares_with(alice, bob, carol):
    update_profile(alice, location="Lyon", birthday=date(1990, 5, 1), gender="f")
    factories.aspect(alice, "Friends", bob)
    graph.follow(carol, alice)  # following alice is not being shared with by her
    assert can_see_private_profile(alice, alice)
    assert can_see_private_profile(bob, alice)
    assert not can_see_private_profile(carol, alice)
    assert not can_see_private_profile(None, alice)


def test_private_profile_is_hidden_across_a_block(alice, bob):
    factories.aspect(alice, "Friends", bob)
    graph.block(bob, alice)
    assert not can_see_private_profile(bob, alice)


# ---- keys ----------------------------------------------------------------------------


def test_key_for_makes_an_rsa_pair_that_signs_and_verifies(alice):
    key = key_for(alice)
    private = serialization.load_pem_private_key(key.private_key_pem.encode(), password=None)
    public = serialization.load_pem_public_key(key.public_key_pem.encode())
    assert isinstance(private, rsa.RSAPrivateKey)
    assert private.key_size >= 2048
    signature = private.sign(b"hello", padding.PKCS1v15(), hashes.SHA256())
    public.verify(signature, b"hello", padding.PKCS1v15(), hashes.SHA256())  # raises if the pair mismatches


def test_key_for_is_idempotent(alice):
    first = key_for(alice)
    second = key_for(alice)
    assert first.pk == second.pk
    assert first.private_key_pem == second.private_key_pem
    assert PersonKey.objects.filter(person=alice).count() == 1


def test_each_local_person_gets_their_own_key(alice, bob):
    assert key_for(alice).public_key_pem != key_for(bob).public_key_pem


def test_key_for_refuses_remote_persons():
    remote = factories.remote_person("zed")
    with pytest.raises(ValueError):
        key_for(remote)
    assert not PersonKey.objects.exists()


def test_keys_are_pregenerated_at_sign_up_when_configured(settings):
    settings.KITH_PREGENERATE_KEYS = True
    person = factories.person("keyed")
    assert PersonKey.objects.filter(person=person).count() == 1


@pytest.mark.django_db
def test_a_remote_person_stored_at_the_same_moment_elsewhere_is_found_not_refused(monkeypatch):
    """On PostgreSQL an inbox applying someone's Follow and a person here following them can
    both meet them first: the slower insert hits the unique handle and must take the other row
    (it was a 500 on the follow page)."""
    from kith.people import remote
    from kith.people.models import Person

    stored_elsewhere = Person.objects.create(username="bob", domain="b.example")
    looked = []
    real = remote._locked_person

    def not_yet_committed_when_first_looked(username, domain):
        looked.append(username)
        return None if len(looked) == 1 else real(username, domain)

    monkeypatch.setattr(remote, "_locked_person", not_yet_committed_when_first_looked)
    assert remote.upsert_remote_person("Bob", "b.example").id == stored_elsewhere.id
    assert Person.objects.filter(domain="b.example").count() == 1
