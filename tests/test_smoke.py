import pytest

from kith.social import services
from kith.social.models import Visibility
from kith.timelines import selectors
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def test_limited_post_reaches_aspect_member_only(alice, bob, carol):
    friends = factories.aspect(alice, "Friends", bob)
    post = services.publish_post(alice, "hello #friends", visibility=Visibility.LIMITED, aspect_ids=[friends.id])
    assert [p.id for p in selectors.stream(bob)] == [post.id]
    assert selectors.stream(carol) == []
    assert [p.id for p in selectors.stream(alice)] == [post.id]
