"""The `kith` command: serve the pod, run workers, set it up and check its health.

    kith serve                 web, job worker and streaming API in one process (the embedded default)
    kith web [--workers N]     web only (scale-out; run `kith worker` beside it)
    kith worker [--threads N]  job worker only
    kith streaming [--workers N]  the streaming API only (scale-out; `kith serve` embeds it)
    kith migrate               create or update the database schema
    kith user create NAME --email E [--password P] [--admin] [--language L]
    kith user role NAME admin|moderator|user [--reason R]   change a local account's role
    kith token create USER NAME [--scopes S]   print a new API bearer token for USER
    kith token list USER | kith token revoke USER ID
    kith moderation log [--limit N] [--action A]   the audit log, newest first, tab-separated
    kith check                 configuration and health report
    kith bench seed --people N --posts M --follows K   fill an empty pod for benchmarks
    kith manage ARGS...        any Django management command

Exit codes: 0 success; 1 `kith check` found a problem, or the command failed;
2 the command was refused and the message says what to fix (configuration,
input, a database that needs `kith migrate`); 130 interrupted.

Handlers stay thin: they read arguments, call kith services and print.
"""

from __future__ import annotations

import argparse
import getpass
import importlib
import logging
import os
import pkgutil
import stat
import sys
import tempfile
import warnings
from collections.abc import Callable, Sequence

from kith.config import INTEGER_VARIABLES, LOG_LEVELS, ConfigError, validate_environment  # noqa: F401 - validated in kith.config

SETTINGS_MODULE = "kith.settings"

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_REFUSED = 2


class Refused(Exception):
    """The command cannot go on; the message tells the sysadmin what to do."""

    def __init__(self, message: str, code: int = EXIT_REFUSED) -> None:
        super().__init__(message)
        self.code = code


# ---- set-up shared by the commands ---------------------------------------------------


def setup_django() -> None:
    """Load kith.settings (raises ConfigError with a fix in its message)."""
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    validate_environment()
    import django

    django.setup()


def load_settings() -> None:
    """Load kith.settings without setting up the apps (no model is imported): enough to read
    the configuration and open the database, at a fraction of `setup_django`'s CPU."""
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    validate_environment()
    from django.conf import settings

    settings.POD  # noqa: B018 (loads kith.settings now, so that a ConfigError surfaces here)


def database_label() -> str:
    """Which database, in words, without its password."""
    from django.db import connection

    config = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"SQLite {config['NAME']}"
    host = config.get("HOST") or "local socket"
    port = f":{config['PORT']}" if config.get("PORT") else ""
    return f"{connection.display_name} {host}{port}/{config['NAME']}"


def unapplied_migrations() -> list[str]:
    """Names of the migrations the database still needs (raises DatabaseError if unreachable)."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


def migrations_on_disk() -> set[tuple[str, str]]:
    """(app label, migration name) of every migration the installed apps ship, found as
    Django's MigrationLoader finds them (each app's `migrations` package, or the one
    MIGRATION_MODULES names), but without importing the apps' models or the migrations."""
    from django.apps import AppConfig
    from django.conf import settings

    found: set[tuple[str, str]] = set()
    for entry in settings.INSTALLED_APPS:
        app = AppConfig.create(entry)  # imports the app's package and apps.py, not its models
        package = settings.MIGRATION_MODULES.get(app.label, f"{app.name}.migrations")
        if package is None:
            continue
        try:
            module = importlib.import_module(package)
        except ModuleNotFoundError as exc:
            if exc.name is not None and package.startswith(exc.name):
                continue  # an app without migrations
            raise
        if getattr(module, "__file__", None) is None and not isinstance(getattr(module, "__path__", None), list):
            continue  # a namespace package or a module: Django counts the app as unmigrated too
        found |= {
            (app.label, name)
            for _finder, name, is_package in pkgutil.iter_modules(module.__path__)
            if not is_package and name[0] not in "_~"
        }
    return found


def migrations_missing_from_database() -> list[str]:
    """Names of the shipped migrations the database has not recorded (raises DatabaseError if
    unreachable), without loading Django's apps (~1.2 s of CPU less at each `kith serve`
    start).  The same answer as `unapplied_migrations` while no migration is squashed; after a
    squash it may ask once for a `kith migrate` that Django would not need (the migrate
    records the squashed name), never the other way round."""
    from django.db import connection

    # Django warns on any query made before the apps are ready, as a hint against queries in
    # AppConfig.ready(); loading no apps is the point here.
    with warnings.catch_warnings(), connection.cursor() as cursor:
        warnings.filterwarnings("ignore", "Accessing the database during app initialization", RuntimeWarning)
        applied: set[tuple[str, str]] = set()
        if "django_migrations" in connection.introspection.table_names(cursor):
            cursor.execute("SELECT app, name FROM django_migrations")
            applied = {(app, name) for app, name in cursor.fetchall()}
    return sorted(f"{app}.{name}" for app, name in migrations_on_disk() - applied)


def require_migrated(*, apps_loaded: bool = True) -> None:
    """Refuses when the database is unreachable or not fully migrated.  Without the apps
    loaded (`kith serve`, `kith web`), compares the migration files with the database's record."""
    from django.db import DatabaseError

    try:
        missing = unapplied_migrations() if apps_loaded else migrations_missing_from_database()
    except DatabaseError as exc:
        raise Refused(
            f"cannot use the database ({database_label()}): {_first_line(exc)}; "
            "check KITH_DATABASE_URL and that the database server is running"
        ) from None
    if missing:
        raise Refused(f"the database needs {len(missing)} migration(s) ({missing[0]}, ...): run `kith migrate` first")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def _release_connections() -> None:
    """Close what this process opened before granian forks its workers."""
    from django.db import connections

    from kith.jobs import huey

    connections.close_all()
    huey.storage.close()


# Request threads of one web process.  The work is mostly Python, so the threads take turns
# on one GIL: on the embedded pod (SQLite, 2 cores) the home timeline at 16 connections went
# 82/s with 5 threads, 122/s with 2 and 173/s with 1 (docs/performance.md).  Two keep one
# slow request from holding up every other; more processes (`kith web --workers N`) are
# what use more cores.
DEFAULT_WEB_THREADS = 2


def _default_web_threads() -> int:
    return int(os.environ.get("KITH_WEB_THREADS") or DEFAULT_WEB_THREADS)


def _serve_http(*, workers: int, embedded: bool, threads: int | None) -> int:
    """Check, then become the web server: exec kith.serving, granian's supervisor without
    Django (it would hold ~60 MB for nothing; the workers import kith.wsgi themselves)."""
    from django.conf import settings
    from django.db import connections

    require_migrated(apps_loaded=False)  # the granian worker loads the apps: not here as well
    connections.close_all()
    pod = settings.POD
    # kith/wsgi.py starts the job worker (and the streaming API) inside the granian worker.
    os.environ["KITH_EMBEDDED_WORKER"] = "1" if embedded else "0"
    if not embedded:
        os.environ.pop("KITH_EMBEDDED_STREAMING", None)
    mode = "web, job worker and streaming API in one process" if embedded else f"web only, {workers} worker process(es)"
    print(f"kith: serving {pod.url} on {pod.bind_host}:{pod.bind_port} ({mode}); Ctrl-C stops", file=sys.stderr)
    sys.stderr.flush()
    sys.stdout.flush()
    argv = [
        sys.executable, "-m", "kith.serving",
        "--host", pod.bind_host, "--port", str(pod.bind_port), "--workers", str(workers),
        "--threads", str(threads or _default_web_threads()),
        "--log-level", os.environ.get("KITH_LOG_LEVEL", "INFO").lower(),
    ]
    os.execv(sys.executable, argv)  # noqa: S606 (our own interpreter and module, fixed arguments)
    return EXIT_OK  # not reached: exec replaced this process


STREAMING_TARGET = "kith.api.streaming.asgi:application"


def _serve_streaming(*, workers: int, bind: str | None) -> int:
    """The streaming API (SSE and WebSocket) in its own ASGI server (docs/adr/0004-streaming.md)."""
    from django.conf import settings
    from granian import Granian
    from granian.constants import Interfaces
    from granian.log import LogLevels

    from kith import config

    require_migrated()
    pod = settings.POD
    host, port = config.parse_bind(bind) if bind else (pod.bind_host, pod.streaming_port)
    _release_connections()
    print(f"kith: streaming API on {host}:{port} (clients are told {pod.streaming_url})", file=sys.stderr)
    Granian(
        target=STREAMING_TARGET,
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        workers=workers,
        log_level=LogLevels(os.environ.get("KITH_LOG_LEVEL", "INFO").lower()),
        websockets=True,
        respawn_failed_workers=True,
    ).serve()
    return EXIT_OK


def _apply_bind(args: argparse.Namespace) -> None:
    if getattr(args, "bind", None):
        os.environ["KITH_BIND"] = args.bind


# ---- the commands ----------------------------------------------------------------------


def cmd_serve(args: argparse.Namespace) -> int:
    _apply_bind(args)
    load_settings()  # _serve_http checks the database; the worker it execs into sets Django up
    from django.conf import settings

    # The streaming API runs inside the web worker process (kith/api/streaming/embedded.py).
    pod = settings.POD
    os.environ["KITH_EMBEDDED_STREAMING"] = f"{pod.bind_host}:{pod.streaming_port}"
    return _serve_http(workers=1, embedded=True, threads=args.threads)


def cmd_streaming(args: argparse.Namespace) -> int:
    setup_django()
    return _serve_streaming(workers=args.workers, bind=args.bind)


def cmd_web(args: argparse.Namespace) -> int:
    _apply_bind(args)
    load_settings()
    return _serve_http(workers=args.workers, embedded=False, threads=args.threads)


def cmd_worker(args: argparse.Namespace) -> int:
    setup_django()
    from django.conf import settings

    from kith.jobs.worker import run_worker

    require_migrated()
    run_worker(args.threads or settings.KITH_WORKER_THREADS)
    return EXIT_OK


def cmd_migrate(args: argparse.Namespace) -> int:
    setup_django()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=args.verbosity)
    return EXIT_OK


def _read_password() -> str:
    if sys.stdin is not None and sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Password (again): ") != first:
            raise Refused("the passwords do not match")
        return first
    line = sys.stdin.readline().rstrip("\n") if sys.stdin is not None else ""
    if not line:
        raise Refused("give --password, or type it when asked, or pipe it on standard input")
    return line


def cmd_user_create(args: argparse.Namespace) -> int:
    setup_django()
    from kith.core.errors import DomainError
    from kith.people.services import create_local_account

    require_migrated()
    if args.language is not None:
        from django.conf import settings

        known = [code for code, _name in settings.LANGUAGES]
        if args.language not in known:
            raise Refused(f"--language {args.language!r}: this pod has {', '.join(known)}")
    password = args.password if args.password is not None else _read_password()
    try:
        account = create_local_account(
            args.name, args.email, password, is_admin=args.admin, default_aspects=True, language=args.language
        )
    except DomainError as exc:
        raise Refused(f"could not create {args.name!r}: {exc}") from None
    role = " (admin)" if args.admin else ""
    print(f"created {account.person.handle}{role}")
    return EXIT_OK


def _local_account(username: str):  # -> kith.people.models.Account
    from kith.people.models import Account

    account = Account.objects.filter(username__iexact=username, person__domain="").first()
    if account is None:
        raise Refused(f"there is no local account named {username!r}")
    return account


def cmd_token_create(args: argparse.Namespace) -> int:
    setup_django()
    from kith.api.tokens import issue_token
    from kith.core.errors import DomainError

    require_migrated()
    account = _local_account(args.user)
    try:
        token = issue_token(account, args.name, args.scopes)
    except DomainError as exc:
        raise Refused(f"could not make a token: {exc}") from None
    # The token alone on stdout, for scripts: `TOKEN=$(kith token create ...)`.
    print(token)
    print(f"kith: token for {account.username} ({args.scopes}); only its hash is stored, so keep it now",
          file=sys.stderr)
    return EXIT_OK


def cmd_token_list(args: argparse.Namespace) -> int:
    setup_django()
    from kith.api.tokens import account_tokens

    require_migrated()
    account = _local_account(args.user)
    tokens = account_tokens(account)
    if not tokens:
        print(f"{account.username} has no tokens")
    for token in tokens:
        app = token.application.name if token.application else "(no app)"
        print(f"{token.id}\t{app}\t{token.scope}\tcreated {token.created:%Y-%m-%d %H:%M}")
    return EXIT_OK


def cmd_token_revoke(args: argparse.Namespace) -> int:
    setup_django()
    from kith.api.tokens import revoke_token

    require_migrated()
    account = _local_account(args.user)
    if not revoke_token(account, args.id):
        raise Refused(f"{account.username} has no token {args.id} (see `kith token list {account.username}`)")
    print(f"revoked token {args.id} of {account.username}")
    return EXIT_OK


def cmd_bench_seed(args: argparse.Namespace) -> int:
    setup_django()
    from kith.bench.seed import SeedRefused, seed

    require_migrated()
    print(f"kith: seeding {args.people} people, {args.posts} posts, {args.follows} follows each ({database_label()})",
          file=sys.stderr)
    try:
        result = seed(args.people, args.posts, args.follows, rng_seed=args.seed,
                      out=lambda line: print(line, file=sys.stderr))
    except SeedRefused as exc:
        raise Refused(str(exc)) from None
    sizes = ", ".join(f"{name} {size}" for name, size in result.stream_sizes.items())
    print(
        f"seeded in {result.seconds:.1f} s: {result.people} people, {result.posts} posts, {result.follows} follows, "
        f"{result.stream_entries} stream entries ({sizes}), {result.comments} comments, {result.likes} likes"
    )
    return EXIT_OK


def cmd_manage(rest: Sequence[str]) -> int:
    setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["kith manage", *rest])
    return EXIT_OK


# ---- kith check ----------------------------------------------------------------------------


class Report:
    """Lines of `kith check`: ok, warn (worth a look) and FAIL (with the fix)."""

    def __init__(self, out: Callable[[str], None] = print) -> None:
        self.out = out
        self.problems = 0
        self.warnings = 0

    def ok(self, what: str, detail: str) -> None:
        self.out(f"  ok    {what}: {detail}")

    def warn(self, what: str, detail: str) -> None:
        self.warnings += 1
        self.out(f"  warn  {what}: {detail}")

    def fail(self, what: str, detail: str, fix: str) -> None:
        self.problems += 1
        self.out(f"  FAIL  {what}: {detail}\n        fix: {fix}")

    def finish(self) -> int:
        warnings = f", {self.warnings} warning(s)" if self.warnings else ""
        if self.problems:
            self.out(f"kith check: {self.problems} problem(s){warnings}: see the FAIL lines")
            return EXIT_FAILED
        self.out(f"kith check: healthy{warnings}")
        return EXIT_OK


def _check_configuration(report: Report):  # -> PodConfig | None
    from kith import config

    bind_ok = True
    try:
        host, port = config.parse_bind(os.environ.get("KITH_BIND", "127.0.0.1:8000"))
        report.ok("listen", f"{host}:{port} (KITH_BIND)")
    except ConfigError as exc:
        bind_ok = False
        report.fail("listen", str(exc), "set KITH_BIND to address:port, e.g. 127.0.0.1:8000")
    if raw_url := os.environ.get("KITH_URL"):
        try:
            url, _scheme, domain = config.parse_url(raw_url)
            report.ok("url", f"{url} (handles end in @{domain})")
        except ConfigError as exc:
            report.fail("url", str(exc), "set KITH_URL to the public base URL, e.g. https://pod.example")
    elif bind_ok:
        report.ok("url", "not set: derived from KITH_BIND (set KITH_URL to the pod's public address)")
    try:
        validate_environment()
    except ConfigError as exc:
        report.fail("environment", str(exc), "correct or unset that variable")

    try:
        data_dir = config.data_dir_path()
        config.prepare_data_dir(data_dir)
        with tempfile.NamedTemporaryFile(dir=data_dir, prefix=".kith-check-"):
            pass
        report.ok("data dir", f"{data_dir} (writable)")
    except (ConfigError, OSError) as exc:
        detail = str(exc) if isinstance(exc, ConfigError) else f"KITH_DATA_DIR is not writable: {exc.strerror or exc}"
        report.fail(
            "data dir", detail,
            "set KITH_DATA_DIR to a directory the pod's user can write, or fix its owner/permissions",
        )
        return None

    key_file = data_dir / "secret_key"
    if os.environ.get("KITH_SECRET_KEY"):
        if len(os.environ["KITH_SECRET_KEY"]) < 32:
            report.warn("secret key", "KITH_SECRET_KEY is shorter than 32 characters: sessions are easier to forge")
        else:
            report.ok("secret key", "from KITH_SECRET_KEY")
    elif key_file.exists():
        if key_file.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            report.warn("secret key", f"{key_file} is readable by other users: chmod 600 {key_file}")
        else:
            report.ok("secret key", f"from {key_file}")
    else:
        report.ok("secret key", f"generated now into {key_file} (keep it: changing it logs everyone out)")

    if report.problems:
        return None
    try:
        return config.load()
    except ConfigError as exc:
        report.fail("configuration", str(exc), "correct the variable named above")
        return None


def _check_database(report: Report) -> bool:
    """Reports on the database; True when it is usable and migrated."""
    from django.db import DatabaseError, connection

    label = database_label()
    try:
        connection.ensure_connection()
        missing = unapplied_migrations()
    except DatabaseError as exc:
        report.fail(
            "database", f"cannot connect to {label}: {_first_line(exc)}",
            "check KITH_DATABASE_URL (user, password, host, database name) and that the server is running",
        )
        return False
    if missing:
        report.fail(
            "database", f"{label} is reachable but {len(missing)} migration(s) are not applied ({missing[0]}, ...)",
            "run `kith migrate`",
        )
        return False
    report.ok("database", f"{label}, reachable, all migrations applied")
    return True


def _check_queue(report: Report, migrated: bool) -> None:
    from kith.jobs import huey
    from kith.jobs.queue import describe

    try:
        queued, scheduled = huey.storage.queue_size(), huey.storage.schedule_size()
    except Exception as exc:
        fix = (
            "check KITH_REDIS_URL and that the Redis server is running"
            if os.environ.get("KITH_REDIS_URL")
            else "check that the data directory is writable and not on a network file system"
        )
        report.fail("job queue", f"{describe()} is not reachable: {_first_line(exc)}", fix)
        return
    report.ok("job queue", f"{describe()}, reachable ({queued} queued, {scheduled} scheduled)")
    if not migrated:
        return
    from kith.timelines.fanout import MAX_SWEEP_ATTEMPTS, stuck_fanouts

    stale, given_up = stuck_fanouts()
    if given_up:
        report.fail(
            "fan-out", f"{given_up} post(s) failed to reach their followers {MAX_SWEEP_ATTEMPTS} times",
            "look for 'fan-out' errors in the worker's log; restarting the worker retries them",
        )
    elif stale:
        report.warn(
            "fan-out", f"{stale} post(s) still being delivered to streams after 5 minutes: "
            "is a worker running (`kith serve`, or `kith worker` beside `kith web`)?",
        )
    from kith.core.outbox import MAX_ATTEMPTS, stuck

    stale, given_up = stuck()
    if given_up:
        report.fail(
            "events", f"{given_up} event(s) whose consumer failed {MAX_ATTEMPTS} times (kith.core.outbox)",
            "look for 'event consumer' errors in the log; restarting the worker tries them once more",
        )
    elif stale:
        report.warn(
            "events", f"{stale} event(s) not yet handled after 10 minutes: "
            "is a worker running (`kith serve`, or `kith worker` beside `kith web`)?",
        )


def _check_rules(report: Report) -> None:
    """KITH_POD_RULES only seeds the rules of a pod that has none (kith/moderation/rules.py):
    an operator who sets it later must learn why the pod does not show it."""
    from django.conf import settings

    from kith.moderation.models import PodRule

    lines = list(getattr(settings, "KITH_POD_RULES", []))
    if not lines or not PodRule.objects.exists():
        return  # nothing set, or the variable seeds the rules at their first reading
    if list(PodRule.objects.filter(deleted_at=None).values_list("text", flat=True)) != lines:
        report.warn(
            "rules", "KITH_POD_RULES differs from the pod's rules and is no longer read: the rules are "
            "kept in the database (admins edit them at /moderation/pod/rules); unset the variable",
        )


def _check_django(report: Report) -> None:
    from django.core import checks

    for message in checks.run_checks():
        text = f"{message.id}: {message.msg}" + (f" ({message.hint})" if message.hint else "")
        if message.is_serious():
            report.fail("django", text, message.hint or "see the message")
        elif message.level >= checks.WARNING:
            report.warn("django", text)


def _check_choices(report: Report, pod) -> None:  # pod: kith.config.PodConfig
    from django.conf import settings

    if pod.debug:
        report.warn("debug", "KITH_DEBUG is on: error pages show code and settings; never on a public pod")
    if pod.allow_private_federation:
        report.warn(
            "federation", "KITH_ALLOW_PRIVATE_FEDERATION is on: the pod will fetch from and deliver to private "
            "and loopback addresses (only for test networks)",
        )
    host = pod.domain.rsplit(":", 1)[0].strip("[]")
    if pod.scheme != "https" and host not in ("localhost", "127.0.0.1", "::1") and not host.startswith("127."):
        report.warn("url", f"{pod.url} is not https: other pods expect https; serve it behind TLS")
    if settings.EMAIL_BACKEND.endswith("console.EmailBackend"):
        report.ok("e-mail", "printed to the log (set KITH_SMTP_HOST to send mail)")
    elif settings.EMAIL_BACKEND.endswith("smtp.EmailBackend"):
        report.ok("e-mail", f"via SMTP {settings.EMAIL_HOST}:{settings.EMAIL_PORT}")
    else:
        report.ok("e-mail", settings.EMAIL_BACKEND)
    if pod.database_url and not pod.redis_url:
        report.ok("scale-out", "jobs queue in the data dir: workers must share it (set KITH_REDIS_URL for several machines)")


def cmd_check(args: argparse.Namespace) -> int:
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    report = Report()
    report.out("kith check")
    pod = _check_configuration(report)
    if pod is None:
        return report.finish()
    try:
        setup_django()
    except Exception as exc:
        report.fail("settings", f"cannot load the settings: {_first_line(exc)}", "correct the variable named above")
        return report.finish()
    migrated = _check_database(report)
    _check_queue(report, migrated)
    if migrated:
        _check_rules(report)
    _check_django(report)
    _check_choices(report, pod)
    return report.finish()


# ---- argument parsing ---------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kith",
        description="Run and manage a Kith pod. Configuration comes from KITH_* environment variables "
        "(docs/configuration.md).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    serve = commands.add_parser("serve", help="web and job worker in one process (the default way to run a pod)")
    serve.add_argument("--bind", help="address:port to listen on (default: KITH_BIND or 127.0.0.1:8000)")
    serve.add_argument("--threads", type=int, help="request threads (default: KITH_WEB_THREADS or 2)")
    serve.set_defaults(handler=cmd_serve)

    web = commands.add_parser("web", help="web server only; run `kith worker` for the jobs")
    web.add_argument("--bind", help="address:port to listen on (default: KITH_BIND or 127.0.0.1:8000)")
    web.add_argument("--workers", type=int, default=1, help="web worker processes (default 1)")
    web.add_argument("--threads", type=int, help="request threads per process (default: KITH_WEB_THREADS or 2)")
    web.set_defaults(handler=cmd_web)

    streaming = commands.add_parser(
        "streaming", help="the streaming API (SSE and WebSocket) only; `kith serve` starts it itself"
    )
    streaming.add_argument(
        "--bind", help="address:port to listen on (default: KITH_BIND's address and KITH_STREAMING_PORT)"
    )
    streaming.add_argument("--workers", type=int, default=1, help="server processes (default 1)")
    streaming.set_defaults(handler=cmd_streaming)

    worker = commands.add_parser("worker", help="job worker only (SIGTERM lets running jobs finish)")
    worker.add_argument("--threads", type=int, help="worker threads (default: KITH_WORKER_THREADS or 2)")
    worker.set_defaults(handler=cmd_worker)

    migrate = commands.add_parser("migrate", help="create or update the database schema")
    migrate.add_argument("-v", "--verbosity", type=int, default=1, choices=[0, 1, 2, 3])
    migrate.set_defaults(handler=cmd_migrate)

    user = commands.add_parser("user", help="manage accounts")
    user_commands = user.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    create = user_commands.add_parser("create", help="create a local account")
    create.add_argument("name", help="username: letters, digits and _ (the handle becomes NAME@domain)")
    create.add_argument("--email", required=True)
    create.add_argument("--password", help="the password (if left out: asked for, or read from standard input)")
    create.add_argument("--admin", action="store_true", help="make the account a pod administrator")
    create.add_argument("--language", help="language of the starting aspects (Family, Friends, Work, Acquaintances), "
                        "e.g. de; default: the pod's (en)")
    create.set_defaults(handler=cmd_user_create)

    token = commands.add_parser("token", help="API bearer tokens for scripts (Mastodon client API)")
    token_commands = token.add_subparsers(dest="token_command", metavar="ACTION", required=True)
    token_create = token_commands.add_parser("create", help="print a new bearer token for a local account")
    token_create.add_argument("user", help="the local account's username")
    token_create.add_argument("name", nargs="?", default="kith token",
                              help="what the token is for (shown as its app, e.g. 'backup script'; "
                              "default: 'kith token')")
    token_create.add_argument("--scopes", default="read write follow",
                              help='space-separated OAuth scopes (default: "read write follow")')
    token_create.set_defaults(handler=cmd_token_create)
    token_list = token_commands.add_parser("list", help="list an account's tokens (id, app, scopes)")
    token_list.add_argument("user")
    token_list.set_defaults(handler=cmd_token_list)
    token_revoke = token_commands.add_parser("revoke", help="revoke one of an account's tokens by id")
    token_revoke.add_argument("user")
    token_revoke.add_argument("id", type=int, help="the token's id, from `kith token list`")
    token_revoke.set_defaults(handler=cmd_token_revoke)

    bench = commands.add_parser("bench", help="benchmark support (the scenarios: `make bench`)")
    bench_commands = bench.add_subparsers(dest="bench_command", metavar="ACTION", required=True)
    bench_seed = bench_commands.add_parser("seed", help="fill an empty, migrated pod with a realistic data set")
    bench_seed.add_argument("--people", type=int, default=1000, help="local people (default 1000)")
    bench_seed.add_argument("--posts", type=int, default=1000, help="posts (default 1000)")
    bench_seed.add_argument("--follows", type=int, default=10, help="follows per person (default 10)")
    bench_seed.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    bench_seed.set_defaults(handler=cmd_bench_seed)

    from kith.cli_moderation import add_moderation_commands

    add_moderation_commands(commands, user_commands)

    check = commands.add_parser("check", help="configuration and health report (exit 0 healthy, 1 not)")
    check.set_defaults(handler=cmd_check)

    commands.add_parser("manage", help="run a Django management command: kith manage COMMAND ...", add_help=False)
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("kith")
    except PackageNotFoundError:
        return "(not installed)"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `kith` console script; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    try:
        if argv and argv[0] == "manage":
            # Everything after `manage` belongs to Django, --help included.
            return cmd_manage(argv[1:])
        args = build_parser().parse_args(argv)
        return args.handler(args)
    except ConfigError as exc:
        print(f"kith: configuration error: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except Refused as exc:
        print(f"kith: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        from django.core.exceptions import ImproperlyConfigured
        from django.db import OperationalError

        if isinstance(exc, ImproperlyConfigured):
            # Django's own complaint about the settings (a database driver that is not installed).
            print(f"kith: configuration error: {_first_line(exc)}; check the KITH_* variables "
                  "(docs/configuration.md)", file=sys.stderr)
            return EXIT_REFUSED
        if isinstance(exc, OperationalError):
            logging.getLogger("kith.cli").debug("database error", exc_info=True)
            print(
                f"kith: database error: {_first_line(exc)}; check KITH_DATABASE_URL and that the "
                "database server is running",
                file=sys.stderr,
            )
            return EXIT_REFUSED
        raise


if __name__ == "__main__":
    # `python -m kith.cli`: run the imported module's main, whose `except Refused` is the class
    # the command modules (kith.cli_moderation) import and raise, not this __main__ copy's.
    from kith.cli import main as imported_main

    sys.exit(imported_main())
