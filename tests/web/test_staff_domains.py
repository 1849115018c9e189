"""The moderation area's domain pages (/moderation/domains/) and e-mail blocks: admins change,
moderators read, others do not see the area; sign-up refuses a blocked address."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kith.moderation import domains, email_blocks
from kith.moderation.models import CanonicalEmailBlock, DomainAllow, DomainPolicy, FederationSettings
from kith.people.models import Account, Role
from kith.people.services import set_role
from tests import factories
from tests.factories import PASSWORD
from tests.web.conftest import client_for, page

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def as_admin():
    person = factories.person("boss")
    set_role(None, person.account, Role.ADMIN)
    return client_for(person)


@pytest.fixture
def as_moderator():
    person = factories.person("mod")
    set_role(None, person.account, Role.MODERATOR)
    return client_for(person)


def test_others_do_not_see_the_area(as_alice):
    assert as_alice.get("/moderation/domains/").status_code == 404
    assert as_alice.get("/moderation/domains/email-blocks/").status_code == 404
    assert Client().get("/moderation/domains/").status_code == 302


def test_admin_adds_edits_and_lifts_a_policy(as_admin):
    assert "No domain policies" in page(as_admin, "/moderation/domains/")
    assert 'name="severity"' in page(as_admin, "/moderation/domains/new")
    response = as_admin.post("/moderation/domains/new", {
        "domain": "Bad.Example.", "severity": "suspend", "reject_media": "on",
        "public_comment": "harassment", "private_comment": "raids on the 3rd",
    })
    assert response.status_code == 302
    policy = DomainPolicy.objects.get()
    assert (policy.domain, policy.severity, policy.reject_media) == ("bad.example", "suspend", True)
    listing = page(as_admin, "/moderation/domains/")
    assert "bad.example" in listing
    assert "raids on the 3rd" in listing
    assert "boss" in listing
    edit = page(as_admin, f"/moderation/domains/{policy.id}/edit")
    assert "harassment" in edit
    response = as_admin.post(f"/moderation/domains/{policy.id}/edit", {"domain": "ignored.example", "severity": "silence"})
    assert response.status_code == 302
    policy.refresh_from_db()
    assert (policy.domain, policy.severity, policy.reject_media) == ("bad.example", "silence", False)
    assert as_admin.get(f"/moderation/domains/{policy.id}/lift").status_code == 405
    assert as_admin.post(f"/moderation/domains/{policy.id}/lift").status_code == 302
    assert not DomainPolicy.objects.exists()


def test_form_errors_are_shown_with_their_status(as_admin):
    response = as_admin.post("/moderation/domains/new", {"domain": "not a domain", "severity": "suspend"})
    assert response.status_code == 422
    assert "is not a domain" in response.content.decode()
    domains.set_policy(None, "taken.example")
    response = as_admin.post("/moderation/domains/new", {"domain": "TAKEN.example", "severity": "suspend"})
    assert response.status_code == 409
    assert as_admin.post("/moderation/domains/new", {"domain": "x.example", "severity": "nuke"}).status_code == 400
    assert as_admin.get("/moderation/domains/999999/edit").status_code == 404


def test_moderators_read_but_do_not_change(as_moderator):
    domains.set_policy(None, "bad.example", severity="suspend", private_comment="why")
    listing = page(as_moderator, "/moderation/domains/")
    assert "bad.example" in listing
    assert "/lift" not in listing
    assert as_moderator.get("/moderation/domains/new").status_code == 403
    assert as_moderator.post("/moderation/domains/new", {"domain": "x.example", "severity": "suspend"}).status_code == 403
    policy = DomainPolicy.objects.get()
    assert as_moderator.post(f"/moderation/domains/{policy.id}/lift").status_code == 403
    assert as_moderator.post("/moderation/domains/allowlist", {"enabled": "1"}).status_code == 403
    assert as_moderator.get("/moderation/domains/export").status_code == 200
    assert DomainPolicy.objects.count() == 1


def test_export_and_import(as_admin):
    domains.set_policy(None, "a.example", severity="suspend", public_comment="spam")
    response = as_admin.get("/moderation/domains/export")
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    exported = response.content
    assert exported.startswith(b"#domain,#severity")
    domains.lift_policy(None, "a.example")
    upload = SimpleUploadedFile("blocks.csv", exported + b"b.example,silence,false,false,,false\n", "text/csv")
    response = as_admin.post("/moderation/domains/import", {"file": upload})
    assert response.status_code == 200
    assert "Added 2, updated 0, unchanged 0" in response.content.decode()
    assert set(DomainPolicy.objects.values_list("domain", flat=True)) == {"a.example", "b.example"}
    bad = SimpleUploadedFile("bad.csv", b"c.example\nnot a domain\n", "text/csv")
    response = as_admin.post("/moderation/domains/import", {"file": bad})
    assert response.status_code == 422
    assert "Line 2" in response.content.decode()
    assert not DomainPolicy.objects.filter(domain="c.example").exists()
    binary = SimpleUploadedFile("x.csv", b"\xff\xfe\x00junk", "text/csv")
    assert as_admin.post("/moderation/domains/import", {"file": binary}).status_code == 400
    assert as_admin.post("/moderation/domains/import", {}).status_code == 400


def test_a_hostile_import_is_a_clear_refusal_not_a_500(as_admin):
    huge = SimpleUploadedFile("huge.csv", b"ok.example\n" + b"x" * 140_000 + b"\n", "text/csv")
    response = as_admin.post("/moderation/domains/import", {"file": huge})
    assert response.status_code == 422
    assert "Line 2" in response.content.decode()
    assert not DomainPolicy.objects.exists()


def test_allowlist_mode_and_allowed_domains(as_admin):
    assert as_admin.post("/moderation/domains/allows", {"domain": "Friends.Example"}).status_code == 302
    assert DomainAllow.objects.get().domain == "friends.example"
    assert as_admin.post("/moderation/domains/allowlist", {"enabled": "1"}).status_code == 302
    assert FederationSettings.objects.get(id=1).allowlist_mode
    listing = page(as_admin, "/moderation/domains/")
    assert "friends.example" in listing
    assert "Turn allow-list mode off" in listing
    allow = DomainAllow.objects.get()
    assert as_admin.post(f"/moderation/domains/allows/{allow.id}/remove").status_code == 302
    assert not DomainAllow.objects.exists()
    as_admin.post("/moderation/domains/allowlist", {"enabled": "0"})
    assert not FederationSettings.objects.get(id=1).allowlist_mode


def test_email_blocks_are_for_admins_only_as_in_the_admin_api(as_admin, as_moderator):
    """Mastodon's canonical_email_blocks need Manage Blocks; the API is admin-only, so is the page."""
    as_admin.post("/moderation/domains/email-blocks/add", {"email": "spammer@example.com"})
    block = CanonicalEmailBlock.objects.get()
    assert as_moderator.get("/moderation/domains/email-blocks/").status_code == 403
    assert as_moderator.post("/moderation/domains/email-blocks/test", {"email": "spammer@example.com"}).status_code == 403
    assert as_moderator.post("/moderation/domains/email-blocks/add", {"email": "a@example.com"}).status_code == 403
    assert as_moderator.post(f"/moderation/domains/email-blocks/{block.id}/remove").status_code == 403
    assert "E-mail blocks" not in page(as_moderator, "/moderation/domains/")
    assert "E-mail blocks" in page(as_admin, "/moderation/domains/")


def test_email_blocks_page(as_admin, as_moderator):
    response = as_admin.post("/moderation/domains/email-blocks/add", {"email": "Spam.Mer+x@example.com"})
    assert response.status_code == 302
    digest = hashlib.sha256(b"spammer@example.com").hexdigest()
    assert CanonicalEmailBlock.objects.get().canonical_email_hash == digest
    assert digest in page(as_admin, "/moderation/domains/email-blocks/")
    tested = as_admin.post("/moderation/domains/email-blocks/test", {"email": "spammer+y@example.com"})
    assert "spammer@example.com is blocked" in tested.content.decode()
    tested = as_admin.post("/moderation/domains/email-blocks/test", {"email": "other@example.com"})
    assert "other@example.com is not blocked" in tested.content.decode()
    assert as_admin.post("/moderation/domains/email-blocks/test", {"email": "nonsense"}).status_code == 422
    block = CanonicalEmailBlock.objects.get()
    assert as_admin.post(f"/moderation/domains/email-blocks/{block.id}/remove").status_code == 302
    assert not CanonicalEmailBlock.objects.exists()
    assert as_admin.post("/moderation/domains/email-blocks/999/remove").status_code == 404


def test_signup_refuses_a_blocked_address(settings):
    CanonicalEmailBlock.objects.create(canonical_email_hash=hashlib.sha256(b"spammer@example.com").hexdigest())
    signup = {"username": "spammy", "email": "S.pammer+1@Example.com", "password": PASSWORD, "password2": PASSWORD}
    for confirm in (False, True):
        settings.KITH_SIGNUP_CONFIRM_EMAIL = confirm
        response = Client().post("/signup", signup)
        assert response.status_code == 403
        assert "not possible" in response.content.decode()


def test_lists_take_a_fixed_number_of_queries(as_admin):
    def queries(url: str) -> int:
        as_admin.get(url)
        with CaptureQueriesContext(connection) as captured:
            assert as_admin.get(url).status_code == 200
        return len(captured.captured_queries)

    admin = Account.objects.get(username="boss")
    domains.set_policy(admin, "one.example")
    domains.allow_domain(admin, "ok.example")
    email_blocks.block_email(admin, email="first@example.com")
    few_domains, few_emails = queries("/moderation/domains/"), queries("/moderation/domains/email-blocks/")
    for number in range(15):
        domains.set_policy(admin, f"pod{number}.example", severity="silence", public_comment="why")
        domains.allow_domain(admin, f"ok{number}.example")
        email_blocks.block_email(admin, email=f"spam{number}@example.com")
    assert queries("/moderation/domains/") == few_domains
    assert queries("/moderation/domains/email-blocks/") == few_emails


def test_the_policy_list_is_paged_in_domain_order(as_moderator, as_admin):
    from kith.web.views.staff.domains import PAGE_SIZE

    DomainPolicy.objects.bulk_create(
        DomainPolicy(domain=f"pod{number:03d}.example", severity="silence") for number in range(PAGE_SIZE + 3)
    )
    first = page(as_moderator, "/moderation/domains/")
    assert "pod000.example" in first
    assert f"pod{PAGE_SIZE - 1:03d}.example" in first
    assert f"pod{PAGE_SIZE:03d}.example" not in first
    assert f'href="?after=pod{PAGE_SIZE - 1:03d}.example"' in first
    second = page(as_moderator, f"/moderation/domains/?after=pod{PAGE_SIZE - 1:03d}.example")
    assert [f"pod{number:03d}.example" in second for number in (PAGE_SIZE - 1, PAGE_SIZE, PAGE_SIZE + 2)] == [
        False, True, True,
    ]
    assert "?after=" not in second
    assert "No more domain policies" in page(as_admin, "/moderation/domains/?after=zzz")


def test_phone_width_markup_has_no_tables(as_admin):
    domains.set_policy(None, "one.example")
    assert "<table" not in page(as_admin, "/moderation/domains/")


def test_about_page_lists_moderated_servers_publicly():
    assert "federates with every server" in page(Client(), "/about")
    domains.set_policy(None, "hidden-server.example", severity="suspend", public_comment="spam waves",
                       private_comment="never shown", obfuscate=True)
    domains.set_policy(None, "loud.example", severity="silence")
    domains.set_policy(None, "reports-only.example", severity="noop", reject_reports=True)
    about = page(Client(), "/about")
    assert "loud.example" in about
    assert "spam waves" in about
    assert "hidden-server.example" not in about
    assert hashlib.sha256(b"hidden-server.example").hexdigest() in about
    assert "never shown" not in about
    assert "reports-only.example" not in about
