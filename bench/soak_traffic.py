"""The soak's traffic (bench/soak.py): people on several pods, what they do, and what must arrive.

Everything goes over HTTP to loopback pods: the Mastodon client API, the web pages and the
streaming API, as apps and browsers use them; federation between the pods is what those
actions cause.  Each request is paced by one shared `Pacer` (a bounded request rate), timed
and counted by endpoint class in a `Recorder`.  What was sent is kept (`World`) so that
`Convergence` can check, once the queues have drained, that it arrived where it should.
"""

from __future__ import annotations

import contextlib
import io
import ipaddress
import random
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from bench.pods import PodProcess

SCOPES = "read write follow push"
TAGS = ("garden", "river", "soak", "bread")
WORDS = ("apple", "bridge", "cloud", "delta", "ember", "fjord", "grain", "harbour", "island", "juniper",
         "kettle", "lantern", "meadow", "nutmeg", "orchard", "pebble", "quarry", "rowan", "saffron", "thistle")
KEPT_ERRORS = 10  # 5xx answers and transport errors kept with their bodies, per recorder


def loopback(url: str) -> bool:
    """The soak sends only to 127.0.0.0/8: a URL from an answer is followed only if it points there."""
    host = urlsplit(url).hostname or ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# ---- counting ---------------------------------------------------------------------------------


class Recorder:
    """Statuses, latencies and the first failures of a phase's requests, by endpoint class."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.lock = threading.Lock()
        self.statuses: dict[str, dict[str, int]] = {}
        self.latencies: dict[str, list[float]] = {}
        self.server_errors: list[dict[str, Any]] = []
        self.client_errors: dict[str, dict[str, Any]] = {}  # the first answer of each (class, 4xx status)
        self.transport_errors: list[dict[str, Any]] = []

    def record(self, kind: str, status: int | str, seconds: float, method: str, url: str, body: str = "") -> None:
        with self.lock:
            counts = self.statuses.setdefault(kind, {})
            counts[str(status)] = counts.get(str(status), 0) + 1
            self.latencies.setdefault(kind, []).append(seconds)
            example = {"kind": kind, "status": status, "method": method, "url": url, "body": body[:1500],
                       "at": time.strftime("%H:%M:%S")}
            if isinstance(status, str):
                if len(self.transport_errors) < KEPT_ERRORS:
                    self.transport_errors.append(example)
            elif status >= 500:
                if len(self.server_errors) < KEPT_ERRORS:
                    self.server_errors.append(example)
            elif status >= 400:
                self.client_errors.setdefault(f"{kind} {status}", example)

    def total(self) -> int:
        with self.lock:
            return sum(sum(counts.values()) for counts in self.statuses.values())

    def count(self, test) -> int:
        with self.lock:
            return sum(n for counts in self.statuses.values() for status, n in counts.items() if test(status))

    def summary(self) -> dict[str, Any]:
        with self.lock:
            kinds = {}
            for kind in sorted(self.statuses):
                ordered = sorted(self.latencies[kind])
                kinds[kind] = {
                    "requests": len(ordered),
                    "statuses": dict(sorted(self.statuses[kind].items())),
                    "p50_ms": round(ordered[len(ordered) // 2] * 1000, 1),
                    "p99_ms": round(ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))] * 1000, 1),
                    "max_ms": round(ordered[-1] * 1000, 1),
                }
        return {
            "requests": sum(k["requests"] for k in kinds.values()),
            "by_status_class": {
                "2xx/3xx": self.count(lambda s: s.isdigit() and int(s) < 400),
                "4xx": self.count(lambda s: s.isdigit() and 400 <= int(s) < 500),
                "429": self.count(lambda s: s == "429"),
                "5xx": self.count(lambda s: s.isdigit() and int(s) >= 500),
                "transport errors": self.count(lambda s: not s.isdigit()),
            },
            "kinds": kinds,
            "server_errors": self.server_errors,
            "client_errors": list(self.client_errors.values()),
            "transport_errors": self.transport_errors,
        }


class Pacer:
    """One shared schedule of request slots `1/rate` apart: the soak's whole request rate is bounded."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self.lock = threading.Lock()
        self.next = time.monotonic()

    def wait(self) -> None:
        with self.lock:
            now = time.monotonic()
            slot = max(self.next, now)
            self.next = slot + self.interval
        if slot > now:
            time.sleep(slot - now)


class Http:
    """Sends, times and counts one request; a transport error is counted, never raised."""

    def __init__(self, recorder: Recorder, pacer: Pacer | None = None, timeout: float = 30.0) -> None:
        self.recorder = recorder
        self.pacer = pacer
        self.client = httpx.Client(timeout=timeout, follow_redirects=False)

    def request(self, kind: str, method: str, url: str, *, token: str | None = None,
                client: httpx.Client | None = None, **kwargs: Any) -> httpx.Response | None:
        if not loopback(url):
            raise ValueError(f"the soak sends only to loopback addresses, not {url}")
        if self.pacer is not None:
            self.pacer.wait()
        headers = dict(kwargs.pop("headers", {}) or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        started = time.perf_counter()
        try:
            response = (client or self.client).request(method, url, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            self.recorder.record(kind, type(exc).__name__, time.perf_counter() - started, method, url, str(exc))
            return None
        body = response.text if response.status_code >= 400 else ""
        self.recorder.record(kind, response.status_code, time.perf_counter() - started, method, url, body)
        return response

    def close(self) -> None:
        self.client.close()


# ---- the pods and people ------------------------------------------------------------------------


@dataclass(eq=False)
class Pod:
    name: str
    host: str
    port: int
    streaming_port: int
    data_dir: Path
    database_url: str | None
    env: dict[str, str]
    process: PodProcess | None = None
    users: list[User] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def domain(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def streaming_url(self) -> str:
        return f"http://{self.host}:{self.streaming_port}"


@dataclass(eq=False)
class User:
    pod: Pod
    username: str
    index: int
    token: str = ""
    ids: dict[str, str] = field(default_factory=dict)  # pod name -> this person's account id on that pod
    web: httpx.Client | None = None  # logged in to the web pages
    aspect_id: str = ""
    seen: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=80))  # statuses from its home

    @property
    def handle(self) -> str:
        return f"{self.username}@{self.pod.domain}"

    def acct_on(self, pod: Pod) -> str:
        """How `pod` names this person (Mastodon's `acct`)."""
        return self.username if pod is self.pod else self.handle

    @property
    def own_id(self) -> str:
        return self.ids[self.pod.name]


@dataclass(eq=False)
class Sent:
    """A post, message or comment the soak made, and who must end up holding it."""

    kind: str  # public, private, aspect, direct, comment
    author: User
    id: str  # on the author's pod
    uri: str
    recipients: set[User]
    on: str = ""  # a comment's post (its uri)
    deleted: bool = False
    at: float = field(default_factory=time.monotonic)
    extras: bool = False  # has photos or a poll (which an edit would have to send again)
    edit: str = ""  # the marker of its last edit answered 200


def stable_followees(user: User, pods: list[Pod]) -> list[User]:
    """Follows made before the load starts and never undone: the next person on the same pod,
    and on every other pod the person of the same index (and the next one, with 4+ people)."""
    chosen = []
    own = user.pod.users
    if len(own) > 1:
        chosen.append(own[(user.index + 1) % len(own)])
    for pod in pods:
        if pod is user.pod:
            continue
        chosen.append(pod.users[user.index % len(pod.users)])
        if len(pod.users) >= 4:
            chosen.append(pod.users[(user.index + 1) % len(pod.users)])
    return chosen


def aspect_members(user: User, pods: list[Pod]) -> list[User]:
    """Each person's aspect "Soak close": the person of the same index on every other pod."""
    return [pod.users[user.index % len(pod.users)] for pod in pods if pod is not user.pod]


def churn_followees(user: User, pods: list[Pod]) -> list[User]:
    """People on other pods this person follows and unfollows during the load."""
    stable = set(stable_followees(user, pods))
    return [other for pod in pods if pod is not user.pod for other in pod.users if other not in stable]


class World:
    """What the soak sent, shared by the client threads."""

    def __init__(self, pods: list[Pod]) -> None:
        self.pods = pods
        self.users = [user for pod in pods for user in pod.users]
        self.lock = threading.Lock()
        self.sent: dict[str, Sent] = {}  # by uri: posts and messages
        self.comments: list[Sent] = []
        # uri -> the people whose favourite / boost / vote stands, each with the post's id on their pod
        self.favourites: dict[str, dict[User, str]] = {}
        self.boosts: dict[str, dict[User, str]] = {}
        self.votes: dict[str, dict[User, str]] = {}
        self.following: dict[tuple[User, User], bool] = {}  # churn pairs: what the follower last asked for
        self.busy: set[Any] = set()  # what a thread is changing now (a pair, a post, a favourite ...)
        self.counter = 0
        self.stable: dict[User, list[User]] = {u: stable_followees(u, pods) for u in self.users}
        self.followers: dict[User, set[User]] = {u: set() for u in self.users}
        for follower, followees in self.stable.items():
            for followee in followees:
                self.followers[followee].add(follower)
        self.aspects: dict[User, list[User]] = {u: aspect_members(u, pods) for u in self.users}
        for user in self.users:
            for other in churn_followees(user, pods):
                self.following[user, other] = False
        self.by_acct: dict[tuple[str, str], User] = {
            (pod.name, user.acct_on(pod)): user for pod in pods for user in self.users
        }

    def number(self) -> int:
        with self.lock:
            self.counter += 1
            return self.counter

    def claim(self, key: Any) -> bool:
        """Only one thread at a time changes one thing, so the last answer is the state that holds."""
        with self.lock:
            if key in self.busy:
                return False
            self.busy.add(key)
            return True

    def release(self, key: Any) -> None:
        with self.lock:
            self.busy.discard(key)

    def add(self, item: Sent) -> None:
        with self.lock:
            if item.kind == "comment":
                self.comments.append(item)
            else:
                self.sent[item.uri] = item


def png(rng: random.Random) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (48, 32), tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(4):
        x, y = rng.randrange(40), rng.randrange(24)
        draw.rectangle((x, y, x + 8, y + 8), fill=tuple(rng.randrange(256) for _ in range(3)))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


# ---- what people do -------------------------------------------------------------------------------

# (action, weight): reads about 55 %, writes about 45 % of the actions; an action is 1-4 requests.
ACTIONS: tuple[tuple[str, int], ...] = (
    ("read_home", 14), ("read_public", 5), ("read_tag", 4), ("read_profile", 6), ("read_status", 6),
    ("read_notifications", 4), ("read_conversations", 2), ("web_pages", 6), ("search", 4),
    ("post_public", 8), ("post_private", 3), ("post_aspect", 3), ("post_direct", 3), ("reply", 6),
    ("favourite", 5), ("unfavourite", 1), ("boost", 3), ("unboost", 1), ("vote", 2), ("edit", 1),
    ("follow_or_unfollow", 2), ("delete", 1),
)


class Traffic:
    """The actions; each picks its person and what it acts on with the client thread's own `rng`."""

    def __init__(self, world: World, http: Http) -> None:
        self.world = world
        self.http = http

    # -- helpers

    def api(self, user: User, kind: str, method: str, path: str, **kwargs: Any) -> httpx.Response | None:
        return self.http.request(kind, method, f"{user.pod.url}{path}", token=user.token, **kwargs)

    @staticmethod
    def ok(response: httpx.Response | None) -> bool:
        return response is not None and response.status_code < 300

    def text(self, user: User, rng: random.Random, tag: bool) -> str:
        words = " ".join(rng.sample(WORDS, 5))
        suffix = f" #{rng.choice(TAGS)}" if tag else ""
        return f"Soak note {self.world.number()} from {user.username}: {words}.{suffix}"

    def remember(self, user: User, statuses: list[dict[str, Any]]) -> None:
        for status in statuses:
            target = status.get("reblog") or status
            user.seen.append({
                "id": target["id"], "uri": target["uri"], "visibility": target["visibility"],
                "account_id": target["account"]["id"], "reply": target.get("in_reply_to_id") is not None,
                "poll": bool(target.get("poll")),
                "media": [m["url"] for m in target.get("media_attachments", []) if m.get("url")],
            })

    def seen(self, user: User, rng: random.Random, test=lambda s: True) -> dict[str, Any] | None:
        choices = [s for s in list(user.seen) if test(s)]
        return rng.choice(choices) if choices else None

    def run(self, name: str, rng: random.Random) -> None:
        user = rng.choice(self.world.users)
        getattr(self, name)(user, rng)

    # -- reads

    def read_home(self, user: User, rng: random.Random) -> None:
        response = self.api(user, "GET timelines/home", "GET", "/api/v1/timelines/home", params={"limit": 20})
        if not self.ok(response):
            return
        page = response.json()
        self.remember(user, page)
        if page and rng.random() < 0.25:
            self.api(user, "GET timelines/home", "GET", "/api/v1/timelines/home",
                     params={"limit": 20, "max_id": page[-1]["id"]})
        photos = [url for status in list(user.seen)[-len(page):] for url in status["media"]] if page else []
        if photos and rng.random() < 0.5:
            url = rng.choice(photos)
            if loopback(url):
                self.http.request("GET photo file", "GET", url)

    def read_public(self, user: User, rng: random.Random) -> None:
        params: dict[str, Any] = {"limit": 20}
        scope = rng.choice(("", "local", "remote"))
        if scope:
            params[scope] = "true"
        self.api(user, "GET timelines/public", "GET", "/api/v1/timelines/public", params=params)

    def read_tag(self, user: User, rng: random.Random) -> None:
        self.api(user, "GET timelines/tag", "GET", f"/api/v1/timelines/tag/{rng.choice(TAGS)}", params={"limit": 20})

    def read_profile(self, user: User, rng: random.Random) -> None:
        other = rng.choice(self.world.users)
        account_id = other.ids[user.pod.name]
        self.api(user, "GET accounts/:id", "GET", f"/api/v1/accounts/{account_id}")
        response = self.api(user, "GET accounts/:id/statuses", "GET", f"/api/v1/accounts/{account_id}/statuses",
                            params={"limit": 20})
        if self.ok(response):
            self.remember(user, response.json()[:5])

    def read_status(self, user: User, rng: random.Random) -> None:
        status = self.seen(user, rng)
        if status is None:
            return self.read_home(user, rng)
        self.api(user, "GET statuses/:id", "GET", f"/api/v1/statuses/{status['id']}")
        self.api(user, "GET statuses/:id/context", "GET", f"/api/v1/statuses/{status['id']}/context")

    def read_notifications(self, user: User, rng: random.Random) -> None:
        self.api(user, "GET notifications", "GET", "/api/v1/notifications", params={"limit": 20})

    def read_conversations(self, user: User, rng: random.Random) -> None:
        self.api(user, "GET conversations", "GET", "/api/v1/conversations", params={"limit": 20})

    def web_pages(self, user: User, rng: random.Random) -> None:
        web = user.web
        assert web is not None
        base = user.pod.url
        self.http.request("web stream (/)", "GET", f"{base}/", client=web)
        other = rng.choice(self.world.users)
        self.http.request("web profile (/@handle)", "GET", f"{base}/@{other.acct_on(user.pod)}", client=web)
        status = self.seen(user, rng)
        if status is not None:
            self.http.request("web post (/posts/:id)", "GET", f"{base}/posts/{status['id']}", client=web)

    def search(self, user: User, rng: random.Random) -> None:
        choice = rng.random()
        if choice < 0.5:
            other = rng.choice([u for u in self.world.users if u.pod is not user.pod])
            params = {"q": other.handle, "resolve": "true", "type": "accounts"}
            kind = "GET search (resolve account)"
        elif choice < 0.8:
            params = {"q": rng.choice(WORDS), "type": "statuses"}
            kind = "GET search (statuses)"
        else:
            params = {"q": rng.choice(TAGS)[:3], "type": "hashtags"}
            kind = "GET search (hashtags)"
        self.api(user, kind, "GET", "/api/v2/search", params=params)

    # -- writes

    def upload(self, user: User, rng: random.Random) -> str | None:
        response = self.api(user, "POST media (v2)", "POST", "/api/v2/media",
                            files={"file": ("soak.png", png(rng), "image/png")}, data={"description": "a soak test"})
        if not self.ok(response):
            return None
        media_id = response.json()["id"]
        for _ in range(20):  # as apps do: wait until the worker has processed it (206 until then)
            check = self.api(user, "GET media/:id", "GET", f"/api/v1/media/{media_id}")
            if check is None or check.status_code != 206:
                break
            time.sleep(0.25)
        return media_id

    def publish(self, user: User, rng: random.Random, kind: str, body: dict[str, Any],
                recipients: set[User]) -> None:
        label = kind + (" with a poll" if "poll" in body else "")
        response = self.api(user, f"POST statuses ({label})", "POST", "/api/v1/statuses", json=body)
        if self.ok(response):
            status = response.json()
            self.world.add(Sent(kind, user, status["id"], status["uri"], recipients,
                                extras=bool(body.get("media_ids") or body.get("poll"))))

    def post_public(self, user: User, rng: random.Random) -> None:
        body: dict[str, Any] = {"status": self.text(user, rng, tag=rng.random() < 0.5), "visibility": "public"}
        if rng.random() < 0.15:
            body["poll"] = {"options": ["yes", "no", "later"], "expires_in": 86400}
        elif rng.random() < 0.25 and (media_id := self.upload(user, rng)):
            body["media_ids"] = [media_id]
        self.publish(user, rng, "public", body, {user, *self.world.followers[user]})

    def post_private(self, user: User, rng: random.Random) -> None:
        body = {"status": self.text(user, rng, tag=False), "visibility": "private"}
        self.publish(user, rng, "private", body, {user, *self.world.followers[user], *self.world.aspects[user]})

    def post_aspect(self, user: User, rng: random.Random) -> None:
        body = {"status": self.text(user, rng, tag=False), "kith_aspect_ids": [user.aspect_id]}
        self.publish(user, rng, "aspect", body, {user, *self.world.aspects[user]})

    def post_direct(self, user: User, rng: random.Random) -> None:
        if rng.random() < 0.4 and self.reply_in_conversation(user, rng):
            return
        other = rng.choice([u for u in self.world.users if u.pod is not user.pod])
        body = {"status": f"@{other.handle} {self.text(user, rng, tag=False)}", "visibility": "direct"}
        self.publish(user, rng, "direct", body, {other})

    def reply_in_conversation(self, user: User, rng: random.Random) -> bool:
        response = self.api(user, "GET conversations", "GET", "/api/v1/conversations", params={"limit": 10})
        if not self.ok(response):
            return False
        others = [c for c in response.json() if c.get("last_status") and c["last_status"]["account"]["id"] != user.own_id]
        if not others:
            return False
        conversation = rng.choice(others)
        recipients = {self.world.by_acct.get((user.pod.name, a["acct"])) for a in conversation["accounts"]} - {None}
        body = {"status": self.text(user, rng, tag=False), "visibility": "direct",
                "in_reply_to_id": conversation["last_status"]["id"]}
        self.publish(user, rng, "direct", body, recipients)  # type: ignore[arg-type]
        return True

    def reply(self, user: User, rng: random.Random) -> None:
        status = self.seen(user, rng, lambda s: s["visibility"] != "direct")
        if status is None:
            return self.read_home(user, rng)
        body = {"status": self.text(user, rng, tag=False), "in_reply_to_id": status["id"]}
        response = self.api(user, "POST statuses (reply)", "POST", "/api/v1/statuses", json=body)
        if self.ok(response):
            reply = response.json()
            self.world.add(Sent("comment", user, reply["id"], reply["uri"], set(), on=status["uri"]))

    def toggle(self, user: User, status: dict[str, Any], given: dict[str, dict[User, str]], verb: str,
               undo: bool) -> None:
        """Favourite or boost (or undo one) `status` as `user`; `given` keeps what stands."""
        key = (verb, status["uri"], user)
        if not self.world.claim(key):
            return
        try:
            action = f"un{verb}" if undo else verb
            if self.ok(self.api(user, f"POST statuses/:id/{action}", "POST", f"/api/v1/statuses/{status['id']}/{action}")):
                with self.world.lock:
                    if undo:
                        given.get(status["uri"], {}).pop(user, None)
                    else:
                        given.setdefault(status["uri"], {})[user] = status["id"]
        finally:
            self.world.release(key)

    def standing(self, user: User, rng: random.Random, given: dict[str, dict[User, str]]) -> dict[str, Any] | None:
        with self.world.lock:
            mine = [{"uri": uri, "id": people[user]} for uri, people in given.items() if user in people]
        return rng.choice(mine) if mine else None

    def favourite(self, user: User, rng: random.Random) -> None:
        status = self.seen(user, rng)
        if status is None:
            return self.read_home(user, rng)
        self.toggle(user, status, self.world.favourites, "favourite", undo=False)

    def unfavourite(self, user: User, rng: random.Random) -> None:
        status = self.standing(user, rng, self.world.favourites)
        if status is not None:
            self.toggle(user, status, self.world.favourites, "favourite", undo=True)

    def boost(self, user: User, rng: random.Random) -> None:
        status = self.seen(user, rng, lambda s: s["visibility"] == "public" and not s["reply"]
                           and s["account_id"] != user.own_id)
        if status is None:
            return self.read_home(user, rng)
        self.toggle(user, status, self.world.boosts, "reblog", undo=False)

    def unboost(self, user: User, rng: random.Random) -> None:
        status = self.standing(user, rng, self.world.boosts)
        if status is not None:
            self.toggle(user, status, self.world.boosts, "reblog", undo=True)

    def vote(self, user: User, rng: random.Random) -> None:
        status = self.seen(user, rng, lambda s: s["poll"] and s["account_id"] != user.own_id)
        if status is None:
            return self.read_home(user, rng)
        key = ("vote", status["uri"], user)
        if status["uri"] in self.world.votes and user in self.world.votes[status["uri"]] or not self.world.claim(key):
            return None
        try:
            # A poll's id is its post's id (docs/api.md).
            if self.ok(self.api(user, "POST polls/:id/votes", "POST", f"/api/v1/polls/{status['id']}/votes",
                                json={"choices": [rng.randrange(3)]})):
                with self.world.lock:
                    self.world.votes.setdefault(status["uri"], {})[user] = status["id"]
        finally:
            self.world.release(key)

    def edit(self, user: User, rng: random.Random) -> None:
        with self.world.lock:
            mine = [s for s in self.world.sent.values() if s.author is user and not s.deleted and not s.extras
                    and s.kind != "direct"]
        if not mine:
            return self.post_public(user, rng)
        item = rng.choice(mine)
        if not self.world.claim(item):
            return None
        try:
            marker = f"edited{self.world.number()}x"
            body = {"status": f"{self.text(user, rng, tag=False)} ({marker})"}
            if self.ok(self.api(user, "PUT statuses/:id", "PUT", f"/api/v1/statuses/{item.id}", json=body)):
                item.edit = marker
        finally:
            self.world.release(item)

    def follow_or_unfollow(self, user: User, rng: random.Random) -> None:
        world = self.world
        pairs = [pair for pair in world.following if pair[0] is user]
        if not pairs:
            return None
        pair = rng.choice(pairs)
        if not world.claim(pair):
            return None
        follow = not world.following[pair]
        try:
            verb = "follow" if follow else "unfollow"
            response = self.api(user, f"POST accounts/:id/{verb}", "POST",
                                f"/api/v1/accounts/{pair[1].ids[user.pod.name]}/{verb}")
            if self.ok(response):
                with world.lock:
                    world.following[pair] = follow
        finally:
            world.release(pair)

    def delete(self, user: User, rng: random.Random) -> None:
        with self.world.lock:
            mine = [s for s in self.world.sent.values() if s.author is user and not s.deleted
                    and s.kind != "direct" and time.monotonic() - s.at > 3]
        if not mine:
            return self.post_public(user, rng)
        item = rng.choice(mine)
        if not self.world.claim(item):
            return None
        try:
            if self.ok(self.api(user, "DELETE statuses/:id", "DELETE", f"/api/v1/statuses/{item.id}")):
                item.deleted = True
        finally:
            self.world.release(item)


def client_loop(traffic: Traffic, rng: random.Random, deadline: float) -> None:
    names = [name for name, _ in ACTIONS]
    weights = [weight for _, weight in ACTIONS]
    while time.monotonic() < deadline:
        traffic.run(rng.choices(names, weights)[0], rng)


# ---- streaming --------------------------------------------------------------------------------------


class Listener(threading.Thread):
    """One person's `user` stream (SSE) for the whole run: events counted, reconnects counted."""

    def __init__(self, user: User, recorder: Recorder) -> None:
        super().__init__(daemon=True, name=f"stream-{user.username}")
        self.user = user
        self.recorder = recorder
        self.stop = threading.Event()
        self.events: dict[str, int] = {}
        self.connections = 0
        self.response: httpx.Response | None = None

    def run(self) -> None:
        url = f"{self.user.pod.streaming_url}/api/v1/streaming/user"
        with httpx.Client(timeout=httpx.Timeout(10.0, read=40.0)) as client:
            while not self.stop.is_set():
                started = time.perf_counter()
                try:
                    with client.stream("GET", url, headers={"Authorization": f"Bearer {self.user.token}"}) as response:
                        self.response = response
                        self.connections += 1
                        body = response.read().decode(errors="replace") if response.status_code != 200 else ""
                        self.recorder.record("SSE streaming/user", response.status_code, time.perf_counter() - started,
                                             "GET", url, body)
                        if response.status_code != 200:
                            self.stop.wait(1.0)
                            continue
                        for line in response.iter_lines():
                            if line.startswith("event:"):
                                name = line.split(":", 1)[1].strip()
                                self.events[name] = self.events.get(name, 0) + 1
                            if self.stop.is_set():
                                break
                except (httpx.HTTPError, RuntimeError) as exc:
                    if not self.stop.is_set():
                        self.recorder.record("SSE streaming/user", type(exc).__name__, time.perf_counter() - started,
                                             "GET", url, str(exc))
                        self.stop.wait(1.0)

    def finish(self) -> dict[str, Any]:
        self.stop.set()
        if self.response is not None:
            with contextlib.suppress(httpx.HTTPError, RuntimeError, OSError):
                self.response.close()
        self.join(timeout=5)
        return {"user": self.user.handle, "connections": self.connections, "events": dict(sorted(self.events.items()))}


# ---- did it all arrive? -------------------------------------------------------------------------------


class Convergence:
    """Once the queues have drained: what each person sent reached exactly where it should.

    - every post is in its author's home timeline and in the home timeline of each of its
      stable followers (public, followers-only) and aspect members (followers-only, aspects),
      on whichever pod they are; a deleted post is in nobody's;
    - every direct message is in each recipient's conversations;
    - every reply is in its post's thread on the post author's pod;
    - an edited post shows its last edit wherever it is;
    - each post's favourite, boost and poll vote counts on its author's pod are the number
      of people (on any pod) whose favourite, boost or vote stands (answered 200, and not
      undone by an answered unfavourite or unboost);
    - each follow between pods is seen the same way by both pods (the follower's
      relationship against the followee's list of followers), and stable follows hold.
    Follows made and undone during the load are not expected to carry posts (their timing
    decides), only to agree on both sides.
    """

    MAX_PAGES = 400

    def __init__(self, world: World, http: Http) -> None:
        self.world = world
        self.http = http
        self.problems: list[str] = []
        self.checked: dict[str, int] = {}

    def count(self, what: str, n: int = 1) -> None:
        self.checked[what] = self.checked.get(what, 0) + n

    def problem(self, text: str) -> None:
        self.problems.append(text)

    def pages(self, user: User, kind: str, path: str, first: dict[str, Any]) -> list[dict[str, Any]]:
        """Every item of a paged list, following its `Link: <...>; rel="next"` (which carries the query)."""
        items: list[dict[str, Any]] = []
        url: str | None = f"{user.pod.url}{path}"
        params: dict[str, Any] | None = first
        for _ in range(self.MAX_PAGES):
            if url is None or not loopback(url):
                break
            response = self.http.request(kind, "GET", url, token=user.token, params=params)
            if response is None or response.status_code != 200:
                self.problem(f"{kind} for {user.handle}: {response.status_code if response is not None else 'failed'}")
                break
            page = response.json()
            if not page:
                break
            items += page
            url, params = response.links.get("next", {}).get("url"), None  # params={} would drop its query
        return items

    def home(self, user: User) -> dict[str, str]:
        """uri -> content of every post in the person's home timeline (boosted ones too)."""
        statuses = self.pages(user, "GET timelines/home", "/api/v1/timelines/home", {"limit": 40})
        return {t["uri"]: t["content"] for s in statuses for t in (s, s.get("reblog")) if t}

    def messages(self, user: User) -> set[str]:
        uris = set()
        for conversation in self.pages(user, "GET conversations", "/api/v1/conversations", {"limit": 40}):
            last = conversation.get("last_status")
            if not last:
                continue
            uris.add(last["uri"])
            response = self.http.request("GET statuses/:id/context", "GET",
                                         f"{user.pod.url}/api/v1/statuses/{last['id']}/context", token=user.token)
            if response is not None and response.status_code == 200:
                context = response.json()
                uris |= {s["uri"] for s in context["ancestors"] + context["descendants"]}
        return uris

    def run(self) -> dict[str, Any]:
        world = self.world
        homes = {user: self.home(user) for user in world.users}
        inboxes = {user: self.messages(user) for user in world.users}
        for item in list(world.sent.values()):
            if item.kind == "direct":
                for user in item.recipients:
                    self.count("messages in a recipient's conversations")
                    if item.uri not in inboxes[user]:
                        self.problem(f"message {item.uri} from {item.author.handle} missing at {user.handle}")
            elif item.deleted:
                for user, uris in homes.items():
                    self.count("deleted posts absent from a home timeline")
                    if item.uri in uris:
                        self.problem(f"deleted {item.kind} post {item.uri} still in {user.handle}'s home timeline")
            else:
                for user in item.recipients:
                    self.count(f"{item.kind} posts in a home timeline"
                               + (" on another pod" if user.pod is not item.author.pod else ""))
                    if item.uri not in homes[user]:
                        self.problem(f"{item.kind} post {item.uri} of {item.author.handle} missing from "
                                     f"{user.handle}'s home timeline")
                    elif item.edit:
                        self.count("edited posts at their last version in a home timeline")
                        if item.edit not in homes[user][item.uri]:
                            self.problem(f"{item.uri} at {user.handle}'s is not its last edit ({item.edit})")
        self.replies()
        self.counts("favourites", world.favourites, "statuses", "favourites_count")
        self.counts("boosts", world.boosts, "statuses", "reblogs_count")
        self.counts("poll votes", world.votes, "polls", "votes_count")
        self.follows()
        return {"ok": not self.problems, "checked": dict(sorted(self.checked.items())),
                "problem_count": len(self.problems), "problems": self.problems[:40]}

    def post(self, uri: str, what: str) -> Sent | None:
        item = self.world.sent.get(uri)
        if item is None or item.deleted or item.kind == "direct":
            self.count(f"{what} skipped (post deleted, or not one the soak recorded)")
            return None
        return item

    def replies(self) -> None:
        by_post: dict[str, list[Sent]] = {}
        for comment in self.world.comments:
            by_post.setdefault(comment.on, []).append(comment)
        for uri, comments in by_post.items():
            item = self.post(uri, "replies")
            if item is None:
                continue
            author = item.author
            response = self.http.request("GET statuses/:id/context", "GET",
                                         f"{author.pod.url}/api/v1/statuses/{item.id}/context", token=author.token)
            if response is None or response.status_code != 200:
                self.problem(f"thread of {uri} on its author's pod: {getattr(response, 'status_code', 'failed')}")
                continue
            thread = {s["uri"] for s in response.json()["descendants"]}
            for comment in comments:
                self.count("replies in their post's thread on the author's pod"
                           + (" (from another pod)" if comment.author.pod is not author.pod else ""))
                if comment.uri not in thread:
                    self.problem(f"reply {comment.uri} of {comment.author.handle} missing from {uri}'s thread")

    def counts(self, what: str, given: dict[str, dict[User, str]], path: str, field_name: str) -> None:
        for uri, people in given.items():
            item = self.post(uri, what)
            if item is None:
                continue
            author = item.author
            response = self.http.request(f"GET {path}/:id", "GET", f"{author.pod.url}/api/v1/{path}/{item.id}",
                                         token=author.token)
            self.count(f"{what} counted on the author's pod", len(people))
            if response is None or response.status_code != 200:
                self.problem(f"{uri} on its author's pod: {getattr(response, 'status_code', 'failed')}")
            elif response.json()[field_name] != len(people):
                self.problem(f"{uri}: {field_name} {response.json()[field_name]} on its author's pod, "
                             f"{len(people)} people gave one")

    def follows(self) -> None:
        world = self.world
        pairs = {(f, t): True for f, ts in world.stable.items() for t in ts if f.pod is not t.pod}
        pairs.update({pair: False for pair in world.following})
        followers: dict[User, set[str]] = {}
        for (follower, followee), stable in sorted(pairs.items(), key=lambda p: (p[0][0].handle, p[0][1].handle)):
            if followee not in followers:
                listed = self.pages(followee, "GET accounts/:id/followers",
                                    f"/api/v1/accounts/{followee.own_id}/followers", {"limit": 40})
                followers[followee] = {a["acct"] for a in listed}
            response = self.http.request("GET accounts/relationships", "GET",
                                         f"{follower.pod.url}/api/v1/accounts/relationships", token=follower.token,
                                         params={"id[]": followee.ids[follower.pod.name]})
            if response is None or response.status_code != 200:
                self.problem(f"relationship {follower.handle} -> {followee.handle}: failed")
                continue
            relationship = response.json()[0]
            listed_there = follower.acct_on(followee.pod) in followers[followee]
            self.count("stable follows between pods" if stable else "churned follows between pods")
            if stable and not (relationship["following"] and listed_there):
                self.problem(f"stable follow {follower.handle} -> {followee.handle}: following "
                             f"{relationship['following']} at the follower's pod, listed {listed_there} at the other")
            elif relationship["requested"] or relationship["following"] != listed_there:
                self.problem(f"follow {follower.handle} -> {followee.handle} (last asked: "
                             f"{'follow' if world.following.get((follower, followee)) else 'unfollow'}): following "
                             f"{relationship['following']}, requested {relationship['requested']} at the follower's "
                             f"pod, listed {listed_there} at the other")
