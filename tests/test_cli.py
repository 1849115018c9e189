"""The `kith` command, run as real processes against a pod on disk (and, on the PostgreSQL
run, a fresh database of its own); a few error paths in-process where that is enough."""

from __future__ import annotations

import io
import re
import socket
import tomllib
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from huey import RedisHuey

from kith import cli
from tests.conftest import REPO_ROOT, wait_until

server = pytest.mark.server


def test_console_script_is_declared():
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    assert project["project"]["scripts"]["kith"] == "kith.cli:main"


# ---- kith user create ------------------------------------------------------------------


@server
def test_user_create_then_the_same_name_again(make_pod):
    pod = make_pod()
    done = pod.kith("user", "create", "alice", "--email", "alice@example.test", "--password", "a long passphrase")
    assert done.returncode == 0, done.stderr
    assert "created alice@" in done.stdout
    rows = pod.query(
        "SELECT a.username, a.email, a.is_staff, p.domain FROM people_account a "
        "JOIN people_person p ON p.account_id = a.id"
    )
    assert [(name, email, bool(staff), domain) for name, email, staff, domain in rows] == [
        ("alice", "alice@example.test", False, "")
    ]

    again = pod.kith("user", "create", "Alice", "--email", "other@example.test", "--password", "a long passphrase")
    assert again.returncode == 2
    assert "username is taken" in again.stderr
    assert "Traceback" not in again.stderr
    assert pod.query("SELECT COUNT(*) FROM people_account")[0][0] == 1


@server
def test_user_create_admin_reads_the_password_from_stdin(make_pod):
    pod = make_pod()
    done = pod.kith("user", "create", "carol", "--email", "carol@example.test", "--admin", input="a long passphrase\n")
    assert done.returncode == 0, done.stderr
    assert "(admin)" in done.stdout
    [(staff, superuser)] = pod.query("SELECT is_staff, is_superuser FROM people_account WHERE username = 'carol'")
    assert bool(staff)
    assert bool(superuser)


@server
def test_user_create_refuses_an_unmigrated_database(make_pod):
    pod = make_pod(migrated=False)
    done = pod.kith("user", "create", "dave", "--email", "dave@example.test", "--password", "a long passphrase")
    assert done.returncode == 2
    assert "kith migrate" in done.stderr


# ---- kith token -----------------------------------------------------------------------------


@server
def test_token_create_prints_a_bearer_token_then_list_and_revoke(make_pod):
    import hashlib

    pod = make_pod()
    assert pod.kith("user", "create", "alice", "--email", "alice@example.test", "--password", "a long passphrase"
                    ).returncode == 0
    done = pod.kith("token", "create", "alice", "backup script", "--scopes", "read write")
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip()
    assert len(token) > 30
    assert "\n" not in token  # the token alone on stdout, for TOKEN=$(kith token create ...)
    checksum = hashlib.sha256(token.encode()).hexdigest()
    [(scope, app, username)] = pod.query(
        "SELECT t.scope, a.name, u.username FROM oauth2_provider_accesstoken t "
        "JOIN oauth2_provider_application a ON a.id = t.application_id "
        "JOIN people_account u ON u.id = t.user_id WHERE t.token_checksum = ?", (checksum,)
    )
    assert (scope, app, username) == ("read write", "backup script", "alice")
    assert pod.query("SELECT COUNT(*) FROM oauth2_provider_accesstoken WHERE token = ?", (token,))[0][0] == 0

    listed = pod.kith("token", "list", "alice")
    assert listed.returncode == 0, listed.stderr
    [line] = listed.stdout.strip().splitlines()
    token_id, app_name, scopes = line.split("\t")[:3]
    assert (app_name, scopes) == ("backup script", "read write")

    revoked = pod.kith("token", "revoke", "alice", token_id)
    assert revoked.returncode == 0, revoked.stderr
    assert pod.query("SELECT COUNT(*) FROM oauth2_provider_accesstoken")[0][0] == 0
    again = pod.kith("token", "revoke", "alice", token_id)
    assert again.returncode == 2
    assert "has no token" in again.stderr

    # The app name is optional: `kith token create USER` is what scripts outside the repo run.
    plain = pod.kith("token", "create", "alice")
    assert plain.returncode == 0, plain.stderr
    [(app,)] = pod.query(
        "SELECT a.name FROM oauth2_provider_accesstoken t JOIN oauth2_provider_application a "
        "ON a.id = t.application_id"
    )
    assert app == "kith token"


@server
def test_token_create_refuses_unknown_people_and_scopes(make_pod):
    pod = make_pod()
    nobody = pod.kith("token", "create", "nobody", "script")
    assert nobody.returncode == 2
    assert "no local account named 'nobody'" in nobody.stderr
    assert pod.kith("user", "create", "bob", "--email", "bob@example.test", "--password", "a long passphrase"
                    ).returncode == 0
    bad = pod.kith("token", "create", "bob", "script", "--scopes", "read launch")
    assert bad.returncode == 2
    assert "Unknown scope: launch" in bad.stderr
    assert "Traceback" not in bad.stderr


# ---- kith user role, kith moderation log ------------------------------------------------------


@server
def test_user_role_changes_roles_and_the_moderation_log_prints_them(make_pod):
    pod = make_pod()
    for name, extra in (("alice", ["--admin"]), ("bob", [])):
        done = pod.kith("user", "create", name, "--email", f"{name}@example.test", "--password", "a long passphrase", *extra)
        assert done.returncode == 0, done.stderr

    done = pod.kith("user", "role", "bob", "moderator", "--reason", "helps with reports")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "bob is now a moderator"
    [(role, staff, superuser)] = pod.query("SELECT role, is_staff, is_superuser FROM people_account WHERE username = 'bob'")
    assert (role, bool(staff), bool(superuser)) == ("moderator", True, False)
    assert pod.kith("user", "role", "Bob", "moderator").stdout.strip() == "bob is a moderator already"

    refusals = [
        (("user", "role", "nobody", "admin"), "no local account named 'nobody'"),
        (("user", "role", "bob", "owner"), "there is no role 'owner': give admin, moderator or user"),
        (("user", "role", "alice", "user"), "The pod keeps at least one admin."),
        (("moderation", "log", "--limit", "0"), "--limit is a number of entries"),
    ]
    for args, message in refusals:
        refused = pod.kith(*args)
        assert refused.returncode == 2, (args, refused.stderr)
        assert message in refused.stderr, (args, refused.stderr)
        assert "Traceback" not in refused.stderr
    [(role,)] = pod.query("SELECT role FROM people_account WHERE username = 'alice'")
    assert role == "admin"

    log = pod.kith("moderation", "log")
    assert log.returncode == 0, log.stderr
    lines = [line.split("\t") for line in log.stdout.splitlines()]
    # Newest first: when, who ("command line" for the kith command), action, target, reason.
    assert [[who, action, target.split("@")[0], reason] for _when, who, action, target, reason in lines] == [
        ["command line", "account.role", "bob", "helps with reports"],
        ["command line", "account.create_admin", "alice", ""],
    ]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", lines[0][0])
    assert len(pod.kith("moderation", "log", "--limit", "1").stdout.splitlines()) == 1
    only = pod.kith("moderation", "log", "--action", "account.create_admin").stdout.splitlines()
    assert [line.split("\t")[2] for line in only] == ["account.create_admin"]


def test_check_warns_when_the_rules_variable_is_no_longer_read(db, settings):
    from kith.moderation import rules

    def check() -> list[str]:
        lines: list[str] = []
        cli._check_rules(cli.Report(out=lines.append))
        return lines

    settings.KITH_POD_RULES = ["Be kind."]
    assert check() == []  # not read yet: the first reading of the rules seeds them
    rules.active_rules()
    assert check() == []  # seeded, the same rules
    rules.add_rule(None, "No spam.")
    [warning] = check()
    assert warning.startswith("  warn  rules: KITH_POD_RULES differs from the pod's rules")


# ---- kith check ---------------------------------------------------------------------------


@server
def test_check_healthy_pod(make_pod):
    pod = make_pod()
    done = pod.kith("check")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "kith check: healthy" in done.stdout
    assert "all migrations applied" in done.stdout
    assert "FAIL" not in done.stdout


@server
def test_check_unmigrated_database(make_pod):
    pod = make_pod(migrated=False)
    done = pod.kith("check")
    assert done.returncode == 1
    assert "migration(s) are not applied" in done.stdout
    assert "fix: run `kith migrate`" in done.stdout


@server
def test_serve_refuses_an_unmigrated_or_unreachable_database(make_pod):
    """`kith serve` checks the database without loading the apps (the worker it execs into does)."""
    pod = make_pod(migrated=False)
    done = pod.kith("serve", "--bind", "127.0.0.1:1")
    assert done.returncode == 2, done.stderr
    assert re.fullmatch(r"kith: the database needs \d+ migration\(s\) \(\w+\.\w+, \.\.\.\): run `kith migrate` first",
                        done.stderr.strip()), done.stderr
    done = pod.kith("web", "--bind", "127.0.0.1:1", extra_env={"KITH_DATABASE_URL": "postgres://kith@127.0.0.1:1/kith"})
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("kith: cannot use the database (PostgreSQL 127.0.0.1:1/kith): "), done.stderr
    assert "Traceback" not in done.stderr


def test_the_serve_check_finds_the_migrations_django_finds():
    """`kith serve`'s check lists the migration files as Django's loader does, without the apps loaded."""
    from django.db.migrations.loader import MigrationLoader

    assert cli.migrations_on_disk() == set(MigrationLoader(None).disk_migrations)


@pytest.mark.django_db
def test_the_serve_check_finds_a_migrated_database_complete():
    assert cli.migrations_missing_from_database() == []
    assert cli.unapplied_migrations() == []


@server
def test_check_bad_url(make_pod):
    pod = make_pod()
    done = pod.kith("check", extra_env={"KITH_URL": "pod.example/path"})
    assert done.returncode == 1
    assert "FAIL  url: KITH_URL must be an absolute http(s) URL" in done.stdout
    assert "Traceback" not in done.stderr


@server
def test_check_unreachable_database(make_pod):
    pod = make_pod(migrated=False)
    done = pod.kith("check", extra_env={"KITH_DATABASE_URL": "postgres://kith@127.0.0.1:1/kith"})
    assert done.returncode == 1
    assert "FAIL  database: cannot connect to PostgreSQL 127.0.0.1:1/kith" in done.stdout
    assert "fix: check KITH_DATABASE_URL" in done.stdout


@server
def test_other_commands_turn_config_errors_into_one_line_and_exit_2(make_pod):
    pod = make_pod()
    done = pod.kith("migrate", extra_env={"KITH_URL": "https://pod.example/kith"})
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "kith: configuration error: KITH_URL must not have a path, query or fragment "
        "(got 'https://pod.example/kith'); pods live at a host root"
    ]


# Bad configuration, each the way a sysadmin writes it, with the words the one line must hold.
# Every command answers it the same way: kith.config validates everything before Django starts.
BAD_CONFIGURATION = {
    "data dir is a file": ({"KITH_DATA_DIR": "{tmp}/a-file"}, "KITH_DATA_DIR {tmp}/a-file is a file, not a directory"),
    "data dir cannot be created": ({"KITH_DATA_DIR": "{tmp}/a-file/data"}, "KITH_DATA_DIR {tmp}/a-file/data cannot be created"),
    "mysql database": ({"KITH_DATABASE_URL": "mysql://kith:secret@127.0.0.1/kith"}, "KITH_DATABASE_URL is not a database URL Kith can use (a mysql:// URL"),
    "malformed database URL": ({"KITH_DATABASE_URL": "postgres://kith@db:port/kith"}, "KITH_DATABASE_URL is not a database URL Kith can use"),
    "not a database URL": ({"KITH_DATABASE_URL": "kith-db"}, "KITH_DATABASE_URL is not a database URL Kith can use (not a URL"),
    "database in memory": ({"KITH_DATABASE_URL": "sqlite://"}, "KITH_DATABASE_URL is an SQLite database in memory"),
    "bad integer": ({"KITH_WORKER_THREADS": "many"}, "KITH_WORKER_THREADS must be a whole number, not 'many'"),
    "integer too large": ({"KITH_SMTP_PORT": "70000"}, "KITH_SMTP_PORT must be at most 65535"),
    "bad number of seconds": ({"KITH_DELIVERY_TIMEOUT_SECONDS": "soon"}, "KITH_DELIVERY_TIMEOUT_SECONDS must be a number"),
    "bad streaming URL": ({"KITH_STREAMING_URL": "ftp://stream.example"}, "KITH_STREAMING_URL must be a ws(s):// or http(s):// URL"),
    "bad redis URL": ({"KITH_REDIS_URL": "redis://cache:port/0"}, "KITH_REDIS_URL is not a URL Kith can use"),
}
COMMANDS = {
    "migrate": ("migrate",),
    "serve": ("serve", "--bind", "127.0.0.1:1"),
    "user create": ("user", "create", "alice", "--email", "alice@example.test", "--password", "a long passphrase"),
}


@server
@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("case", BAD_CONFIGURATION)
def test_every_command_answers_bad_configuration_with_one_line_and_exit_2(make_pod, tmp_path, command, case):
    """Before, a data directory that was a file, or a mysql:// URL, gave a traceback and exit 1."""
    pod = make_pod(migrated=False)
    (tmp_path / "a-file").write_text("not a directory")
    variables, message = BAD_CONFIGURATION[case]
    done = pod.kith(*COMMANDS[command], extra_env={name: value.format(tmp=tmp_path) for name, value in variables.items()})
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("kith: configuration error: ")
    assert message.format(tmp=tmp_path) in lines[0]
    assert "secret" not in lines[0]  # a database password is never printed


# ---- in-process: paths that need no pod of their own -------------------------------------------


@pytest.fixture
def in_process(monkeypatch):
    """main() sets DJANGO_SETTINGS_MODULE; keep the test process's own value afterwards."""
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "tests.settings")


def test_bad_number_is_a_configuration_error(in_process, monkeypatch, capsys):
    monkeypatch.setenv("KITH_FANOUT_BATCH_SIZE", "lots")
    assert cli.main(["migrate"]) == 2
    assert "KITH_FANOUT_BATCH_SIZE must be a whole number, not 'lots'" in capsys.readouterr().err


def test_bad_database_url_is_a_configuration_error(in_process, monkeypatch, capsys):
    monkeypatch.setenv("KITH_DATABASE_URL", "oracle-ish://somewhere")
    assert cli.main(["worker"]) == 2
    assert "KITH_DATABASE_URL is not a database URL" in capsys.readouterr().err


@pytest.mark.django_db
def test_invalid_input_is_refused_without_traceback(in_process, capsys):
    assert cli.main(["user", "create", "no spaces!", "--email", "x@example.test", "--password", "a long passphrase"]) == 2
    assert "1 to 30 letters" in capsys.readouterr().err
    assert cli.main(["user", "create", "erin", "--email", "erin@example.test", "--password", "short"]) == 2
    assert "too short" in capsys.readouterr().err


@pytest.mark.django_db
def test_password_from_standard_input(in_process, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("a long passphrase\n"))
    assert cli.main(["user", "create", "frank", "--email", "frank@example.test"]) == 0
    from kith.people.models import Account

    assert Account.objects.get(username="frank").check_password("a long passphrase")


@pytest.mark.django_db
def test_check_flags_debug_and_private_federation(in_process, monkeypatch, capsys):
    monkeypatch.setenv("KITH_DEBUG", "1")
    monkeypatch.setenv("KITH_ALLOW_PRIVATE_FEDERATION", "1")
    assert cli.main(["check"]) == 0  # warnings, not failures
    out = capsys.readouterr().out
    assert "warn  debug: KITH_DEBUG is on" in out
    assert "warn  federation: KITH_ALLOW_PRIVATE_FEDERATION is on" in out
    assert "kith check: healthy, " in out
    assert "FAIL" not in out


@pytest.mark.django_db
def test_check_fails_when_the_queue_is_unreachable(in_process, monkeypatch, settings, capsys):
    import kith.jobs

    monkeypatch.setenv("KITH_REDIS_URL", "redis://127.0.0.1:1/0")
    settings.KITH_JOBS_IMMEDIATE = False
    settings.KITH_REDIS_URL = "redis://127.0.0.1:1/0"
    monkeypatch.setattr(kith.jobs, "huey", RedisHuey("kith-check-test", url="redis://127.0.0.1:1/0"))
    assert cli.main(["check"]) == 1
    out = capsys.readouterr().out
    assert "FAIL  job queue: Redis (KITH_REDIS_URL) is not reachable" in out
    assert "fix: check KITH_REDIS_URL and that the Redis server is running" in out


@pytest.mark.django_db
def test_manage_passes_through_to_django(in_process, capsys):
    assert cli.main(["manage", "check"]) == 0
    assert "System check identified no issues" in capsys.readouterr().out


# ---- kith serve: web and worker in one process ------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _children(pid: int) -> list[int]:
    return [int(child) for task in Path(f"/proc/{pid}/task").glob("*/children") for child in task.read_text().split()]


def _get(url: str) -> int | None:
    request = urllib.request.Request(url)

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


def _a_static_file() -> str | None:
    static = REPO_ROOT / "kith" / "web" / "static"
    for path in sorted(static.rglob("*")) if static.exists() else []:
        if path.is_file():
            return Path(path).relative_to(static).as_posix()
    return None


@server
def test_serve_answers_http_and_runs_jobs_in_the_same_process(make_pod):
    pod = make_pod()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    streaming_port = _free_port()
    serving = pod.start("serve", "--bind", f"127.0.0.1:{port}",
                        extra_env={"KITH_URL": base, "KITH_STREAMING_PORT": str(streaming_port)})

    def answering():
        assert serving.poll() is None, f"`kith serve` exited:\n{pod.log_of(serving)}"
        return _get(f"{base}/")

    status = wait_until(answering, timeout=60, interval=0.2, message="`kith serve` to answer")
    assert 200 <= status < 400
    if static := _a_static_file():
        assert _get(f"{base}/static/{static}") == 200
    # The streaming API answers from inside the web worker: the pod is granian's supervisor
    # (which `kith serve` exec'd into, without Django) and one worker process, nothing else.
    assert wait_until(lambda: _get(f"http://127.0.0.1:{streaming_port}/api/v1/streaming/health") == 200,
                      timeout=30, interval=0.2, message="the embedded streaming API")
    supervisor = Path(f"/proc/{serving.pid}/cmdline").read_bytes().split(b"\0")
    assert supervisor[1:3] == [b"-m", b"kith.serving"], supervisor
    workers = _children(serving.pid)
    assert len(workers) == 1, workers
    assert _children(workers[0]) == []

    # A sign-up enqueues the key-pair job; the worker threads inside `kith serve` run it.
    pod.script(
        """
        from kith.people.services import create_local_account
        create_local_account("grace", "grace@example.test", "a long passphrase")
        """,
        extra_env={"KITH_URL": base},
    )
    wait_until(
        lambda: pod.query(
            "SELECT COUNT(*) FROM people_personkey k JOIN people_person p ON p.id = k.person_id "
            "WHERE p.username = 'grace'"
        )[0][0],
        timeout=60, interval=0.2, message=f"the embedded worker to make grace's key:\n{pod.log_of(serving)}",
    )
    pod.stop(serving)


# ---- the first hour: starting aspects, `make admin`, the README's commands (issue 11, point 6) ----


def _aspect_names(pod, username: str) -> list[str]:
    rows = pod.query(
        "SELECT a.name FROM graph_aspect a JOIN people_person p ON p.id = a.owner_id "
        "WHERE p.username = ? ORDER BY a.position, a.id", (username,)
    )
    return [name for (name,) in rows]


@pytest.mark.django_db
def test_user_create_gives_the_four_starting_aspects_in_the_language_asked(in_process, capsys):
    from kith.graph.models import Aspect

    def names(username: str) -> list[str]:
        return list(Aspect.objects.filter(owner__username=username).order_by("position").values_list("name", flat=True))

    assert cli.main(["user", "create", "hana", "--email", "hana@example.test", "--password", "a long passphrase"]) == 0
    assert names("hana") == ["Family", "Friends", "Work", "Acquaintances"]
    assert cli.main(["user", "create", "ida", "--email", "ida@example.test", "--password", "a long passphrase",
                     "--language", "de"]) == 0
    assert names("ida") == ["Familie", "Freunde", "Arbeit", "Bekannte"]
    capsys.readouterr()
    assert cli.main(["user", "create", "jan", "--email", "jan@example.test", "--password", "a long passphrase",
                     "--language", "fr"]) == 2
    assert "--language 'fr': this pod has en, de" in capsys.readouterr().err
    assert not Aspect.objects.filter(owner__username="jan").exists()


def _make_admin(pod, *variables: str, input: str, extra_env: dict[str, str] | None = None):
    """`make admin VARIABLES` from the checkout, with this venv's `kith` and the pod's data dir."""
    import subprocess
    import sys

    venv = Path(sys.executable).parent.parent
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(REPO_ROOT), f"VENV={venv}", "-o", f"{venv}/.installed-run",
         "admin", *variables],
        # A guard against a hang, not a speed limit: migrating from nothing costs ~13 s of CPU, and
        # a CI machine running both suites side by side gives this process a fraction of a core.
        env={**pod.env, **(extra_env or {})}, input=input, capture_output=True, text=True, timeout=600,
    )


@server
def test_make_admin_takes_name_and_email_as_variables_and_asks_for_the_password(make_pod):
    pod = make_pod(migrated=False)  # before `make run` ever ran: make admin migrates first
    done = _make_admin(pod, "NAME=ana", "EMAIL=ana@example.test", input="a long passphrase\n")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "created ana@" in done.stdout
    assert "(admin)" in done.stdout
    [(staff, superuser)] = pod.query("SELECT is_staff, is_superuser FROM people_account WHERE username = 'ana'")
    assert bool(staff)
    assert bool(superuser)
    assert _aspect_names(pod, "ana") == ["Family", "Friends", "Work", "Acquaintances"]


@server
def test_make_admin_asks_for_what_it_was_not_given_and_ignores_name_from_the_environment(make_pod):
    pod = make_pod()
    # WSL sets NAME to the machine's name: only make's command line counts.
    done = _make_admin(pod, input="ben\nben@example.test\na long passphrase\n", extra_env={"NAME": "MYLAPTOP"})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Username of the admin account" in done.stdout
    assert "E-mail address" in done.stdout
    rows = pod.query("SELECT username, email, is_staff FROM people_account")
    assert [(name, email, bool(staff)) for name, email, staff in rows] == [("ben", "ben@example.test", True)]
    refused = _make_admin(pod, "NAME=admin", "EMAIL=x@example.test", input="a long passphrase\n")
    assert refused.returncode != 0
    assert "reserved" in refused.stderr
    assert "Traceback" not in refused.stderr


def _documented_commands() -> list[tuple[str, str]]:
    """(file, command) for each `kith` command the README and docs show to be typed: in code
    blocks, and in the README's table of commands."""
    found = []
    for path in [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]:
        text = path.read_text()
        blocks = re.findall(r"```(?:sh|bash|console)?\n(.*?)```", text, re.S)
        lines = [line.strip() for block in blocks for line in block.splitlines()]
        if path.name == "README.md":
            lines += re.findall(r"^\| `([^`]+)` \|", text, re.M)
        found += [(path.name, line) for line in lines if re.match(r"^(\S*/)?kith\s", line)]
    return found


def test_every_kith_command_in_the_readme_and_docs_runs_as_written():
    commands = _documented_commands()
    assert len(commands) >= 10, commands
    assert any(command.startswith(".venv/bin/kith token create USER") for _name, command in commands)
    for name, command in commands:
        program = command.split()[0]
        # Run from the checkout: `kith` alone is not on the PATH after `make run`.
        assert program == ".venv/bin/kith" or program.endswith("/.venv/bin/kith") and name == "operations.md", \
            f"{name}: {command!r} does not run as written after `make run`"
        words = [w for w in command.split()[1:3] if re.fullmatch(r"[a-z]+", w)]
        if words[0] == "manage":
            continue  # everything after `manage` is Django's (test_manage_passes_through_to_django)
        parser = cli.build_parser()
        with pytest.raises(SystemExit) as exited:
            parser.parse_args([*words[: 2 if words[0] in ("user", "token", "bench") else 1], "--help"])
        assert exited.value.code == 0, f"{name}: {command!r}"


def test_the_readme_starts_with_the_two_commands_then_make_admin():
    readme = (REPO_ROOT / "README.md").read_text()
    first_block = readme.split("```sh\n", 1)[1].split("```", 1)[0]
    assert readme.startswith("```sh\nmake run")
    assert [line.split()[:2] for line in first_block.strip().splitlines()] == [["make", "run"], ["make", "test"]]
    after = readme.split("```", 2)[2]
    assert after.split("```sh\n", 1)[1].startswith("make admin")
