"""`make bench`: the six benchmark scenarios against real pod processes.

    python -m bench.run [--size tiny|small|full] [--only 1,2,...] [--reseed] [--out bench/results]

1. home timeline (API), 1 and 16 connections, a stream of ~1,000 and of all posts;
2. posting (API), 1 and 16 connections; time until a post is in 1,000 followers' streams;
3. fan-out to 2,000 remote inboxes on 500 loopback hosts (bench/sink.py verifies every
   signature), against the RSA signing rate measured in the same run; then with one
   host that never answers;
4. inbox ingestion: pre-signed activities POSTed to the shared inbox, accepted/s and applied/s;
5. web pages (stream, a post with 200 comments, a profile), median time at 1 connection;
6. memory of `kith serve` idle and under scenario 1's load, and of `kith web` + `kith worker`.

Writes bench/results/<date>-<commit>.json and prints a table.  Every figure carries the
load average at the time it was measured: figures from a busy machine are not results.
This process reads and prepares the pod's database through Django with the pod's own
settings (tokens, remote followers, counts); all load goes over HTTP.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bench.pods import (
    HTTP,
    KITH,
    MemorySampler,
    PodProcess,
    drop_postgres_database,
    free_port,
    pod_env,
    postgres_database,
    tree_memory,
)

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("KITH_BENCH_CACHE", Path.home() / ".cache" / "kith-bench"))

SIZES: dict[str, dict] = {
    # For tests/test_bench.py: everything runs, nothing is measured seriously.
    "tiny": dict(people=40, posts=300, follows=5, duration=1.0, warmup=0.3, fanout_posts=2,
                 remote_followers=40, remote_hosts=10, inbox=60, silent_runs=1),
    "small": dict(people=1000, posts=10_000, follows=10, duration=5.0, warmup=1.0, fanout_posts=10,
                  remote_followers=2000, remote_hosts=500, inbox=2000, silent_runs=1),
    "medium": dict(people=2000, posts=100_000, follows=8, duration=8.0, warmup=2.0, fanout_posts=20,
                   remote_followers=2000, remote_hosts=500, inbox=3000, silent_runs=1),
    "full": dict(people=5000, posts=1_000_000, follows=5, duration=10.0, warmup=2.0, fanout_posts=20,
                 remote_followers=2000, remote_hosts=500, inbox=3000, silent_runs=2),
}


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def commit() -> str:
    try:
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "kith", "bench"], cwd=ROOT,
                               capture_output=True, text=True).stdout.strip()
        return sha + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


class Results:
    def __init__(self, size: str, settings: dict) -> None:
        self.rows: list[dict] = []
        self.suffix = ""  # set while a scenario is repeated under the profiler
        self.meta = {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "commit": commit(),
            "size": size,
            "settings": settings,
            "cpu_count": os.cpu_count(),
            "load_average_at_start": loadavg(),
            "python": sys.version.split()[0],
            "database": "postgresql" if os.environ.get("KITH_TEST_DATABASE_URL") else "sqlite",
        }

    def add(self, scenario: str, case: str, *, target: str | None = None, goal: float | None = None,
            value: float | None = None, lower_is_better: bool = False, **fields) -> dict:
        row = {"scenario": scenario, "case": case + self.suffix, **fields, "load_average": loadavg()}
        if value is not None:
            row["value"] = value
        if target is not None and goal is not None and value is not None:
            met = value <= goal if lower_is_better else value >= goal
            margin = (goal - value) / goal if lower_is_better else (value - goal) / goal
            row.update(target=target, met=met, margin=f"{margin:+.0%}")
        elif target is not None:
            row.update(target=target, met=None, margin="not measured")
        self.rows.append(row)
        self.print_row(row)
        return row

    @staticmethod
    def print_row(row: dict) -> None:
        figure = ""
        if "throughput" in row:
            figure += f"{row['throughput']:>9.1f}/s"
        if "p50_ms" in row:
            figure += f"  p50 {row['p50_ms']:>7.1f} ms  p99 {row['p99_ms']:>7.1f} ms"
        if "value" in row and not figure:
            figure += f"  {row['value']} {row.get('unit', '')}"
        verdict = ""
        if "target" in row:
            state = {True: "MET", False: "MISSED", None: "-"}[row["met"]]
            verdict = f"  [{state} {row['margin']}: {row['target']}]"
        runs = f"  n={row['runs']}" if "runs" in row else ""
        print(f"  {row['scenario']:<3} {row['case']:<52}{figure}{runs}  load {row['load_average'][0]}{verdict}",
              flush=True)

    def write(self, out_dir: Path) -> Path:
        out_dir.mkdir(parents=True, exist_ok=True)
        name = f"{datetime.now(UTC):%Y-%m-%d}-{self.meta['commit']}.json"
        path = out_dir / name
        self.meta["load_average_at_end"] = loadavg()
        path.write_text(json.dumps({**self.meta, "results": self.rows}, indent=2) + "\n")
        return path

    def table(self) -> str:
        lines = [f"Kith benchmarks ({self.meta['size']}, {self.meta['database']}, {self.meta['cpu_count']} cores, "
                 f"commit {self.meta['commit']}); load average at start {self.meta['load_average_at_start']}",
                 f"{'':4}{'case':<52}{'figure':>34}  {'load':>5}  target"]
        for row in self.rows:
            figure = ""
            if "throughput" in row:
                figure = f"{row['throughput']:.1f}/s"
                if "p99_ms" in row:
                    figure += f" p50 {row['p50_ms']:.1f} p99 {row['p99_ms']:.1f} ms"
            elif "p50_ms" in row:
                figure = f"p50 {row['p50_ms']:.1f} p99 {row['p99_ms']:.1f} ms"
            elif "value" in row:
                figure = f"{row['value']} {row.get('unit', '')}"
            verdict = ""
            if "target" in row:
                verdict = {True: "met", False: "MISSED", None: "-"}[row["met"]] + f" {row['margin']} ({row['target']})"
            lines.append(f"{row['scenario']:<4}{row['case']:<52}{figure:>34}  {row['load_average'][0]:>5}  {verdict}")
        return "\n".join(lines)


def run_load(url: str, *, connections: int, duration: float, warmup: float, method: str = "GET",
             headers: list[str] = (), body: str = "", requests_file: Path | None = None) -> dict:
    command = [sys.executable, "-m", "bench.load", "--url", url, "--connections", str(connections),
               "--duration", str(duration), "--warmup", str(warmup), "--method", method, "--body", body]
    for header in headers:
        command += ["--header", header]
    if requests_file is not None:
        command += ["--requests", str(requests_file)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=duration + warmup + 600)
    if done.returncode != 0:
        raise RuntimeError(f"load generator failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout)


def _get_ok(url: str) -> bool:
    try:
        return HTTP.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def wait_for(condition, timeout: float, interval: float = 0.01):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    return None


def load_fields(result: dict) -> dict:
    keep = ("throughput", "p50_ms", "p90_ms", "p99_ms", "max_ms", "connections", "statuses", "errors",
            "generator_cpu_share", "seconds")
    return {key: result[key] for key in keep if key in result} | {"runs": result["requests"]}


class Bench:
    def __init__(self, size: str, work: Path, results: Results) -> None:
        self.size = size
        self.cfg = SIZES[size]
        self.work = work
        self.results = results
        self.port = free_port()
        self.streaming_port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # Named per run: two runs on one server (a test run beside CI's) must not drop each other's.
        self.database_url = postgres_database(f"kith_bench_{size}_{os.getpid()}")
        self.env = pod_env(work / "data", self.port, self.streaming_port, self.database_url)
        self.pod: PodProcess | None = None
        self.tokens: dict[str, str] = {}

    # ---- set-up ------------------------------------------------------------------------------

    def kith(self, *args: str, timeout: float = 3600) -> subprocess.CompletedProcess:
        return subprocess.run([KITH, *args], env=self.env, capture_output=True, text=True, timeout=timeout,
                              check=True)

    def prepare(self, reseed: bool) -> None:
        cfg = self.cfg
        (self.work / "data").mkdir(parents=True, exist_ok=True)
        seed_args = ["--people", str(cfg["people"]), "--posts", str(cfg["posts"]), "--follows", str(cfg["follows"])]
        cached = CACHE / f"seeded-{self.size}-{_schema_stamp()}.sqlite3"
        meta_path = cached.with_suffix(".json")
        if self.database_url is None and cached.exists() and meta_path.exists() and not reseed:
            shutil.copy(cached, self.work / "data" / "kith.sqlite3")
            seeded = json.loads(meta_path.read_text())
            seeded["cached"] = True
        else:
            self.kith("migrate", "--verbosity", "0", timeout=600)
            started = time.perf_counter()
            done = self.kith("bench", "seed", *seed_args)
            seeded = {"seconds": round(time.perf_counter() - started, 1), "summary": done.stdout.strip(),
                      "steps": done.stderr.strip().splitlines()[1:], "load_average": loadavg(), "cached": False}
            if self.database_url is None:
                CACHE.mkdir(parents=True, exist_ok=True)
                with contextlib.suppress(OSError):
                    self._checkpoint()
                    shutil.copy(self.work / "data" / "kith.sqlite3", cached)
                    meta_path.write_text(json.dumps(seeded))
        self.results.add("0", f"seed {' '.join(seed_args)}", value=seeded["seconds"], unit="s",
                         detail=seeded["summary"], cached=seeded["cached"], steps=seeded.get("steps", []),
                         **{k: seeded[k] for k in ("migrated_after_seeding",) if k in seeded})
        # This process reads and prepares the pod's database with the pod's own settings.
        os.environ.update(self.env)
        os.environ["DJANGO_SETTINGS_MODULE"] = "kith.settings"
        import django

        django.setup()

    def _checkpoint(self) -> None:
        import sqlite3

        with contextlib.closing(sqlite3.connect(self.work / "data" / "kith.sqlite3")) as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def start_embedded(self) -> None:
        self.pod = PodProcess(self.env, ["serve"], self.work / "serve.log", f"{self.url}/.well-known/nodeinfo").start()
        for _ in range(3):  # first requests load templates and code paths
            HTTP.get(f"{self.url}/.well-known/nodeinfo", timeout=30)

    def stop(self) -> None:
        if self.pod is not None:
            self.pod.stop()
            self.pod = None

    def token(self, username: str) -> str:
        if username not in self.tokens:
            from kith.api.tokens import issue_token
            from kith.people.models import Account

            self.tokens[username] = issue_token(Account.objects.get(username=username), "bench", "read write follow")
        return self.tokens[username]

    def person(self, username: str):
        from kith.people.models import Person

        return Person.objects.get(username=username, domain="")

    # ---- 1. home timeline ----------------------------------------------------------------------

    def home_timeline(self) -> None:
        from kith.timelines.models import StreamEntry

        cfg = self.cfg
        throughput: dict[tuple[str, int], float] = {}
        p99: dict[tuple[str, int], float] = {}
        for who in ("bench_reader", "bench_heavy"):
            entries = StreamEntry.objects.filter(owner=self.person(who)).count()
            auth = f"Authorization: Bearer {self.token(who)}"
            check = HTTP.get(f"{self.url}/api/v1/timelines/home", headers={"Authorization": auth.split(": ", 1)[1]},
                              timeout=30)
            check.raise_for_status()
            statuses = len(check.json())
            for connections in (1, 16):
                with MemorySampler(self.pod.pid) as sampler:
                    result = run_load(f"{self.url}/api/v1/timelines/home", connections=connections,
                                      duration=cfg["duration"], warmup=cfg["warmup"], headers=[auth])
                if connections == 16 and not self.results.suffix:
                    self.memory_under_load = sorted(sampler.peaks.values(), key=lambda m: m["pid"])
                throughput[who, connections] = result["throughput"]
                p99[who, connections] = result["p99_ms"]
                case = f"home timeline, {entries} entries, {connections} conn"
                sizes = {"stream_entries": entries, "statuses_per_page": statuses}
                if connections == 16:
                    self.results.add("1", case, target=">= 500 requests/s at 16 connections", goal=500,
                                     value=result["throughput"], sizes=sizes, **load_fields(result))
                else:
                    self.results.add("1", case, target="p99 < 50 ms at 1 connection", goal=50,
                                     value=result["p99_ms"], lower_is_better=True, sizes=sizes, **load_fields(result))
        ratio = throughput["bench_heavy", 16] / throughput["bench_reader", 16]
        self.results.add("1", "home timeline, large / small stream, 16 conn", value=round(ratio, 3), unit="x",
                         target="throughput within 20% of the small stream's", goal=0.8)
        ratio = p99["bench_heavy", 1] / p99["bench_reader", 1]
        self.results.add("1", "home timeline, large / small stream p99, 1 conn", value=round(ratio, 3), unit="x",
                         target="p99 within 20% of the small stream's", goal=1.2, lower_is_better=True)

    def wrk_crosscheck(self) -> None:
        """The same 16-connection timeline load from wrk (C), to show the generator is not the limit."""
        if shutil.which("wrk") is None:
            self.results.add("1", "wrk cross-check", value="wrk not installed", unit="")
            return
        cfg = self.cfg
        auth = f"Authorization: Bearer {self.token('bench_reader')}"
        done = subprocess.run(["wrk", "-t2", "-c16", f"-d{int(max(1, cfg['duration']))}s", "--latency", "-H", auth,
                               f"{self.url}/api/v1/timelines/home"], capture_output=True, text=True, timeout=600)
        rate = next((float(line.split()[1]) for line in done.stdout.splitlines()
                     if line.startswith("Requests/sec:")), 0.0)
        non_2xx = next((line.strip() for line in done.stdout.splitlines() if "Non-2xx" in line), "")
        self.results.add("1", "home timeline, small stream, 16 conn, wrk", throughput=rate,
                         detail=non_2xx or "all 2xx", runs=int(rate * cfg["duration"]))

    def generator_ceiling(self) -> None:
        """What bench/load.py reaches against a server that only answers (the sink's stats page)."""
        keys = self.work / "no-keys.json"
        keys.write_text("{}")
        port = free_port()
        sink = subprocess.Popen([sys.executable, "-m", "bench.sink", "--port", str(port), "--keys", str(keys)],
                                cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for(lambda: _get_ok(f"http://127.0.0.1:{port}/_sink/stats"), timeout=30, interval=0.1)
            result = run_load(f"http://127.0.0.1:{port}/_sink/stats", connections=16,
                              duration=min(3.0, self.cfg["duration"]), warmup=0.5)
            self.results.add("1", "load generator ceiling (16 conn, canned answers)", **load_fields(result))
        finally:
            sink.terminate()
            sink.wait(timeout=10)

    # ---- 2. posting ------------------------------------------------------------------------------

    def posting(self) -> None:
        from kith.timelines.models import FanOut, StreamEntry

        cfg = self.cfg
        auth = f"Authorization: Bearer {self.token('bench_poster')}"
        body = json.dumps({"status": "A benchmark post, number {n}, about gardens and rivers.",
                           "visibility": "public"})
        for connections in (1, 16):
            result = run_load(f"{self.url}/api/v1/statuses", method="POST", connections=connections,
                              duration=cfg["duration"], warmup=cfg["warmup"],
                              headers=[auth, "Content-Type: application/json"], body=body)
            fields = load_fields(result)
            if connections == 16:
                self.results.add("2", "posting, 16 conn", target=">= 300 posts/s at 16 connections", goal=300,
                                 value=result["throughput"], **fields)
            else:
                self.results.add("2", "posting, 1 conn", **fields)
        self.settle()
        # The time from sending a post until it is in the streams of all of bench_author's followers.
        author = self.person("bench_author")
        from kith.graph.models import Follow

        followers = list(Follow.objects.filter(followee=author).values_list("follower_id", flat=True))
        token = self.token("bench_author")
        latencies = []
        complete = True
        for n in range(cfg["fanout_posts"]):
            sent = time.time()
            response = HTTP.post(f"{self.url}/api/v1/statuses", headers={"Authorization": f"Bearer {token}"},
                                  json={"status": f"Fan-out timing post {n}", "visibility": "public"}, timeout=60)
            response.raise_for_status()
            post_id = int(response.json()["id"])
            done = FanOut.objects.filter(post_id=post_id, state="done").values_list("finished_at", flat=True)
            row = wait_for(done.first, timeout=120)
            if row is None:
                complete = False
                break
            latencies.append((row.timestamp() - sent) * 1000)
            # Every follower has the row (checked through the (owner, post) index).
            present = StreamEntry.objects.filter(post_id=post_id, owner_id__in=followers).count()
            complete = complete and present == len(followers)
            time.sleep(0.2)
        latencies.sort()
        p99_ms = round(latencies[min(len(latencies) - 1, round(0.99 * (len(latencies) - 1)))], 1) if latencies else 0
        self.results.add("2", f"post in {len(followers)} followers' streams", runs=len(latencies),
                         p50_ms=round(statistics.median(latencies), 1) if latencies else 0, p99_ms=p99_ms,
                         all_rows_present=complete, target="p99 within 1 s", goal=1000, value=p99_ms,
                         lower_is_better=True)

    def settle(self, timeout: float = 120) -> None:
        """Wait until the pod's worker has no fan-out left (posting leaves work behind)."""
        from kith.timelines.models import FanOut

        wait_for(lambda: not FanOut.objects.filter(state="pending").exists(), timeout=timeout, interval=0.2)

    # ---- 3. fan-out to remote pods -------------------------------------------------------------

    def remote_setup(self) -> None:
        """Remote people on loopback hosts served by the sink, following bench_remote; keys for scenario 4."""
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from django.db import transaction
        from django.utils import timezone

        from kith.federation.activitypub import uris
        from kith.federation.activitypub.models import RemoteActor
        from kith.graph.models import Follow
        from kith.people.keys import key_for
        from kith.people.models import Person

        cfg = self.cfg
        self.sink_port = free_port()
        hosts = [f"127.0.{1 + j // 250}.{1 + j % 250}:{self.sink_port}" for j in range(cfg["remote_hosts"])]
        self.remote_hosts = hosts
        self.remote_keys = []
        for _ in range(4):
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()).decode()
            public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo).decode()
            self.remote_keys.append((private, public))
        author = self.person("bench_remote")
        pem = key_for(author)
        now = timezone.now()
        actors = []
        with transaction.atomic():
            people = Person.objects.bulk_create([
                Person(username=f"r{i}", domain=hosts[i % len(hosts)]) for i in range(cfg["remote_followers"])
            ])
            for i, person in enumerate(people):
                actor = f"http://{person.domain}/users/{person.username}"
                actors.append(RemoteActor(
                    person=person, uri=actor, inbox=f"{actor}/inbox", shared_inbox="",
                    key_id=f"{actor}#main-key", public_key_pem=self.remote_keys[i % len(self.remote_keys)][1],
                    fetched_at=now,
                ))
            RemoteActor.objects.bulk_create(actors)
            Follow.objects.bulk_create([Follow(follower=person, followee=author) for person in people])
        self.remote_actors = [(a.uri, a.key_id, self.remote_keys[i % len(self.remote_keys)][0])
                              for i, a in enumerate(actors)]
        keys_file = self.work / "sink-keys.json"
        keys_file.write_text(json.dumps({uris.key_id("bench_remote"): pem.public_key_pem}))
        (self.work / "bench_remote.pem").write_text(pem.private_key_pem)
        self.sink = subprocess.Popen(
            [sys.executable, "-m", "bench.sink", "--port", str(self.sink_port), "--keys", str(keys_file)],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=(self.work / "sink.log").open("ab"), start_new_session=True,
        )
        wait_for(lambda: self._sink("stats") is not None, timeout=30, interval=0.1)

    def _sink(self, action: str, method: str = "GET", **params) -> dict | None:
        try:
            response = HTTP.request(method, f"http://127.0.0.1:{self.sink_port}/_sink/{action}", params=params,
                                     timeout=5)
            return response.json()
        except (httpx.HTTPError, ValueError):
            return None

    def stop_sink(self) -> None:
        sink = getattr(self, "sink", None)
        if sink is not None and sink.poll() is None:
            sink.terminate()
            sink.wait(timeout=10)

    def remote_fanout(self) -> None:
        cfg = self.cfg
        if not hasattr(self, "remote_actors"):
            self.remote_setup()
        rate = json.loads(subprocess.run(
            [sys.executable, "-m", "bench.signrate", str(self.work / "bench_remote.pem"), "3"],
            cwd=ROOT, capture_output=True, text=True, check=True, timeout=120).stdout)
        self.results.add("3", "RSA-2048 signing rate, one process (httpsig.sign)", throughput=rate["per_second"],
                         runs=rate["signatures"])
        token = self.token("bench_remote")
        total = cfg["remote_followers"]

        def one_post(text: str, expect: int) -> dict:
            self._sink("reset", "POST")
            sent = time.time()
            HTTP.post(f"{self.url}/api/v1/statuses", headers={"Authorization": f"Bearer {token}"},
                       json={"status": text, "visibility": "public"}, timeout=60).raise_for_status()
            wait_for(lambda: (self._sink("stats") or {}).get("verified", 0) >= expect, timeout=300, interval=0.05)
            stats = self._sink("stats") or {}
            last, first = stats.get("last_at") or sent, stats.get("first_at") or sent
            return {"delivered": stats.get("verified", 0), "rejected": stats.get("rejected", 0),
                    "hosts": stats.get("hosts", 0), "end_to_end_s": round(last - sent, 3),
                    "sending_s": round(last - first, 3), "errors": stats.get("errors", {})}

        clean_runs, silent_runs = [], []
        silent_host = self.remote_hosts[0].split(":")[0]
        healthy = total - len(range(0, total, len(self.remote_hosts)))
        for n in range(cfg["silent_runs"]):
            clean_runs.append(one_post(f"Remote fan-out post {n}", total))
            self._sink("silent", "POST", hosts=silent_host)
            silent_runs.append(one_post(f"Remote fan-out post {n}, one silent host", healthy))
            self._sink("silent", "POST", hosts="")
        clean = min(clean_runs, key=lambda r: r["end_to_end_s"])
        per_second = round(clean["delivered"] / clean["end_to_end_s"], 1) if clean["end_to_end_s"] else 0.0
        self.results.add(
            "3", f"one post to {total} inboxes on {len(self.remote_hosts)} hosts", throughput=per_second,
            runs=len(clean_runs), detail=clean, target=">= half the signing rate", goal=rate["per_second"] / 2,
            value=per_second,
        )
        silent = min(silent_runs, key=lambda r: r["end_to_end_s"])
        slowdown = silent["end_to_end_s"] / clean["end_to_end_s"] if clean["end_to_end_s"] else 0.0
        self.results.add(
            "3", f"same, one host never answers ({healthy} healthy inboxes)", value=round(slowdown, 3), unit="x",
            detail={"clean": clean_runs, "silent": silent_runs}, runs=len(silent_runs),
            target="healthy deliveries no more than 10% slower", goal=1.10, lower_is_better=True,
        )

    # ---- 4. inbox ingestion --------------------------------------------------------------------

    def inbox(self) -> None:
        from django.db.models import Count

        from kith.federation import httpsig
        from kith.federation.activitypub.models import InboundActivity

        cfg = self.cfg
        if not hasattr(self, "remote_actors"):
            self.remote_setup()
        requests_file = self.work / "inbox-requests.jsonl"
        stamp = int(time.time())
        started = time.perf_counter()
        with requests_file.open("w") as out:
            for n in range(cfg["inbox"]):
                actor, key_id, private = self.remote_actors[n % len(self.remote_actors)]
                note = f"{actor}/statuses/{stamp}{n}"
                activity = {
                    "@context": "https://www.w3.org/ns/activitystreams", "id": f"{note}/activity", "type": "Create",
                    "actor": actor, "to": ["https://www.w3.org/ns/activitystreams#Public"],
                    "cc": [f"{actor}/followers"],
                    "object": {"id": note, "type": "Note", "attributedTo": actor,
                               "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [f"{actor}/followers"],
                               "content": f"<p>Inbound benchmark note {n} about gardens and rivers.</p>",
                               "published": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")},
                }
                body = json.dumps(activity)
                headers = {"Content-Type": "application/activity+json"}
                headers |= httpsig.sign("POST", f"{self.url}/inbox", {"content-type": headers["Content-Type"]},
                                        body.encode(), key_id=key_id, private_key_pem=private)
                headers.pop("Host", None)
                out.write(json.dumps({"method": "POST", "path": "/inbox", "headers": headers, "body": body}) + "\n")
        signing = time.perf_counter() - started
        before = InboundActivity.objects.count()
        sent = time.time()
        result = run_load(self.url, connections=16, duration=0, warmup=0, requests_file=requests_file)
        accepted = result["statuses"].get("202", 0)
        self.results.add("4", f"inbox: {cfg['inbox']} signed Create(Note), 16 conn, accepted", sizes={
            "activities": cfg["inbox"], "presigning_s": round(signing, 1)}, target=">= 1000 accepted/s", goal=1000,
            value=result["throughput"], **load_fields(result))
        finished = wait_for(
            lambda: InboundActivity.objects.filter(state="pending").count() == 0
            and InboundActivity.objects.count() - before >= accepted, timeout=600, interval=0.05)
        applied_s = time.time() - sent
        states = {row["state"]: row["n"] for row in InboundActivity.objects.values("state").annotate(n=Count("id"))}
        self.results.add("4", "inbox: applied by the worker (from first POST)",
                         throughput=round(accepted / applied_s, 1) if finished else 0.0, runs=accepted,
                         detail={"states": states, "finished": bool(finished), "seconds": round(applied_s, 2)})

    # ---- 5. web pages --------------------------------------------------------------------------

    def web_pages(self) -> None:
        from kith.bench.seed import BENCH_PASSWORD
        from kith.social.models import Comment, Post

        cfg = self.cfg
        client = httpx.Client(base_url=self.url, timeout=30)
        client.get("/login")
        csrf = client.cookies.get("csrftoken")
        client.post("/login", data={"username": "bench_reader", "password": BENCH_PASSWORD,
                                    "csrfmiddlewaretoken": csrf}, headers={"Referer": f"{self.url}/login"})
        if "sessionid" not in client.cookies:
            raise RuntimeError("could not log in as bench_reader")
        cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
        thread = Post.objects.filter(author=self.person("bench_author"), comment_count__gte=200).order_by("-id").first()
        comments = Comment.objects.filter(post=thread).count() if thread else 0
        pages = [("stream (/)", "/"), (f"post with {comments} comments", f"/posts/{thread.id}"),
                 ("profile (/@bench_author)", "/@bench_author")]
        for label, path in pages:
            check = client.get(path)
            check.raise_for_status()
            result = run_load(f"{self.url}{path}", connections=1, duration=cfg["duration"], warmup=cfg["warmup"],
                              headers=[f"Cookie: {cookie}"])
            self.results.add("5", f"web page: {label}, 1 conn", sizes={"bytes": len(check.content)},
                             **load_fields(result))

    # ---- 6. memory -----------------------------------------------------------------------------

    def memory_idle(self) -> None:
        time.sleep(1.0)
        self.record_memory("kith serve, idle", tree_memory(self.pod.pid))

    def record_memory(self, case: str, processes: list[dict], target: bool = False) -> None:
        total_pss = round(sum(p["pss_mb"] for p in processes), 1)
        fields = dict(value=total_pss, unit="MB PSS (all processes)", processes=processes)
        if target:
            self.results.add("6", case, target="embedded pod < 150 MB under load", goal=150, lower_is_better=True,
                             **fields)
        else:
            self.results.add("6", case, **fields)

    def memory_split(self) -> None:
        """`kith web` and `kith worker` on the same database: each process idle, and the web under load."""
        web = PodProcess(self.env, ["web"], self.work / "web.log", f"{self.url}/.well-known/nodeinfo").start()
        worker = PodProcess(self.env, ["worker"], self.work / "worker.log", None).start()
        try:
            for _ in range(5):
                HTTP.get(f"{self.url}/api/v1/timelines/home",
                          headers={"Authorization": f"Bearer {self.token('bench_reader')}"}, timeout=30)
            time.sleep(2.0)
            self.record_memory("kith web, idle", tree_memory(web.pid))
            self.record_memory("kith worker, idle", tree_memory(worker.pid))
            with MemorySampler(web.pid) as sampler:
                run_load(f"{self.url}/api/v1/timelines/home", connections=16, duration=self.cfg["duration"],
                         warmup=0.5, headers=[f"Authorization: Bearer {self.token('bench_reader')}"])
            self.record_memory("kith web, under scenario 1 load (peak)", sorted(sampler.peaks.values(),
                                                                                 key=lambda m: m["pid"]))
        finally:
            web.stop()
            worker.stop()


class Profiler:
    """py-spy (when installed) sampling the pod's processes through one scenario; writes collapsed
    stacks and a summary of where the time went (inclusive share of Kith's own functions)."""

    def __init__(self, pid: int, out: Path, summary: Path, label: str) -> None:
        self.pid, self.out, self.summary, self.label = pid, out, summary, label
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Profiler:
        spy = Path(sys.executable).with_name("py-spy")
        if not spy.exists() and shutil.which("py-spy") is None:
            print("  (py-spy not installed: no profile; pip install py-spy)", flush=True)
            return self
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [str(spy if spy.exists() else "py-spy"), "record", "--pid", str(self.pid), "--subprocesses",
             "--rate", "250", "--format", "raw", "--nonblocking", "--output", str(self.out)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        time.sleep(1.0)
        return self

    def __exit__(self, *exc) -> None:
        if self.process is None:
            return
        self.process.send_signal(2)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=60)
        if self.out.exists():
            summary = summarise_profile(self.out)
            self.summary.parent.mkdir(parents=True, exist_ok=True)
            self.summary.write_text(f"profile of {self.label} (load average {loadavg()})\n{summary}")
            print(summary, flush=True)


def summarise_profile(path: Path, top: int = 40) -> str:
    """Inclusive and self share of each function in collapsed stacks (`frame;frame;... count`), idle excluded."""
    inclusive: dict[str, int] = {}
    own: dict[str, int] = {}
    total = 0
    idle_markers = ("select (", "epoll_wait", "wait (threading", "_wait_for_tstate_lock", "sleep (", "accept (",
                    "poll (", "recv_into (", "_recv_bytes", "get (queue", "dequeue (huey", "readinto (socket")
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        frames = stack.split(";")
        if any(marker in frames[-1] for marker in idle_markers):
            continue
        n = int(count)
        total += n
        for frame in dict.fromkeys(frames):
            inclusive[frame] = inclusive.get(frame, 0) + n
        own[frames[-1]] = own.get(frames[-1], 0) + n
    if not total:
        return "no busy samples"
    lines = [f"{total} busy samples; inclusive share of Kith's functions:"]
    kith = sorted(((n, f) for f, n in inclusive.items() if "(kith/" in f or "/kith/" in f and "/site-packages/" not in f), reverse=True)
    lines += [f"  {100 * n / total:5.1f}%  {f}" for n, f in kith[:top]]
    lines.append("self time, top frames:")
    lines += [f"  {100 * n / total:5.1f}%  {f}" for n, f in sorted(((n, f) for f, n in own.items()), reverse=True)[:25]]
    return "\n".join(lines)


def markdown(path: Path) -> str:
    """A result file as a Markdown table (for docs/performance.md)."""
    data = json.loads(path.read_text())
    lines = [f"`{path.name}`: {data['size']} size, {data['database']}, {data['cpu_count']} cores, Python "
             f"{data['python']}, commit {data['commit']}, {data['date']}; load average at start "
             f"{data['load_average_at_start']}, at end {data.get('load_average_at_end')}", "",
             "| # | case | n | figure | load avg (1 min) | target | result |", "|---|---|---|---|---|---|---|"]
    for row in data["results"]:
        figure = []
        if "throughput" in row:
            figure.append(f"{row['throughput']:.1f}/s")
        if "p50_ms" in row:
            figure.append(f"p50 {row['p50_ms']:.1f} ms, p99 {row['p99_ms']:.1f} ms")
        if not figure and "value" in row:
            figure.append(f"{row['value']} {row.get('unit', '')}".strip())
        if "generator_cpu_share" in row:
            figure.append(f"generator CPU {row['generator_cpu_share']:.0%}")
        result = ""
        if "target" in row:
            result = {True: "met", False: "**missed**", None: "-"}[row["met"]] + f" ({row['margin']})"
        lines.append(f"| {row['scenario']} | {row['case']} | {row.get('runs', '')} | {'; '.join(figure)} | "
                     f"{row['load_average'][0]} | {row.get('target', '')} | {result} |")
    return "\n".join(lines)


def split_throughput(bench: Bench) -> None:
    """Scenario 1's 16-connection case against `kith web --workers 2` (+ `kith worker`): the embedded
    pod serves the web from one process, whose threads share one GIL; this shows the second core's worth."""
    web = PodProcess(bench.env, ["web", "--workers", "2"], bench.work / "web2.log",
                     f"{bench.url}/.well-known/nodeinfo").start()
    worker = PodProcess(bench.env, ["worker"], bench.work / "worker2.log", None).start()
    try:
        auth = f"Authorization: Bearer {bench.token('bench_reader')}"
        for _ in range(4):
            HTTP.get(f"{bench.url}/api/v1/timelines/home", headers={"Authorization": auth.split(": ", 1)[1]},
                      timeout=30)
        result = run_load(f"{bench.url}/api/v1/timelines/home", connections=16, duration=bench.cfg["duration"],
                          warmup=bench.cfg["warmup"], headers=[auth])
        bench.results.add("1", "home timeline, small stream, 16 conn, kith web --workers 2", **load_fields(result))
        bench.record_memory("kith web --workers 2, after that load", tree_memory(web.pid))
    finally:
        web.stop()
        worker.stop()


def _schema_stamp() -> str:
    """Changes when a migration or the seeder changes, so a cached seeded database is not reused then."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted((ROOT / "kith").glob("**/migrations/0*.py")) + [ROOT / "kith" / "bench" / "seed.py"]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default=os.environ.get("BENCH_SIZE", "full"))
    parser.add_argument("--only", default="", help="comma-separated scenario numbers (default: all)")
    parser.add_argument("--reseed", action="store_true", help="seed again even if a seeded database is cached")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results"), help="where the result JSON goes")
    parser.add_argument("--profile", default="", help="scenario number to profile with py-spy (e.g. 1)")
    parser.add_argument("--markdown", help="print this result file as a Markdown table and stop")
    parser.add_argument("--work", help="working directory (default: a temporary one, removed afterwards)")
    args = parser.parse_args(argv)
    if args.markdown:
        print(markdown(Path(args.markdown)))
        return 0
    chosen = {s.strip() for s in args.only.split(",") if s.strip()} or {"1", "2", "3", "4", "5", "6"}
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="kith-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    results = Results(args.size, SIZES[args.size])
    print(f"kith bench: size {args.size}, {os.cpu_count()} cores, load average {loadavg()} "
          f"(figures under load > ~1.5 on 2 cores are not results)", flush=True)
    bench = Bench(args.size, work, results)
    try:
        bench.prepare(args.reseed)
        bench.start_embedded()
        if "6" in chosen:
            bench.memory_idle()
        def profiled(number: str):
            """After the measured run, the profiled scenario runs again under py-spy (sampling slows
            the pod: those rows are marked and are not the figures)."""
            if args.profile != number:
                return contextlib.nullcontext()
            name = f"profile-{number}-{results.meta['commit']}"
            return Profiler(bench.pod.pid, work / f"{name}.txt", Path(args.out) / f"{name}.summary.txt",
                            f"scenario {number}, {args.size} size")

        def run(number: str, scenario) -> None:
            scenario()
            if args.profile == number:
                results.suffix = " (under py-spy)"
                try:
                    with profiled(number):
                        scenario()
                finally:
                    results.suffix = ""

        if "1" in chosen:
            run("1", bench.home_timeline)
            bench.wrk_crosscheck()
            bench.generator_ceiling()
            if "6" in chosen:
                bench.record_memory("kith serve, under scenario 1 load (peak)", bench.memory_under_load, target=True)
        if "2" in chosen:
            run("2", bench.posting)
        if "3" in chosen:
            run("3", bench.remote_fanout)
        if "4" in chosen:
            run("4", bench.inbox)
        if "5" in chosen:
            run("5", bench.web_pages)
        bench.stop()
        if "6" in chosen:
            bench.memory_split()
        if "1" in chosen:
            split_throughput(bench)
    finally:
        bench.stop()
        bench.stop_sink()
        drop_postgres_database(bench.database_url)  # WITH (FORCE): this process's connection too
        path = results.write(Path(args.out))
        print()
        print(results.table())
        print(f"\nresults: {path}")
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
