"""One Compose, one audience rule: the web preview says exactly what publishing does.

For each kind of audience, the compose form's preview (kith.web.audience.preview), the
audience publishing fixes (PostAudience) and kith.social.compose.resolve_audience agree.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.http import QueryDict
from django.utils import timezone

from kith.core.errors import Invalid, NotAllowed
from kith.graph.models import Follow, FollowState
from kith.graph.selectors import aspects_with_members
from kith.people.models import Person
from kith.social import drafts, services
from kith.social.compose import Compose, check_compose, resolve_audience
from kith.social.models import Post, PostAudience, ScheduledPost, Visibility
from kith.visibility import can_see_comment, can_see_post
from kith.web.audience import preview
from kith.web.forms import ComposeForm
from tests import factories

pytestmark = pytest.mark.django_db


def form_for(author: Person, **fields: object) -> ComposeForm:
    data = QueryDict(urlencode({"text": "hello", **fields}, doseq=True))
    form = ComposeForm(data, author=author, aspects=aspects_with_members(author))
    assert form.is_valid(), form.errors
    return form


def published_audience(author: Person, form: ComposeForm) -> tuple[str, set[int]]:
    made = drafts.submit(author, form.compose())
    assert isinstance(made, Post)
    return made.visibility, set(PostAudience.objects.filter(post=made).values_list("person_id", flat=True))


def assert_preview_matches_publishing(author: Person, form: ComposeForm, expected: set[Person]) -> None:
    shown = preview(form)
    assert not shown.public
    assert [p.handle for p in shown.people] == sorted(p.handle for p in expected)
    assert resolve_audience(author, form.compose()).person_ids == {p.id for p in expected}
    visibility, audience = published_audience(author, form)
    assert visibility == Visibility.LIMITED
    assert audience == {p.id for p in expected}


def test_public(alice, bob):
    factories.aspect(alice, "Family", bob)
    form = form_for(alice, audience=["public"])
    assert preview(form).public
    assert resolve_audience(alice, form.compose()).public
    visibility, audience = published_audience(alice, form)
    assert (visibility, audience) == (Visibility.PUBLIC, set())


def test_one_aspect(alice, bob, carol):
    family = factories.aspect(alice, "Family", bob)
    factories.aspect(alice, "Work", carol)
    assert_preview_matches_publishing(alice, form_for(alice, audience=[f"aspect:{family.id}"]), {bob})


def test_several_aspects(alice, bob, carol, dave):
    family = factories.aspect(alice, "Family", bob)
    work = factories.aspect(alice, "Work", carol)
    factories.aspect(alice, "Club", dave)
    form = form_for(alice, audience=[f"aspect:{family.id}", f"aspect:{work.id}"])
    assert_preview_matches_publishing(alice, form, {bob, carol})


def test_all_aspects_reach_followers_too(alice, bob, carol, dave):
    factories.aspect(alice, "Family", bob)
    factories.aspect(alice, "Work", carol)
    Follow.objects.create(follower=dave, followee=alice, state=FollowState.ACCEPTED)
    stranger = factories.person("erin")
    Follow.objects.create(follower=stranger, followee=alice, state=FollowState.PENDING)
    assert_preview_matches_publishing(alice, form_for(alice, audience=["all_aspects"]), {bob, carol, dave})


def test_chosen_people(alice, bob, carol, dave):
    family = factories.aspect(alice, "Family", bob)
    form = form_for(alice, audience=[f"aspect:{family.id}"], people="carol, dave")
    assert_preview_matches_publishing(alice, form, {bob, carol, dave})
    assert_preview_matches_publishing(alice, form_for(alice, people="carol"), {carol})


def test_limited_reply_reaches_whoever_sees_the_thread(alice, bob, carol, dave):
    family = factories.aspect(alice, "Family", bob, carol)
    post = services.publish_post(alice, "family only", visibility=Visibility.LIMITED, aspect_ids=[family.id])
    reply = Compose(text="me too", in_reply_to_id=post.id, visibility=Visibility.PUBLIC)
    audience = resolve_audience(bob, reply)
    assert not audience.public
    assert audience.person_ids == {alice.id, carol.id}
    comment = drafts.submit(bob, reply)
    # The comment went to its thread whatever visibility the client asked for.
    for person in (alice, carol, dave):
        assert can_see_comment(person, comment) == (person.id in audience.person_ids)
    assert can_see_post(dave, post) is False


def test_reply_to_a_public_post_is_public(alice, bob):
    post = services.publish_post(alice, "hello all")
    assert resolve_audience(bob, Compose(text="hi", in_reply_to_id=post.id)).public


def test_direct_reaches_the_people_mentioned(alice, bob, carol):
    compose = Compose(text="hi @bob", visibility=Visibility.DIRECT)
    assert resolve_audience(alice, compose).person_ids == {bob.id}
    made = drafts.submit(alice, compose)
    assert set(PostAudience.objects.filter(post=made).values_list("person_id", flat=True)) == {bob.id}


def test_one_set_of_checks_for_publishing_and_scheduling(alice, bob):
    later = timezone.now() + timedelta(hours=1)
    foreign = factories.aspect(bob, "Bob's")
    refused = [
        Compose(text=""),
        Compose(text="x", visibility="nonsense"),
        Compose(text="x", visibility=Visibility.LIMITED, aspect_ids=(foreign.id,)),
        Compose(text="x", media_ids=(123456,)),
        Compose(text="x", in_reply_to_id=None, visibility=Visibility.DIRECT),
    ]
    for compose in refused:
        with pytest.raises(Invalid):
            drafts.submit(alice, compose)
        with pytest.raises(Invalid):
            drafts.submit(alice, Compose(**{**compose.__dict__, "scheduled_at": later}))
    assert not Post.objects.exists()
    assert not ScheduledPost.objects.exists()
    alice.moved_to = bob
    alice.save(update_fields=["moved_to"])
    with pytest.raises(NotAllowed):
        check_compose(alice, Compose(text="x"))


def test_stored_drafts_written_before_compose_still_publish(alice, bob):
    family = factories.aspect(alice, "Family", bob)
    old_row = {
        "text": "from before", "visibility": "limited", "aspect_ids": [family.id], "all_aspects": False,
        "content_warning": "", "sensitive": False, "language": "", "media_ids": [], "poll": None,
        "in_reply_to_id": None, "extra": {"visibility": None, "idempotency": None},
    }
    ScheduledPost.objects.create(author=alice, scheduled_at=timezone.now() - timedelta(minutes=1), draft=old_row)
    assert drafts.publish_due() == 1
    post = Post.objects.get(source="from before")
    assert set(PostAudience.objects.filter(post=post).values_list("person_id", flat=True)) == {bob.id}
    # A Compose written now keeps that shape when it uses no new field.
    assert Compose.from_json(old_row).to_json() == old_row
    chosen = Compose(text="x", visibility=Visibility.LIMITED, person_ids=(bob.id,))
    assert Compose.from_json(chosen.to_json()) == chosen
