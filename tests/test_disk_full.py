"""Acceptance (issue 12): the media disk full.  Uploads are refused cleanly (507 with a message,
through the API and the web composer), nothing of them is kept (no media row, no partial
file), and uploads work again once there is room.

Done for real: the pod's media directory is a 2 MB tmpfs (the test runs as root, as CI does),
filled by another writer.  Where mounting is not allowed (or KITH_TEST_DISK_FULL_INJECT is set),
the pod's storage is made to fail with ENOSPC instead (a sitecustomize on its PYTHONPATH), and
the test says so.
"""

from __future__ import annotations

import contextlib
import io
import os
import random
import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

from tests.harness import Pod
from tests.harness.pod import wait_until

pytestmark = pytest.mark.server

DISK = "2m"

# The fallback: the pod's file storage fails with ENOSPC (after writing a little, as a disk
# that fills mid-file) while the flag file exists.
SITECUSTOMIZE = '''
import errno, os
from django.core.files.storage import FileSystemStorage
_real_save = FileSystemStorage._save
def _save(self, name, content):
    if os.path.exists(os.environ["KITH_TEST_DISK_FULL_FLAG"]):
        with open(self.path(name), "wb") as partial:
            partial.write(b"the first bytes")
        raise OSError(errno.ENOSPC, "No space left on device (injected)")
    return _real_save(self, name, content)
FileSystemStorage._save = _save
'''


def _photo(side: int = 600) -> bytes:
    """Noise: it does not compress, so the upload is about as large as it looks (~0.5 MB)."""
    rng = random.Random(side)
    image = Image.frombytes("RGB", (side, side), bytes(rng.getrandbits(8) for _ in range(side * side * 3)))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=95)
    return out.getvalue()


class MediaDisk:
    """The pod's media directory on a small disk of its own, and a way to fill it."""

    def __init__(self, media_dir: Path, flag: Path) -> None:
        self.media_dir = media_dir
        self.flag = flag
        self.filler = media_dir / "filler"
        media_dir.mkdir(parents=True, exist_ok=True)
        if os.environ.get("KITH_TEST_DISK_FULL_INJECT"):  # try the fallback where mounting works
            self.real, self.why_not = False, "KITH_TEST_DISK_FULL_INJECT is set"
            return
        try:
            mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={DISK}", "tmpfs", str(media_dir)],
                                     capture_output=True, text=True, timeout=30)
        except OSError as error:  # no mount command at all
            self.real, self.why_not = False, str(error)
            return
        self.real = mounted.returncode == 0
        self.why_not = mounted.stderr.strip()

    def free(self) -> int:
        stats = os.statvfs(self.media_dir)
        return stats.f_bavail * stats.f_frsize

    def fill(self, leave: int) -> None:
        if not self.real:
            self.flag.touch()
            return
        with self.filler.open("wb") as handle:
            handle.write(b"\0" * max(0, self.free() - leave))

    def make_room(self) -> None:
        self.filler.unlink(missing_ok=True)
        self.flag.unlink(missing_ok=True)

    def files(self) -> list[str]:
        return sorted(str(path.relative_to(self.media_dir)) for path in self.media_dir.rglob("*")
                      if path.is_file() and path != self.filler)

    def unmount(self) -> None:
        if self.real:
            subprocess.run(["umount", "-l", str(self.media_dir)], check=False, capture_output=True)


@pytest.fixture
def pod(tmp_path) -> Iterator[tuple[Pod, MediaDisk]]:
    data_dir = tmp_path / "pod"
    disk = MediaDisk(data_dir / "media", tmp_path / "disk-full")
    extra: dict[str, str] = {}
    if not disk.real:
        (tmp_path / "inject").mkdir()
        (tmp_path / "inject" / "sitecustomize.py").write_text(textwrap.dedent(SITECUSTOMIZE))
        extra = {"PYTHONPATH": str(tmp_path / "inject"), "KITH_TEST_DISK_FULL_FLAG": str(disk.flag)}
    pod = Pod("diskfull", data_dir, host="127.0.0.33", KITH_API_RATE_LIMIT="0", **extra)
    try:
        pod.start()
        yield pod, disk
    finally:
        pod.stop()
        with contextlib.suppress(Exception):
            disk.unmount()
        pod.destroy()


def test_uploads_to_a_full_media_disk_are_refused_cleanly_and_work_again_with_room(pod):
    pod, disk = pod
    web = pod.signup("alice")
    token = pod.tokens("alice")["alice"]
    api = httpx.Client(base_url=pod.url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    photo = _photo()

    def upload() -> httpx.Response:
        return api.post("/api/v2/media", files={"file": ("photo.jpg", photo, "image/jpeg")})

    def processed(media_id: str) -> bool:
        return api.get(f"/api/v1/media/{media_id}").status_code == 200

    first = upload()
    assert first.status_code in (200, 202), first.text
    wait_until(lambda: processed(first.json()["id"]), message="the first photo to be processed")
    files_before = disk.files()
    rows_before = pod.query("SELECT count(*) FROM social_media")[0][0]

    disk.fill(leave=len(photo) // 4)  # another writer took the disk: a quarter of a photo left
    free_when_full = disk.free()
    refused = upload()
    web_page = web.client.post(  # the web composer, a photo and its post in one form
        "/posts", data={"text": "a photo on a full disk", "content_warning": "", "audience": "public",
                        "people": "", "alt_1": "", "csrfmiddlewaretoken": web._csrf()},
        files={"photo_1": ("photo.jpg", photo, "image/jpeg")}, headers={"Referer": f"{pod.url}/posts"},
    )

    # Refused with a message, by the API and by the web composer; nothing of either kept.
    assert refused.status_code == 507, refused.text
    assert "no room" in refused.json()["error"]
    assert web_page.status_code == 507, web_page.text[:500]
    assert "no room" in web_page.text
    assert pod.query("SELECT count(*) FROM social_media")[0][0] == rows_before
    assert pod.query("SELECT count(*) FROM social_post")[0][0] == 0
    assert disk.files() == files_before, "a partial file was left"
    if disk.real:
        assert disk.free() == free_when_full

    # Room again: the same upload works, is processed and can be posted.
    disk.make_room()
    again = upload()
    assert again.status_code in (200, 202), again.text
    wait_until(lambda: processed(again.json()["id"]), message="the photo uploaded after the disk had room")
    posted = api.post("/api/v1/statuses", json={"status": "room again", "media_ids": [again.json()["id"]]})
    assert posted.status_code == 200, posted.text
    assert posted.json()["media_attachments"][0]["url"]
    assert pod.query("SELECT state, count(*) FROM social_media GROUP BY state") == [("ready", 2)]
    assert [name for name in disk.files() if name.startswith("incoming/")] == []

    how = (f"a {DISK} tmpfs, filled to {free_when_full // 1024} KB free" if disk.real
           else f"ENOSPC injected into the pod's storage, not mounted: {disk.why_not}")
    print(  # noqa: T201 - the figures the issue asks for
        f"\nmedia disk full ({how}): a {len(photo) // 1024} KB upload "
        f"answered {refused.status_code} {refused.json()['error']!r} (API) and {web_page.status_code} (web "
        f"composer, error shown); no row, no partial file; with room again: {again.status_code}, processed, posted"
    )
