"""Brute-force protection of the log-in page and password reset (kith/people/throttle.py).

The clock is moved by hand (never real sleeps); every test runs against the database store
(the pod without Redis) and the cache store (the pod with Redis: the same code on the cache).
"""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client

from kith.people import throttle
from kith.people.models import LoginThrottle
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

WRONG = "not the password at all"
LOCKED = "Too many attempts"


class Clock:
    def __init__(self) -> None:
        self.now = 1_900_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(params=["database", "cache"])
def clock(request, monkeypatch, settings) -> Clock:
    settings.KITH_LOGIN_MAX_FAILURES = 5
    settings.KITH_LOGIN_MAX_FAILURES_PER_ADDRESS = 20
    settings.KITH_LOGIN_LOCKOUT = 60
    settings.KITH_LOGIN_LOCKOUT_MAX = 3600
    settings.KITH_EMAIL_REQUESTS_MAX = 3
    moved = Clock()
    monkeypatch.setattr(throttle, "clock", moved)
    if request.param == "cache":
        monkeypatch.setattr(throttle, "store", throttle.CacheStore)
    cache.clear()
    yield moved
    cache.clear()


def log_in(name: str, password: str, address: str = "198.51.100.7", client: Client | None = None):
    return (client or Client()).post("/login", {"username": name, "password": password}, REMOTE_ADDR=address)


def test_sixty_wrong_passwords_are_refused_after_the_threshold_and_the_right_one_too(clock, alice):
    answers = [log_in("alice", WRONG) for _ in range(60)]
    assert [answer.status_code for answer in answers[:4]] == [200] * 4
    assert all(LOCKED not in answer.content.decode() for answer in answers[:4])
    for answer in answers[4:]:
        assert answer.status_code == 429
        assert "try again in 60 seconds" in answer.content.decode()
        assert answer["Retry-After"] == "60"
    client = Client()
    right = log_in("alice", PASSWORD, client=client)
    assert right.status_code == 429
    assert "try again in 60 seconds" in right.content.decode()
    assert client.get("/")["Location"] == "/public"  # not logged in


def test_the_lockout_lapses_by_itself_and_grows_with_further_failures(clock, alice):
    for _ in range(5):
        log_in("alice", WRONG)
    clock.advance(30)
    assert "try again in 30 seconds" in log_in("alice", PASSWORD).content.decode()
    clock.advance(31)
    assert log_in("alice", WRONG).status_code == 429  # the 6th failure: locked again, twice as long
    clock.advance(119)
    assert log_in("alice", PASSWORD).status_code == 429
    clock.advance(2)
    client = Client()
    assert log_in("alice", PASSWORD, client=client).status_code == 302
    assert client.get("/").status_code == 200


def test_a_successful_log_in_resets_the_accounts_counter(clock, alice):
    for _ in range(4):
        log_in("alice", WRONG)
    assert log_in("alice", PASSWORD).status_code == 302
    for _ in range(4):
        assert log_in("alice", WRONG).status_code == 200
    assert log_in("alice", PASSWORD).status_code == 302


def test_one_address_is_locked_across_many_usernames(clock, alice):
    for number in range(20):
        answer = log_in(f"someone{number}", WRONG, address="203.0.113.9")
    assert answer.status_code == 429
    refused = log_in("alice", PASSWORD, address="203.0.113.9")
    assert refused.status_code == 429
    assert LOCKED in refused.content.decode()
    assert log_in("alice", PASSWORD, address="203.0.113.10").status_code == 302  # another address is not
    # IPv6 counts by /64: another address of the same network is locked as well.
    for number in range(20):
        log_in(f"other{number}", WRONG, address="2001:db8:1:2::5")
    assert log_in("alice", PASSWORD, address="2001:db8:1:2:ffff::1").status_code == 429
    assert log_in("alice", PASSWORD, address="2001:db8:1:3::1").status_code == 302


def test_the_owner_is_told_by_e_mail_once_per_lockout_series(clock, alice):
    for _ in range(30):
        log_in("alice", WRONG)
    clock.advance(61)
    log_in("alice", WRONG)  # a further lockout of the same series: no second e-mail
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.test"]
    assert "alice" in message.body
    assert "198.51.100.7" in message.body
    assert "http://testserver/password-reset" in message.body
    for _ in range(10):
        log_in("nobody_here", WRONG, address="198.51.100.8")  # no account: nobody to tell
    assert len(mail.outbox) == 1


def test_the_oauth_consent_pages_log_in_is_throttled_too(clock, alice):
    to_login = Client().get("/oauth/authorize?response_type=code&client_id=x&force_login=true")
    assert to_login.status_code == 302
    assert to_login["Location"].startswith("/login?next=")
    for _ in range(5):
        Client().post(to_login["Location"], {"username": "alice", "password": WRONG})
    refused = Client().post(to_login["Location"], {"username": "alice", "password": PASSWORD})
    assert refused.status_code == 429
    assert LOCKED in refused.content.decode()


def test_an_administrator_can_lift_a_lockout(clock, alice):
    for _ in range(5):
        log_in("alice@example.test", WRONG)
    assert log_in("alice@example.test", PASSWORD).status_code == 429
    throttle.lift("alice")
    assert log_in("alice@example.test", PASSWORD).status_code == 302
    for number in range(20):
        log_in(f"someone{number}", WRONG, address="203.0.113.77")
    assert log_in("alice", PASSWORD, address="203.0.113.77").status_code == 429
    throttle.lift_address("203.0.113.77")
    assert log_in("alice", PASSWORD, address="203.0.113.77").status_code == 302


def test_a_new_password_through_the_reset_link_lifts_the_lockout(clock, alice):
    for _ in range(5):
        log_in("alice", WRONG)
    mail.outbox.clear()
    Client().post("/password-reset", {"email": "alice@example.test"}, REMOTE_ADDR="198.51.100.20")
    link = re.search(r"https?://[^/\s]+(/password-reset/\S+)", mail.outbox[0].body).group(1)
    client = Client()
    form_page = client.get(link, follow=True)
    new = "a fresh passphrase for alice"
    client.post(form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert log_in("alice", new).status_code == 302


@pytest.mark.parametrize("email", ["alice@example.test", "nobody@example.test"])
def test_password_reset_requests_are_throttled_alike_for_known_and_unknown_addresses(clock, alice, email):
    answers = [
        Client().post("/password-reset", {"email": email}, REMOTE_ADDR=f"198.51.100.{number}") for number in range(4)
    ]
    assert [answer.status_code for answer in answers] == [302, 302, 302, 429]
    assert LOCKED in answers[3].content.decode()
    clock.advance(61)
    assert Client().post("/password-reset", {"email": email}).status_code == 302


def test_password_reset_requests_are_throttled_per_address(clock):
    answers = [
        Client().post("/password-reset", {"email": f"n{number}@example.test"}, REMOTE_ADDR="203.0.113.50")
        for number in range(21)
    ]
    assert answers[19].status_code == 302
    assert answers[20].status_code == 429


def test_the_stored_state_stays_bounded(clock, settings):
    if isinstance(throttle.store(), throttle.CacheStore):
        pytest.skip("the cache expires its own keys")
    for number in range(50):
        log_in(f"cycled{number}", WRONG, address=f"192.0.2.{number}")
    assert LoginThrottle.objects.count() == 100  # one row per name, one per address; hashed
    assert not LoginThrottle.objects.filter(key__contains="cycled").exists()
    clock.advance(throttle.FORGET_AFTER + 1)
    log_in("latecomer", WRONG)
    assert LoginThrottle.objects.count() == 2  # everything expired was pruned


def test_behind_a_reverse_proxy_on_this_machine_the_forwarded_address_is_counted(clock, alice):
    for number in range(20):
        Client().post("/login", {"username": f"someone{number}", "password": WRONG},
                      REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9")
    behind_proxy = {"REMOTE_ADDR": "127.0.0.1"}
    assert Client().post("/login", {"username": "alice", "password": PASSWORD},
                         HTTP_X_FORWARDED_FOR="203.0.113.9", **behind_proxy).status_code == 429
    # Another visitor through the same proxy is not locked out; a forged first entry changes nothing.
    assert Client().post("/login", {"username": "alice", "password": PASSWORD},
                         HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.1", **behind_proxy).status_code == 302
    # Not from loopback: the header is anyone's to write and is ignored.
    assert throttle.client_address({"REMOTE_ADDR": "192.0.2.1", "HTTP_X_FORWARDED_FOR": "10.0.0.1"}) == "192.0.2.1"
