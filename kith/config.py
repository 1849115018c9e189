"""Reads the pod's configuration from KITH_* environment variables (12-factor).

Kept separate from settings.py so `kith check` can report on the raw values
without importing Django.  Every variable is documented in docs/configuration.md.

This is the one place configuration is validated: `load()` (which settings.py calls, so
every `kith` command, the web server and the tests pass through it) checks every KITH_*
value first (`validate_environment`) and raises ConfigError, whose message names the
variable and the fix; kith.cli prints it as one line and exits 2.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

TRUE_WORDS = {"1", "true", "yes", "on"}
DEFAULT_DATA_DIR = "./data"

# Integer settings read from the environment: (smallest, largest) value that makes sense.
INTEGER_VARIABLES: dict[str, tuple[int, int | None]] = {
    "KITH_INLINE_FANOUT_LIMIT": (0, None),
    "KITH_FANOUT_BATCH_SIZE": (1, None),
    "KITH_FANOUT_LEASE_SECONDS": (1, None),
    "KITH_WORKER_THREADS": (1, None),
    "KITH_WEB_THREADS": (1, None),
    "KITH_MAX_UPLOAD_BYTES": (1, None),
    "KITH_SMTP_PORT": (1, 65535),
    "KITH_API_RATE_LIMIT": (0, None),
    "KITH_STREAMING_PORT": (1, 65535),
    "KITH_DELIVERY_THREADS": (1, None),
    "KITH_DELIVERY_PER_HOST": (1, None),
    "KITH_LOGIN_MAX_FAILURES": (0, None),
    "KITH_LOGIN_MAX_FAILURES_PER_ADDRESS": (0, None),
    "KITH_LOGIN_LOCKOUT": (0, None),
    "KITH_LOGIN_LOCKOUT_MAX": (0, None),
    "KITH_EMAIL_REQUESTS_MAX": (0, None),
    "KITH_DATABASE_TIMEOUT_SECONDS": (1, None),
}
# Settings in seconds that may have a fraction: the smallest value above zero that makes sense.
NUMBER_VARIABLES = {"KITH_DELIVERY_TIMEOUT_SECONDS": 0.1}
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# KITH_DATABASE_URL schemes Kith runs on: PostgreSQL, or SQLite in a file.
POSTGRES_SCHEMES = ("postgres", "postgresql", "pgsql")
DATABASE_FIX = "use postgres://USER:PASSWORD@HOST:5432/NAME, or unset it for SQLite in KITH_DATA_DIR"


class ConfigError(ValueError):
    """A configuration value a sysadmin must fix; the message says how."""


def env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in TRUE_WORDS


@dataclass(frozen=True)
class PodConfig:
    url: str  # public base URL without trailing slash, e.g. https://pod.example
    scheme: str
    domain: str  # host[:port]: what appears in handles, name@domain
    bind_host: str
    bind_port: int
    data_dir: Path
    database_url: str | None
    redis_url: str | None
    secret_key: str
    debug: bool
    registrations_open: bool
    allow_private_federation: bool
    # The streaming API (an ASGI process beside the WSGI web): its port and the URL clients are told.
    streaming_port: int = 0
    streaming_url: str = ""

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"


def parse_url(raw: str) -> tuple[str, str, str]:
    parts = urlsplit(raw.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"KITH_URL must be an absolute http(s) URL such as https://pod.example, not {raw!r}")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ConfigError(f"KITH_URL must not have a path, query or fragment (got {raw!r}); pods live at a host root")
    domain = parts.netloc.lower()
    return f"{parts.scheme}://{domain}", parts.scheme, domain


def parse_bind(raw: str) -> tuple[str, int]:
    host, sep, port = raw.strip().rpartition(":")
    if not sep or not host:
        raise ConfigError(f"KITH_BIND must be address:port such as 127.0.0.1:8000, not {raw!r}")
    try:
        port_number = int(port)
    except ValueError as exc:
        raise ConfigError(f"KITH_BIND port must be a number, not {port!r}") from exc
    if not 0 < port_number < 65536:
        raise ConfigError(f"KITH_BIND port must be between 1 and 65535, not {port_number}")
    return host.strip("[]"), port_number


def parse_streaming(bind_port: int, url: str, scheme: str) -> tuple[int, str]:
    """KITH_STREAMING_PORT (default: the web port + 1) and KITH_STREAMING_URL, the address
    Mastodon clients open streams at (`urls.streaming_api`).

    The default URL is the pod's host on the streaming port (ws://) for a plain-http pod.  An
    https pod sits behind a TLS proxy, and Kith's streaming server speaks no TLS itself, so
    there the default is the pod's own origin (wss://host): the proxy routes /api/v1/streaming
    to the streaming port (docs/operations.md)."""
    raw_port = os.environ.get("KITH_STREAMING_PORT", "").strip()
    try:
        port = int(raw_port) if raw_port else bind_port + 1
    except ValueError:
        raise ConfigError(f"KITH_STREAMING_PORT must be a number, not {raw_port!r}") from None
    if not 0 < port < 65536:
        raise ConfigError(f"KITH_STREAMING_PORT must be between 1 and 65535, not {port}")
    if raw_url := os.environ.get("KITH_STREAMING_URL", "").strip():
        parts = urlsplit(raw_url)
        if parts.scheme not in ("ws", "wss", "http", "https") or not parts.hostname:
            raise ConfigError(f"KITH_STREAMING_URL must be a ws(s):// or http(s):// URL, not {raw_url!r}")
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise ConfigError(f"KITH_STREAMING_URL must not have a path, query or fragment (got {raw_url!r})")
        return port, f"{parts.scheme}://{parts.netloc.lower()}"
    parts = urlsplit(url)
    if scheme == "https":
        return port, f"wss://{parts.netloc}"
    host = parts.hostname or "localhost"
    host = f"[{host}]" if ":" in host else host
    return port, f"ws://{host}:{port}"


def load_secret_key(data_dir: Path) -> str:
    """KITH_SECRET_KEY, or a key generated once into the data directory."""
    if key := os.environ.get("KITH_SECRET_KEY"):
        return key
    key_file = data_dir / "secret_key"
    try:
        if key_file.exists():
            return key_file.read_text().strip()
        data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(50)
        # Create with 0600 so other users on the machine cannot read it.
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(key)
    except (OSError, UnicodeError) as exc:
        raise ConfigError(
            f"KITH_DATA_DIR: cannot read or write {key_file} ({_reason(exc)}); make it a readable file of the "
            "pod's user, or set KITH_SECRET_KEY"
        ) from None
    return key


def _reason(exc: BaseException) -> str:
    return (exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)) or type(exc).__name__


def data_dir_path() -> Path:
    """KITH_DATA_DIR as an absolute path (not created; see prepare_data_dir)."""
    raw = os.environ.get("KITH_DATA_DIR") or DEFAULT_DATA_DIR
    try:
        return Path(raw).resolve()
    except (OSError, RuntimeError, ValueError) as exc:
        raise ConfigError(f"KITH_DATA_DIR {raw!r} is not a usable path ({_reason(exc)}); set it to a directory") from None


def prepare_data_dir(data_dir: Path) -> None:
    """Create the data directory if missing; ConfigError unless it is a directory this user can write."""
    fix = "set KITH_DATA_DIR to a directory the pod's user can write (it is created if missing)"
    if data_dir.exists() and not data_dir.is_dir():
        raise ConfigError(f"KITH_DATA_DIR {data_dir} is a file, not a directory: {fix}")
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"KITH_DATA_DIR {data_dir} cannot be created ({_reason(exc)}): {fix}") from None
    if not os.access(data_dir, os.W_OK | os.X_OK):
        raise ConfigError(f"KITH_DATA_DIR {data_dir} is not writable by this user: {fix}, or fix its owner")


def check_database_url(raw: str) -> None:
    """ConfigError unless KITH_DATABASE_URL is a PostgreSQL URL or an SQLite file's (never echoes a password)."""
    scheme = raw.split("://", 1)[0].strip().lower() if "://" in raw else ""
    if scheme not in (*POSTGRES_SCHEMES, "sqlite"):
        named = f"a {scheme}:// URL" if scheme and scheme.isascii() and scheme.isidentifier() else "not a URL"
        raise ConfigError(f"KITH_DATABASE_URL is not a database URL Kith can use ({named}; Kith runs on PostgreSQL "
                          f"or SQLite); {DATABASE_FIX}")
    import dj_database_url

    try:
        parsed = dj_database_url.parse(raw)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"KITH_DATABASE_URL is not a database URL Kith can use ({_reason(exc)}); {DATABASE_FIX}") from None
    name = str(parsed.get("NAME") or "")
    if scheme == "sqlite" and name in ("", ":memory:"):
        raise ConfigError("KITH_DATABASE_URL is an SQLite database in memory, which loses everything when the "
                          f"process ends; {DATABASE_FIX}")
    if scheme != "sqlite" and not name:
        raise ConfigError(f"KITH_DATABASE_URL names no database (the path after the host); {DATABASE_FIX}")


def validate_environment() -> None:
    """Check the KITH_* values settings.py converts, so a typo gives a sentence, not a traceback."""
    for name, (minimum, maximum) in INTEGER_VARIABLES.items():
        raw = os.environ.get(name)
        if raw is None or raw.strip() == "":
            continue
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None
        if value < minimum:
            raise ConfigError(f"{name} must be at least {minimum}, not {value}")
        if maximum is not None and value > maximum:
            raise ConfigError(f"{name} must be at most {maximum}, not {value}")
    for name, smallest in NUMBER_VARIABLES.items():
        raw = os.environ.get(name)
        if raw is None or raw.strip() == "":
            continue
        try:
            number = float(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a number of seconds, not {raw!r}") from None
        if not smallest <= number < float("inf"):
            raise ConfigError(f"{name} must be at least {smallest}, not {raw.strip()}")
    level = os.environ.get("KITH_LOG_LEVEL")
    if level:
        if level.strip().upper() not in LOG_LEVELS:
            raise ConfigError(f"KITH_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {level!r}")
        os.environ["KITH_LOG_LEVEL"] = level.strip().upper()
    if database_url := os.environ.get("KITH_DATABASE_URL"):
        check_database_url(database_url)
    if redis_url := os.environ.get("KITH_REDIS_URL"):
        redis_fix = "unset it to keep jobs in the data directory"
        if not redis_url.startswith(("redis://", "rediss://", "unix://")):
            raise ConfigError(f"KITH_REDIS_URL must start with redis://, rediss:// or unix://, not {redis_url!r}; {redis_fix}")
        try:
            urlsplit(redis_url).port  # noqa: B018 - raises on a bad port
        except ValueError:
            raise ConfigError(f"KITH_REDIS_URL is not a URL Kith can use (its host or port); {redis_fix}") from None


def load() -> PodConfig:
    validate_environment()
    bind_host, bind_port = parse_bind(os.environ.get("KITH_BIND", "127.0.0.1:8000"))
    default_url = f"http://localhost:{bind_port}" if bind_host in ("127.0.0.1", "localhost", "0.0.0.0") else f"http://{bind_host}:{bind_port}"  # noqa: S104
    url, scheme, domain = parse_url(os.environ.get("KITH_URL", default_url))
    data_dir = data_dir_path()
    prepare_data_dir(data_dir)
    streaming_port, streaming_url = parse_streaming(bind_port, url, scheme)
    return PodConfig(
        url=url,
        scheme=scheme,
        domain=domain,
        bind_host=bind_host,
        bind_port=bind_port,
        data_dir=data_dir,
        database_url=os.environ.get("KITH_DATABASE_URL") or None,
        redis_url=os.environ.get("KITH_REDIS_URL") or None,
        secret_key=load_secret_key(data_dir),
        debug=env_flag("KITH_DEBUG"),
        registrations_open=env_flag("KITH_REGISTRATIONS_OPEN", default=True),
        allow_private_federation=env_flag("KITH_ALLOW_PRIVATE_FEDERATION"),
        streaming_port=streaming_port,
        streaming_url=streaming_url,
    )
