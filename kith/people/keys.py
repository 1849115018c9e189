"""Key pairs for local persons (used to sign what the pod sends on their behalf)."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.db import IntegrityError, transaction

from kith.jobs import task
from kith.people.models import Person, PersonKey

KEY_SIZE = 2048


def generate_pem_pair() -> tuple[str, str]:
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
    private_pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    return public_pem, private_pem


def key_for(person: Person) -> PersonKey:
    """The person's key pair, made on first use (local persons only)."""
    if not person.is_local:
        raise ValueError("only local persons have private keys on this pod")
    existing = PersonKey.objects.filter(person_id=person.id).first()
    if existing:
        return existing
    public_pem, private_pem = generate_pem_pair()
    try:
        with transaction.atomic():
            return PersonKey.objects.create(person=person, public_key_pem=public_pem, private_key_pem=private_pem)
    except IntegrityError:  # made concurrently by another process: theirs wins
        return PersonKey.objects.get(person_id=person.id)


@task()
def generate_key_job(person_id: int) -> None:
    person = Person.objects.filter(id=person_id).first()
    if person is not None:
        key_for(person)
