"""Moderation across three real pods: a suspension on A takes alice's content back from B and C
(streams, threads, search, the client API) within 10 seconds, and an appeal granted brings it back."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.harness import Pod
from tests.harness.pod import HTTP, wait_until

pytestmark = [pytest.mark.server, pytest.mark.xdist_group("multipod")]

PUBLIC = "Alice says zanzibar to everyone"
LIMITED = "Alice whispers zanzibar to friends"
ON_BOB = "Alice answers bob zanzibar"
ON_CAROL = "Alice answers carol zanzibar"
ON_HER_OWN = "Alice adds to her own zanzibar"
RETRACTION_SECONDS = 10.0


@pytest.fixture(scope="module")
def pods(tmp_path_factory):
    pods = [Pod(name, tmp_path_factory.mktemp(f"pod-{name}"), host=host)
            for name, host in (("a", "127.0.0.2"), ("b", "127.0.0.3"), ("c", "127.0.0.4"))]
    try:
        with ThreadPoolExecutor(len(pods)) as pool:
            list(pool.map(Pod.start, pods))
        yield pods
    finally:
        for pod in pods:
            pod.destroy()


def _post_at(session, text, page="/"):
    wait_until(lambda: session.find_post(text, page) is not None, message=f"{text!r} at {session.pod.name}")
    return session.find_post(text, page)


def _api(pod, token, path):
    response = HTTP.get(f"{pod.url}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=20)
    assert response.status_code == 200, response.text[:500]
    return response.json()


def _alice_in_api(pod, token, alice_handle) -> bool:
    """Anything by alice in the reader's home timeline or in a search for her words (statuses,
    reshares of them, or her reshares of others)."""
    home = _api(pod, token, "/api/v1/timelines/home?limit=40")
    found = _api(pod, token, "/api/v2/search?q=zanzibar&type=statuses")["statuses"]
    for status in home + found:
        for item in (status, status.get("reblog") or {}):
            if item and item["account"]["acct"] == alice_handle:
                return True
    return False


def _suspend(pod: Pod) -> None:
    """The operator's command (`kith moderation suspend`), as staff's action form calls the same
    service (kith.moderation.actions.take_action)."""
    pod.kith("moderation", "suspend", "alice", "--reason", "spam")


def _appeal_granted(pod: Pod) -> None:
    """alice appeals (once, within the 30 days) and an admin grants it: the one way back."""
    pod.kith("user", "create", "ada", "--email", "ada@example.test", "--password", "a long passphrase", "--admin")
    pod.kith("manage", "shell", "--verbosity", "0", "-c", (
        "from kith.moderation.actions import decide_appeal, file_appeal\n"
        "from kith.moderation.models import AccountAction\n"
        "from kith.people.models import Account\n"
        "action = AccountAction.objects.get(target__username='alice', kind='suspend', ended_at=None)\n"
        "appeal = file_appeal(action.target, action, 'That was not spam.')\n"
        "decide_appeal(Account.objects.get(username='ada'), appeal, approve=True)\n"
    ))


def test_a_suspension_retracts_everything_from_every_pod_and_lifting_it_restores_it(pods):
    a, b, c = pods
    s = {"alice": a.signup("alice"), "bob": b.signup("bob"), "carol": c.signup("carol")}
    handles = {"alice": f"alice@{a.domain}", "bob": f"bob@{b.domain}", "carol": f"carol@{c.domain}"}
    for reader in ("bob", "carol"):
        s[reader].follow(handles["alice"])
        s["alice"].follow(handles[reader])
    wait_until(lambda: "bob" in s["alice"].get("/contacts") and "carol" in s["alice"].get("/contacts"),
               message="alice's pod to record both followers")
    s["bob"].publish("Bob opens a thread")
    s["carol"].publish("Carol opens a thread")
    bobs = {"alice": _post_at(s["alice"], "Bob opens a thread"), "bob": _post_at(s["bob"], "Bob opens a thread")}
    carols = {"alice": _post_at(s["alice"], "Carol opens a thread"), "carol": _post_at(s["carol"], "Carol opens a thread")}

    friends = s["alice"].create_aspect("Friends")
    s["alice"].add_to_aspect(friends, handles["bob"])
    s["alice"].add_to_aspect(friends, handles["carol"])
    own = s["alice"].publish(PUBLIC)
    for reader in ("bob", "carol"):  # a reply that overtakes its post is dropped there (not what this tests)
        _post_at(s[reader], PUBLIC)
    s["alice"].comment(own, ON_HER_OWN)
    s["alice"].publish(LIMITED, audience=f"aspect:{friends}")
    s["alice"].comment(bobs["alice"], ON_BOB)
    s["alice"].comment(carols["alice"], ON_CAROL)
    s["alice"].act(bobs["alice"], "like")
    s["alice"].act(carols["alice"], "reshare")
    tokens = {"bob": s["bob"].bearer_token("read"), "carol": s["carol"].bearer_token("read")}
    readers = {"bob": (b, bobs["bob"], ON_BOB), "carol": (c, carols["carol"], ON_CAROL)}

    def everything_at(name: str) -> dict[str, bool]:
        pod, thread, comment = readers[name]
        stream, page = s[name].stream(), s[name].get(f"/posts/{thread}")
        # Her post is a new one on each pod after a restore (its id there changes): found each time;
        # the retraction may remove it between finding it and opening it (then it is gone).
        own = s[name].find_post(PUBLIC)
        opened = s[name].client.get(f"/posts/{own}") if own is not None else None
        own_thread = opened.text if opened is not None and opened.status_code == 200 else ""
        return {
            "public post in the stream": PUBLIC in stream,
            "limited post in the stream": LIMITED in stream,
            "comment in the thread": comment in page,
            "comment in her own thread": ON_HER_OWN in own_thread,
            "in search": PUBLIC in s[name].get("/search?q=zanzibar"),
            "in the API": _alice_in_api(pod, tokens[name], handles["alice"]),
            **({"like on the thread": "1 like" in page} if name == "bob" else {}),
            **({"reshare in the stream": 'class="reshared-by"' in stream} if name == "carol" else {}),
        }

    for name in readers:
        wait_until(lambda name=name: all(everything_at(name).values()), timeout=90,
                   message=f"all of alice's content at {name}'s pod: {everything_at(name)}")

    _suspend(a)
    acted = time.monotonic()
    for name in readers:
        wait_until(lambda name=name: not any(everything_at(name).values()), timeout=60,
                   message=f"alice's content gone from {name}'s pod: {everything_at(name)}")
    seconds = time.monotonic() - acted
    print(f"\nsuspension on A retracted from B and C in {seconds:.1f} s")  # noqa: T201 - the figure the issue asks for
    assert seconds < RETRACTION_SECONDS, f"took {seconds:.1f} s"
    assert HTTP.get(f"{a.url}/users/alice", headers={"Accept": "application/activity+json"}).status_code == 410
    # Kept on A for the 30 days an appeal may take (nobody there sees it meanwhile).
    kept = a.query("SELECT COUNT(*) FROM social_post p JOIN people_person a ON a.id = p.author_id WHERE a.username = 'alice'")
    assert kept[0][0] == 3

    _appeal_granted(a)
    lifted = time.monotonic()
    for name in readers:
        wait_until(lambda name=name: all(everything_at(name).values()), timeout=60,
                   message=f"alice's content back at {name}'s pod: {everything_at(name)}")
    print(f"lifting it re-delivered to B and C in {time.monotonic() - lifted:.1f} s")  # noqa: T201 - measured, as above
    assert HTTP.get(f"{a.url}/users/alice", headers={"Accept": "application/activity+json"}).status_code == 200
    assert PUBLIC in s["alice"].login().get("/@alice")
