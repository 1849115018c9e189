"""Copies of remote pictures (post photos, avatars, headers), so pages never hot-link another server.

Hot-linking would tell every remote server who reads what (and the pages' CSP
forbids it anyway).  A remote picture is fetched once through the safe client
(no private addresses, https only, bounded in size and time), in the worker and
never inside an inbox request, and then goes through exactly the processing of
an upload: decoded defensively, metadata stripped, re-encoded.

- **Photos of remote posts** become Media rows (PROCESSING until copied).  A
  refusal (not an image, too big, a private address) fails the photo at once; a
  timeout, a refused connection or a job lost with its worker leaves it
  PROCESSING.  A server that did not answer is asked again soon (`quick_retry_delay`:
  it was restarting, say), then `sweep_remote_photos` tries a few times in the photo's
  first day; a restarted pod queues the jobs it lost at once (`resume_remote_photos`).
- **Avatars and headers of remote people.**  Protocol adapters call
  `record_profile_images` whenever they read a profile (an actor fetched or
  refreshed, an Update of it).  A URL seen before is never fetched again, a new
  one replaces the copy, a picture the profile no longer has is removed.  Each
  wanted picture is a RemoteProfileImage row, so the copy is durable: the job is
  enqueued on commit, and `sweep_profile_images` retries failures with backoff and
  finds jobs lost with their worker.  Any host may serve the picture (servers keep
  them on media hosts and CDNs); what is copied is only ever a re-encoded image.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Set
from datetime import datetime, timedelta

import httpx
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from kith.core import events, hosts
from kith.core.errors import Invalid
from kith.federation import safe_http
from kith.federation.models import CopyState, RemoteProfileImage
from kith.jobs import crontab, enqueue_on_commit, periodic, resumes, task
from kith.moderation import domains as domain_policies
from kith.people.images import MAX_PROFILE_IMAGE_BYTES, PROFILE_IMAGE_SIDES, clean_profile_image_bytes
from kith.people.models import Person
from kith.people.remote import set_remote_profile_image
from kith.social.media import process_media, raw_upload_name, remote_media_failed
from kith.social.models import Media, MediaState, Post

log = logging.getLogger(__name__)
IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
FETCH_DEADLINE = 30  # seconds for one picture, body included


class _TryLater(Exception):
    """The server did not answer usefully this time (timeout, refused connection, 5xx, 429)."""

    def __init__(self, message: str, *, refused: bool = False) -> None:
        super().__init__(message)
        self.refused = refused  # no answer, at once: nothing listens (a pod restarting, say)


class _Refused(Exception):
    """The answer will not become usable: not an image, too big, a private address, a 4xx."""


def _media_rejected(owner_domain: str, url: str) -> bool:
    """Whether a domain policy says no copies of this person's pictures (reject media, or a
    suspension): by the person's server, and by the server the picture is on."""
    url_host = hosts.host_key(url)
    return domain_policies.rejects_media(owner_domain) or (
        url_host is not None and domain_policies.rejects_media(url_host)
    )


def _fetch_image(url: str, max_bytes: int) -> bytes:
    try:
        response = safe_http.request("GET", url, accept_types=IMAGE_TYPES, max_bytes=max_bytes, deadline=FETCH_DEADLINE)
    except safe_http.Refused as exc:
        raise _Refused(str(exc)) from exc
    except safe_http.FetchError as exc:
        refused = exc.__cause__ is not None and not isinstance(exc.__cause__, httpx.TimeoutException)
        raise _TryLater(str(exc), refused=refused) from exc
    if response.status in (408, 429) or response.status >= 500:
        raise _TryLater(f"{url} answered {response.status}")
    if response.status != 200:
        raise _Refused(f"{url} answered {response.status}")
    return response.body


# ---- photos of remote posts ---------------------------------------------------------------------


# A server that did not answer is asked again soon: until then the photo shows as missing here.
# One that refused the connection (nothing listening: a pod restarting is back within seconds)
# every REFUSED_RETRY_SECONDS for a minute, as such a try costs nothing; otherwise (a timeout
# held a worker thread, or an error answer) after QUICK_RETRIES.  Then the sweep's windows.
REFUSED_RETRY_SECONDS = 5
REFUSED_RETRIES = 12
QUICK_RETRIES = (10, 30, 60, 120, 240)


def quick_retry_delay(tries: int, *, refused: bool) -> float | None:
    """Seconds before the next try after `tries` failed ones (None: left to the sweep)."""
    if refused and tries <= REFUSED_RETRIES:
        return REFUSED_RETRY_SECONDS
    if tries <= len(QUICK_RETRIES):
        return QUICK_RETRIES[tries - 1]
    return None


@task(retries=0)
def cache_remote_media_job(media_id: int, tried: int = 0) -> None:
    media = (
        Media.objects.select_related("owner").filter(id=media_id, state=MediaState.PROCESSING)
        .exclude(remote_url="").first()
    )
    if media is None:
        return
    if _media_rejected(media.owner.domain, media.remote_url):
        log.info("remote photo %s not copied: this pod rejects media from there", media.remote_url)
        remote_media_failed([media_id])
        return
    try:
        body = _fetch_image(media.remote_url, settings.KITH_MAX_UPLOAD_BYTES)
    except _TryLater as exc:
        log.info("remote photo %s not fetched, to be tried again: %s", media.remote_url, exc)
        delay = quick_retry_delay(tried + 1, refused=exc.refused)
        if delay is not None:  # still PROCESSING; the sweep covers a lost schedule
            cache_remote_media_job.schedule((media_id, tried + 1), delay=delay)
        return
    except _Refused as exc:
        log.info("remote photo %s refused: %s", media.remote_url, exc)
        remote_media_failed([media_id])
        return
    default_storage.delete(raw_upload_name(media_id))  # a half-done earlier try must not rename this one
    default_storage.save(raw_upload_name(media_id), ContentFile(body))
    process_media(media_id)


@events.subscribe(events.PostPublished)
def _cache_photos_of_remote_posts(event: events.PostPublished) -> None:
    post = Post.objects.select_related("author").filter(id=event.post_id).first()
    if post is None or post.author.is_local:
        return
    for media_id in Media.objects.filter(post=post, state=MediaState.PROCESSING).exclude(remote_url="").values_list("id", flat=True):
        cache_remote_media_job(media_id)


# A photo still PROCESSING lost its job (huey forgets the job of a killed worker) or met a
# server that did not answer.  The sweep runs every SWEEP_EVERY and tries such a photo again
# when its age enters one of these windows: about eight tries in a day, then it has FAILED.
SWEEP_EVERY = timedelta(minutes=10)
PHOTO_RETRY_AGES = tuple(timedelta(minutes=minutes) for minutes in (10, 30, 60, 120, 240, 480, 960))
PHOTO_GIVE_UP_AFTER = timedelta(days=1)
SWEEP_LIMIT = 500


def sweep_remote_photos(now: datetime | None = None) -> int:
    """Enqueue again the remote photos due another try; fail those a day old.  Returns how many."""
    now = now or timezone.now()
    stuck = Media.objects.filter(state=MediaState.PROCESSING).exclude(remote_url="")
    hopeless = list(stuck.filter(created_at__lt=now - PHOTO_GIVE_UP_AFTER).values_list("id", flat=True)[:SWEEP_LIMIT])
    if hopeless:
        remote_media_failed(hopeless)
    due = Q()
    for age in PHOTO_RETRY_AGES:
        due |= Q(created_at__lte=now - age, created_at__gt=now - age - SWEEP_EVERY)
    retry = list(stuck.filter(due).values_list("id", flat=True)[:SWEEP_LIMIT])
    for media_id in retry:
        cache_remote_media_job(media_id)
    return len(retry)


@resumes(cache_remote_media_job)
def resume_remote_photos(queued: Set[int]) -> int:
    """Queue the copy again for every remote photo still PROCESSING with no job in the queue
    (it was running when the worker died): at a pod's start, instead of the sweep's windows."""
    since = timezone.now() - PHOTO_GIVE_UP_AFTER
    waiting = Media.objects.filter(state=MediaState.PROCESSING, created_at__gte=since).exclude(remote_url="")
    lost = [media_id for media_id in waiting.values_list("id", flat=True)[:SWEEP_LIMIT] if media_id not in queued]
    for media_id in lost:
        cache_remote_media_job(media_id)
    return len(lost)


@periodic(crontab(minute="*/10"))
def sweep_remote_photos_job() -> None:
    sweep_remote_photos()


# ---- avatars and headers of remote people -------------------------------------------------------

# Waits after the 1st, 2nd, ... failed try; after the last the picture is given up (until the
# profile names another one).  About a day and a half in all.
RETRY_AFTER = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2), timedelta(hours=6), timedelta(hours=24))
LEASE = timedelta(minutes=2)  # longer than one fetch (FETCH_DEADLINE) and its processing
# A job enqueued on commit has this long to start before the sweep presumes it lost.
LOST_AFTER = timedelta(minutes=2)


def record_profile_images(person: Person, *, avatar_url: str | None, header_url: str | None) -> None:
    """What a remote person's profile says their pictures are now: copy new ones (in the worker,
    once this transaction commits), remove dropped ones, leave known ones alone.  Safe to call
    inside an inbox request: nothing is fetched here."""
    if person.is_local:
        return
    with transaction.atomic():
        # One writer per person: two refreshes of one actor must not race on its rows.
        stored: Mapping[str, object] = Person.objects.select_for_update().filter(id=person.id).values("avatar", "header").first() or {}
        for kind, url in (("avatar", avatar_url), ("header", header_url)):
            _record(person, kind, url, has_copy=bool(stored.get(kind)))


def _record(person: Person, kind: str, url: str | None, *, has_copy: bool) -> None:
    row = RemoteProfileImage.objects.filter(person=person, kind=kind).first()
    if url is None:
        if row is not None:
            row.delete()
        if has_copy:
            set_remote_profile_image(person, kind, None)
        return
    if row is not None and row.url == url and (has_copy or row.state != CopyState.DONE):
        # The same picture (servers give a new picture a new URL): never fetched twice.  Only a
        # copy that is gone (the person was deleted here and came back) is made again.
        return
    RemoteProfileImage.objects.update_or_create(
        person=person, kind=kind,
        defaults={"url": url, "state": CopyState.PENDING, "attempts": 0, "next_attempt_at": timezone.now(),
                  "claimed_until": None, "last_error": ""},
    )
    enqueue_on_commit(copy_profile_image_job, person.id, kind)


@task(retries=0)
def copy_profile_image_job(person_id: int, kind: str) -> None:
    copy_profile_image(person_id, kind)


def copy_profile_image(person_id: int, kind: str, now: datetime | None = None) -> str:
    """Fetch, check and clean one wanted picture into the person's profile.  Returns the row's
    state afterwards ("" when there was nothing to do: done, not due, or another job at it)."""
    now = now or timezone.now()
    lease = now + LEASE
    claimable = RemoteProfileImage.objects.filter(
        person_id=person_id, kind=kind, state=CopyState.PENDING, next_attempt_at__lte=now
    ).filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
    if not claimable.update(claimed_until=lease):
        return ""
    row = RemoteProfileImage.objects.select_related("person").get(person_id=person_id, kind=kind)
    held = RemoteProfileImage.objects.filter(id=row.id, claimed_until=lease, url=row.url)  # our lease, our URL
    attempts = row.attempts + 1
    if not row.person.is_active:
        held.delete()  # deleted or suspended here: nothing to show; a comeback records it anew
        return ""
    if _media_rejected(row.person.domain, row.url):
        held.update(state=CopyState.FAILED, attempts=attempts, claimed_until=None,
                    last_error="this pod rejects media from that server")
        return CopyState.FAILED
    try:
        body = _fetch_image(row.url, MAX_PROFILE_IMAGE_BYTES)
        image = clean_profile_image_bytes(body, max_side=PROFILE_IMAGE_SIDES[kind])
    except (_Refused, Invalid) as exc:
        log.info("remote %s %s refused: %s", kind, row.url, exc)
        held.update(state=CopyState.FAILED, attempts=attempts, claimed_until=None, last_error=str(exc)[:500])
        return CopyState.FAILED
    except _TryLater as exc:
        log.info("remote %s %s not fetched (try %d): %s", kind, row.url, attempts, exc)
        if attempts > len(RETRY_AFTER):
            held.update(state=CopyState.FAILED, attempts=attempts, claimed_until=None, last_error=str(exc)[:500])
            return CopyState.FAILED
        held.update(attempts=attempts, next_attempt_at=now + RETRY_AFTER[attempts - 1], claimed_until=None, last_error=str(exc)[:500])
        return CopyState.PENDING
    with transaction.atomic():
        # Still ours?  A newer URL recorded meanwhile took the row back: this copy is stale.
        if not held.select_for_update().exists():
            return ""
        set_remote_profile_image(row.person, kind, image)
        held.update(state=CopyState.DONE, attempts=attempts, claimed_until=None, last_error="")
    return CopyState.DONE


def sweep_profile_images(now: datetime | None = None) -> int:
    """Enqueue the pictures due again (a retry) or whose job was lost; returns how many."""
    now = now or timezone.now()
    due = RemoteProfileImage.objects.filter(state=CopyState.PENDING, next_attempt_at__lte=now - LOST_AFTER).filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)
    )
    found = list(due.order_by("next_attempt_at").values_list("person_id", "kind")[:SWEEP_LIMIT])
    for person_id, kind in found:
        copy_profile_image_job(person_id, kind)
    return len(found)


@periodic(crontab(minute="*"))
def sweep_profile_images_job() -> None:
    sweep_profile_images()
