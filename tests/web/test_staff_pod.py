"""The moderation area's pod pages (rules, staff, audit log), the "Moderation" link, /about and
the rules on the sign-up page."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kith.moderation import rules as pod_rules
from kith.moderation.models import AuditLogEntry, PodRule
from kith.moderation.services import file_report
from kith.people.models import Account, Role
from kith.people.services import create_local_account, set_role
from tests import factories
from tests.web.conftest import client_for, page

pytestmark = pytest.mark.django_db(transaction=True)

POD_PAGES = ["/moderation/pod/rules", "/moderation/pod/roles", "/moderation/pod/log"]


@pytest.fixture
def admin():
    return create_local_account("boss", "boss@example.test", factories.PASSWORD, is_admin=True).person


@pytest.fixture
def moderator(admin):
    person = factories.person("mod")
    set_role(admin.account, person.account, Role.MODERATOR)
    return person


@pytest.fixture
def as_admin(admin) -> Client:
    return client_for(admin)


@pytest.fixture
def as_moderator(moderator) -> Client:
    return client_for(moderator)


def rule_texts() -> list[str]:
    return [rule.text for rule in pod_rules.active_rules()]


def assert_layout(html: str, url: str) -> None:
    """The shared layout's promises (tests/web/test_pages.py), on the staff pages too."""
    assert 'class="skip-link" href="#main"' in html, url
    assert not re.search(r"<[^>]+\sstyle=", html), url
    assert not re.search(r"<script(?![^>]*\ssrc=)", html), url
    for form in re.findall(r'<form method="post".*?</form>', html, flags=re.S):
        assert "csrfmiddlewaretoken" in form, (url, form[:200])
    # Every field has its label.
    for field_id in re.findall(r'<(?:input|select|textarea)(?![^>]*type="(?:hidden|submit)")[^>]*\sid="([^"]+)"', html):
        assert f'for="{field_id}"' in html, (url, field_id)


# ---- who gets in ----------------------------------------------------------------------------


def test_the_pod_pages_are_for_staff_and_their_changes_for_admins(admin, as_admin, as_moderator, as_alice):
    rule = pod_rules.add_rule(admin.account, "Be kind.")
    for url in POD_PAGES:
        assert_layout(page(as_admin, url), url)
        assert_layout(page(as_moderator, url), url)
        page(as_alice, url, status=404)  # does not even say the area exists
        assert Client().get(url)["Location"].startswith("/login")
    # Moderators read the rules and the staff, without the forms to change them.
    rules_page = page(as_moderator, "/moderation/pod/rules")
    assert "Be kind." in rules_page
    assert "Only an admin changes the rules." in rules_page
    assert "/moderation/pod/rules/add" not in rules_page
    assert "/moderation/pod/roles/" not in page(as_moderator, "/moderation/pod/roles")
    for url, data in [
        ("/moderation/pod/rules/add", {"new-text": "Mine."}),
        (f"/moderation/pod/rules/{rule.id}", {f"rule-{rule.id}-text": "Be mean."}),
        (f"/moderation/pod/rules/{rule.id}/move", {"direction": "down"}),
        (f"/moderation/pod/rules/{rule.id}/remove", {}),
        (f"/moderation/pod/roles/{as_alice_account_id()}", {"role": "admin"}),
        ("/moderation/pod/roles", {"username": "alice", "role": "admin"}),
    ]:
        assert as_moderator.post(url, data).status_code == 403, url
        assert as_alice.post(url, data).status_code == 404, url
    assert rule_texts() == ["Be kind."]
    assert Account.objects.get(username="alice").role == Role.USER


def as_alice_account_id() -> int:
    return Account.objects.get(username="alice").id


# ---- rules ----------------------------------------------------------------------------------


def test_an_admin_edits_the_rules_on_the_page(as_admin):
    for text in ("Be kind.", "No spam.", "Mark adult content sensitive."):
        response = as_admin.post("/moderation/pod/rules/add", {"new-text": text, "new-hint": ""})
        assert response.status_code == 302
    kind, spam, adult = pod_rules.active_rules()
    html = page(as_admin, "/moderation/pod/rules")
    assert html.index("Be kind.") < html.index("No spam.") < html.index("Mark adult content")
    assert "Move rule 1 up" not in html
    assert "Move rule 1 down" in html
    assert "Move rule 3 down" not in html

    response = as_admin.post(f"/moderation/pod/rules/{spam.id}",
                             {f"rule-{spam.id}-text": "No spam or ads.", f"rule-{spam.id}-hint": "Once is spam too."})
    assert response.status_code == 302
    assert as_admin.post(f"/moderation/pod/rules/{adult.id}/move", {"direction": "up"})["Location"].endswith(
        f"#rule-{adult.id}"
    )
    assert rule_texts() == ["Be kind.", "Mark adult content sensitive.", "No spam or ads."]
    assert as_admin.post(f"/moderation/pod/rules/{kind.id}/remove").status_code == 302
    assert rule_texts() == ["Mark adult content sensitive.", "No spam or ads."]
    html = page(as_admin, "/moderation/pod/rules")
    assert "Once is spam too." in html
    assert 'class="rule-text">Be kind.' not in html
    assert "Reports that cite it still show it." in html  # the message after removing

    # Wrong input is said in place with what was typed kept; nothing changes.
    response = as_admin.post(f"/moderation/pod/rules/{spam.id}", {f"rule-{spam.id}-text": "", f"rule-{spam.id}-hint": "kept hint"})
    assert response.status_code == 400
    assert "kept hint" in response.content.decode()
    response = as_admin.post("/moderation/pod/rules/add", {"new-text": "x" * 501})
    assert response.status_code == 400
    assert as_admin.post(f"/moderation/pod/rules/{spam.id}/move", {"direction": "sideways"}).status_code == 302
    for url in (f"/moderation/pod/rules/{kind.id}/remove", "/moderation/pod/rules/99999/remove",
                f"/moderation/pod/rules/{kind.id}"):
        assert as_admin.post(url, {f"rule-{kind.id}-text": "back"}).status_code == 404, url
    assert as_admin.get(f"/moderation/pod/rules/{kind.id}/remove").status_code == 405
    assert rule_texts() == ["Mark adult content sensitive.", "No spam or ads."]
    assert PodRule.objects.count() == 3
    assert AuditLogEntry.objects.filter(action__startswith="rule.").count() == 6


def test_the_rules_show_on_sign_up_and_about(admin, moderator, settings):
    settings.KITH_REGISTRATIONS_OPEN = True
    pod_rules.add_rule(admin.account, "Be kind.", "No insults.")
    signup = page(Client(), "/signup")
    assert "The rules of this pod" in signup
    assert "Be kind." in signup
    assert "No insults." in signup
    about = page(Client(), "/about")
    assert_layout(about, "/about")
    assert "Be kind." in about
    assert "No insults." in about
    assert "@boss@" in about
    assert "@mod@" in about
    assert 'href="/about"' in about  # the footer links it from every page


def test_the_about_page_says_when_there_are_no_rules():
    assert "This pod has set no rules of its own." in page(Client(), "/about")


# ---- roles ----------------------------------------------------------------------------------


def test_an_admin_gives_and_takes_roles_on_the_staff_page(admin, as_admin, alice, bob):
    response = as_admin.post("/moderation/pod/roles", {"username": "@Alice", "role": "moderator", "reason": "helps"})
    assert response.status_code == 302
    html = page(as_admin, "/moderation/pod/roles")
    assert "@alice@" in html
    assert "alice is now: Moderator." in html
    entry = AuditLogEntry.objects.get(action="account.role", target_id=str(alice.account_id))
    assert (entry.actor_id, entry.reason) == (admin.account_id, "helps")

    # The account page of the accounts part posts here with `next`.
    response = as_admin.post(f"/moderation/pod/roles/{bob.account_id}",
                             {"role": "admin", "next": f"/moderation/accounts/{bob.id}"})
    assert response["Location"] == f"/moderation/accounts/{bob.id}"
    assert Account.objects.get(id=bob.account_id).role == Role.ADMIN
    # The roles page's own forms are prefixed per person.
    response = as_admin.post(f"/moderation/pod/roles/{alice.account_id}",
                             {f"a{alice.account_id}-role": "user", "next": "https://elsewhere.example/"})
    assert response["Location"] == "/moderation/pod/roles"  # never off the site
    assert Account.objects.get(id=alice.account_id).role == Role.USER

    # Refusals are said, nothing changes.
    assert as_admin.post("/moderation/pod/roles", {"username": "nobody", "role": "admin"}).status_code == 400
    assert as_admin.post("/moderation/pod/roles", {"username": "alice", "role": "owner"}).status_code == 400
    assert as_admin.post("/moderation/pod/roles/99999", {"role": "admin"}).status_code == 404
    as_admin.post(f"/moderation/pod/roles/{bob.account_id}", {"role": "user"})
    response = as_admin.post(f"/moderation/pod/roles/{admin.account_id}", {"role": "user"}, follow=True)
    assert "The pod keeps at least one admin." in response.content.decode()
    assert Account.objects.get(id=admin.account_id).role == Role.ADMIN


# ---- the audit log --------------------------------------------------------------------------


def test_the_audit_log_page_lists_filters_and_pages(admin, as_moderator, alice, bob, settings, monkeypatch):
    rule = pod_rules.add_rule(admin.account, "Be kind.")
    set_role(admin.account, alice.account, Role.MODERATOR, "helps <b>out</b>")
    report = file_report(bob, reporter=alice, comment="spam")
    html = page(as_moderator, "/moderation/pod/log")
    # Newest first: who, what, target (linked), reason (escaped), when.
    assert html.index("report.file</code>") < html.index("account.role</code>") < html.index("rule.add</code>")
    assert f'href="/moderation/reports/{report.id}"' in html
    assert f'href="/moderation/accounts/{alice.id}"' in html
    assert "helps &lt;b&gt;out&lt;/b&gt;" in html
    assert f"rule {rule.id}: Be kind." in html
    assert "user → moderator" in html
    assert "<time datetime=" in html

    only = page(as_moderator, "/moderation/pod/log?action=rule.add")
    assert "rule.add</code>" in only
    assert "account.role</code>" not in only
    by_boss = page(as_moderator, "/moderation/pod/log?actor=boss")
    assert "account.role</code>" in by_boss
    assert "report.file</code>" not in by_boss
    about_bob = page(as_moderator, "/moderation/pod/log?target=bob")
    assert "report.file</code>" in about_bob
    assert "rule.add</code>" not in about_bob
    nobody = page(as_moderator, "/moderation/pod/log?actor=nobody")
    assert "Nobody called nobody is known here." in nobody
    # Hostile query strings are a page, never a 500 (a NUL is refused before any view: 400).
    for query in ("?before=abc", "?before=99999999999999999999999", "?actor=" + "x" * 5000, "?action=" + "y" * 5000,
                  "?target=" + "@" * 600, "?target=a@b@c"):
        assert as_moderator.get("/moderation/pod/log" + query).status_code == 200, query
    assert as_moderator.get("/moderation/pod/log?target=%00").status_code == 400

    monkeypatch.setattr("kith.moderation.log.PAGE_SIZE", 2)
    first = page(as_moderator, "/moderation/pod/log?actor=boss")
    older = re.search(r'<a href="(\?[^"]*before=\d+[^"]*)">Older entries', first)
    assert older, "a full page links the older entries"
    second = page(as_moderator, "/moderation/pod/log" + older.group(1).replace("&amp;", "&"))
    # boss: alice's role, the rule, then (older) the moderator's role.
    assert "rule.add</code>" in first
    assert "rule.add</code>" not in second
    assert second.count("account.role</code>") == 1
    assert "actor=boss" in older.group(1)


def test_the_audit_log_page_costs_the_same_queries_however_long(admin, as_admin, django_assert_max_num_queries):
    def grow(prefix: str, how_many: int) -> None:
        for number in range(how_many):
            person = factories.person(f"{prefix}{number}")
            set_role(admin.account, person.account, Role.MODERATOR)
            file_report(person, comment="x")
            pod_rules.add_rule(admin.account, f"Rule {prefix}{number}")

    grow("few", 1)
    with CaptureQueriesContext(connection) as few:
        page(as_admin, "/moderation/pod/log")
    grow("many", 20)
    with django_assert_max_num_queries(len(few)):
        page(as_admin, "/moderation/pod/log")


# ---- the main nav ---------------------------------------------------------------------------


def test_staff_see_the_moderation_link_with_the_open_reports(admin, as_moderator, as_alice, alice, bob):
    assert 'href="/moderation/"' not in page(as_alice, "/")
    html = page(as_moderator, "/")
    assert 'href="/moderation/"' in html
    assert 'id="open-reports"' not in html
    file_report(bob, reporter=alice, comment="spam")
    file_report(alice, reporter=bob, comment="spam too")
    html = page(as_moderator, "/")
    assert re.search(r'<span class="badge" id="open-reports">2<span class="visually-hidden"> open reports', html)
    # In the moderation area the main nav says where one is.
    assert '<a href="/moderation/" aria-current="page">Moderation' in page(as_moderator, "/moderation/pod/log")
    assert '<a href="/moderation/" aria-current="page">' not in page(as_moderator, "/")
