"""A peer server process (bovine or Fedify) and its /_interop/ API."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

import httpx

START_TIMEOUT = 60.0


class Peer:
    """A peer server process with its /_interop/ API."""

    def __init__(self, name: str, command: list[str], host: str, port: int, workdir: Path, env: dict[str, str]):
        self.name, self.host, self.port = name, host, port
        self.url = f"http://{host}:{port}"
        self.log_path = workdir / f"{name}.log"
        self.command, self.workdir, self.env = command, workdir, {**os.environ, **env}
        self.ready_path = "/"
        self.http = httpx.Client(base_url=self.url, timeout=30)
        self._spawn()

    def _spawn(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command, cwd=self.workdir, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )

    def restart(self) -> Peer:
        """Stop and start again on the same address (a Fedify peer comes back with new keys)."""
        self._terminate()
        self._spawn()
        return self.wait_ready(self.ready_path)

    def wait_ready(self, path: str) -> Peer:
        self.ready_path = path
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start:\n{self.log()}")
            with contextlib.suppress(httpx.HTTPError):
                if self.http.get(path).status_code == 200:
                    return self
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not answer within {START_TIMEOUT}s:\n{self.log()}")

    def get(self, path: str, **params) -> dict:
        response = self.http.get(path, params=params)
        assert response.status_code == 200, f"{self.name} GET {path}: {response.status_code} {response.text[:2000]}"
        return response.json()

    def post(self, path: str, body: dict) -> dict:
        response = self.http.post(path, json=body)
        assert response.status_code == 200, f"{self.name} POST {path}: {response.status_code} {response.text[:2000]}"
        return response.json()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-8000:] if self.log_path.exists() else ""

    def stop(self) -> None:
        self._terminate()
        self.http.close()

    def _terminate(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


# ---- what Kith's pages say ---------------------------------------------------------------------


def kith_follows(session, handle: str) -> bool:
    """The person's page says the session's person follows them (an accepted follow, not a request)."""
    return ">Unfollow</button>" in session.get(f"/@{handle}")


def kith_followers(session) -> str:
    """The Followers section of the session's contacts page."""
    return session.get("/contacts").split('id="followers-title"', 1)[1]
