"""A domain suspension across three real pods: A suspends B's domain (`kith moderation domain
suspend`).  Deliveries A->B stop, B->A are refused, B's content on A is purged, follows between
A and B are severed on A and A's people are told; C is unaffected."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.harness import Pod
from tests.harness.pod import wait_until

pytestmark = [pytest.mark.server, pytest.mark.xdist_group("multipod-domains")]


@pytest.fixture(scope="module")
def pods(tmp_path_factory):
    pods = [Pod(name, tmp_path_factory.mktemp(f"pod-{name}"), host=host)
            for name, host in (("da", "127.0.0.12"), ("db", "127.0.0.13"), ("dc", "127.0.0.14"))]
    try:
        with ThreadPoolExecutor(len(pods)) as pool:
            list(pool.map(Pod.start, pods))
        yield pods
    finally:
        for pod in pods:
            pod.destroy()


@pytest.fixture(scope="module")
def world(pods):
    """alice on A and bob on B follow each other; both follow carol on C and carol follows both;
    bob and carol have posted and A holds their posts.  Then A suspends B's domain."""
    a, b, c = pods
    homes = {"alice": a, "bob": b, "carol": c}
    s = {name: pod.signup(name) for name, pod in homes.items()}
    handles = {name: f"{name}@{pod.domain}" for name, pod in homes.items()}
    s["alice"].follow(handles["bob"])
    s["alice"].follow(handles["carol"])
    s["bob"].follow(handles["alice"])
    s["bob"].follow(handles["carol"])
    s["carol"].follow(handles["alice"])
    s["carol"].follow(handles["bob"])
    wait_until(lambda: "bob" in s["alice"].get("/contacts") and "carol" in s["alice"].get("/contacts"),
               message="alice's follows recorded")
    s["bob"].publish("Bob was here before the suspension")
    s["carol"].publish("Carol was here before the suspension")
    wait_until(lambda: "Bob was here before the suspension" in s["alice"].stream(), message="bob's post on A")
    wait_until(lambda: "Carol was here before the suspension" in s["alice"].stream(), message="carol's post on A")
    wait_until(lambda: _follows_on(a, b.domain) == 2, message="A's follows with B recorded both ways")
    done = a.kith("moderation", "domain", "suspend", b.host, "--reason", "raids", "--public-reason", "harassment")
    assert done.returncode == 0, done.stderr
    return s, handles


def _follows_on(pod: Pod, domain: str) -> int:
    """Follows on `pod` between its people and people of `domain` (either way)."""
    return pod.query(
        "SELECT COUNT(*) FROM graph_follow f JOIN people_person r ON r.id = f.follower_id "
        "JOIN people_person e ON e.id = f.followee_id WHERE r.domain = ? OR e.domain = ?",
        (domain, domain),
    )[0][0]


def _posts_on(pod: Pod, text: str) -> int:
    return pod.query("SELECT COUNT(*) FROM social_post WHERE html LIKE ?", (f"%{text}%",))[0][0]


def test_bs_content_on_a_is_purged_and_cs_kept(pods, world):
    a, b, _c = pods
    s, _handles = world
    wait_until(lambda: _posts_on(a, "Bob was here before the suspension") == 0, message="bob's post purged on A")
    assert "Bob was here before the suspension" not in s["alice"].stream()
    assert "Bob was here before the suspension" not in s["alice"].get("/public")
    assert "Carol was here before the suspension" in s["alice"].stream()
    [(state,)] = a.query("SELECT state FROM people_person WHERE username = 'bob' AND domain = ?", (b.domain,))
    assert state == "suspended"


def test_follows_with_b_are_severed_on_a_and_alice_is_told(pods, world):
    a, b, c = pods
    s, _handles = world
    wait_until(lambda: _follows_on(a, b.domain) == 0, message="follows with B severed on A")
    assert _follows_on(a, c.domain) == 2
    wait_until(lambda: f"suspended {b.host}" in s["alice"].get("/notifications"), message="alice told")
    assert "followers lost: 1; people you followed: 1" in s["alice"].get("/notifications")


def test_a_delivers_nothing_to_b_any_more(pods, world):
    a, b, _c = pods
    s, _handles = world
    s["alice"].publish("Alice after the suspension")
    wait_until(lambda: "Alice after the suspension" in s["carol"].stream(), message="alice's new post on C")
    # Queued to nobody on B (its follows are gone, and delivery refuses B's host anyway).
    assert a.query("SELECT COUNT(*) FROM federation_delivery WHERE host LIKE ? AND state = 'pending'",
                   (f"{b.host}%",))[0][0] == 0
    assert _posts_on(b, "Alice after the suspension") == 0
    assert "Alice after the suspension" not in s["bob"].stream()


def test_a_refuses_what_b_sends(pods, world):
    a, b, c = pods
    s, _handles = world
    s["bob"].publish("Bob after the suspension")
    wait_until(lambda: "Bob after the suspension" in s["carol"].stream(), message="bob's new post on C")
    # B still thinks alice follows bob: its delivery to A is answered 403.
    wait_until(lambda: b.query(
        "SELECT COUNT(*) FROM federation_delivery WHERE host LIKE ? AND last_status = 403", (f"{a.host}%",)
    )[0][0] > 0, message="A refusing B's deliveries")
    assert _posts_on(a, "Bob after the suspension") == 0
    assert "Bob after the suspension" not in s["alice"].stream()
    assert _posts_on(c, "Bob after the suspension") == 1
