"""`kith moderation warn|limit|freeze|suspend|unlimit|unfreeze|unsuspend HANDLE`, run as real
processes against one pod on disk (one pod for all the commands: each start costs seconds)."""

from __future__ import annotations

import pytest

from kith import cli_moderation
from kith.cli import Refused

server = pytest.mark.server


def _state(pod, username: str, domain: str = "") -> tuple:
    [row] = pod.query(
        "SELECT p.state, p.limited, a.state FROM people_person p LEFT JOIN people_account a ON a.id = p.account_id "
        "WHERE p.username = ? AND p.domain = ?", (username, domain),
    )
    return row[0], bool(row[1]), row[2]


def _actions(pod) -> list[tuple]:
    return pod.query("SELECT kind, reason, expires_at IS NOT NULL, ended_reason FROM moderation_accountaction ORDER BY id")


@server
def test_account_commands_against_a_pod(make_pod):
    pod = make_pod()
    for name in ("alice", "bob"):
        done = pod.kith("user", "create", name, "--email", f"{name}@example.test", "--password", "a long passphrase")
        assert done.returncode == 0, done.stderr
    pod.script("from kith.people.remote import upsert_remote_person\nupsert_remote_person('troll', 'bad.example')")

    warned = pod.kith("moderation", "warn", "alice", "--reason", "be nice")
    assert warned.returncode == 0, warned.stderr
    assert "warn: alice@" in warned.stdout
    [(kind, text)] = pod.query("SELECT kind, data FROM timelines_notification WHERE kind = 'moderation_warning'")
    assert kind == "moderation_warning"

    limited = pod.kith("moderation", "limit", "troll@bad.example", "--reason", "spam", "--expires", "7d")
    assert limited.returncode == 0, limited.stderr
    assert "until" in limited.stdout
    assert _state(pod, "troll", "bad.example")[1] is True
    assert pod.kith("moderation", "unlimit", "troll@bad.example").returncode == 0
    assert _state(pod, "troll", "bad.example")[1] is False

    assert pod.kith("moderation", "freeze", "bob", "--reason", "hacked").returncode == 0
    assert _state(pod, "bob")[2] == "frozen"
    assert pod.kith("moderation", "unfreeze", "bob").returncode == 0
    assert _state(pod, "bob")[2] == "active"

    suspended = pod.kith("moderation", "suspend", "alice", "--reason", "R")
    assert suspended.returncode == 0, suspended.stderr
    assert _state(pod, "alice") == ("suspended", False, "suspended")
    again = pod.kith("moderation", "suspend", "alice", "--reason", "R")
    assert again.returncode == 2
    assert "in force on this account already" in again.stderr
    assert pod.kith("moderation", "unsuspend", "alice").returncode == 0
    assert _state(pod, "alice") == ("active", False, "active")

    assert pod.kith("moderation", "suspend", "troll@bad.example", "--reason", "spam farm").returncode == 0
    assert _state(pod, "troll", "bad.example")[0] == "suspended"

    assert _actions(pod) == [
        ("warn", "be nice", 0, ""), ("limit", "spam", 1, "lifted"), ("freeze", "hacked", 0, "lifted"),
        ("suspend", "R", 0, "lifted"), ("suspend", "spam farm", 0, ""),
    ]
    # The audit log names no account: the operator at the command line acts as the pod.
    assert pod.query("SELECT COUNT(*) FROM moderation_auditlogentry WHERE action = 'account_action.suspend' "
                     "AND actor_id IS NULL")[0][0] == 2

    unknown = pod.kith("moderation", "suspend", "nobody", "--reason", "R")
    assert unknown.returncode == 2
    assert "no account 'nobody'" in unknown.stderr
    assert "Traceback" not in unknown.stderr
    far = pod.kith("moderation", "limit", "who@never.example")
    assert far.returncode == 2
    assert "known to this pod" in far.stderr
    remote_freeze = pod.kith("moderation", "freeze", "troll@bad.example")
    assert remote_freeze.returncode == 2
    assert "Only an account of this pod" in remote_freeze.stderr
    bad_duration = pod.kith("moderation", "limit", "bob", "--expires", "soon")
    assert bad_duration.returncode == 2
    assert "--expires" in bad_duration.stderr


@pytest.mark.parametrize(("text", "seconds"), [("30m", 1800), ("12h", 43200), ("7d", 604800), ("2w", 1209600),
                                               ("45s", 45)])
def test_durations(text, seconds):
    assert cli_moderation.parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "7", "d", "0d", "-1d", "7y", "1.5h"])
def test_bad_durations_are_refused(text):
    with pytest.raises(Refused):
        cli_moderation.parse_duration(text)
