"""Reads the pod's configuration from KITH_* environment variables (12-factor).

Kept separate from settings.py so `kith check` can report on the raw values
without importing Django.  Every variable is documented in docs/configuration.md.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

TRUE_WORDS = {"1", "true", "yes", "on"}


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
    if key_file.exists():
        return key_file.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    # Create with 0600 so other users on the machine cannot read it.
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def load() -> PodConfig:
    bind_host, bind_port = parse_bind(os.environ.get("KITH_BIND", "127.0.0.1:8000"))
    default_url = f"http://localhost:{bind_port}" if bind_host in ("127.0.0.1", "localhost", "0.0.0.0") else f"http://{bind_host}:{bind_port}"  # noqa: S104
    url, scheme, domain = parse_url(os.environ.get("KITH_URL", default_url))
    data_dir = Path(os.environ.get("KITH_DATA_DIR", "./data")).resolve()
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
