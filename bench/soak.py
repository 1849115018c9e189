"""`make soak`: real pods federating on loopback under a bounded mixed load (issue 12).

    python -m bench.soak --seconds 600 [--pods 2] [--users 4] [--rate 12] [--clients 6] [--seed 12]
                         [--database-url postgres://postgres@127.0.0.1:5432/postgres] [--out bench/results]

1. Starts `--pods` pods (`kith serve` each, as bench/pods.py starts them) on 127.0.0.2, .3
   (and .4), SQLite in a temporary directory, or a fresh PostgreSQL database each on the server
   of `--database-url` (dropped at the end).  Settings are `make run`'s, plus the two a
   benchmark needs (bench/pods.py): KITH_API_RATE_LIMIT=0, so no answer is a 429 (the soak's
   few tokens make far more requests than the limiter allows one person), and
   KITH_ALLOW_PRIVATE_FEDERATION=true (the pods are loopback addresses).
2. Makes `--users` people per pod (`kith user create`, `kith token create`), logs each in to
   the web pages, and wires them up over the API: follows between and within pods, an aspect
   ("Soak close") with a person of each other pod; waits until the other pods accepted.
3. For `--seconds`, `--clients` threads act as those people at `--rate` requests a second at
   most, all threads together (bench/soak_traffic.py: timelines, profiles, threads, web pages,
   searches that resolve remote accounts; public, followers-only, aspect and direct posts,
   some with photos; replies, favourites, boosts, follows and unfollows across pods,
   deletions).  One `user` stream (SSE) per pod is open throughout.  Every answer is counted
   by endpoint class.  Every `--sample-interval` seconds: each pod's memory (PSS of its whole
   process group, as bench/pods.py measures it) and its queues, read from its database
   (read-only): the oldest pending Delivery, PendingEvent, InboundActivity, FanOut and
   unprocessed photo, and the job queue's backlog.
4. Then waits until every queue is empty (`--drain-timeout`), checks that everything sent
   arrived (bench/soak_traffic.py: Convergence), runs `kith check` on each pod and scans the
   pods' logs for errors.
5. Verdict (exit 0 pass, 1 fail, 2 the soak itself broke): no 5xx, no transport error, no
   429; memory flat: for each pod, the mean PSS over the last tenth of the load (the last
   minute of ten) at most `--memory-tolerance` (10 %) above the mean over its second tenth
   (minute 1-2: the first tenth is warm-up); queue ages bounded: no oldest pending item older
   than `--queue-bound` seconds (60) at any sample, the last tenth's mean oldest age at most
   10 s above the second tenth's, and all queues empty within the drain timeout; federation
   converged; `kith check` healthy; no ERROR in the pods' logs; each stream got updates.
   Prints a summary and writes it as bench/results/soak-<date>-<commit>[-postgresql].json
   and .md (`--out` elsewhere).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from bench.pods import (
    HTTP,
    KITH,
    PodProcess,
    drop_postgres_database,
    free_port,
    pod_env,
    postgres_database,
    tree_memory,
)
from bench.run import commit, loadavg
from bench.soak_traffic import (
    SCOPES,
    Convergence,
    Http,
    Listener,
    Pacer,
    Pod,
    Recorder,
    Traffic,
    User,
    World,
    client_loop,
)

ROOT = Path(__file__).resolve().parent.parent
HOSTS = ("127.0.0.2", "127.0.0.3", "127.0.0.4")
PASSWORD = "soak-password-correct-horse"  # noqa: S105 (throwaway pods on loopback)
TREND_SLACK = 10.0  # seconds the last tenth's mean oldest age may exceed the second tenth's

# Queues read from each pod's database: (count, oldest) of what is pending.
QUEUES = {
    "deliveries": "SELECT count(*), min(created_at) FROM federation_delivery WHERE state = 'pending'",
    "events": "SELECT count(*), min(created_at) FROM core_pendingevent",
    "inbound": "SELECT count(*), min(received_at) FROM activitypub_inboundactivity WHERE state = 'pending'",
    "fanouts": "SELECT count(*), min(created_at) FROM timelines_fanout WHERE state = 'pending'",
    "photos": "SELECT count(*), min(created_at) FROM social_media WHERE state = 'processing'",
}
TOTALS = {
    "deliveries": "SELECT state, count(*) FROM federation_delivery GROUP BY state",
    "inbound": "SELECT state, count(*) FROM activitypub_inboundactivity GROUP BY state",
    "photos": "SELECT state, count(*) FROM social_media GROUP BY state",
}


def _age(value: Any, now: datetime) -> float:
    if value is None:
        return 0.0
    if isinstance(value, str):  # SQLite: Django stores UTC without an offset
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return round(max(0.0, (now - value).total_seconds()), 1)


class Database:
    """Read-only SQL on a pod's database (SQLite file or PostgreSQL) and its job queue file."""

    def __init__(self, pod: Pod) -> None:
        self.pod = pod

    @contextlib.contextmanager
    def connect(self):
        if self.pod.database_url:
            import psycopg

            with psycopg.connect(self.pod.database_url, autocommit=True, connect_timeout=10) as connection:
                yield connection
        else:
            connection = sqlite3.connect(f"file:{self.pod.data_dir / 'kith.sqlite3'}?mode=ro", uri=True, timeout=10)
            try:
                yield connection
            finally:
                connection.close()

    def job_backlog(self) -> int:
        path = self.pod.data_dir / "queue.sqlite3"
        if not path.exists():
            return 0
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        try:
            return connection.execute("SELECT count(*) FROM task").fetchone()[0]
        finally:
            connection.close()

    def queues(self) -> dict[str, Any]:
        now = datetime.now(UTC)
        found: dict[str, Any] = {}
        with self.connect() as connection:
            for name, sql in QUEUES.items():
                count, oldest = connection.execute(sql).fetchone()
                found[name] = {"pending": count, "oldest_s": _age(oldest, now)}
        found["jobs"] = {"pending": self.job_backlog()}
        return found

    def totals(self) -> dict[str, dict[str, int]]:
        with self.connect() as connection:
            return {name: dict(connection.execute(sql).fetchall()) for name, sql in TOTALS.items()}


def expect(response: httpx.Response | None, what: str, statuses: tuple[int, ...] = (200,)) -> httpx.Response:
    """A set-up request's answer, or the reason the soak cannot start."""
    if response is None or response.status_code not in statuses:
        detail = f"{response.status_code}: {response.text[:500]}" if response is not None else "no answer"
        raise RuntimeError(f"set-up step {what}: {detail}")
    return response


def idle(queues: dict[str, Any]) -> bool:
    return all(q["pending"] == 0 for q in queues.values())


def memory(pod: Pod) -> dict[str, Any]:
    assert pod.process is not None
    processes = tree_memory(pod.process.pid)
    return {"pss_mb": round(sum(p["pss_mb"] for p in processes), 1),
            "rss_mb": round(sum(p["rss_mb"] for p in processes), 1), "processes": len(processes)}


class Soak:
    def __init__(self, args: argparse.Namespace, work: Path) -> None:
        self.args = args
        self.work = work
        self.pods: list[Pod] = []
        self.recorders = {name: Recorder(name) for name in ("setup", "load", "check")}
        self.samples: list[dict[str, Any]] = []
        self.phase = "setup"
        self.load_started = 0.0
        self.listeners: list[Listener] = []
        self.result: dict[str, Any] = {"drain": {}, "convergence": {}, "kith_check": {}, "logs": {}, "totals": {}}
        self.world: World | None = None
        self.http = Http(self.recorders["setup"])

    # ---- pods and people ---------------------------------------------------------------------

    def make_pods(self) -> None:
        args = self.args
        for index in range(args.pods):
            name, host = "abc"[index], HOSTS[index]
            data_dir = self.work / f"pod-{name}"
            data_dir.mkdir(parents=True)
            database = None
            if args.database_url:
                template = args.schema_template or (
                    urlsplit(self.pods[0].database_url).path.lstrip("/") if index and self.pods[0].database_url else None)
                database = postgres_database(f"kith_soak_{os.getpid()}_{name}", base=args.database_url,
                                             template=template)
            port, streaming_port = free_port(host), free_port(host)
            env = pod_env(data_dir, port, streaming_port, database, host=host)
            env["KITH_SECRET_KEY"] = f"kith-soak-pod-{name}-secret-for-this-run-only-0123456789"
            self.pods.append(Pod(name, host, port, streaming_port, data_dir, database, env))
            if index == 0 and not args.schema_template:
                self.kith(self.pods[0], "migrate", "--verbosity", "0", timeout=600)
            if not database:
                source = Path(args.schema_template) if args.schema_template else self.pods[0].data_dir / "kith.sqlite3"
                if index or args.schema_template:
                    for suffix in ("", "-wal", "-shm"):
                        if Path(f"{source}{suffix}").exists():
                            shutil.copy(f"{source}{suffix}", data_dir / f"kith.sqlite3{suffix}")

    def kith(self, pod: Pod, *args: str, timeout: float = 120) -> str:
        done = subprocess.run([KITH, *args], env=pod.env, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"kith {' '.join(args[:3])} on pod {pod.name}: {done.stdout[-800:]} {done.stderr[-800:]}")
        return done.stdout

    def start_pods(self) -> None:
        def start(pod: Pod) -> None:
            pod.process = PodProcess(pod.env, ["serve"], pod.data_dir / "serve.log",
                                     f"{pod.url}/.well-known/nodeinfo").start()
            for _ in range(300):
                with contextlib.suppress(httpx.HTTPError):
                    if HTTP.get(f"{pod.streaming_url}/api/v1/streaming/health", timeout=2).status_code == 200:
                        return
                time.sleep(0.1)
            raise RuntimeError(f"pod {pod.name}'s streaming server did not start")

        with ThreadPoolExecutor(len(self.pods)) as pool:
            list(pool.map(start, self.pods))

    def start_pods_and_make_accounts(self) -> None:
        """The accounts are made on the databases while the pods start (both cost seconds of CPU)."""
        with ThreadPoolExecutor(1) as pool:
            starting = pool.submit(self.start_pods)
            self.make_accounts()
            starting.result()

    def make_accounts(self) -> None:
        for pod in self.pods:
            pod.users = [User(pod, f"soak_{pod.name}{i}", i) for i in range(self.args.users)]
        people = [user for pod in self.pods for user in pod.users]

        def create(user: User) -> None:
            self.kith(user.pod, "user", "create", user.username, "--email", f"{user.username}@soak.test",
                      "--password", PASSWORD)
            user.token = self.kith(user.pod, "token", "create", user.username, "soak", "--scopes",
                                   SCOPES).strip().splitlines()[0]

        with ThreadPoolExecutor(min(4, len(people))) as pool:
            list(pool.map(create, people))

    def make_people(self) -> None:
        """Each person's ids on every pod (remote ones resolved by handle) and a web log-in."""
        people = [user for pod in self.pods for user in pod.users]
        http = self.http
        for user in people:
            me = http.request("setup: verify_credentials", "GET", f"{user.pod.url}/api/v1/accounts/verify_credentials",
                              token=user.token)
            user.ids[user.pod.name] = expect(me, "verify_credentials").json()["id"]
            user.web = httpx.Client(timeout=30, follow_redirects=False)
            http.request("setup: web log-in", "GET", f"{user.pod.url}/login", client=user.web)
            login = http.request("setup: web log-in", "POST", f"{user.pod.url}/login", client=user.web, data={
                "username": user.username, "password": PASSWORD,
                "csrfmiddlewaretoken": user.web.cookies.get("csrftoken", "")})
            expect(login, "web log-in", (302, 303))
        for pod in self.pods:  # every person as each other pod knows them: found by handle, fetched from home
            viewer = pod.users[0]
            for user in people:
                if user.pod is pod:
                    continue
                found = http.request("setup: search (resolve account)", "GET", f"{pod.url}/api/v2/search",
                                     token=viewer.token, params={"q": user.handle, "resolve": "true",
                                                                 "type": "accounts"})
                [account] = [a for a in expect(found, "search").json()["accounts"] if a["acct"] == user.handle]
                user.ids[pod.name] = account["id"]
        self.world = World(self.pods)

    def wire(self) -> None:
        world, http = self.world, self.http
        assert world is not None
        for follower, followees in world.stable.items():
            for followee in followees:
                done = http.request("setup: follow", "POST", f"{follower.pod.url}/api/v1/accounts/"
                                    f"{followee.ids[follower.pod.name]}/follow", token=follower.token)
                expect(done, "follow")
        for user in world.users:
            made = http.request("setup: lists", "POST", f"{user.pod.url}/api/v1/lists", token=user.token,
                                json={"title": "Soak close"})
            user.aspect_id = expect(made, "list").json()["id"]
            added = http.request("setup: lists", "POST", f"{user.pod.url}/api/v1/lists/{user.aspect_id}/accounts",
                                 token=user.token, json={"account_ids": [m.ids[user.pod.name] for m in world.aspects[user]]})
            expect(added, "list members")
        deadline = time.monotonic() + 90
        waiting = dict(world.stable)
        while waiting and time.monotonic() < deadline:
            for follower, followees in list(waiting.items()):
                answer = http.request("setup: relationships", "GET", f"{follower.pod.url}/api/v1/accounts/relationships",
                                      token=follower.token, params={"id[]": [f.ids[follower.pod.name] for f in followees]})
                if answer is not None and answer.status_code == 200 and all(r["following"] for r in answer.json()):
                    del waiting[follower]
            time.sleep(0.5)
        if waiting:
            raise RuntimeError(f"follows not accepted within 90 s: {[u.handle for u in waiting]}")

    # ---- sampling -------------------------------------------------------------------------------

    def sample(self) -> dict[str, Any]:
        sample: dict[str, Any] = {"t": round(time.monotonic() - self.load_started, 1), "phase": self.phase,
                                  "load_average": loadavg()[0], "requests": self.recorders["load"].total(), "pods": {}}
        for pod in self.pods:
            sample["pods"][pod.name] = {**memory(pod), "queues": Database(pod).queues()}
        self.samples.append(sample)
        return sample

    def sampler(self, stop: threading.Event) -> None:
        while not stop.wait(self.args.sample_interval):
            try:
                sample = self.sample()
            except Exception as exc:  # a locked or vanished file at shutdown: say so, keep sampling
                print(f"  sample failed: {exc}", flush=True)
                continue
            recorder = self.recorders["load"]
            rate = sample["requests"] / max(sample["t"], 1e-9) if sample["phase"] == "load" else 0
            pods = "  ".join(
                f"{name}: {p['pss_mb']:.0f} MB, oldest {max(q.get('oldest_s', 0) for q in p['queues'].values()):.0f} s, "
                f"{sum(q['pending'] for q in p['queues'].values())} pending"
                for name, p in sample["pods"].items())
            print(f"  {sample['phase']:<5} {sample['t']:6.0f} s  {sample['requests']:6d} requests ({rate:4.1f}/s)  "
                  f"5xx {recorder.count(lambda s: s.isdigit() and int(s) >= 500)}  "
                  f"4xx {recorder.count(lambda s: s.isdigit() and 400 <= int(s) < 500)}  {pods}  "
                  f"load {sample['load_average']}", flush=True)

    # ---- the run ----------------------------------------------------------------------------------

    def load(self) -> None:
        args, world = self.args, self.world
        assert world is not None
        for pod in self.pods:
            listener = Listener(pod.users[0], self.recorders["load"])
            listener.start()
            self.listeners.append(listener)
        time.sleep(1.0)
        pacer = Pacer(args.rate)
        self.phase = "load"
        self.load_started = time.monotonic()
        deadline = self.load_started + args.seconds
        self.sample()
        stop = threading.Event()
        sampling = threading.Thread(target=self.sampler, args=(stop,), daemon=True)
        sampling.start()
        clients = []
        for index in range(args.clients):
            http = Http(self.recorders["load"], pacer)
            thread = threading.Thread(target=client_loop, name=f"client-{index}",
                                      args=(Traffic(world, http), random.Random(args.seed * 1000 + index), deadline))
            thread.start()
            clients.append((thread, http))
        for thread, http in clients:
            thread.join()
            http.close()
        self.result["load_seconds"] = round(time.monotonic() - self.load_started, 1)
        self.phase = "drain"
        self.drain(stop, sampling)

    def drain(self, stop: threading.Event, sampling: threading.Thread) -> None:
        """Until every queue of every pod is empty at two checks in a row (bounded)."""
        started = time.monotonic()
        calm = 0
        last: dict[str, Any] = {}
        while time.monotonic() - started < self.args.drain_timeout:
            last = {pod.name: Database(pod).queues() for pod in self.pods}
            calm = calm + 1 if all(idle(q) for q in last.values()) else 0
            if calm >= 2:
                break
            time.sleep(1.0)
        stop.set()
        sampling.join()
        self.result["drain"] = {"seconds": round(time.monotonic() - started, 1), "drained": calm >= 2,
                                "timeout_s": self.args.drain_timeout, "left": last if calm < 2 else {}}
        print(f"  drained in {self.result['drain']['seconds']} s" if calm >= 2 else
              f"  NOT drained after {self.args.drain_timeout} s: {last}", flush=True)
        self.sample()

    def check(self) -> None:
        assert self.world is not None
        self.phase = "check"

        def kith_check(pod: Pod) -> dict[str, Any]:
            done = subprocess.run([KITH, "check"], env=pod.env, capture_output=True, text=True, timeout=120)
            lines = [line.strip() for line in done.stdout.splitlines() if line.strip().startswith(("warn", "FAIL"))]
            return {"exit": done.returncode, "findings": lines, "last": done.stdout.strip().splitlines()[-1:]}

        # `kith check` starts Django (seconds of CPU): beside the HTTP checks rather than after them.
        with ThreadPoolExecutor(len(self.pods)) as pool:
            checking = [pool.submit(kith_check, pod) for pod in self.pods]
            self.result["convergence"] = Convergence(self.world, Http(self.recorders["check"])).run()
            for pod, found in zip(self.pods, checking, strict=True):
                self.result["kith_check"][pod.name] = found.result()
        for pod in self.pods:
            self.result["totals"][pod.name] = Database(pod).totals()
        self.result["streams"] = [listener.finish() for listener in self.listeners]
        self.listeners = []

    def stop(self) -> None:
        for listener in self.listeners:
            listener.finish()
        for pod in self.pods:
            if pod.process is not None:
                pod.process.stop()
                pod.process = None
            self.result["logs"][pod.name] = scan_log(pod.data_dir / "serve.log")
            if pod.database_url:
                with contextlib.suppress(Exception):
                    drop_postgres_database(pod.database_url, base=self.args.database_url)
        for pod in self.pods:
            for user in pod.users:
                if user.web is not None:
                    user.web.close()


def scan_log(path: Path) -> dict[str, Any]:
    """ERROR/CRITICAL lines and tracebacks in a pod's log (it runs at KITH_LOG_LEVEL=WARNING)."""
    lines = path.read_text(errors="replace").splitlines() if path.exists() else []
    starts = [i for i, line in enumerate(lines)
              if re.match(r"^\S+ \S+ (ERROR|CRITICAL) ", line) or line.startswith("Traceback")]
    blocks, last_end = [], -1
    for start in starts:
        if start <= last_end:
            continue
        last_end = start + 14
        if len(blocks) < 3:
            blocks.append("\n".join(lines[start:last_end + 1]))
    warnings = [line for line in lines if re.match(r"^\S+ \S+ WARNING ", line)]
    return {"errors": len(starts), "first_errors": blocks, "warnings": len(warnings), "first_warnings": warnings[:5]}


# ---- the verdict and the summary ---------------------------------------------------------------------


def windows(samples: list[dict[str, Any]], seconds: float) -> tuple[list[dict], list[dict]]:
    """The load's second tenth (after a tenth of warm-up) and its last tenth."""
    load = [s for s in samples if s["phase"] == "load"]
    early = [s for s in load if 0.1 * seconds <= s["t"] < 0.2 * seconds]
    late = [s for s in load if s["t"] >= 0.9 * seconds]
    if not early and load:
        early = [min(load, key=lambda s: abs(s["t"] - 0.15 * seconds))]
    if not late and load:
        late = [load[-1]]
    return early, late


def judge(soak: Soak) -> dict[str, Any]:
    args, result, samples = soak.args, soak.result, soak.samples
    seconds = args.seconds
    early, late = windows(samples, seconds)
    summaries = {name: recorder.summary() for name, recorder in soak.recorders.items()}
    classes = {key: sum(s["by_status_class"][key] for s in summaries.values())
               for key in ("5xx", "429", "transport errors")}

    memory_rows = {}
    for pod in soak.pods:
        series = [s["pods"][pod.name]["pss_mb"] for s in samples if s["phase"] == "load"]
        e = statistics.mean(s["pods"][pod.name]["pss_mb"] for s in early)
        lt = statistics.mean(s["pods"][pod.name]["pss_mb"] for s in late)
        memory_rows[pod.name] = {"first_mb": series[0], "early_mean_mb": round(e, 1), "late_mean_mb": round(lt, 1),
                                 "change": round(lt / e - 1, 4), "max_mb": max(series), "last_mb": series[-1],
                                 "early_window_s": [early[0]["t"], early[-1]["t"]],
                                 "late_window_s": [late[0]["t"], late[-1]["t"]]}
    queue_rows: dict[str, dict[str, Any]] = {}
    for pod in soak.pods:
        for name in QUEUES:
            ages = [s["pods"][pod.name]["queues"][name]["oldest_s"] for s in samples if s["phase"] in ("load", "drain")]
            counts = [s["pods"][pod.name]["queues"][name]["pending"] for s in samples if s["phase"] in ("load", "drain")]
            queue_rows[f"{pod.name} {name}"] = {
                "max_age_s": max(ages), "max_pending": max(counts),
                "early_mean_age_s": round(statistics.mean(s["pods"][pod.name]["queues"][name]["oldest_s"] for s in early), 1),
                "late_mean_age_s": round(statistics.mean(s["pods"][pod.name]["queues"][name]["oldest_s"] for s in late), 1),
            }
        jobs = [s["pods"][pod.name]["queues"]["jobs"]["pending"] for s in samples if s["phase"] in ("load", "drain")]
        queue_rows[f"{pod.name} jobs"] = {"max_pending": max(jobs)}

    growth = {name: row["change"] for name, row in memory_rows.items()}
    too_old = {name: row["max_age_s"] for name, row in queue_rows.items()
               if row.get("max_age_s", 0) > args.queue_bound}
    rising = {name: (row["early_mean_age_s"], row["late_mean_age_s"]) for name, row in queue_rows.items()
              if "late_mean_age_s" in row and row["late_mean_age_s"] > row["early_mean_age_s"] + TREND_SLACK}
    log_errors = {name: log["errors"] for name, log in result["logs"].items()}
    unhealthy = {name: c["findings"] for name, c in result["kith_check"].items() if c["exit"] != 0}
    silent = [s["user"] for s in result.get("streams", []) if not s["events"].get("update")]
    convergence = result["convergence"]
    checks = {
        "no 5xx": (classes["5xx"] == 0, f"{classes['5xx']} answers 5xx"),
        "no transport errors": (classes["transport errors"] == 0,
                                f"{classes['transport errors']} requests failed without an answer"),
        "no 429": (classes["429"] == 0, f"{classes['429']} answers 429 (KITH_API_RATE_LIMIT=0)"),
        "memory flat": (all(g <= args.memory_tolerance for g in growth.values()),
                        "PSS growth, last tenth against second tenth: "
                        + ", ".join(f"{n} {g:+.1%}" for n, g in growth.items())
                        + f" (at most {args.memory_tolerance:+.0%})"),
        "queue ages bounded": (not too_old, f"oldest pending item at most {args.queue_bound:.0f} s"
                               + (f"; over: {too_old}" if too_old else "; max "
                                  + f"{max(r.get('max_age_s', 0) for r in queue_rows.values()):.1f} s")),
        "queues not growing": (not rising, f"last tenth's mean oldest age at most {TREND_SLACK:.0f} s above the "
                               "second tenth's" + (f"; rising: {rising}" if rising else "")),
        "queues drained": (bool(result["drain"].get("drained")),
                           f"all empty {result['drain'].get('seconds')} s after the load stopped"
                           if result["drain"].get("drained") else f"not empty: {result['drain'].get('left')}"),
        "federation converged": (bool(convergence.get("ok")), f"{sum(convergence.get('checked', {}).values())} checks, "
                                 f"{convergence.get('problem_count', '?')} problems"),
        "kith check healthy": (not unhealthy, "exit 0 on every pod" if not unhealthy else str(unhealthy)),
        "no errors in the pods' logs": (not any(log_errors.values()), f"ERROR lines: {log_errors}"),
        "streams got updates": (not silent, "every pod's user stream" if not silent else f"none for {silent}"),
    }
    return {
        "ok": all(ok for ok, _ in checks.values()),
        "checks": {name: {"ok": ok, "detail": detail} for name, (ok, detail) in checks.items()},
        "requests": summaries,
        "memory": memory_rows,
        "queues": queue_rows,
    }


def markdown(report: dict[str, Any]) -> str:
    meta, verdict = report["meta"], report["verdict"]
    load = verdict["requests"]["load"]
    lines = [
        f"# Soak {meta['date']} ({meta['commit']}, {meta['database']})",
        "",
        f"{meta['seconds']} s of load on {meta['pods']} pods x {meta['users']} people; at most {meta['rate']} "
        f"requests/s over {meta['clients']} client threads, seed {meta['seed']}; {meta['cpu_count']} cores, "
        f"load average {meta['load_average_at_start']} at the start, {meta['load_average_at_end']} at the end. "
        "KITH_API_RATE_LIMIT=0 (no 429s by design) and KITH_ALLOW_PRIVATE_FEDERATION=true (loopback pods).",
        "",
        f"**Verdict: {'PASS' if verdict['ok'] else 'FAIL'}**",
        "",
        "| check | | detail |",
        "|---|---|---|",
    ]
    lines += [f"| {name} | {'ok' if c['ok'] else '**FAIL**'} | {c['detail']} |" for name, c in verdict["checks"].items()]
    by_class = load["by_status_class"]
    lines += ["", f"## Requests during the load: {load['requests']} "
              f"({load['requests'] / max(meta['seconds'], 1):.1f}/s); " + ", ".join(f"{k} {v}" for k, v in by_class.items()),
              "", "| endpoint class | requests | statuses | p50 ms | p99 ms |", "|---|---|---|---|---|"]
    for kind, row in load["kinds"].items():
        statuses = ", ".join(f"{s}: {n}" for s, n in row["statuses"].items())
        lines.append(f"| {kind} | {row['requests']} | {statuses} | {row['p50_ms']} | {row['p99_ms']} |")
    for phase in ("setup", "check"):
        other = verdict["requests"][phase]
        lines.append(f"\n{phase.capitalize()} requests (not paced): {other['requests']}; "
                     + ", ".join(f"{k} {v}" for k, v in other["by_status_class"].items()))
    errors = [e for s in verdict["requests"].values() for e in s["server_errors"] + s["transport_errors"]]
    if errors:
        lines += ["", "First failures:", ""] + [f"- {e['at']} {e['kind']} {e['status']} {e['url']}: "
                                               f"`{e['body'][:300]!r}`" for e in errors[:8]]
    client = [e for s in verdict["requests"].values() for e in s["client_errors"]]
    if client:
        lines += ["", "4xx answers (the first of each kind):", ""] + [
            f"- {e['kind']} {e['status']}: `{e['body'][:160]!r}`" for e in client[:20]]
    lines += ["", "## Memory: PSS of each pod's process group (MB)", "",
              "| pod | first | mean, second tenth | mean, last tenth | change | max | last |", "|---|---|---|---|---|---|---|"]
    for name, row in verdict["memory"].items():
        lines.append(f"| {name} | {row['first_mb']} | {row['early_mean_mb']} (t={row['early_window_s'][0]:.0f}-"
                     f"{row['early_window_s'][1]:.0f} s) | {row['late_mean_mb']} (t={row['late_window_s'][0]:.0f}-"
                     f"{row['late_window_s'][1]:.0f} s) | {row['change']:+.1%} | {row['max_mb']} | {row['last_mb']} |")
    series = " ".join(f"{s['t']:.0f}:" + "/".join(f"{p['pss_mb']:.0f}" for p in s["pods"].values())
                      for s in report["samples"] if s["phase"] == "load")
    lines += ["", f"Series (t s: MB per pod): {series}", "",
              "## Queues: oldest pending item (s) and most pending at a sample", "",
              "| pod queue | max age | mean age, second tenth | mean age, last tenth | most pending |", "|---|---|---|---|---|"]
    for name, row in verdict["queues"].items():
        lines.append(f"| {name} | {row.get('max_age_s', '')} | {row.get('early_mean_age_s', '')} | "
                     f"{row.get('late_mean_age_s', '')} | {row['max_pending']} |")
    convergence = report["convergence"]
    lines += ["", f"## Convergence: {'ok' if convergence.get('ok') else 'PROBLEMS'}", ""]
    lines += [f"- {what}: {n}" for what, n in convergence.get("checked", {}).items()]
    lines += [f"- problem: {p}" for p in convergence.get("problems", [])[:15]]
    lines += ["", "## Federation totals (rows by state, per pod)", ""]
    lines += [f"- {name}: {totals}" for name, totals in report["totals"].items()]
    lines += ["", "## Streams, kith check, logs", ""]
    lines += [f"- stream of {s['user']}: {s['connections']} connection(s), events {s['events']}"
              for s in report.get("streams", [])]
    lines += [f"- kith check on {name}: exit {c['exit']}; {'; '.join(c['findings']) or 'no findings'}"
              for name, c in report["kith_check"].items()]
    lines += [f"- log of {name}: {log['errors']} ERROR, {log['warnings']} WARNING lines"
              for name, log in report["logs"].items()]
    lines += [f"\n```\n{block}\n```" for log in report["logs"].values() for block in log["first_errors"][:2]]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600.0, help="seconds of load (default 600)")
    parser.add_argument("--pods", type=int, choices=(2, 3), default=2)
    parser.add_argument("--users", type=int, default=4, help="people per pod (default 4)")
    parser.add_argument("--rate", type=float, default=12.0, help="requests per second at most, all clients together")
    parser.add_argument("--clients", type=int, default=6, help="client threads (default 6)")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--sample-interval", type=float, default=10.0, help="seconds between samples (default 10)")
    parser.add_argument("--queue-bound", type=float, default=60.0, help="oldest pending item allowed, seconds")
    parser.add_argument("--memory-tolerance", type=float, default=0.10, help="PSS growth allowed (default 0.10)")
    parser.add_argument("--drain-timeout", type=float, default=180.0, help="seconds for the queues to empty")
    parser.add_argument("--database-url", help="a PostgreSQL server (postgres://user@host:port/db): each pod gets a "
                        "fresh database there, dropped at the end (default: SQLite files)")
    parser.add_argument("--schema-template", help="a migrated database to copy instead of running `kith migrate`: "
                        "a kith.sqlite3 path, or with --database-url a database name (tests/test_soak.py)")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results"), help="where the summary files go")
    parser.add_argument("--work", help="working directory, kept (default: a temporary one, removed)")
    args = parser.parse_args(argv)
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="kith-soak-"))
    work.mkdir(parents=True, exist_ok=True)
    meta = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"), "commit": commit(),
        "database": "postgresql" if args.database_url else "sqlite", "cpu_count": os.cpu_count(),
        "python": sys.version.split()[0], "load_average_at_start": loadavg(),
        **{k: getattr(args, k) for k in ("seconds", "pods", "users", "rate", "clients", "seed", "sample_interval",
                                          "queue_bound", "memory_tolerance", "drain_timeout")},
        "settings": {"KITH_API_RATE_LIMIT": "0", "KITH_ALLOW_PRIVATE_FEDERATION": "true"},
    }
    print(f"kith soak: {args.seconds:.0f} s, {args.pods} pods x {args.users} people, at most {args.rate}/s over "
          f"{args.clients} clients, {meta['database']}, load average {meta['load_average_at_start']}", flush=True)
    soak = Soak(args, work)
    broke = None
    timings: dict[str, float] = {}
    try:
        for step in (soak.make_pods, soak.start_pods_and_make_accounts, soak.make_people, soak.wire, soak.load,
                     soak.check):
            started = time.monotonic()
            step()
            timings[step.__name__] = round(time.monotonic() - started, 1)
            print(f"  {step.__name__}: {timings[step.__name__]} s", flush=True)
    except Exception:
        broke = traceback.format_exc()
        print(broke, file=sys.stderr, flush=True)
    finally:
        started = time.monotonic()
        soak.stop()
        timings["stop"] = round(time.monotonic() - started, 1)
        meta["step_seconds"] = timings
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    if broke or not any(s["phase"] == "load" for s in soak.samples):
        print("kith soak: broke before it could judge (above)", file=sys.stderr)
        return 2
    meta["load_average_at_end"] = loadavg()
    verdict = judge(soak)
    report = {"meta": meta, "verdict": verdict, "samples": soak.samples, **soak.result}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"soak-{datetime.now(UTC):%Y-%m-%d}-{meta['commit']}" + ("-postgresql" if args.database_url else "")
    (out / f"{stem}.json").write_text(json.dumps(report, indent=1, default=str) + "\n")
    summary = markdown(report)
    (out / f"{stem}.md").write_text(summary)
    print()
    print(summary)
    print(f"written: {out / stem}.json and .md")
    return 0 if verdict["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
