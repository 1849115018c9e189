"""The foundation's acceptance journey, against a real `kith serve` process over HTTP.

A person signs up through the web form, writes a post limited to an aspect, and
another local person in that aspect sees it in their stream while a third does not.
"""

from __future__ import annotations

import pytest

from tests.harness import Pod
from tests.harness.pod import PASSWORD

pytestmark = [pytest.mark.server, pytest.mark.xdist_group("real-server")]


@pytest.fixture(scope="module")
def pod(tmp_path_factory):
    pod = Pod("solo", tmp_path_factory.mktemp("pod-solo")).start()
    yield pod
    pod.destroy()


def test_sign_up_share_with_an_aspect_and_only_its_member_sees_it(pod):
    from tests.harness.pod import WebSession

    alice = WebSession(pod, "alice")
    signup = alice.post(
        "/signup", {"username": "alice", "email": "alice@example.test", "password": PASSWORD, "password2": PASSWORD}
    )
    assert signup.headers["location"] in ("/", f"{pod.url}/")
    assert "alice" in alice.stream()  # signed up and logged in

    pod.create_users("bob", "carol")  # one `kith` process for both
    friends = alice.create_aspect("Friends")
    alice.add_to_aspect(friends, "bob")
    post_id = alice.publish("Only for my friends: the secret is 42", audience=f"aspect:{friends}")

    bob, carol = pod.session("bob"), pod.session("carol")
    assert "the secret is 42" in bob.stream()
    assert bob.can_open_post(post_id)
    assert "the secret is 42" not in carol.stream()
    assert not carol.can_open_post(post_id)
    anonymous = WebSession(pod, "nobody")
    assert not anonymous.can_open_post(post_id)
    assert "the secret is 42" in alice.stream()
