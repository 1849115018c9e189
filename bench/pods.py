"""Pod processes for the benchmarks, started as tests/harness/pod.py starts them, and their memory.

`kith serve` (embedded: web + job worker in one process, the streaming API beside it),
or the split setup: `kith web` and `kith worker`.  Same settings as `make run`, except
what a benchmark needs and says: KITH_API_RATE_LIMIT=0 (one token makes thousands of
requests a second; the limiter would answer 429) and KITH_ALLOW_PRIVATE_FEDERATION=true
(the remote pods are loopback addresses).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from http.cookiejar import CookieJar, DefaultCookiePolicy
from pathlib import Path
from urllib.parse import urlsplit

import httpx

# One client for the benchmarks' one-off requests and polls: `httpx.get` builds a client and
# an SSL context per call (~58 ms of CPU each, taken from the pods being measured).  No
# keep-alive and no cookies, so each request stands alone as with `httpx.get`.
HTTP = httpx.Client(
    limits=httpx.Limits(max_keepalive_connections=0),
    cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),  # keeps none: each call stands alone
)

KITH = str(Path(sys.executable).with_name("kith"))


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def pod_env(data_dir: Path, port: int, streaming_port: int, database_url: str | None,
            host: str = "127.0.0.1") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KITH_") and k != "DJANGO_SETTINGS_MODULE"}
    env.update(
        KITH_URL=f"http://{host}:{port}",
        KITH_BIND=f"{host}:{port}",
        KITH_DATA_DIR=str(data_dir),
        KITH_SECRET_KEY="kith-bench-secret-key-for-benchmarks-only-0123456789",  # noqa: S106 (a throwaway pod)
        KITH_LOG_LEVEL="WARNING",
        KITH_STREAMING_PORT=str(streaming_port),
        KITH_API_RATE_LIMIT="0",
        KITH_ALLOW_PRIVATE_FEDERATION="true",
    )
    if database_url:
        env["KITH_DATABASE_URL"] = database_url
    return env


def postgres_database(name: str, base: str | None = None, template: str | None = None) -> str | None:
    """A fresh PostgreSQL database named `name` (never a test database) on the server of `base`
    (default: KITH_TEST_DATABASE_URL, and None when that is not set either); a copy of
    `template` when given."""
    base = base or os.environ.get("KITH_TEST_DATABASE_URL")
    if not base:
        return None
    import psycopg

    copy = f' TEMPLATE "{template}"' if template else ""
    for attempt in range(50):
        try:
            with psycopg.connect(base, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                connection.execute(f'CREATE DATABASE "{name}"{copy}')
            break
        except psycopg.errors.ObjectInUse:  # the template's last session not gone yet
            if attempt == 49:
                raise
            time.sleep(0.2)
    return urlsplit(base)._replace(path=f"/{name}").geturl()


def drop_postgres_database(url: str | None, base: str | None = None) -> None:
    """Drop a database `postgres_database` made (at the end of a run)."""
    base = base or os.environ.get("KITH_TEST_DATABASE_URL")
    if not url or not base:
        return
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(base, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class PodProcess:
    """One `kith COMMAND` process (and whatever it starts), in its own process group."""

    def __init__(self, env: dict[str, str], command: list[str], log_path: Path, ready_url: str | None) -> None:
        self.env = env
        self.command = command
        self.log_path = log_path
        self.ready_url = ready_url
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 90.0) -> PodProcess:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [KITH, *self.command], env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        if self.ready_url is None:
            time.sleep(2.0)
            if self.process.poll() is not None:
                raise RuntimeError(f"kith {' '.join(self.command)} exited:\n{self.log()}")
            return self
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"kith {' '.join(self.command)} exited at start:\n{self.log()}")
            with contextlib.suppress(httpx.HTTPError):
                if HTTP.get(self.ready_url, timeout=2).status_code == 200:
                    return self
            time.sleep(0.2)
        raise RuntimeError(f"kith {' '.join(self.command)} did not start in {timeout} s:\n{self.log()}")

    def stop(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:] if self.log_path.exists() else ""

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid


# ---- memory -------------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            found += [int(child) for child in task.read_text().split()]
    return found


def process_tree(pid: int) -> list[int]:
    tree, queue = [], [pid]
    while queue:
        current = queue.pop()
        tree.append(current)
        queue += _children(current)
    return tree


def memory_of(pid: int) -> dict | None:
    """Resident and proportional set sizes (MB) and the command line of one process."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return None

    def field_kb(text: str, name: str) -> int:
        for line in text.splitlines():
            if line.startswith(name + ":"):
                return int(line.split()[1])
        return 0

    return {
        "pid": pid,
        "command": _short_command(cmdline),
        "rss_mb": round(field_kb(status, "VmRSS") / 1024, 1),
        "pss_mb": round(field_kb(rollup, "Pss") / 1024, 1),
    }


def _short_command(cmdline: str) -> str:
    words = cmdline.split()
    for index, word in enumerate(words):
        if word.endswith("/kith") or word == "kith.cli":
            return "kith " + " ".join(words[index + 1:index + 3])
    return " ".join(Path(words[0]).name if i == 0 else w for i, w in enumerate(words[:4])) if words else "?"


def tree_memory(pid: int) -> list[dict]:
    return [m for p in process_tree(pid) if (m := memory_of(p)) is not None]


class MemorySampler:
    """Samples a process tree's memory every `interval` seconds in a thread; keeps each pid's peak."""

    def __init__(self, pid: int, interval: float = 0.25) -> None:
        self.pid = pid
        self.interval = interval
        self.peaks: dict[int, dict] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for sample in tree_memory(self.pid):
                peak = self.peaks.get(sample["pid"])
                if peak is None or sample["rss_mb"] > peak["rss_mb"]:
                    self.peaks[sample["pid"]] = sample
            self._stop.wait(self.interval)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
