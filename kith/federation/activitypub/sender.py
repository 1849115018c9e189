"""How one ActivityPub delivery is signed and sent: the sender this adapter registers with the
protocol-neutral delivery core (kith/federation/delivery.py) at app ready (apps.py).

The core claims rows, keeps host health and retries; this module only loads each row's signing
key (`prepare_activitypub`, on the claiming thread) and POSTs it, signed as Mastodon signs
(draft-cavage HTTP signatures), classifying the answer with the core's shared rules
(`send_activitypub`, in a pool thread, without touching the database)."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

from kith.federation import httpsig, safe_http
from kith.federation.activitypub import uris
from kith.federation.delivery import (
    CONNECT_TIMEOUT_SECONDS,
    RESPONSE_MAX_BYTES,
    Outcome,
    SendResult,
    classify_response,
    scheme_allowed,
    timeout_seconds,
)
from kith.federation.keys import instance_key
from kith.federation.models import Delivery
from kith.people.keys import key_for
from kith.people.models import Person, PersonKey

PROTOCOL = "activitypub"  # Delivery.protocol of this adapter's rows

_NO_KEY = ("", "")


def prepare_activitypub(deliveries: list[Delivery]) -> None:
    """Load each row's signing key id and private key (person or instance actor) onto it."""
    signer_ids = {d.signer_id for d in deliveries if d.signer_id is not None}
    keys: dict[int, tuple[str, str]] = {}
    if signer_ids:
        stored = dict(
            PersonKey.objects.filter(person_id__in=signer_ids).values_list("person_id", "private_key_pem")
        )
        for person in Person.objects.filter(id__in=signer_ids):
            if person.is_local:
                pem = stored.get(person.id) or key_for(person).private_key_pem
                keys[person.id] = (uris.key_id(person.username), pem)
    instance: tuple[str, str] | None = None
    for delivery in deliveries:
        if delivery.signer_id is None:
            if instance is None:
                instance = (uris.instance_key_id(), instance_key().private_key_pem)
            delivery._kith_signing = instance
        else:
            delivery._kith_signing = keys.get(delivery.signer_id, _NO_KEY)  # type: ignore[attr-defined]


def send_activitypub(delivery: Delivery) -> SendResult:
    """POST the activity to its inbox, signed (draft-cavage, as Mastodon), and classify the answer."""
    if not hasattr(delivery, "_kith_signing"):
        prepare_activitypub([delivery])
    key_id, private_pem = delivery._kith_signing  # type: ignore[attr-defined]
    if not private_pem:
        return SendResult(Outcome.FAILED, error="the signer has no key on this pod")
    if not scheme_allowed(delivery.inbox):
        return SendResult(Outcome.FAILED, error=f"refusing to deliver to {urlsplit(delivery.inbox).scheme} URL")
    body = bytes(delivery.body)  # memoryview on PostgreSQL
    seconds = timeout_seconds()
    timeouts = httpx.Timeout(seconds, connect=min(CONNECT_TIMEOUT_SECONDS, seconds)).as_dict()

    def sign(request: httpx.Request) -> None:
        # safe_http calls this for every hop.  It is also where this request's per-read timeouts
        # are set (safe_http.request takes none); its `deadline` bounds the whole request.
        request.extensions["timeout"] = timeouts
        request.headers.update(
            httpsig.sign(
                "POST", str(request.url), {"content-type": delivery.content_type}, body,
                key_id=key_id, private_key_pem=private_pem,
            )
        )

    try:
        response = safe_http.request(
            "POST", delivery.inbox,
            headers={"Content-Type": delivery.content_type},
            content=body, max_bytes=RESPONSE_MAX_BYTES, deadline=seconds, sign=sign,
        )
    except safe_http.BlockedAddress as exc:
        return SendResult(Outcome.FAILED, error=str(exc))
    except safe_http.FetchError as exc:
        return SendResult(Outcome.RETRY, error=str(exc), host_up=False)
    return classify_response(response.status, response.headers, delivery.last_status)
