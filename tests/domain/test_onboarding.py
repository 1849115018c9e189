"""A new account's first hour, in the domain: the four starting aspects (issue 11, point 6)."""

from __future__ import annotations

import pytest

from kith.core.errors import Conflict
from kith.graph import selectors as graph_selectors
from kith.graph import services as graph
from kith.people.services import create_local_account
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = factories.PASSWORD


def aspect_names(person) -> list[str]:
    return list(graph_selectors.aspects_of(person).values_list("name", flat=True))


def test_an_account_asked_for_them_starts_with_diasporas_four_aspects_in_order():
    account = create_local_account("ana", "ana@example.test", PASSWORD, default_aspects=True)
    assert aspect_names(account.person) == ["Family", "Friends", "Work", "Acquaintances"]


@pytest.mark.parametrize("language", ["de", "de-AT", "de-de"])
def test_they_are_named_in_the_accounts_language_when_the_pod_has_it(language):
    account = create_local_account("ben", "ben@example.test", PASSWORD, default_aspects=True, language=language)
    assert aspect_names(account.person) == ["Familie", "Freunde", "Arbeit", "Bekannte"]


@pytest.mark.parametrize("language", ["fr", "xx", "", None])
def test_a_language_the_pod_lacks_gives_the_pods_own(language):
    account = create_local_account("cleo", "cleo@example.test", PASSWORD, default_aspects=True, language=language)
    assert aspect_names(account.person) == ["Family", "Friends", "Work", "Acquaintances"]


def test_accounts_built_without_asking_have_none():
    assert aspect_names(create_local_account("dan", "dan@example.test", PASSWORD).person) == []


def test_starting_aspects_are_ordinary_aspects_renamed_removed_and_not_made_twice(bob):
    person = create_local_account("eve", "eve@example.test", PASSWORD, default_aspects=True).person
    family, friends, work, acquaintances = graph_selectors.aspects_of(person)
    graph.add_to_aspect(person, work, bob)
    graph.rename_aspect(person, family, "Kin")
    graph.delete_aspect(person, acquaintances)
    with pytest.raises(Conflict):
        graph.create_aspect(person, "Friends")
    assert aspect_names(person) == ["Kin", "Friends", "Work"]
    # Asked again (nothing does, but a retried sign-up step must not duplicate or fail): only
    # the missing ones come back, after the others.
    graph.create_default_aspects(person)
    assert aspect_names(person) == ["Kin", "Friends", "Work", "Family", "Acquaintances"]
    assert [p.username for p in graph_selectors.contacts(person, work)] == ["bob"]
