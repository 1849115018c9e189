"""Sign-up, log-in/out, password change and reset, account deletion through the pages."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from kith.people.models import Account, AccountState, Person
from kith.social.models import Post
from tests.factories import PASSWORD
from tests.web.conftest import page, publish

pytestmark = pytest.mark.django_db(transaction=True)

SIGNUP = {"username": "dora", "email": "dora@example.test", "password": PASSWORD, "password2": PASSWORD}


def test_signup_creates_the_account_and_logs_in():
    client = Client()
    assert "Sign up" in page(client, "/signup")
    response = client.post("/signup", SIGNUP)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert Person.objects.get(username="dora", domain="").account.email == "dora@example.test"
    assert "Your stream" in page(client, "/")


def test_signup_refuses_different_passwords():
    response = Client().post("/signup", {**SIGNUP, "password2": "something else entirely"})
    assert response.status_code == 400
    assert "The two passwords differ." in response.content.decode()
    assert not Account.objects.filter(username="dora").exists()


def test_signup_shows_the_services_reason_with_its_status(alice):
    response = Client().post("/signup", {**SIGNUP, "username": "alice"})
    assert response.status_code == 409
    assert "That username is taken." in response.content.decode()


def test_signup_respects_closed_registrations(settings):
    settings.KITH_REGISTRATIONS_OPEN = False
    client = Client()
    assert client.get("/signup").status_code == 403
    assert client.post("/signup", SIGNUP).status_code == 403
    assert not Account.objects.filter(username="dora").exists()


@pytest.mark.parametrize("name", ["alice", "alice@example.test"])
def test_login_by_username_or_email(alice, name):
    client = Client()
    response = client.post("/login", {"username": name, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_login_with_a_wrong_password_fails(alice):
    client = Client()
    response = client.post("/login", {"username": "alice", "password": "wrong password"})
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert client.get("/")["Location"] == "/public"


def test_logout_is_a_post(as_alice):
    assert as_alice.get("/logout").status_code == 405
    assert as_alice.post("/logout").status_code == 302
    assert as_alice.get("/notifications").status_code == 302  # to the log-in page


def test_anonymous_visitors_are_sent_to_log_in_for_private_pages():
    client = Client()
    for url in ["/notifications", "/contacts", "/aspects", "/conversations", "/settings/profile", "/posts/new"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login?next="), url


def test_password_change(alice, as_alice):
    assert "Change your password" in page(as_alice, "/settings/password")
    new = "another long passphrase 42"
    wrong = as_alice.post("/settings/password", {"old_password": "nope", "new_password": new, "new_password2": new})
    assert wrong.status_code == 403
    assert "The current password is not right." in wrong.content.decode()
    response = as_alice.post("/settings/password", {"old_password": PASSWORD, "new_password": new, "new_password2": new})
    assert response.status_code == 302
    alice.account.refresh_from_db()
    assert alice.account.check_password(new)
    assert as_alice.get("/notifications").status_code == 200  # still logged in


def test_password_reset_by_email(alice):
    client = Client()
    assert client.post("/password-reset", {"email": "alice@example.test"}).status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/\s]+(/password-reset/\S+)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    new = "a fresh passphrase for alice"
    response = client.post(form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert response.status_code == 302
    alice.account.refresh_from_db()
    assert alice.account.check_password(new)


def test_account_deletion_needs_the_password(alice, as_alice):
    post = publish(as_alice, "soon gone", "public")
    assert "Delete your account" in page(as_alice, "/settings/delete")
    wrong = as_alice.post("/settings/delete", {"password": "nope", "confirm": "on"})
    assert wrong.status_code == 400
    assert Post.objects.filter(id=post.id).exists()

    response = as_alice.post("/settings/delete", {"password": PASSWORD, "confirm": "on"})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.state == AccountState.DELETED
    assert not Post.objects.filter(id=post.id).exists()
    assert as_alice.get("/notifications").status_code == 302  # logged out
    assert Client().get("/@alice").status_code == 404


# ---- answers that never tell whether an e-mail address has an account (issue 12) ---------------

CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')


def without_csrf(response) -> bytes:
    return CSRF.sub(b"", response.content)


def answer(url: str, data: dict):
    client = Client()
    first = client.post(url, data)
    return first, client.get(first["Location"]) if first.status_code == 302 else first


def test_signup_answers_the_same_for_a_taken_and_a_free_e_mail_address(settings, alice):
    settings.KITH_SIGNUP_CONFIRM_EMAIL = True
    taken, taken_page = answer("/signup", {**SIGNUP, "email": "alice@example.test"})
    free, free_page = answer("/signup", {**SIGNUP, "username": "dora2", "email": "dora@example.test"})
    assert taken.status_code == free.status_code == 302
    assert taken["Location"] == free["Location"]
    assert taken_page.status_code == free_page.status_code == 200
    assert without_csrf(taken_page) == without_csrf(free_page)
    assert "Check your e-mail" in free_page.content.decode()
    assert not Account.objects.filter(username__in=["dora", "dora2"]).exists()  # nothing before confirmation
    # The owner of the taken address is told, with a link to reset the password.
    to_alice = [message for message in mail.outbox if message.to == ["alice@example.test"]]
    assert len(to_alice) == 1
    assert "tried to sign up" in to_alice[0].body
    assert re.search(r"http://testserver/password-reset/\S+/\S+", to_alice[0].body)
    # Usernames are public in a federated network: a taken one may still be said.
    named = Client().post("/signup", {**SIGNUP, "username": "alice", "email": "new@example.test"})
    assert named.status_code == 409
    assert "That username is taken." in named.content.decode()


def test_signup_makes_the_account_when_the_link_in_the_e_mail_is_confirmed(settings):
    settings.KITH_SIGNUP_CONFIRM_EMAIL = True
    assert Client().post("/signup", SIGNUP)["Location"] == "/signup/sent"
    assert mail.outbox[0].to == ["dora@example.test"]
    link = re.search(r"http://testserver(/signup/confirm/\S+)", mail.outbox[0].body).group(1)
    client = Client()
    assert "Create my account" in page(client, link)  # opening the link alone makes nothing
    assert not Account.objects.filter(username="dora").exists()
    assert client.post(link)["Location"] == "/"
    assert Person.objects.get(username="dora", domain="").account.check_password(PASSWORD)
    assert "Your stream" in page(client, "/")
    assert Client().post(link).status_code == 404  # once only


def test_password_reset_answers_the_same_for_known_and_unknown_addresses(alice):
    known, known_page = answer("/password-reset", {"email": "alice@example.test"})
    unknown, unknown_page = answer("/password-reset", {"email": "nobody@example.test"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert without_csrf(known_page) == without_csrf(unknown_page)
    assert [message.to for message in mail.outbox] == [["alice@example.test"]]
    # Asked too often, both are refused alike for a while (KITH_EMAIL_REQUESTS_MAX, 3).
    for _ in range(2):
        answer("/password-reset", {"email": "alice@example.test"})
        answer("/password-reset", {"email": "nobody@example.test"})
    known = Client().post("/password-reset", {"email": "alice@example.test"})
    unknown = Client().post("/password-reset", {"email": "nobody@example.test"})
    assert known.status_code == unknown.status_code == 429
    assert "Too many attempts" in known.content.decode()
    assert without_csrf(known).replace(b"alice@", b"nobody@") == without_csrf(unknown)
