"""The `toot` command-line client logs in to a running pod, posts, follows and reads.

toot is run as a subprocess with its configuration in a temporary home, against a
real `kith serve` process (password grant enabled, as toot's `login_cli` needs).  toot
sends JSON bodies where Mastodon.py sends forms, follows by searching
`/api/v2/search?resolve=true` for an exact `acct`, and keys its saved login on the
instance's `uri`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.api.richdata import png_bytes
from tests.harness import Pod
from tests.harness.pod import PASSWORD, wait_until

pytestmark = [pytest.mark.server, pytest.mark.xdist_group("toot")]

TOOT = str(Path(sys.executable).with_name("toot"))


@pytest.fixture(scope="module")
def pod(tmp_path_factory):
    pod = Pod("toot", tmp_path_factory.mktemp("pod-toot"), host="127.0.0.7", KITH_API_ALLOW_PASSWORD_GRANT="true")
    try:
        pod.start()
        pod.create_users("alice", "bob")  # one `kith` process for both
        yield pod
    finally:
        pod.destroy()


class Toot:
    """One person's toot, with its own configuration directory."""

    def __init__(self, home: Path) -> None:
        home.mkdir(parents=True, exist_ok=True)
        self.env = {key: value for key, value in os.environ.items() if not key.startswith(("XDG_", "TOOT_"))}
        self.env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), NO_COLOR="1", COLUMNS="120",
                        TERM="dumb")

    def __call__(self, *args: str) -> str:
        done = subprocess.run([TOOT, *args], env=self.env, capture_output=True, text=True, timeout=60,
                              stdin=subprocess.DEVNULL)
        assert done.returncode == 0, f"toot {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def json(self, *args: str):
        # toot may say "Waiting for media to finish processing..." before the JSON line.
        return json.loads(self(*args, "--json").strip().splitlines()[-1])


def test_toot_logs_in_posts_follows_and_reads_its_timeline(pod, tmp_path):
    alice, bob = Toot(tmp_path / "alice"), Toot(tmp_path / "bob")
    for person, name in ((alice, "alice"), (bob, "bob")):
        said = person("login_cli", "--instance", pod.url, "--email", pod.email(name), "--password", PASSWORD)
        assert "Successfully logged in" in said, said
        assert person("whoami").splitlines()[0].strip().endswith(f"@{name}")
        config = json.loads((Path(person.env["XDG_CONFIG_HOME"]) / "toot" / "config.json").read_text())
        assert config["active_user"] == f"{name}@{pod.domain}"

    # bob follows alice the way toot does: an exact-acct search, then follow.
    followed = bob.json("follow", "alice")
    assert followed["following"] is True

    picture = tmp_path / "red.png"
    picture.write_bytes(png_bytes((40, 30)))
    posted = alice.json("post", "Hello from toot #tootkith", "--media", str(picture),
                        "--description", "a red rectangle", "--spoiler-text", "greetings")
    assert posted["spoiler_text"] == "greetings"
    assert [m["description"] for m in posted["media_attachments"]] == ["a red rectangle"]
    assert [t["name"] for t in posted["tags"]] == ["tootkith"]

    wait_until(lambda: posted["id"] in [s["id"] for s in bob.json("timelines", "home")],
               message="alice's post in bob's home timeline")

    answer = bob.json("post", "bob answers", "--reply-to", posted["id"])
    assert answer["in_reply_to_id"] == posted["id"]
    thread = alice.json("thread", posted["id"])
    assert [s["id"] for s in thread["descendants"]] == [answer["id"]]
    assert "bob answers" in alice("thread", posted["id"])
    # The classic text timeline renders the post.
    shown = bob("timeline", "--once", "--count", "5")
    assert "Hello from toot" in shown
    assert "@alice" in shown
    assert "#tootkith" in alice("timeline", "--tag", "tootkith", "--once")
