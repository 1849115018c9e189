"""Fuzzing the decoding of uploaded and fetched images (kith/people/images.py, kith/social/media.py).
No database: these tests need none.

Mutated PNG, JPEG, GIF and WebP seeds (made here with Pillow), truncated files and headers
declaring decompression-bomb dimensions: the upload check (`open_untrusted`) raises only
Invalid (a 4xx), what it accepts the worker's rendering (`render_upload`) renders (nothing
accepted fails later), profile images raise only Invalid; in bounded time.  tests/fuzz/test_db_media.py
sends the same through the API and the web upload.
"""

from __future__ import annotations

import time

from hypothesis import given

from kith.core.errors import Invalid
from kith.people.images import PROFILE_IMAGE_SIDES, clean_profile_image_bytes, open_untrusted
from kith.social import media
from tests.fuzz.common import budget, tally_for
from tests.fuzz.images import broken_images, seeds

TALLY = tally_for(__name__)
SECONDS = 5.0


def _timed(call):
    # This thread's CPU time (Pillow decodes in it): the cost of the input, not the machine's load.
    started = time.thread_time()
    try:
        return call()
    finally:
        assert time.thread_time() - started < SECONDS, f"took {time.thread_time() - started:.1f} s of CPU"


@budget(250)
@given(data=broken_images())
def test_broken_images_are_refused_cleanly(data):
    try:
        with _timed(lambda: open_untrusted(data)) as image:
            TALLY.record("open_untrusted", f"accepted {image.format}")
    except Invalid:
        TALLY.record("open_untrusted", "Invalid")
        return
    # What the upload check accepts (a 202, a Media row) the worker renders: a photo failing only
    # later is an accepted upload that then breaks (and a row left behind for /api/v1/media's 422).
    processed = _timed(lambda: media.render_upload(data))
    TALLY.record("render_upload", "rendered")
    assert max(processed.width, processed.height) <= media.ORIGINAL_MAX_SIDE
    try:
        _timed(lambda: clean_profile_image_bytes(data, max_side=PROFILE_IMAGE_SIDES["avatar"]))
        TALLY.record("clean_profile_image_bytes", "cleaned")
    except Invalid:
        TALLY.record("clean_profile_image_bytes", "Invalid")


def test_every_seed_is_accepted():
    for name, data in seeds().items():
        with open_untrusted(data):
            pass
        media.render_upload(data)
        assert clean_profile_image_bytes(data, max_side=400).size > 0, name
