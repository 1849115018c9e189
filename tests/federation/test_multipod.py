"""Three real pods federating over HTTP on loopback, driven only through their public interfaces."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.harness import Pod
from tests.harness.pod import wait_until

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def pods(tmp_path_factory):
    pods = [Pod(name, tmp_path_factory.mktemp(f"pod-{name}"), host=host)
            for name, host in (("a", "127.0.0.2"), ("b", "127.0.0.3"), ("c", "127.0.0.4"))]
    try:
        with ThreadPoolExecutor(len(pods)) as pool:  # pods start independently; start them together
            list(pool.map(Pod.start, pods))
        yield pods
    finally:
        for pod in pods:
            pod.destroy()


@pytest.fixture(scope="module")
def people(pods):
    a, b, c = pods
    homes = {"alice": a, "dave": a, "bob": b, "carol": c}
    with ThreadPoolExecutor(len(homes)) as pool:
        handles = dict(zip(homes, pool.map(lambda item: item[1].create_user(item[0]), homes.items()), strict=True))
    sessions = {name: pod.session(name) for name, pod in homes.items()}
    return handles, sessions


def test_follow_and_public_post_reach_followers(people):
    handles, s = people
    s["alice"].follow(handles["bob"])
    s["carol"].follow(handles["bob"])
    wait_until(lambda: "alice" in s["bob"].get("/contacts") and "carol" in s["bob"].get("/contacts"),
               message="bob's pod to record both followers")
    s["bob"].publish("Hello fediverse from bob")
    wait_until(lambda: "Hello fediverse from bob" in s["alice"].stream(), message="bob's post in alice's stream")
    wait_until(lambda: "Hello fediverse from bob" in s["carol"].stream(), message="bob's post in carol's stream")
    assert "Hello fediverse from bob" not in s["dave"].stream()


def test_limited_post_reaches_exactly_its_aspect_members(people):
    handles, s = people
    close = s["bob"].create_aspect("Close")
    s["bob"].add_to_aspect(close, handles["alice"])
    post_id = s["bob"].publish("A secret only alice may read", audience=f"aspect:{close}")
    wait_until(lambda: "A secret only alice may read" in s["alice"].stream(), message="the limited post at alice's")
    # carol follows bob and dave shares alice's pod: neither sees it, anywhere.
    for name in ("carol", "dave"):
        assert "A secret only alice may read" not in s[name].stream()
        assert "A secret only alice may read" not in s[name].get("/public")
        assert "A secret only alice may read" not in s[name].get(f"/@{handles['bob']}")
    assert s["bob"].can_open_post(post_id)
