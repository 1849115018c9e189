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
