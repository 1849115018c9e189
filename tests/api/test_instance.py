"""The pod as Mastodon clients see it: /api/v1|v2/instance, peers, activity, rules, emojis, preferences."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kith import __version__
from kith.social import media, services
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()  # the instance counts are cached for a minute


@pytest.fixture
def admin(db):
    person = factories.person("ada")
    person.account.is_staff = True
    person.account.save()
    return person


def test_v1_instance_in_mastodon_shape(api_as, settings, admin, alice, bob):
    settings.KITH_STREAMING_URL = ""
    post = services.publish_post(alice, "hello")
    services.add_comment(bob, post, "hi back")
    factories.remote_person("zed", "remote.example")
    factories.remote_person("yan", "other.example:8443")

    status, body = api_as(None).get("/api/v1/instance/")  # Mastodon.py adds the slash
    assert status == 200
    assert re.match(r"^\d+\.\d+\.\d+ ", body["version"])  # Mastodon.py reads X.Y.Z from the start
    assert body["version"] == f"4.3.0 (compatible; Kith {__version__})"
    assert body["uri"] == settings.KITH_DOMAIN == "testserver"
    assert body["title"] == "testserver"
    assert body["urls"] == {"streaming_api": "ws://testserver"}
    assert body["stats"] == {"user_count": 3, "status_count": 2, "domain_count": 2}
    assert body["registrations"] is settings.KITH_REGISTRATIONS_OPEN
    assert body["contact_account"]["username"] == "ada"
    assert body["rules"] == []
    config = body["configuration"]
    assert config["statuses"]["max_characters"] == services.MAX_POST_CHARS
    assert config["statuses"]["max_media_attachments"] == services.MAX_MEDIA_PER_POST
    assert config["media_attachments"]["supported_mime_types"] == list(media.UPLOAD_TYPES.values())
    assert config["media_attachments"]["image_size_limit"] == settings.KITH_MAX_UPLOAD_BYTES
    assert config["media_attachments"]["video_size_limit"] == 0
    assert config["polls"] == {
        "max_options": services.MAX_POLL_OPTIONS, "max_characters_per_option": services.MAX_POLL_OPTION_CHARS,
        "min_expiration": 300, "max_expiration": 31 * 24 * 3600,
    }


def test_v2_instance_in_mastodon_shape(api_as, settings, admin, alice):
    settings.KITH_STREAMING_URL = "wss://stream.example"
    settings.KITH_REGISTRATIONS_OPEN = False
    status, body = api_as(None).get("/api/v2/instance")
    assert status == 200
    assert body["domain"] == "testserver"
    assert body["version"].startswith("4.3.0 (compatible; Kith ")
    assert body["api_versions"] == {"mastodon": 2}
    assert body["configuration"]["urls"] == {"streaming": "wss://stream.example"}
    assert body["configuration"]["statuses"]["max_characters"] == services.MAX_POST_CHARS
    assert body["configuration"]["translation"] == {"enabled": False}
    assert body["registrations"] == {"enabled": False, "approval_required": False, "message": None}
    assert body["contact"]["account"]["acct"] == "ada"
    assert body["usage"]["users"]["active_month"] == 0
    assert body["thumbnail"]["url"].startswith("http://testserver/")
    assert "vapid" not in body["configuration"]  # no Web Push in Kith


def test_instance_without_an_admin_has_no_contact(api_as, alice):
    assert api_as(None).get("/api/v1/instance")[1]["contact_account"] is None
    assert api_as(None).get("/api/v2/instance")[1]["contact"] == {"email": "", "account": None}


def test_streaming_url_defaults_to_the_pods_origin(api_as, settings):
    settings.KITH_STREAMING_URL = ""
    settings.KITH_URL = "https://pod.example"
    assert api_as(None).get("/api/v2/instance")[1]["configuration"]["urls"]["streaming"] == "wss://pod.example"


def test_peers_are_the_known_remote_domains(api_as, alice):
    assert api_as(None).get("/api/v1/instance/peers") == (200, [])
    factories.remote_person("zed", "b.example")
    factories.remote_person("zoe", "b.example")
    factories.remote_person("amy", "a.example")
    assert api_as(None).get("/api/v1/instance/peers") == (200, ["a.example", "b.example"])


def test_peers_cost_the_same_queries_for_one_or_many(api_as):
    client = api_as(None)
    factories.remote_person("one", "one.example")
    with CaptureQueriesContext(connection) as one:
        client.get("/api/v1/instance/peers")
    for number in range(10):
        factories.remote_person(f"p{number}", f"host{number}.example")
    with CaptureQueriesContext(connection) as many:
        client.get("/api/v1/instance/peers")
    assert len(many) == len(one)


def test_activity_counts_this_weeks_statuses_logins_and_signups(api_as, alice, bob):
    post = services.publish_post(alice, "one")
    services.publish_post(bob, "two")
    services.add_comment(bob, post, "three")
    factories.remote_person("zed")  # remote people are not sign-ups
    Client().post("/login", {"username": "alice", "password": factories.PASSWORD})

    status, weeks = api_as(None).get("/api/v1/instance/activity")
    assert status == 200
    assert len(weeks) == 12
    this_week = weeks[0]
    assert this_week == {"week": this_week["week"], "statuses": "3", "logins": "1", "registrations": "2"}
    assert int(weeks[0]["week"]) - int(weeks[1]["week"]) == 7 * 24 * 3600
    assert all(week["statuses"] == "0" for week in weeks[1:])


def test_activity_costs_the_same_queries_for_few_or_many_posts(api_as, alice):
    client = api_as(None)
    services.publish_post(alice, "first")
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/instance/activity")
    for number in range(8):
        services.publish_post(alice, f"post {number}")
    with CaptureQueriesContext(connection) as many:
        client.get("/api/v1/instance/activity")
    assert len(many) == len(few)


def test_rules_are_the_pods_rules_with_their_ids_and_hints(api_as, settings):
    from kith.moderation import rules as pod_rules

    assert api_as(None).get("/api/v1/instance/rules") == (200, [])
    kind = pod_rules.add_rule(None, "Be kind", "No insults.")
    spam = pod_rules.add_rule(None, "No spam")
    gone = pod_rules.add_rule(None, "Removed later")
    pod_rules.remove_rule(None, gone.id)
    pod_rules.reorder_rules(None, [spam.id, kind.id])
    assert api_as(None).get("/api/v1/instance/rules") == (200, [
        {"id": str(spam.id), "text": "No spam", "hint": ""}, {"id": str(kind.id), "text": "Be kind", "hint": "No insults."},
    ])
    assert api_as(None).get("/api/v1/instance")[1]["rules"][1]["text"] == "Be kind"
    assert api_as(None).get("/api/v2/instance")[1]["rules"][0]["id"] == str(spam.id)


def test_rules_still_only_in_the_setting_are_shown(api_as, settings):
    settings.KITH_POD_RULES = ["Be kind", "No spam"]
    status, rules = api_as(None).get("/api/v1/instance/rules")
    assert status == 200
    assert [(rule["text"], rule["hint"]) for rule in rules] == [("Be kind", ""), ("No spam", "")]
    assert api_as(None).get("/api/v1/instance/rules")[1] == rules  # seeded once: the same ids


def test_custom_emojis_are_none(api_as):
    assert api_as(None).get("/api/v1/custom_emojis") == (200, [])


def test_preferences_need_a_token_that_may_read_the_account(api_as, alice):
    assert api_as(None).get("/api/v1/preferences")[0] == 401
    assert api_as(alice, scopes="write").get("/api/v1/preferences")[0] == 403
    status, body = api_as(alice, scopes="read:accounts").get("/api/v1/preferences")
    assert status == 200
    assert body == {
        "posting:default:visibility": "public", "posting:default:sensitive": False,
        "posting:default:language": None, "reading:expand:media": "default", "reading:expand:spoilers": False,
    }
