"""The instance key pair, made on first use."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from kith.federation.models import InstanceKey
from kith.people.keys import generate_pem_pair


def instance_key() -> InstanceKey:
    existing = InstanceKey.objects.filter(id=1).first()
    if existing:
        return existing
    public_pem, private_pem = generate_pem_pair()
    try:
        with transaction.atomic():
            return InstanceKey.objects.create(id=1, public_key_pem=public_pem, private_key_pem=private_pem)
    except IntegrityError:
        return InstanceKey.objects.get(id=1)
