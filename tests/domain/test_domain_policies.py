"""Domain policies (kith.moderation.domains): names, coverage of subdomains, each effect, the
allow-list, CSV import and export; and canonical e-mail blocks at sign-up."""

from __future__ import annotations

import hashlib

import pytest

from kith.core.errors import Conflict, Invalid, NotAllowed, NotFound
from kith.graph.models import Follow
from kith.moderation import domains, email_blocks
from kith.moderation.models import (
    AccountAction,
    ActionKind,
    AuditLogEntry,
    CanonicalEmailBlock,
    DomainAllow,
    DomainPolicy,
)
from kith.people.models import AccountState, Person, Role
from kith.people.remote import upsert_remote_person
from kith.people.services import create_local_account, set_role
from kith.social.models import Post
from kith.social.remote import RemoteContent, record_remote_post
from kith.timelines.models import Notification, NotificationKind
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def admin(db):
    return create_local_account("root_admin", "root@example.test", factories.PASSWORD, is_admin=True)


@pytest.fixture
def moderator(db):
    account = factories.person("mod").account
    set_role(None, account, Role.MODERATOR)
    account.refresh_from_db()
    return account


# ---- names ------------------------------------------------------------------------------


@pytest.mark.parametrize(("given", "expected"), [
    ("Example.COM", "example.com"),
    ("example.com.", "example.com"),
    ("  example.com ", "example.com"),
    ("bücher.example", "xn--bcher-kva.example"),
    ("BÜCHER.example.", "xn--bcher-kva.example"),
    ("https://Example.com/about", "example.com"),
    ("@example.com", "example.com"),
    ("*.example.com", "example.com"),
    ("example.com:8443", "example.com"),
    ("127.0.0.3:8000", "127.0.0.3"),
])
def test_domains_are_normalised(given, expected):
    assert domains.normalise_domain(given) == expected


@pytest.mark.parametrize("junk", ["", "   ", "exa mple.com", "-bad-.com", "xn--", "a@b.com", "a" * 300, "..", None, 5])
def test_junk_is_refused(junk):
    with pytest.raises(Invalid):
        domains.normalise_domain(junk)


def test_own_domain_is_refused(settings):
    with pytest.raises(Invalid):
        domains.normalise_domain(settings.KITH_DOMAIN)


def test_a_policy_covers_subdomains_and_the_most_specific_wins(admin):
    domains.set_policy(admin, "example.com", severity="suspend")
    domains.set_policy(admin, "ok.example.com", severity="noop", reject_media=True)
    assert domains.policy_for("example.com").severity == "suspend"
    assert domains.policy_for("Deep.Sub.EXAMPLE.com.").domain == "example.com"
    assert domains.policy_for("a.ok.example.com:8443").domain == "ok.example.com"
    assert domains.policy_for("notexample.com") is None
    assert domains.policy_for("example.com.evil") is None
    assert domains.refused_hosts({"example.com", "x.example.com:443", "ok.example.com", "other.net"}) == {
        "example.com", "x.example.com:443",
    }


def test_policy_for_is_one_query(admin, django_assert_num_queries):
    domains.set_policy(admin, "example.com")
    with django_assert_num_queries(1):
        domains.policy_for("a.b.c.d.example.com")


def test_only_admins_change_policies(moderator):
    with pytest.raises(NotAllowed):
        domains.set_policy(moderator, "example.com", severity="suspend")
    with pytest.raises(NotAllowed):
        domains.import_csv(moderator, "example.com\n")
    with pytest.raises(NotAllowed):
        domains.set_allowlist_mode(moderator, True)
    assert not DomainPolicy.objects.exists()


def test_set_and_lift_are_audited(admin):
    domains.set_policy(admin, "example.com", severity="silence", private_comment="spam wave")
    domains.set_policy(admin, "example.com", severity="noop", reject_reports=True)
    domains.lift_policy(admin, "EXAMPLE.com.")
    actions = list(
        AuditLogEntry.objects.filter(action__startswith="domain.").order_by("id").values_list("action", "actor_id", "reason")
    )
    assert actions == [
        ("domain.policy", admin.id, "spam wave"), ("domain.policy", admin.id, ""), ("domain.lift", admin.id, ""),
    ]
    with pytest.raises(NotFound):
        domains.lift_policy(admin, "example.com")


def test_severity_is_checked(admin):
    with pytest.raises(Invalid):
        domains.set_policy(admin, "example.com", severity="obliterate")


# ---- silence ----------------------------------------------------------------------------


def test_silence_limits_the_domains_people_and_those_seen_later(admin):
    there = factories.remote_person("eve", "example.com")
    sub = factories.remote_person("sam", "social.example.com:8443")
    elsewhere = factories.remote_person("zed", "other.net")
    domains.set_policy(admin, "example.com", severity="silence")
    assert Person.objects.get(id=there.id).limited
    assert Person.objects.get(id=sub.id).limited
    assert not Person.objects.get(id=elsewhere.id).limited
    newcomer = upsert_remote_person("newbie", "a.example.com")
    assert newcomer.limited
    assert not upsert_remote_person("newbie", "other.net").limited


def test_lifting_silence_keeps_people_limited_on_their_own_account(admin):
    plain = factories.remote_person("eve", "example.com")
    own = factories.remote_person("mal", "example.com")
    domains.set_policy(admin, "example.com", severity="silence")
    AccountAction.objects.create(target=own, kind=ActionKind.LIMIT, reason="own limit")
    domains.lift_policy(admin, "example.com")
    assert not Person.objects.get(id=plain.id).limited
    assert Person.objects.get(id=own.id).limited


def test_a_parent_silence_still_covers_after_lifting_a_subdomain_policy(admin):
    person = factories.remote_person("eve", "a.example.com")
    domains.set_policy(admin, "example.com", severity="silence")
    domains.set_policy(admin, "a.example.com", severity="noop", reject_media=True)
    domains.lift_policy(admin, "a.example.com")
    assert Person.objects.get(id=person.id).limited


# ---- suspend ----------------------------------------------------------------------------


def test_suspension_purges_content_severs_follows_and_notifies(admin, alice, bob):
    eve = factories.remote_person("eve", "example.com")
    sam = factories.remote_person("sam", "sub.example.com")
    zed = factories.remote_person("zed", "other.net")
    Follow.objects.create(follower=eve, followee=alice)
    Follow.objects.create(follower=sam, followee=alice)
    Follow.objects.create(follower=alice, followee=eve)
    Follow.objects.create(follower=bob, followee=zed)
    Follow.objects.create(follower=zed, followee=bob)
    eve_post = record_remote_post(eve, RemoteContent(html="<p>from example</p>"), visibility="public")
    zed_post = record_remote_post(zed, RemoteContent(html="<p>from other</p>"), visibility="public")

    domains.set_policy(admin, "example.com", severity="suspend", public_comment="harassment")

    for person in (eve, sam):
        person.refresh_from_db()
        assert person.state == AccountState.SUSPENDED
        assert person.suspended_at is not None
    assert Person.objects.get(id=zed.id).state == AccountState.ACTIVE
    assert not Post.objects.filter(id=eve_post.id).exists()
    assert Post.objects.filter(id=zed_post.id).exists()
    assert not Follow.objects.filter(follower__in=[eve, sam]).exists()
    assert not Follow.objects.filter(followee__in=[eve, sam]).exists()
    assert Follow.objects.filter(follower=bob, followee=zed).exists()
    notice = Notification.objects.get(recipient=alice, kind=NotificationKind.SEVERED_RELATIONSHIPS)
    assert notice.data == {"domain": "example.com", "followers_lost": 2, "following_lost": 1}
    assert not Notification.objects.filter(recipient=bob, kind=NotificationKind.SEVERED_RELATIONSHIPS).exists()


def test_running_the_suspension_again_changes_nothing(admin, alice):
    eve = factories.remote_person("eve", "example.com")
    Follow.objects.create(follower=eve, followee=alice)
    domains.set_policy(admin, "example.com", severity="suspend")
    from kith.core import events

    domains.carry_out_suspension(events.DomainSuspended("example.com"))
    assert Notification.objects.filter(kind=NotificationKind.SEVERED_RELATIONSHIPS).count() == 1


def test_a_lifted_suspension_does_nothing_when_its_event_runs_late(admin):
    eve = factories.remote_person("eve", "example.com")
    domains.set_policy(admin, "example.com", severity="noop")
    from kith.core import events

    domains.carry_out_suspension(events.DomainSuspended("example.com"))
    assert Person.objects.get(id=eve.id).state == AccountState.ACTIVE


def test_lifting_a_suspension_lets_the_people_back_but_not_those_suspended_on_their_own(admin):
    eve = factories.remote_person("eve", "example.com")
    mal = factories.remote_person("mal", "example.com")
    domains.set_policy(admin, "example.com", severity="suspend")
    AccountAction.objects.create(target=mal, kind=ActionKind.SUSPEND, reason="own suspension")
    domains.lift_policy(admin, "example.com")
    assert Person.objects.get(id=eve.id).state == AccountState.ACTIVE
    assert Person.objects.get(id=mal.id).state == AccountState.SUSPENDED


def test_a_suspended_person_is_not_revived_when_seen_again(admin):
    factories.remote_person("eve", "example.com")
    domains.set_policy(admin, "example.com", severity="suspend")
    assert upsert_remote_person("eve", "example.com").state == AccountState.SUSPENDED


def test_suspension_is_refused_federation_and_media_and_reports(admin):
    domains.set_policy(admin, "example.com", severity="suspend")
    assert not domains.federates_with("a.example.com:8443")
    assert domains.rejects_media("example.com")
    assert domains.rejects_reports("example.com")


def test_flags_alone(admin):
    domains.set_policy(admin, "media.example", severity="noop", reject_media=True)
    domains.set_policy(admin, "reports.example", severity="noop", reject_reports=True)
    assert domains.federates_with("media.example")
    assert domains.federates_with("reports.example")
    assert domains.rejects_media("media.example")
    assert not domains.rejects_reports("media.example")
    assert domains.rejects_reports("reports.example")
    assert not domains.rejects_media("reports.example")


# ---- allow-list ---------------------------------------------------------------------------


def test_allowlist_mode_federates_only_with_allowed_domains_and_subdomains(admin):
    assert domains.federates_with("anything.example")
    domains.allow_domain(admin, "Friends.Example.")
    domains.set_allowlist_mode(admin, True)
    assert domains.federates_with("friends.example")
    assert domains.federates_with("pod.friends.example:8443")
    assert not domains.federates_with("anything.example")
    domains.set_policy(admin, "bad.friends.example", severity="suspend")
    assert not domains.federates_with("bad.friends.example")
    domains.disallow_domain(admin, DomainAllow.objects.get())
    assert not domains.federates_with("friends.example")
    domains.set_allowlist_mode(admin, False)
    assert domains.federates_with("anything.example")


def test_refused_hosts_is_a_fixed_number_of_queries(admin, django_assert_max_num_queries):
    domains.set_policy(admin, "example.com", severity="suspend")
    many = {f"pod{n}.host{n}.example" for n in range(50)}
    with django_assert_max_num_queries(3):
        assert domains.refused_hosts(many) == set()


# ---- public list --------------------------------------------------------------------------


def test_public_list_obfuscates_and_hides_private_comments(admin):
    domains.set_policy(admin, "hidden-server.example", severity="suspend", public_comment="spam",
                       private_comment="secret", obfuscate=True)
    domains.set_policy(admin, "open.example", severity="silence")
    hidden, shown = domains.public_list()
    assert hidden.domain != "hidden-server.example"
    assert "*" in hidden.domain
    assert hidden.domain.startswith("hid")
    assert hidden.domain.endswith("ple")
    assert hidden.digest == hashlib.sha256(b"hidden-server.example").hexdigest()
    assert (hidden.severity, hidden.comment) == ("suspend", "spam")
    assert shown.domain == "open.example"


# ---- CSV ----------------------------------------------------------------------------------


def test_csv_round_trip(admin):
    domains.set_policy(admin, "a.example", severity="suspend", reject_media=True, public_comment='say "no", twice',
                       obfuscate=True)
    domains.set_policy(admin, "b.example", severity="silence", reject_reports=True)
    exported = domains.export_csv()
    assert exported.splitlines()[0] == "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate"
    assert "a.example,suspend,true,false" in exported
    for domain in ("a.example", "b.example"):
        domains.lift_policy(admin, domain)
    result = domains.import_csv(admin, exported)
    assert sorted(result.added) == ["a.example", "b.example"]
    assert domains.export_csv() == exported
    again = domains.import_csv(admin, exported)
    assert again.added == []
    assert sorted(again.skipped) == ["a.example", "b.example"]


def test_import_of_a_plain_list_suspends_and_reports_updates(admin):
    domains.set_policy(admin, "known.example", severity="silence")
    result = domains.import_csv(admin, "new.example\n\nKNOWN.example.\n# a comment\n")
    assert result.added == ["new.example"]
    assert result.updated == ["known.example"]
    assert set(DomainPolicy.objects.values_list("severity", flat=True)) == {"suspend"}


@pytest.mark.parametrize(("text", "line"), [
    ("#domain,#severity\nok.example,suspend\nnot a domain,suspend\n", 3),
    ("#domain,#severity\nok.example,obliterate\n", 2),
    ("#domain,#severity,#reject_media\nok.example,suspend,maybe\n", 2),
])
def test_bad_lines_refuse_the_whole_import_with_their_number(admin, text, line):
    with pytest.raises(Invalid, match=f"Line {line}"):
        domains.import_csv(admin, text)
    assert not DomainPolicy.objects.exists()


@pytest.mark.parametrize(("text", "line"), [
    # A field past the csv module's limit (131072): csv.Error, which must not escape as a 500.
    ("ok.example\n" + "x" * 140_000 + "\n", 2),
    ('#domain,#severity\nok.example,suspend\n"unclosed' + "y" * 140_000, 3),
    # Cells longer than any policy value, comments included, are refused before set_policy.
    ("#domain,#severity,#public_comment\nok.example,silence," + "z" * 6000 + "\n", 2),
    ("#domain,#severity,#private_comment\nok.example,silence," + "z" * 6000 + "\n", 2),
    ("ok.example" + ",x" * 100 + "\n", 1),
])
def test_a_hostile_file_is_refused_naming_its_line(admin, text, line):
    with pytest.raises(Invalid, match=f"Line {line}"):
        domains.import_csv(admin, text)
    assert not DomainPolicy.objects.exists()


def test_ensure_new_refuses_a_known_domain(admin):
    domains.set_policy(admin, "example.com")
    with pytest.raises(Conflict):
        domains.ensure_new("EXAMPLE.com")


# ---- canonical e-mail blocks ----------------------------------------------------------------


@pytest.mark.parametrize(("address", "canonical"), [
    ("Jane.Doe@Example.COM", "janedoe@example.com"),
    ("jane.doe+spam@example.com", "janedoe@example.com"),
    ("j.a.n.e+a+b@example.com", "jane@example.com"),
    ("jane@sub.example.com", "jane@sub.example.com"),
])
def test_canonical_email(address, canonical):
    assert email_blocks.canonical_email(address) == canonical
    assert email_blocks.canonical_email_hash(address) == hashlib.sha256(canonical.encode()).hexdigest()


@pytest.mark.parametrize("junk", ["", "no-at-sign", "@example.com", "+tag@example.com", "jane@"])
def test_canonical_email_refuses_junk(junk):
    with pytest.raises(Invalid):
        email_blocks.canonical_email(junk)


def test_blocked_address_cannot_sign_up_in_any_spelling(admin):
    email_blocks.block_email(admin, email="spammer@example.com")
    for spelling in ("spammer@example.com", "Spam.Mer+x@EXAMPLE.com"):
        with pytest.raises(NotAllowed):
            create_local_account("newcomer", spelling, factories.PASSWORD)
    assert create_local_account("newcomer", "someone@example.com", factories.PASSWORD)


def test_email_blocks_by_hash_and_removal(admin, moderator):
    digest = hashlib.sha256(b"x@example.com").hexdigest()
    block = email_blocks.block_email(admin, canonical_hash=digest.upper())
    assert block.canonical_email_hash == digest
    assert email_blocks.matching("X+1@example.com") == [block]
    with pytest.raises(Invalid):
        email_blocks.block_email(admin, canonical_hash="abc")
    with pytest.raises(Invalid):
        email_blocks.block_email(admin)
    with pytest.raises(NotAllowed):
        email_blocks.unblock_email(moderator, block.id)
    email_blocks.unblock_email(admin, block.id)
    assert not CanonicalEmailBlock.objects.exists()
    assert AuditLogEntry.objects.filter(action__startswith="email_block").count() == 2



def test_a_subdomain_policy_under_a_silenced_parent_decides_for_its_people(admin):
    sub = factories.remote_person("sam", "ok.example.com")
    domains.set_policy(admin, "example.com", severity="silence")
    assert Person.objects.get(id=sub.id).limited
    domains.set_policy(admin, "ok.example.com", severity="noop", reject_media=True)
    assert not Person.objects.get(id=sub.id).limited
    assert not upsert_remote_person("newbie", "ok.example.com").limited
    domains.lift_policy(admin, "ok.example.com")
    assert Person.objects.get(id=sub.id).limited


# A subdomain with a policy of its own is decided by it: the parent's bulk effects pass it by.


def test_silencing_the_parent_leaves_a_subdomain_with_its_own_noop_alone(admin):
    sub = factories.remote_person("sam", "ok.example.com")
    sub_port = factories.remote_person("sid", "deep.ok.example.com:8443")
    parent = factories.remote_person("eve", "example.com")
    domains.set_policy(admin, "ok.example.com", severity="noop", reject_media=True)
    domains.set_policy(admin, "example.com", severity="silence")
    assert Person.objects.get(id=parent.id).limited
    assert not Person.objects.get(id=sub.id).limited
    assert not Person.objects.get(id=sub_port.id).limited
    assert domains.persons_of("example.com") == 1


def test_lifting_the_parent_silence_keeps_a_silenced_subdomain_limited(admin):
    sub = factories.remote_person("sam", "loud.example.com")
    parent = factories.remote_person("eve", "example.com")
    domains.set_policy(admin, "example.com", severity="silence")
    domains.set_policy(admin, "loud.example.com", severity="silence")
    domains.lift_policy(admin, "example.com")
    assert not Person.objects.get(id=parent.id).limited
    assert Person.objects.get(id=sub.id).limited


def test_suspending_the_parent_leaves_a_subdomain_with_its_own_noop_untouched(admin, alice):
    sub = factories.remote_person("sam", "ok.example.com")
    parent = factories.remote_person("eve", "example.com")
    Follow.objects.create(follower=sub, followee=alice)
    Follow.objects.create(follower=parent, followee=alice)
    sub_post = record_remote_post(sub, RemoteContent(html="<p>fine</p>"), visibility="public")
    domains.set_policy(admin, "ok.example.com", severity="noop")
    domains.set_policy(admin, "example.com", severity="suspend")
    assert Person.objects.get(id=parent.id).state == AccountState.SUSPENDED
    assert Person.objects.get(id=sub.id).state == AccountState.ACTIVE
    assert Post.objects.filter(id=sub_post.id).exists()
    assert Follow.objects.filter(follower=sub, followee=alice).exists()
    assert not Follow.objects.filter(follower=parent).exists()
    notice = Notification.objects.get(recipient=alice, kind=NotificationKind.SEVERED_RELATIONSHIPS)
    assert notice.data["followers_lost"] == 1


def test_lifting_the_parent_suspension_keeps_a_suspended_subdomain_suspended(admin):
    sub = factories.remote_person("sam", "bad.example.com")
    parent = factories.remote_person("eve", "example.com")
    domains.set_policy(admin, "bad.example.com", severity="suspend")
    domains.set_policy(admin, "example.com", severity="suspend")
    domains.lift_policy(admin, "example.com")
    assert Person.objects.get(id=parent.id).state == AccountState.ACTIVE
    assert Person.objects.get(id=sub.id).state == AccountState.SUSPENDED


def test_a_suspended_persons_pictures_and_tags_go(admin):
    from kith.people.images import clean_profile_image_bytes
    from kith.people.remote import set_remote_profile_image, set_remote_profile_tags
    from tests.api.richdata import png_bytes

    eve = factories.remote_person("eve", "bad.example")
    set_remote_profile_image(eve, "avatar", clean_profile_image_bytes(png_bytes((40, 40)), max_side=400))
    set_remote_profile_tags(eve, ["cats"])
    assert Person.objects.get(id=eve.id).avatar
    domains.set_policy(admin, "bad.example", severity="suspend")
    eve.refresh_from_db()
    assert not eve.avatar
    assert not eve.profile_tags.exists()


def test_allowlist_mode_never_refuses_this_pod_itself(admin, settings):
    domains.set_allowlist_mode(admin, True)
    assert domains.federates_with(settings.KITH_DOMAIN)
    assert not domains.federates_with("stranger.example")


def test_the_pods_own_host_gets_no_policy_on_any_port(settings):
    settings.KITH_DOMAIN = "pod.example:8101"
    for own in ("pod.example", "POD.example.:8102", "https://pod.example:8101/about"):
        with pytest.raises(Invalid, match="this pod's own host"):
            domains.normalise_domain(own)
    assert domains.normalise_domain("other.example:8101") == "other.example"
