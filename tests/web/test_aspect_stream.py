"""diaspora*'s "My aspects" stream (issue 11, point 5): posts by the people in the chosen
aspects and one's own posts to them, chosen by a GET form that works without JavaScript and
remembers nothing; read from the stream rows through kith.visibility, in a fixed number of
queries whatever the page holds."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kith.graph.models import AspectMembership, Follow
from kith.graph.services import block, follow, mute
from kith.people.models import Person
from kith.social import services
from kith.social.models import Post, Visibility
from kith.timelines.models import StreamEntry, StreamReason
from tests import factories
from tests.web.conftest import client_for, page
from tests.web.test_queries import assert_constant, varied_posts

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/stream/aspects"


def shown(html: str) -> set[str]:
    """The texts of the posts on the page (each test post's text is one word)."""
    post_list = html.split('id="post-list"')[1].split("</ol>")[0]
    return set(re.findall(r"\b(post_[a-z_]+)\b", post_list))


def ticked(html: str) -> set[str]:
    return set(re.findall(r'name="aspect" value="(\d+)" id="choose-aspect-\d+" checked', html))


@pytest.fixture
def circle(alice, bob, carol, dave):
    """alice: Family (bob), Work (carol); she follows dave, who is in no aspect of hers."""
    family = factories.aspect(alice, "Family", bob)
    work = factories.aspect(alice, "Work", carol)
    follow(alice, dave)
    services.publish_post(bob, "post_by_bob")
    services.publish_post(carol, "post_by_carol")
    services.publish_post(dave, "post_by_dave")
    services.publish_post(alice, "post_alice_family", visibility=Visibility.LIMITED, aspect_ids=[family.id])
    services.publish_post(alice, "post_alice_work", visibility=Visibility.LIMITED, aspect_ids=[work.id])
    services.publish_post(alice, "post_alice_public")
    services.publish_post(alice, "post_alice_only_dave", visibility=Visibility.LIMITED, person_ids=[dave.id])
    return family, work


def test_all_aspects_by_default_and_nothing_of_people_in_none(circle, as_alice):
    html = page(as_alice, URL)
    assert shown(html) == {"post_by_bob", "post_by_carol", "post_alice_family", "post_alice_work", "post_alice_public"}
    family, work = circle
    assert ticked(html) == {str(family.id), str(work.id)}
    assert "Posts from all your aspects" in html
    # The plain stream still has everything: the aspect stream narrows, it never adds.
    assert {"post_by_dave", "post_alice_only_dave"} <= shown(page(as_alice, "/"))


def test_one_aspect_or_several_chosen_by_the_query_string(circle, as_alice):
    family, work = circle
    html = page(as_alice, f"{URL}?aspect={family.id}")
    assert shown(html) == {"post_by_bob", "post_alice_family", "post_alice_public"}
    assert ticked(html) == {str(family.id)}
    assert "Posts from Family" in html
    assert f'href="{URL}"' in html  # back to all aspects

    html = page(as_alice, f"{URL}?aspect={work.id}")
    assert shown(html) == {"post_by_carol", "post_alice_work", "post_alice_public"}

    both = page(as_alice, f"{URL}?aspect={family.id}&aspect={work.id}")
    assert shown(both) == shown(page(as_alice, URL))
    assert ticked(both) == {str(family.id), str(work.id)}


def test_the_choice_is_a_get_form_and_nothing_is_remembered(circle, as_alice):
    family, _work = circle
    html = page(as_alice, URL)
    form = html.split('class="aspect-choice"')[0].rsplit("<form", 1)[1]
    assert 'method="get"' in form
    assert f'action="{URL}"' in form
    page(as_alice, f"{URL}?aspect={family.id}")
    assert "post_by_carol" in shown(page(as_alice, URL))  # the next visit without a choice shows all


def test_aspect_ids_that_are_not_yours_choose_nothing(circle, alice, bob, carol, as_alice, as_bob):
    family, work = circle
    bobs = factories.aspect(bob, "Mine", alice)
    for hostile in (f"aspect={bobs.id}", "aspect=abc", "aspect=-1", "aspect=99999999999999999999999999", "aspect="):
        html = page(as_alice, f"{URL}?{hostile}")
        assert shown(html) == shown(page(as_alice, URL)), hostile
        assert "None of the aspects in that link is yours" in html, hostile
    # Mixed with one of one's own: only that one, and no complaint.
    html = page(as_alice, f"{URL}?aspect={bobs.id}&aspect={family.id}")
    assert shown(html) == {"post_by_bob", "post_alice_family", "post_alice_public"}
    assert "None of the aspects" not in html
    # bob naming alice's Work aspect (carol) does not get its members: his own aspects instead.
    follow(bob, carol)
    services.publish_post(carol, "post_carol_to_followers")
    assert "post_carol_to_followers" in shown(page(as_bob, "/"))
    html = page(as_bob, f"{URL}?aspect={work.id}")
    assert "post_carol_to_followers" not in shown(html)
    assert "None of the aspects in that link is yours" in html


def test_visibility_blocks_and_mutes_apply_after_fan_out(circle, alice, bob, carol, as_alice):
    family, work = circle
    block(alice, carol)
    mute(alice, bob)
    html = page(as_alice, URL)
    assert "post_by_carol" not in shown(html)
    assert "post_by_bob" not in shown(html)
    # A limited post of bob's to an aspect alice is not in never reached her stream rows.
    others = factories.aspect(bob, "Others", carol)
    services.publish_post(bob, "post_bob_secret", visibility=Visibility.LIMITED, aspect_ids=[others.id])
    assert "post_bob_secret" not in shown(page(as_alice, URL))


def test_load_more_keeps_the_chosen_aspects(circle, alice, bob, carol, as_alice):
    family, _work = circle
    for number in range(25):
        services.publish_post(bob, f"post_bob_{'x' * (number + 1)}")
        services.publish_post(carol, f"post_carol_{'y' * (number + 1)}")
    html = page(as_alice, f"{URL}?aspect={family.id}")
    assert not any(text.startswith("post_carol") for text in shown(html))
    more = re.search(r'rel="next" href="\?([^"]+)"', html).group(1).replace("&amp;", "&")
    assert f"aspect={family.id}" in more
    older = page(as_alice, f"{URL}?{more}")
    assert older != html
    assert "post_by_bob" in shown(older)
    assert not any(text.startswith("post_carol") for text in shown(older))
    # htmx's "load more" gets the items alone, still narrowed.
    fragment = as_alice.get(f"{URL}?{more}", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment
    assert "post_by_bob" in fragment
    assert "post_carol" not in fragment


def test_visitors_are_sent_to_log_in_and_people_without_aspects_told_how(carol):
    response = Client().get(URL)
    assert response.status_code == 302
    assert "/login" in response["Location"]
    html = page(client_for(carol), URL)
    assert "You have no aspects." in html
    assert 'href="/aspects"' in html


def test_the_stream_and_the_aspects_page_link_to_it(circle, as_alice):
    family, _work = circle
    assert f'href="{URL}"' in page(as_alice, "/")
    assert f'href="{URL}?aspect={family.id}"' in page(as_alice, "/aspects")


# ---- queries ---------------------------------------------------------------------------


@pytest.fixture
def world(alice, bob, carol):
    follow(alice, bob)
    follow(alice, carol)
    factories.aspect(alice, "Friends", bob)
    factories.aspect(alice, "Colleagues", carol)
    return [bob, carol]


def test_queries_do_not_grow_with_the_page(alice, world, as_alice, django_assert_max_num_queries):
    varied_posts(world, alice, 5)
    for url in (URL, f"{URL}?aspect={alice.aspects.first().id}"):
        assert_constant(as_alice, url, lambda: varied_posts(world, alice, 30), django_assert_max_num_queries)


def test_queries_do_not_grow_with_aspect_members_and_posts(alice, as_alice):
    """200 people in four aspects, 10,000 posts in alice's stream rows (bulk-inserted, as
    tests/web/test_stream_scale.py does): the same number of queries as with one post."""
    aspects = [factories.aspect(alice, name) for name in ("A", "B", "C", "D")]
    people = Person.objects.bulk_create(
        Person(username=f"member{n}", domain="far.example" if n % 2 else "") for n in range(200)
    )
    Follow.objects.bulk_create(Follow(follower=alice, followee=person) for person in people)
    AspectMembership.objects.bulk_create(
        AspectMembership(aspect=aspects[n % 4], person=person) for n, person in enumerate(people)
    )

    def add_posts(count: int, start: int) -> None:
        now = timezone.now()
        posts = Post.objects.bulk_create(
            Post(author=people[n % len(people)], visibility=Visibility.PUBLIC, source=f"post {n}",
                 html=f"<p>post {n}</p>", created_at=now - timedelta(seconds=count - n))
            for n in range(start, start + count)
        )
        StreamEntry.objects.bulk_create(StreamEntry(owner=alice, post=p, reason=StreamReason.FOLLOWING) for p in posts)

    add_posts(1, 0)
    urls = (URL, f"{URL}?aspect={aspects[0].id}&aspect={aspects[2].id}")
    before = {}
    for url in urls:
        with CaptureQueriesContext(connection) as captured:
            assert as_alice.get(url).status_code == 200
        before[url] = len(captured.captured_queries)
    add_posts(10_000, 1)
    for url in urls:
        with CaptureQueriesContext(connection) as captured:
            html = as_alice.get(url).content.decode()
        assert len(captured.captured_queries) == before[url], url
        assert html.count('<article class="post"') == 20, url
