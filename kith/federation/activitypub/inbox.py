"""The inbox endpoints: verify, store, answer 202; the worker applies (inbound.py).

Order matters and each step answers a clear 4xx: too big (413), not JSON (400),
unsigned or badly signed (401: Fedify and others retry with another signature
scheme on 401), key not owned by the activity's actor (401), not an activity
(400).  Nothing is written before the signature checks out.
"""

from __future__ import annotations

import json
import logging

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from kith.federation import httpsig
from kith.federation.activitypub import actors
from kith.federation.activitypub.inbound import apply_inbound_job, local_person
from kith.federation.activitypub.models import InboundActivity, RemoteActor
from kith.federation.activitypub.parse import ParseError, parse_activity, same_origin
from kith.federation.delivery import host_answered
from kith.jobs import enqueue_on_commit

log = logging.getLogger(__name__)
MAX_ACTIVITY_BYTES = 512 * 1024


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def verify_signature(request: HttpRequest, body: bytes) -> RemoteActor:
    """The remote actor whose key signed this request, or SignatureError/ResolveError."""
    headers = {name.lower(): value for name, value in request.headers.items()}
    params = httpsig.parse_signature_header(headers.get("signature", "")) if "signature" in headers else None
    if params is None:
        raise httpsig.SignatureError("the request is not signed")
    actor = actors.actor_for_key(params.key_id)
    path, query = request.path, request.META.get("QUERY_STRING", "")
    try:
        httpsig.verify(request.method, path, query, headers, body, actor.public_key_pem)
    except httpsig.SignatureError:
        # The key may have been rotated: fetch it again, once.
        actor = actors.actor_for_key(params.key_id, refresh=True)
        httpsig.verify(request.method, path, query, headers, body, actor.public_key_pem)
    return actor


@csrf_exempt
@require_POST
def inbox(request: HttpRequest, username: str | None = None) -> HttpResponse:
    declared = request.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_ACTIVITY_BYTES:
        return _error(413, "activity too large")
    body = request.read(MAX_ACTIVITY_BYTES + 1)
    if len(body) > MAX_ACTIVITY_BYTES:
        return _error(413, "activity too large")
    if username is not None and local_person(f"{actors.uris.actor(username)}") is None:
        return _error(404, "no such inbox")
    try:
        document = json.loads(body)
    except ValueError:
        return _error(400, "the body is not JSON")
    if not isinstance(document, dict):
        return _error(400, "the body is not a JSON object")
    try:
        signer = verify_signature(request, body)
    except (httpsig.SignatureError, actors.ResolveError) as exc:
        return _error(401, f"signature not accepted: {exc}")
    try:
        activity = parse_activity(document)
    except ParseError as exc:
        return _error(400, f"not an activity Kith accepts: {exc}")
    host_answered(signer.person.domain)
    forwarded_by = ""
    if activity.actor != signer.uri:
        # Inbox forwarding (a post's author passing a reply on to its audience): accepted
        # only for things that can be refetched from their own server, which is done
        # before anything is believed.
        if activity.type not in FORWARDABLE or not activity.object_id or not same_origin(activity.object_id, activity.actor):
            return _error(401, "the signing key does not belong to the activity's actor")
        forwarded_by = signer.uri
    return _store(activity.id, activity.actor, activity.type, document, forwarded_by)


FORWARDABLE = frozenset({"Create", "Update"})


def _store(activity_id: str, actor_uri: str, activity_type: str, document: dict, forwarded_by: str = "") -> HttpResponse:
    try:
        with transaction.atomic():
            stored, created = InboundActivity.objects.get_or_create(
                activity_uri=activity_id,
                defaults={
                    "actor_uri": actor_uri, "activity_type": activity_type, "payload": document,
                    "forwarded_by": forwarded_by,
                },
            )
            if created:
                enqueue_on_commit(apply_inbound_job, stored.id)
    except IntegrityError:  # the same activity arriving twice at once
        pass
    return HttpResponse(status=202)
