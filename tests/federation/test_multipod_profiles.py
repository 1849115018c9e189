"""Two real pods: a person's avatar, header and profile tags reach the other pod, which serves
its own copies of the pictures (never the first pod's URLs) on its pages and in its API."""

from __future__ import annotations

import io
import re
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from PIL import Image

from tests.harness import Pod
from tests.harness.pod import wait_until

pytestmark = [pytest.mark.server, pytest.mark.xdist_group("multipod-profiles")]


@pytest.fixture(scope="module")
def pods(tmp_path_factory):
    pods = [Pod(name, tmp_path_factory.mktemp(f"pod-{name}"), host=host) for name, host in (("a", "127.0.0.5"), ("b", "127.0.0.6"))]
    try:
        with ThreadPoolExecutor(len(pods)) as pool:
            list(pool.map(Pod.start, pods))
        yield pods
    finally:
        for pod in pods:
            pod.destroy()


def _png(color: str, size=(600, 600)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


def _set_profile(session, *, tags: str, avatar: bytes | None = None, header: bytes | None = None) -> None:
    files = {}
    if avatar is not None:
        files["avatar"] = ("me.png", avatar, "image/png")
    if header is not None:
        files["header"] = ("top.png", header, "image/png")
    data = {"display_name": "Alice A", "bio": "", "tags": tags, "searchable": "on", "csrfmiddlewaretoken": session._csrf()}
    response = session.client.post(
        "/settings/profile", data=data, files=files, headers={"Referer": f"{session.pod.url}/settings/profile"}
    )
    assert response.status_code in (302, 303), response.text[:1000]


def _pictures_on(page: str, kind: str) -> list[str]:
    """The src of every avatar (or header) image on a page."""
    css = "avatar" if kind == "avatar" else "profile-header"
    return re.findall(rf'<img class="{css}" src="([^"]+)"', page)


def _color_of(pod: Pod, path: str) -> tuple[int, int, int]:
    response = httpx.get(f"{pod.url}{path}", timeout=10)
    assert response.status_code == 200, path
    assert response.headers["content-type"] == "image/png"
    return Image.open(io.BytesIO(response.content)).convert("RGB").getpixel((5, 5))


def test_avatar_header_and_tags_reach_the_other_pod_and_follow_changes(pods):
    a, b = pods
    alice, bob = a.signup("alice"), b.signup("bob")  # one request each, no `kith` process
    alice_handle = f"alice@{a.domain}"
    _set_profile(alice, tags="Gardening #cats", avatar=_png("red"), header=_png("navy", (1800, 600)))

    # Bob finds and follows alice: his pod fetches her actor and copies her pictures in its worker.
    bob.follow(alice_handle)
    profile_path = f"/@{alice_handle}"

    def avatars_at_b() -> list[str]:
        return _pictures_on(bob.get(profile_path), "avatar")

    wait_until(lambda: avatars_at_b(), message="alice's avatar on bob's pod")
    page = bob.get(profile_path)
    avatar_src, header_src = avatars_at_b()[0], _pictures_on(page, "header")[0]
    # Pod B's own URLs, served by pod B: nothing on its page points at pod A.
    assert avatar_src.startswith("/avatars/")
    assert header_src.startswith("/headers/")
    assert a.url not in page
    assert a.domain not in avatar_src + header_src
    assert _color_of(b, avatar_src) == (255, 0, 0)
    assert _color_of(b, header_src) == (0, 0, 128)
    assert Image.open(io.BytesIO(httpx.get(f"{b.url}{avatar_src}").content)).size == (400, 400)  # cleaned, scaled
    assert "#gardening" in page
    assert "#cats" in page

    # Wherever pod B shows alice beside a post, her avatar is there too.
    wait_until(lambda: "bob" in alice.get("/contacts"), message="bob's follow recorded at alice's pod")
    alice.publish("Alice says hello across pods")
    wait_until(lambda: "Alice says hello across pods" in bob.stream(), message="alice's post in bob's stream")
    assert avatar_src in _pictures_on(bob.stream(), "avatar")

    # The Mastodon API of pod B gives its copies.
    token = bob.bearer_token("read")
    account = httpx.get(f"{b.url}/api/v1/accounts/lookup", params={"acct": alice_handle},
                        headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
    assert account["avatar"] == f"{b.url}{avatar_src}"
    assert account["header"] == f"{b.url}{header_src}"

    # A new avatar travels as an Update of her profile: pod B copies the new one.
    _set_profile(alice, tags="gardening", avatar=_png("blue"))
    wait_until(lambda: avatars_at_b() and avatars_at_b()[0] != avatar_src, message="alice's new avatar on bob's pod")
    new_src = avatars_at_b()[0]
    assert _color_of(b, new_src) == (0, 0, 255)
    page = bob.get(profile_path)
    assert "#gardening" in page
    assert "#cats" not in page
    assert _pictures_on(page, "header") == [header_src]  # the header did not change: not copied again
