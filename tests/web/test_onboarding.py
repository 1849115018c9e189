"""The first hour of a new account in the pages (issue 11, point 6): the four starting aspects,
in the language the sign-up page was shown in, renameable and removable; a hint on the empty
stream, the contacts page and the search page that people elsewhere are found by name@pod."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client

from kith.graph.models import Aspect
from kith.graph.services import follow
from kith.people.models import Person
from kith.social import services
from tests.factories import PASSWORD
from tests.web.conftest import page

pytestmark = pytest.mark.django_db(transaction=True)

SIGNUP = {"username": "dora", "email": "dora@example.test", "password": PASSWORD, "password2": PASSWORD}
HINT = "Finding people on other pods"


def sign_up(**headers) -> tuple[Client, Person]:
    client = Client(**headers)
    assert client.post("/signup", SIGNUP)["Location"] == "/"
    return client, Person.objects.get(username="dora", domain="")


def names(person: Person) -> list[str]:
    return list(Aspect.objects.filter(owner=person).order_by("position", "id").values_list("name", flat=True))


def test_sign_up_starts_with_four_aspects_shown_on_the_aspects_page():
    client, dora = sign_up()
    assert names(dora) == ["Family", "Friends", "Work", "Acquaintances"]
    html = page(client, "/aspects")
    assert re.findall(r'<h2 id="aspect-\d+">([^<]+)</h2>', html) == ["Family", "Friends", "Work", "Acquaintances"]
    assert "You have no aspects yet." not in html


def test_signing_up_in_german_names_them_in_german():
    client, dora = sign_up(HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")
    assert names(dora) == ["Familie", "Freunde", "Arbeit", "Bekannte"]
    assert "Familie" in page(client, "/aspects")


def test_starting_aspects_are_renamed_and_removed_in_the_page():
    client, dora = sign_up()
    family, friends, work, acquaintances = Aspect.objects.filter(owner=dora).order_by("position")
    assert client.post(f"/aspects/{family.id}/rename", {"name": "Kin"})["Location"] == "/aspects"
    assert client.post(f"/aspects/{acquaintances.id}/delete")["Location"] == "/aspects"
    html = page(client, "/aspects")
    assert re.findall(r'<h2 id="aspect-\d+">([^<]+)</h2>', html) == ["Kin", "Friends", "Work"]
    # and the compose box offers what is left
    compose = page(client, "/")
    assert "Kin" in compose
    assert "Acquaintances" not in compose


def test_the_empty_stream_says_how_to_find_people_on_other_pods(alice, bob):
    client = Client()
    client.force_login(alice.account)
    html = page(client, "/")
    assert HINT in html
    assert f"alice@{settings.KITH_DOMAIN}" in html  # the example is this pod's own address form
    assert 'action="/search"' in html.split(HINT)[1]
    follow(alice, bob)
    services.publish_post(bob, "something to read")
    assert HINT not in page(client, "/")


def test_the_contacts_page_says_it_until_one_follows_someone(alice, bob):
    client = Client()
    client.force_login(alice.account)
    html = page(client, "/contacts")
    assert HINT in html
    assert f"alice@{settings.KITH_DOMAIN}" in html
    follow(alice, bob)
    assert HINT not in page(client, "/contacts")


def test_the_search_page_says_it_before_a_search_and_when_a_name_finds_nobody(alice):
    client = Client()
    client.force_login(alice.account)
    assert HINT in page(client, "/search")
    nobody = page(client, "/search?q=zelda")
    assert "Nobody found." in nobody
    assert HINT in nobody
    assert HINT not in page(client, "/search?q=alice")  # found someone
    assert HINT not in Client().get("/search").content.decode()  # visitors cannot look people up elsewhere
