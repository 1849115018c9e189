"""A real pod in its own process: `kith migrate` + `kith serve` on a loopback address.

Each pod has its own data directory, SQLite database (or, when
KITH_TEST_DATABASE_URL is set, its own fresh PostgreSQL database), job queue and
embedded worker.  Tests talk to pods only through their public interfaces: the
`kith` command and HTTP.  `WebSession` acts as one person through the web pages.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import ssl
import subprocess
import sys
import time
from html.parser import HTMLParser
from http.cookiejar import CookieJar, DefaultCookiePolicy
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from tests.harness import schema

KITH = str(Path(sys.executable).with_name("kith"))
PASSWORD = "correct horse battery staple"
# Where the harness's OAuth app is sent back to: never fetched, the code is read off the redirect.
OAUTH_CALLBACK = "https://harness.example/callback"
START_TIMEOUT = 60.0
READY_POLL_SECONDS = 0.05

# One client for the harness's one-off requests, shared by every thread: `httpx.get` builds a
# client, and with it an SSL context that loads the CA bundle, for each call (~58 ms of CPU,
# against ~0.3 ms for a request on a client made once), and a pod start polls `ready()` every
# 50 ms.  No keep-alive and no cookies: each request stands alone, as with `httpx.get` (a
# killed pod leaves no stale connection, one pod's cookies never reach another).
TLS = ssl.create_default_context()  # made once, for this client and every WebSession's
HTTP = httpx.Client(
    verify=TLS,
    limits=httpx.Limits(max_keepalive_connections=0),
    cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),  # keeps none: each call stands alone
)


def free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def _postgres_database(name: str) -> str | None:
    """A fresh PostgreSQL database for one pod, when the suite runs on PostgreSQL: a copy of
    the run's migrated schema (tests/harness/schema.py), much faster than migrating each pod's."""
    base = os.environ.get("KITH_TEST_DATABASE_URL")
    if not base:
        return None
    schema.clone_postgres(base, schema.postgres_schema(base), name)
    return urlsplit(base)._replace(path=f"/{name}").geturl()


def _drop_postgres_database(name: str) -> None:
    base = os.environ.get("KITH_TEST_DATABASE_URL")
    if not base:
        return
    import psycopg

    with contextlib.suppress(psycopg.Error), psycopg.connect(base, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Pod:
    def __init__(self, name: str, data_dir: Path, host: str = "127.0.0.1", port: int | None = None, **env: str):
        self.name = name
        self.host = host
        self.port = port or free_port(host)
        self.data_dir = data_dir
        self.url = f"http://{host}:{self.port}"
        self.domain = f"{host}:{self.port}"
        # The streaming API's own server, which `kith serve` starts beside the web.
        self.streaming_port = free_port(host)
        self.streaming_url = f"http://{host}:{self.streaming_port}"
        self.websocket_url = f"ws://{host}:{self.streaming_port}/api/v1/streaming"
        self.database_name = f"kith_pod_{name}_{secrets.token_hex(4)}"
        self.database_url = _postgres_database(self.database_name)
        self.extra_env = env
        self.process: subprocess.Popen | None = None
        self._migrated = False
        self._oauth_app: dict[str, str] | None = None
        self.log_path = data_dir / "serve.log"

    # ---- process control ----------------------------------------------------------------

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KITH_") and k != "DJANGO_SETTINGS_MODULE"}
        # Pods keep Python's bytecode cache (__pycache__, ignored by git) even where the shell
        # turned it off: without it every pod start compiled Kith's ~170 modules again, about a
        # second of CPU per `kith serve` and ~0.3 s per `kith` command (tests start hundreds).
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env.update(
            KITH_URL=self.url,
            KITH_BIND=f"{self.host}:{self.port}",
            KITH_DATA_DIR=str(self.data_dir),
            KITH_SECRET_KEY=f"pod-{self.name}-secret-for-tests-only",
            KITH_ALLOW_PRIVATE_FEDERATION="true",
            KITH_LOG_LEVEL="WARNING",
            KITH_WEB_THREADS="8",
            KITH_API_CHECK_RESPONSES="true",  # kith/api/routing.py: responses also checked against their schemas
            KITH_SIGNUP_CONFIRM_EMAIL="false",  # web sign-ups log straight in (tests/web/test_accounts.py tests confirmation)
            KITH_STREAMING_PORT=str(self.streaming_port),
        )
        if self.database_url:
            env["KITH_DATABASE_URL"] = self.database_url
        env.update(self.extra_env)
        return env

    def kith(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            [KITH, *args], env=self.env, capture_output=True, text=True, timeout=120, check=check
        )

    def migrate(self) -> None:
        """Bring the schema up: copy the run's migrated database (tests/harness/schema.py);
        on PostgreSQL the pod's database was made as such a copy (`_postgres_database`)."""
        if self.database_url:
            return
        template = schema.sqlite_schema()
        for suffix in ("", "-wal", "-shm"):
            if (template.parent / f"kith.sqlite3{suffix}").exists():
                shutil.copy(template.parent / f"kith.sqlite3{suffix}", self.data_dir / f"kith.sqlite3{suffix}")

    def start(self) -> Pod:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if not self._migrated:  # a restarted pod keeps its data
            self.migrate()
            self._migrated = True
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [KITH, "serve"], env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        return self.wait_ready()

    def ready(self) -> bool:
        """Whether the web and the streaming server both answer."""
        with contextlib.suppress(httpx.HTTPError):
            return (
                HTTP.get(f"{self.url}/.well-known/nodeinfo", timeout=2).status_code == 200
                and HTTP.get(f"{self.streaming_url}/api/v1/streaming/health", timeout=2).status_code == 200
            )
        return False

    def wait_ready(self) -> Pod:
        """Wait until the pod serves (after `start`, or after `kill_worker` while granian respawns it)."""
        assert self.process is not None, f"pod {self.name} is not running"
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"pod {self.name} exited at start:\n{self.log()}")
            if self.ready():
                return self
            time.sleep(READY_POLL_SECONDS)
        raise RuntimeError(f"pod {self.name} did not start within {START_TIMEOUT}s:\n{self.log()}")

    def worker_pids(self) -> list[int]:
        """The processes granian's supervisor runs: the one web worker, which for `kith serve` is
        also the job worker and the streaming server."""
        if self.process is None:
            return []
        pid = self.process.pid
        children: list[int] = []
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                children += [int(child) for child in (task / "children").read_text().split()]
        return children

    def kill_worker(self) -> None:
        """SIGKILL the working process only (as the kernel's OOM killer would); granian's
        supervisor starts a new one.  Returns once the killed one is gone (`wait_ready` next)."""
        pids = self.worker_pids()
        assert pids, f"pod {self.name} has no worker process"
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            alive = []
            for pid in pids:
                with contextlib.suppress(OSError):
                    state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
                    if state not in ("Z", "X"):
                        alive.append(pid)
            if not alive:
                return
            time.sleep(0.01)
        raise RuntimeError(f"pod {self.name}: worker {pids} did not die")

    def stop(self, *, kill: bool = False) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL if kill else signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def destroy(self) -> None:
        self.stop()
        if self.database_url:
            _drop_postgres_database(self.database_name)
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-6000:] if self.log_path.exists() else ""

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "kith.sqlite3"

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Read the pod's database directly (`?` placeholders on both backends): for assertions
        about what it holds, never to change it."""
        if self.database_url:
            import psycopg

            with psycopg.connect(self.database_url, autocommit=True) as connection:
                if not params:  # no placeholders, so a literal % (LIKE 'post:%') stays as it is
                    return connection.execute(sql.encode()).fetchall()
                return connection.execute(sql.replace("?", "%s"), params).fetchall()
        with contextlib.closing(sqlite3.connect(self.sqlite_path, timeout=30)) as connection:
            return connection.execute(sql, params).fetchall()

    # ---- people ----------------------------------------------------------------------------

    def create_user(self, username: str) -> str:
        self.kith("user", "create", username, "--email", f"{username}@{self.host}.test", "--password", PASSWORD)
        return f"{username}@{self.domain}"

    def create_users(self, *usernames: str) -> list[str]:
        """Several accounts from one `kith manage shell`, each made by the service call
        `kith user create` makes (one process start, ~2 CPU-s, instead of one per person)."""
        code = (
            "from kith.people.services import create_local_account\n"
            f"for name in {list(usernames)!r}:\n"
            f"    create_local_account(name, name + {'@' + self.host + '.test'!r}, {PASSWORD!r},\n"
            "                         is_admin=False, default_aspects=True, language=None)\n"
        )
        self.kith("manage", "shell", "--verbosity", "0", "-c", code)
        return [f"{username}@{self.domain}" for username in usernames]

    def oauth_app(self) -> dict[str, str]:
        """The harness's app, registered once per pod through `POST /api/v1/apps` (as a client does)."""
        if self._oauth_app is None:
            response = HTTP.post(f"{self.url}/api/v1/apps", json={
                "client_name": "harness", "redirect_uris": OAUTH_CALLBACK, "scopes": "read write follow push",
            }, timeout=20)
            assert response.status_code == 200, response.text[:2000]
            self._oauth_app = response.json()
        return self._oauth_app

    def session(self, username: str) -> WebSession:
        return WebSession(self, username).login()

    def signup(self, username: str) -> WebSession:
        """A new account made through the web sign-up page (one HTTP request, no `kith` process
        start), logged in."""
        web = WebSession(self, username)
        web.post("/signup", {"username": username, "email": self.email(username), "password": PASSWORD,
                             "password2": PASSWORD})
        return web

    def tokens(self, *usernames: str, scopes: str = "read write follow push") -> dict[str, str]:
        """Bearer tokens for several people from one `kith manage shell` (one process start)."""
        code = (
            "from kith.api.tokens import issue_token\n"
            "from kith.people.models import Account\n"
            f"for name in {list(usernames)!r}:\n"
            f"    print(issue_token(Account.objects.get(username=name), 'harness', {scopes!r}))\n"
        )
        printed = self.kith("manage", "shell", "--verbosity", "0", "-c", code).stdout.split()
        return dict(zip(usernames, printed[-len(usernames):], strict=True))

    def token(self, username: str, scopes: str = "read write follow push") -> str:
        """A bearer token for `username` from `kith token create`, as a script would get one."""
        output = self.kith("token", "create", username, "harness", "--scopes", scopes).stdout
        return output.strip().splitlines()[0].strip()

    def email(self, username: str) -> str:
        """The e-mail address `create_user` gave `username` (clients log in with it)."""
        return f"{username}@{self.host}.test"


class WebSession:
    """One person using a pod through its web pages, as a browser without JavaScript would."""

    def __init__(self, pod: Pod, username: str):
        self.pod = pod
        self.username = username
        self.client = httpx.Client(base_url=pod.url, timeout=20, follow_redirects=False, verify=TLS)

    def _csrf(self) -> str:
        token = self.client.cookies.get("csrftoken")
        if token is None:
            self.client.get("/login")
            token = self.client.cookies.get("csrftoken")
        return token

    def post(self, path: str, data: dict | None = None, *, expect_redirect: bool = True) -> httpx.Response:
        fields: dict[str, list[str]] = {}
        for name, value in (data or {}).items():
            fields[name] = list(value) if isinstance(value, (list, tuple)) else [value]
        fields["csrfmiddlewaretoken"] = [self._csrf()]
        response = self.client.post(path, data=fields, headers={"Referer": f"{self.pod.url}{path}"})
        if expect_redirect and response.status_code not in (302, 303):
            raise AssertionError(f"POST {path} answered {response.status_code}: {response.text[:2000]}")
        return response

    def get(self, path: str, *, status: int = 200) -> str:
        response = self.client.get(path)
        if response.status_code != status:
            raise AssertionError(f"GET {path} answered {response.status_code}, expected {status}: {response.text[:500]}")
        return response.text

    def login(self) -> WebSession:
        self.post("/login", {"username": self.username, "password": PASSWORD})
        return self

    def bearer_token(self, scopes: str = "read write follow") -> str:
        """A bearer token for this logged-in person, the way a Mastodon client gets one: the
        consent page approved, then the code exchanged at `/oauth/token` (HTTP only, no `kith`
        process start)."""
        app = self.pod.oauth_app()
        query = urlencode({"response_type": "code", "client_id": app["client_id"],
                           "redirect_uri": OAUTH_CALLBACK, "scope": scopes})
        consent = _HiddenFields()
        consent.feed(self.get(f"/oauth/authorize?{query}"))
        answer = self.client.post("/oauth/authorize", data={**consent.fields, "allow": "Authorize"},
                                  headers={"Referer": f"{self.pod.url}/oauth/authorize"})
        assert answer.status_code == 302, f"consent answered {answer.status_code}: {answer.text[:2000]}"
        code = parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]
        exchanged = HTTP.post(f"{self.pod.url}/oauth/token", data={
            "grant_type": "authorization_code", "code": code, "client_id": app["client_id"],
            "client_secret": app["client_secret"], "redirect_uri": OAUTH_CALLBACK,
        }, timeout=20)
        assert exchanged.status_code == 200, exchanged.text[:2000]
        return exchanged.json()["access_token"]

    # ---- what people do -----------------------------------------------------------------------

    def publish(self, text: str, audience: list[str] | str = "public", people: str = "") -> int:
        audience = [audience] if isinstance(audience, str) else audience
        response = self.post("/posts", {"text": text, "content_warning": "", "audience": audience, "people": people})
        match = re.search(r"/posts/(\d+)$", response.headers["location"])
        assert match, response.headers["location"]
        return int(match.group(1))

    def start_conversation(self, handles: list[str], subject: str, text: str) -> int:
        response = self.post("/conversations/new", {"recipients": ", ".join(handles), "subject": subject, "text": text})
        match = re.search(r"/conversations/(\d+)$", response.headers["location"])
        assert match, response.headers["location"]
        return int(match.group(1))

    def conversation_with(self, subject: str) -> int | None:
        """The id of the conversation called `subject` in this person's list, if there is one."""
        match = re.search(rf'href="/conversations/(\d+)">(?:(?!</a>).)*?{re.escape(subject)}', self.get("/conversations"), re.S)
        return int(match.group(1)) if match else None

    def reply(self, conversation_id: int, text: str) -> None:
        self.post(f"/conversations/{conversation_id}", {"text": text})

    def create_aspect(self, name: str) -> int:
        """The id of a new aspect `name`, or of the one the account has by that name already
        (accounts start with Family, Friends, Work and Acquaintances)."""
        created = self.post("/aspects", {"name": name}, expect_redirect=False)
        if created.status_code not in (302, 303, 409):
            raise AssertionError(f"POST /aspects answered {created.status_code}: {created.text[:2000]}")
        page = self.get("/aspects")
        match = re.search(rf'id="aspect-(\d+)">\s*{re.escape(name)}\s*<', page)
        assert match, f"aspect {name} not found on /aspects"
        return int(match.group(1))

    def add_to_aspect(self, aspect_id: int, handle: str) -> None:
        self.post(f"/aspects/{aspect_id}/add", {"handle": handle})

    def follow(self, handle: str) -> None:
        self.post(f"/@{handle}/follow")

    def stream(self) -> str:
        return self.get("/")

    def find_post(self, text: str, page: str = "/") -> int | None:
        """This pod's id of the post showing `text` on `page` (each pod numbers posts its own way)."""
        for article in self.get(page).split('<article class="post"')[1:]:
            if text in article:
                match = re.search(r'class="permalink" href="/posts/(\d+)"', article)
                if match:
                    return int(match.group(1))
        return None

    def comment(self, post_id: int, text: str) -> None:
        self.post(f"/posts/{post_id}/comments", {"text": text})

    def act(self, post_id: int, action: str) -> None:
        """like, unlike, reshare, unreshare."""
        self.post(f"/posts/{post_id}/{action}")

    def edit(self, post_id: int, text: str) -> None:
        self.post(f"/posts/{post_id}/edit", {"text": text, "content_warning": ""})

    def delete(self, post_id: int) -> None:
        self.post(f"/posts/{post_id}/delete")

    def relate(self, handle: str, action: str) -> None:
        """follow, unfollow, block, unblock, mute, unmute, accept, reject, remove_follower."""
        self.post(f"/@{handle}/{action}")

    def can_open_post(self, post_id: int) -> bool:
        return self.client.get(f"/posts/{post_id}").status_code == 200


class _HiddenFields(HTMLParser):
    """The hidden inputs of a page's form (the consent page's client_id, scope, state...)."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "input" and attributes.get("type") == "hidden" and attributes.get("name"):
            self.fields[attributes["name"] or ""] = attributes.get("value") or ""


def wait_until(condition, timeout: float = 60.0, interval: float = 0.2, message: str = "condition") -> None:
    """Poll `condition()` until it is true (bounded: federation is asynchronous, tests are not timed)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")
