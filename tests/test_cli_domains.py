"""`kith moderation domain ...`, in-process (the command is thin over kith.moderation.domains),
and `kith user create` refusing a blocked e-mail address."""

from __future__ import annotations

import pytest

from kith import cli
from kith.moderation import email_blocks
from kith.moderation.models import AuditLogEntry, DomainPolicy
from kith.people.models import Person

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def in_process(monkeypatch):
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "tests.settings")


def test_suspend_limit_lift_and_list(in_process, capsys):
    Person.objects.create(username="eve", domain="sub.bad.example")
    assert cli.main(["moderation", "domain", "suspend", "Bad.Example.", "--reason", "raids",
                     "--public-reason", "harassment"]) == 0
    assert "bad.example: suspend (1 known person)" in capsys.readouterr().out
    policy = DomainPolicy.objects.get()
    assert (policy.domain, policy.severity, policy.private_comment, policy.public_comment) == (
        "bad.example", "suspend", "raids", "harassment"
    )
    assert cli.main(["moderation", "domain", "limit", "loud.example", "--reason", "spam"]) == 0
    capsys.readouterr()
    assert cli.main(["moderation", "domain", "list"]) == 0
    listed = capsys.readouterr().out
    assert "bad.example\tsuspend - raids" in listed
    assert "loud.example\tsilence - spam" in listed
    assert cli.main(["moderation", "domain", "lift", "loud.example"]) == 0
    assert "loud.example: policy lifted" in capsys.readouterr().out
    assert AuditLogEntry.objects.filter(action="domain.policy", actor=None).count() == 2


def test_errors_are_refusals_without_a_traceback(in_process, capsys):
    assert cli.main(["moderation", "domain", "suspend", "not a domain"]) == 2
    assert "is not a domain" in capsys.readouterr().err
    assert cli.main(["moderation", "domain", "lift", "nothing.example"]) == 2
    assert "No policy" in capsys.readouterr().err
    assert cli.main(["moderation", "domain", "import", "/nonexistent/file.csv"]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_export_then_import(in_process, capsys, tmp_path):
    cli.main(["moderation", "domain", "suspend", "a.example", "--public-reason", "why, \"quoted\""])
    exported = tmp_path / "blocks.csv"
    assert cli.main(["moderation", "domain", "export", str(exported)]) == 0
    assert exported.read_text().startswith("#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n")
    capsys.readouterr()
    assert cli.main(["moderation", "domain", "export"]) == 0
    assert capsys.readouterr().out == exported.read_text()
    cli.main(["moderation", "domain", "lift", "a.example"])
    capsys.readouterr()
    assert cli.main(["moderation", "domain", "import", str(exported)]) == 0
    assert "added 1, updated 0, unchanged 0" in capsys.readouterr().out
    assert DomainPolicy.objects.get().public_comment == 'why, "quoted"'
    bad = tmp_path / "bad.csv"
    bad.write_text("ok.example\nnot a domain\n")
    assert cli.main(["moderation", "domain", "import", str(bad)]) == 2
    assert "Line 2" in capsys.readouterr().err
    assert not DomainPolicy.objects.filter(domain="ok.example").exists()


def test_a_hostile_import_is_one_line_of_refusal(in_process, capsys, tmp_path):
    hostile = tmp_path / "hostile.csv"
    hostile.write_text("ok.example\n" + "x" * 140_000 + "\n")
    assert cli.main(["moderation", "domain", "import", str(hostile)]) == 2
    err = capsys.readouterr().err
    assert "Line 2" in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert not DomainPolicy.objects.exists()


def test_user_create_refuses_a_blocked_address(in_process, capsys):
    email_blocks.block_email(None, email="spammer@example.com")
    assert cli.main(["user", "create", "spammy", "--email", "Spam.Mer+1@example.com",
                     "--password", "a long passphrase"]) == 2
    assert "not possible" in capsys.readouterr().err
