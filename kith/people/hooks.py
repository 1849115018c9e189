"""Checks that packages above people register with it (people may not import them).

kith.moderation registers into these from its AppConfig.ready: the canonical e-mail blocks
into `signup_checks`, the silenced domains into `new_remote_person_limited`."""

from __future__ import annotations

from collections.abc import Callable

# Each is called with a sign-up's e-mail address (already normalised) and raises a
# kith.core.errors.DomainError (NotAllowed) to refuse it: web and API sign-up and `kith user create`.
signup_checks: list[Callable[[str], None]] = []

# Each is asked, when a remote person is first seen, whether a person of that domain
# (host[:port]) starts out limited (a silenced domain).
new_remote_person_limited: list[Callable[[str], bool]] = []


def check_signup_email(email: str) -> None:
    for check in signup_checks:
        check(email)


def starts_limited(domain: str) -> bool:
    return any(check(domain) for check in new_remote_person_limited)
