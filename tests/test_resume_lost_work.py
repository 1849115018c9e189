"""What a restarted pod picks up at once, and photos that survive kills and full disks (in-process).

The process-level proof is tests/federation/test_crash_delivery.py (real pods SIGKILLed); these
pin each rule it found missing: work whose job died with its process is queued again at a
whole-pod start (photos, remote photo copies, inbound activities, deliveries held under leases),
a post's photos are processed before it goes to other servers, and no try that did not commit
leaves a file behind.
"""

from __future__ import annotations

import errno
import io
import os
import time
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from kith.core.errors import StorageFull
from kith.federation import delivery, media_cache
from kith.federation.activitypub import inbound, render
from kith.federation.activitypub.models import InboundActivity, InboundState
from kith.federation.models import Delivery, DeliveryState
from kith.graph import services as graph
from kith.jobs import huey, worker
from kith.people.remote import upsert_remote_person
from kith.social import media, remote, services
from kith.social.models import Media, MediaState, Visibility
from kith.timelines import consumers, fanout
from kith.timelines.models import FanOut, FanOutState, StreamEntry
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def _jpeg(size: tuple[int, int] = (60, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "teal").save(out, format="JPEG")
    return out.getvalue()


@pytest.fixture(autouse=True)
def _empty_queue():
    huey.storage.flush_all()
    yield
    huey.storage.flush_all()


@pytest.fixture
def lost_uploads(alice, monkeypatch):
    """Upload photos whose processing job is lost, as when the worker running it is killed."""

    def make(count: int = 1) -> list[Media]:
        with monkeypatch.context() as patched:
            patched.setattr(media, "process_media_job", lambda media_id: None)
            return [
                media.upload_media(alice, SimpleUploadedFile("p.jpg", _jpeg(), content_type="image/jpeg"))
                for _ in range(count)
            ]

    return make


def _state(item: Media) -> str:
    item.refresh_from_db()
    return item.state


# ---- a whole-pod start ------------------------------------------------------------------------


def test_a_whole_pod_start_processes_uploads_whose_job_was_lost(lost_uploads):
    (lost,) = lost_uploads()
    assert _state(lost) == MediaState.PROCESSING

    worker.startup_recovery()  # a separate worker may start beside a live one: it leaves them to the sweep
    assert _state(lost) == MediaState.PROCESSING

    worker.startup_recovery(whole_pod=True)
    assert _state(lost) == MediaState.READY
    assert not default_storage.exists(media.raw_upload_name(lost.id))


def test_a_whole_pod_start_deletes_raw_bytes_a_kill_left_after_the_photo_committed(lost_uploads, monkeypatch):
    (done, waiting) = lost_uploads(2)
    with monkeypatch.context() as killed:  # the process dies after _store commits, before the raw bytes go
        killed.setattr(media, "_discard_raw", lambda media_id: None)
        media.process_media(done.id)
    assert _state(done) == MediaState.READY
    assert default_storage.exists(media.raw_upload_name(done.id))  # young, but nobody needs it now

    with monkeypatch.context() as patched:
        patched.setattr(media, "process_media_job", lambda media_id: None)  # `waiting` stays waiting
        worker.startup_recovery(whole_pod=True)

    assert not default_storage.exists(media.raw_upload_name(done.id))
    assert default_storage.exists(media.raw_upload_name(waiting.id))


def test_a_whole_pod_start_finishes_fanouts_whose_lease_the_dead_process_held(alice, monkeypatch):
    followers = [factories.person() for _ in range(8)]  # above the tests' inline limit: the worker's path
    for follower in followers:
        graph.follow(follower, alice)
    with monkeypatch.context() as patched:
        patched.setattr(consumers, "fanout_job", lambda post_id: None)  # the job died with its worker ...
        post = services.publish_post(alice, "hello")
    assert fanout._claim(post.id) is not None  # ... holding a lease that has not run out

    worker.startup_recovery(whole_pod=True)

    assert FanOut.objects.get(post=post).state == FanOutState.DONE  # now, not when the lease ends
    assert StreamEntry.objects.filter(post=post).count() == len(followers) + 1


def test_work_whose_job_is_still_queued_is_not_queued_twice(lost_uploads, monkeypatch):
    queued, lost = lost_uploads(2)
    monkeypatch.setattr(
        worker, "_queued_first_arguments", lambda: {media.process_media_job.task_class: {queued.id}}
    )

    assert worker.resume_lost_work() == 1

    assert (_state(queued), _state(lost)) == (MediaState.PROCESSING, MediaState.READY)


def test_an_unreadable_queue_leaves_the_work_to_the_sweeps(lost_uploads, monkeypatch):
    (lost,) = lost_uploads()
    monkeypatch.setattr(worker, "QUEUE_READ_LIMIT", -1)
    assert worker.resume_lost_work() == 0
    assert _state(lost) == MediaState.PROCESSING


def test_a_whole_pod_start_releases_the_dead_process_delivery_leases(alice, monkeypatch):
    runs: list[str] = []
    monkeypatch.setattr(delivery, "deliver_due_job", lambda: runs.append("run"))
    row = Delivery.objects.create(
        protocol="activitypub", activity_uri="act:1", inbox="http://127.0.0.1:9/inbox", host="127.0.0.1:9",
        body=b"{}", content_type="application/activity+json", signer=alice,
        next_attempt_at=timezone.now(), claimed_until=timezone.now() + delivery.LEASE,
    )

    assert delivery.release_leases() == 1

    row.refresh_from_db()
    assert (row.state, row.claimed_until) == (DeliveryState.PENDING, None)
    assert runs == ["run"]  # sent now, not when the lease would have run out
    assert delivery.claim_due() == [row]


def test_a_whole_pod_start_applies_inbound_activities_whose_job_was_lost():
    stored = InboundActivity.objects.create(
        activity_uri="https://remote.example/activities/1", actor_uri="https://remote.example/users/ann",
        activity_type="Dance", payload={"type": "Dance"},
    )
    queued = InboundActivity.objects.create(
        activity_uri="https://remote.example/activities/2", actor_uri="https://remote.example/users/ann",
        activity_type="Dance", payload={"type": "Dance"},
    )

    assert inbound.resume_pending_inbound({queued.id}) == 1

    stored.refresh_from_db()
    queued.refresh_from_db()
    assert stored.state != InboundState.PENDING  # applied (an unknown type is dropped)
    assert stored.attempts == 2  # counted as a sweep, then applied: a row that kills the worker stops
    assert queued.state == InboundState.PENDING


def test_a_whole_pod_start_copies_remote_photos_whose_job_was_lost(monkeypatch):
    ann = upsert_remote_person("ann", "remote.example")
    post = remote.record_remote_post(ann, remote.RemoteContent(html="<p>x</p>"), visibility=Visibility.PUBLIC)
    lost = Media.objects.create(
        owner=ann, post=post, content_type="image/jpeg", remote_url="https://remote.example/cat.jpg",
        state=MediaState.PROCESSING,
    )
    monkeypatch.setattr(media_cache, "_fetch_image", lambda url, max_bytes: _jpeg())

    assert media_cache.resume_remote_photos(set()) == 1
    assert _state(lost) == MediaState.READY


def test_a_remote_photo_server_that_did_not_answer_is_asked_again_soon(monkeypatch):
    ann = upsert_remote_person("ann", "remote.example")
    post = remote.record_remote_post(ann, remote.RemoteContent(html="<p>x</p>"), visibility=Visibility.PUBLIC)
    item = Media.objects.create(
        owner=ann, post=post, content_type="image/jpeg", remote_url="https://remote.example/cat.jpg",
        state=MediaState.PROCESSING,
    )
    failure = media_cache._TryLater("connection refused", refused=True)

    def restarting(url: str, max_bytes: int) -> bytes:
        raise failure

    monkeypatch.setattr(media_cache, "_fetch_image", restarting)
    media_cache.cache_remote_media_job(item.id)

    [retry] = huey.scheduled()
    assert retry.args == (item.id, 1)
    soon = timezone.now().replace(tzinfo=None) + timedelta(seconds=media_cache.REFUSED_RETRY_SECONDS + 1)
    assert retry.eta <= soon
    huey.storage.flush_all()
    media_cache.cache_remote_media_job(item.id, media_cache.REFUSED_RETRIES)
    assert huey.scheduled() == []  # a minute of refusals: then the sweep's windows
    assert _state(item) == MediaState.PROCESSING
    # A server that timed out (it held a worker thread) is asked again less often.
    assert media_cache.quick_retry_delay(1, refused=False) == media_cache.QUICK_RETRIES[0] > media_cache.REFUSED_RETRY_SECONDS
    assert media_cache.quick_retry_delay(len(media_cache.QUICK_RETRIES) + 1, refused=False) is None


# ---- photos of posts that go to other servers ---------------------------------------------------------


def test_a_post_published_before_its_photo_job_ran_goes_out_with_the_photo_processed(alice, lost_uploads, monkeypatch):
    (photo,) = lost_uploads()
    rendered: list[tuple[str, int | None]] = []
    real_note = render.note

    def note(post, *args, **kwargs):
        rendered.extend((item.state, item.width) for item in post.media.all())
        return real_note(post, *args, **kwargs)

    monkeypatch.setattr(render, "note", note)
    services.publish_post(alice, "look", media_ids=[photo.id])  # federated at once (immediate jobs)

    # Served, and described as processing found it: the receiving server copies it, never a 404.
    assert rendered == [(MediaState.READY, 60)]


# ---- no file without a committed row ------------------------------------------------------------------


def test_processing_again_replaces_the_files_of_a_try_that_was_killed(lost_uploads):
    (photo,) = lost_uploads()
    rendered = media.render_upload(_jpeg())
    name = Media._meta.get_field("file").generate_filename(photo, f"{photo.id}.{rendered.extension}")
    default_storage.save(name, ContentFile(b"half a photo"))  # written, never committed

    media.process_media(photo.id)

    photo.refresh_from_db()
    assert photo.file.name == name
    assert default_storage.open(name).read() != b"half a photo"
    folder, _ = os.path.split(name)
    assert default_storage.listdir(folder)[1] == [os.path.basename(name)]


def test_a_disk_that_fills_while_processing_leaves_no_file(lost_uploads, monkeypatch):
    (photo,) = lost_uploads()
    real_save = default_storage._save

    def fills_at_the_thumbnail(name, content):
        if name.startswith("thumbnails/"):
            partial = real_save(name, ContentFile(b"par"))
            assert partial == name
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_save(name, content)

    monkeypatch.setattr(default_storage, "_save", fills_at_the_thumbnail)
    with pytest.raises(OSError, match="No space"):
        media.process_media(photo.id)

    photo.refresh_from_db()
    assert (photo.state, photo.file.name) == (MediaState.PROCESSING, "")  # tried again later
    for folder in ("media", "thumbnails"):
        assert not [path for path in _files(folder)], f"{folder} keeps a file of a try that failed"
    assert default_storage.exists(media.raw_upload_name(photo.id))  # kept for the next try


def _files(folder: str) -> list[str]:
    if not default_storage.exists(folder):
        return []
    folders, files = default_storage.listdir(folder)
    return [os.path.join(folder, name) for name in files] + [
        path for sub in folders for path in _files(os.path.join(folder, sub))
    ]


def test_an_upload_to_a_full_disk_is_refused_and_keeps_nothing(alice, monkeypatch):
    real_save = default_storage._save

    def full(name, content):
        real_save(name, ContentFile(b"the first bytes"))  # what got written before the disk filled
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(default_storage, "_save", full)
    with pytest.raises(StorageFull) as refused:
        media.upload_media(alice, SimpleUploadedFile("p.jpg", _jpeg(), content_type="image/jpeg"))

    assert refused.value.status == 507
    assert not Media.objects.exists()
    assert _files("incoming") == []


def test_raw_uploads_nobody_waits_for_are_swept_when_old(lost_uploads):
    (waiting,) = lost_uploads()
    default_storage.save("incoming/111", ContentFile(b"an upload killed before its row committed"))
    default_storage.save("incoming/222", ContentFile(b"an upload whose request is still running"))
    old = time.time() - media.LOST_JOB_AFTER.total_seconds() - 60
    for name in ("incoming/111", media.raw_upload_name(waiting.id)):
        os.utime(default_storage.path(name), (old, old))

    assert media.sweep_stray_uploads() == 1

    assert sorted(_files("incoming")) == sorted(["incoming/222", media.raw_upload_name(waiting.id)])
