"""A small, lively pod for the screenshots and the accessibility checks, built inside the pod process.

Run there with `run_in_pod(pod, "from tests.browser.world import build; build()")`: it uses the
domain services (the same write paths the pages use), so what the pages show is real data.
"""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

PASSWORD = "correct horse battery staple"


def picture(colours: tuple, size=(640, 420), sun=True) -> SimpleUploadedFile:
    """A landscape: sky fading to a horizon, hills, a sun (made here: tests ship no images)."""
    top, bottom, hills = colours
    image = Image.new("RGB", size, top)
    draw = ImageDraw.Draw(image)
    width, height = size
    for y in range(height):
        mix = y / height
        draw.line([(0, y), (width, y)], fill=tuple(int(top[i] * (1 - mix) + bottom[i] * mix) for i in range(3)))
    if sun:
        draw.ellipse([width * 0.62, height * 0.18, width * 0.78, height * 0.42], fill=(255, 214, 120))
    draw.polygon([(0, height), (0, height * 0.7), (width * 0.3, height * 0.52), (width * 0.6, height * 0.72),
                  (width * 0.85, height * 0.58), (width, height * 0.66), (width, height)], fill=hills)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return SimpleUploadedFile("photo.jpg", out.getvalue(), content_type="image/jpeg")


def avatar(colour: tuple) -> SimpleUploadedFile:
    image = Image.new("RGB", (128, 128), colour)
    draw = ImageDraw.Draw(image)
    draw.ellipse([34, 20, 94, 80], fill=(250, 236, 220))
    draw.ellipse([14, 84, 114, 170], fill=(250, 236, 220))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return SimpleUploadedFile("avatar.png", out.getvalue(), content_type="image/png")


def build() -> None:
    from kith.graph import services as graph
    from kith.people.services import create_local_account, update_profile
    from kith.social import services
    from kith.social.media import upload_media
    from kith.social.models import Visibility

    def person(username, name, bio, colour):
        account = create_local_account(username, f"{username}@example.test", PASSWORD, display_name=name)
        return update_profile(account.person, bio=bio, avatar=avatar(colour), tags=["photography", "hiking"][: len(username) % 3])

    ada = person("ada", "Ada Okafor", "Hikes, film cameras and **slow** mornings.", (52, 120, 98))
    ben = person("ben", "Ben Lindqvist", "Baker. Sourdough questions welcome.", (176, 96, 60))
    chloe = person("chloe", "Chloé Martin", "Urban gardening in tiny spaces.", (96, 84, 160))
    dev = person("dev", "Dev Raman", "", (40, 90, 150))

    family = graph.create_aspect(ada, "Family")
    friends = graph.create_aspect(ada, "Friends")
    graph.create_aspect(ada, "Hiking club")
    graph.add_to_aspect(ada, family, ben)
    graph.add_to_aspect(ada, friends, chloe)
    graph.add_to_aspect(ada, friends, dev)
    for other in (ben, chloe, dev):
        graph.follow(ada, other)
        graph.follow(other, ada)
    graph.add_to_aspect(ben, graph.create_aspect(ben, "Friends"), ada)

    hills = upload_media(chloe, picture(((120, 170, 220), (250, 210, 170), (60, 110, 80))), "Green hills under a pale evening sky")
    services.publish_post(
        chloe, "First tomatoes from the balcony this year! #gardening\n\nThey took forever, but they were worth it.",
        media_ids=[hills.id],
    )
    poll = services.publish_post(
        ben, "Which loaf should I bake for the weekend market?",
        poll=services.PollDraft(["Rye with caraway", "Classic country loaf", "Spelt and honey"]),
    )
    services.vote(chloe, poll, [1])
    services.vote(dev, poll, [1])
    services.vote(ada, poll, [0])
    services.publish_post(
        dev, "Finished the last season. That ending…", content_warning="Spoilers for the series finale",
    )
    family_post = services.publish_post(
        ben, "Dinner at ours on Sunday? Mum is bringing her famous plum cake.",
        visibility=Visibility.LIMITED, person_ids=[ada.id],
    )
    services.add_comment(ada, family_post, "Yes please! I'll bring the coffee.")
    walk = services.publish_post(
        ada, "Morning walk along the ridge: the fog lifted just as we reached the top. #hiking",
        media_ids=[upload_media(ada, picture(((200, 210, 230), (240, 225, 200), (70, 90, 110))), "Fog lifting over a mountain ridge").id],
    )
    reply = services.add_comment(chloe, walk, "Stunning! Which trail was this?")
    services.add_comment(ada, walk, "The north loop from the old mill, about 9 km.", parent=reply)
    services.like(ben, post=walk)
    services.like(chloe, post=walk)
    services.reshare(dev, walk)
    services.publish_post(chloe, "Anyone swapping seeds this spring? I have far too many *basil* varieties. #gardening")
