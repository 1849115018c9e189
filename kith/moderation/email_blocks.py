"""Canonical e-mail blocks: sign-up refused for an address that canonicalises to a blocked one.

Canonical as Mastodon has it (app/helpers/email_helper.rb): lower case, and in the local part
the dots removed and anything from the first "+" dropped; the block keeps only the sha256 hex
of that, so the list does not hold the addresses themselves."""

from __future__ import annotations

import hashlib

from django.db import transaction

from kith.core.errors import Invalid, NotAllowed, NotFound
from kith.moderation import audit, permissions
from kith.moderation.models import CanonicalEmailBlock
from kith.people.models import Account

HASH_LENGTH = 64


def canonical_email(address: str) -> str:
    """'Jane.Doe+spam@Example.COM' -> 'janedoe@example.com' (Invalid if it is no address)."""
    if not isinstance(address, str) or "@" not in address or len(address) > 1000:
        raise Invalid("That is not an e-mail address.")
    local, domain = address.strip().lower().split("@", 1)
    local = local.replace(".", "").split("+", 1)[0]
    if not local or not domain:
        raise Invalid("That is not an e-mail address.")
    return f"{local}@{domain}"


def canonical_email_hash(address: str) -> str:
    return hashlib.sha256(canonical_email(address).encode()).hexdigest()


def _clean_hash(text: str) -> str:
    value = text.strip().lower() if isinstance(text, str) else ""
    if len(value) != HASH_LENGTH or any(char not in "0123456789abcdef" for char in value):
        raise Invalid("A canonical e-mail hash is 64 hexadecimal digits (sha256).")
    return value


def is_blocked(address: str) -> bool:
    try:
        digest = canonical_email_hash(address)
    except Invalid:
        return False
    return CanonicalEmailBlock.objects.filter(canonical_email_hash=digest).exists()


def matching(address: str) -> list[CanonicalEmailBlock]:
    """The blocks an address falls under (the "test" of the admin API and page)."""
    return list(CanonicalEmailBlock.objects.filter(canonical_email_hash=canonical_email_hash(address)))


def refuse_blocked_signup(email: str) -> None:
    """kith.people.hooks.signup_checks: refuse a sign-up with a blocked address."""
    if is_blocked(email):
        raise NotAllowed("Sign-up with this e-mail address is not possible on this pod.")


@transaction.atomic
def block_email(admin: Account | None, *, email: str = "", canonical_hash: str = "") -> CanonicalEmailBlock:
    """Block an address (given as an address, or as its canonical hash as the API allows)."""
    # Mastodon asks for "Manage Blocks": Kith's admins, as for domain policies.
    permissions.require_admin(admin)
    if bool(email) == bool(canonical_hash):
        raise Invalid("Give an e-mail address or a canonical e-mail hash.")
    digest = canonical_email_hash(email) if email else _clean_hash(canonical_hash)
    block, created = CanonicalEmailBlock.objects.get_or_create(
        canonical_email_hash=digest, defaults={"created_by": admin}
    )
    if created:
        audit.record("email_block.create", actor=admin, target=block, hash=digest)
    return block


@transaction.atomic
def unblock_email(admin: Account | None, block_id: int) -> None:
    # Mastodon asks for "Manage Blocks": Kith's admins, as for domain policies.
    permissions.require_admin(admin)
    block = CanonicalEmailBlock.objects.select_for_update().filter(id=block_id).first()
    if block is None:
        raise NotFound("Record not found")
    audit.record("email_block.delete", actor=admin, target=block, hash=block.canonical_email_hash)
    block.delete()
