"""`make fuzz`: coverage-guided fuzzing (atheris, libFuzzer) of every parser that takes outside input.

    python -m tests.fuzz.atheris_run --seconds 60 [--target NAME ...] [--workdir .fuzz]

Each target runs in its own process for `--seconds`, seeded from a small corpus (the real
remote payloads of tests/fixtures/remote, images made with Pillow, signature headers and
Markdown written here) plus whatever earlier runs found, with libFuzzer's `-rss_limit_mb` and
`-timeout`, so an input that makes Kith allocate without bound or hang counts as a crash, as
does any exception the target does not allow (a 5xx through Django's test client is one).
The targets that need a database migrate a throwaway SQLite file.  Nothing leaves the
machine: name lookups and connections outside loopback are refused, and the safe client's
transport is a mock.

Corpora, logs and crash reproducers live in the work directory (`.fuzz/`, ignored by git).
Per target it prints executions, coverage and new inputs, what the inputs became (accepted,
or rejected with which status or error) and every crash with its reproducer; it exits
non-zero if any target crashed.  A reproducer runs again with
`python -m tests.fuzz.atheris_run --target NAME --reproduce PATH`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_WORKDIR = REPO / ".fuzz"
STATS_EVERY = 0.5  # seconds between writes of a child's outcome counts


# ---- the child: one target under atheris --------------------------------------------------------------


class Outcomes:
    """What the inputs became, written to a file now and then: libFuzzer ends the process with
    exit(), so nothing runs at the end."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.counts: Counter[str] = Counter()
        self.written = 0.0

    def record(self, target: str, outcome: object) -> None:
        self.counts[f"{target}: {outcome}"] += 1
        now = time.monotonic()
        if now - self.written > STATS_EVERY:
            self.flush()
            self.written = now

    def flush(self) -> None:
        self.path.write_text(json.dumps(self.counts))


def _no_network() -> None:
    """Refuse every name lookup and every connection outside loopback (as tests/conftest.py does)."""
    import ipaddress
    import socket

    real_connect, real_getaddrinfo = socket.socket.connect, socket.getaddrinfo

    def connect(self, address):  # type: ignore[no-untyped-def]
        host = address[0] if isinstance(address, tuple) else "localhost"
        try:
            loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if self.family in (socket.AF_INET, socket.AF_INET6) and not loopback:
            raise ConnectionRefusedError(f"fuzzing may not reach outside this machine ({address!r})")
        return real_connect(self, address)

    def getaddrinfo(host, *args, **kwargs):  # type: ignore[no-untyped-def]
        name = host.decode() if isinstance(host, bytes) else host
        if name not in (None, "localhost"):
            try:
                ipaddress.ip_address(str(name).strip("[]"))
            except ValueError:
                raise socket.gaierror(socket.EAI_NONAME, f"fuzzing does not resolve names ({name!r})") from None
        return real_getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.getaddrinfo = getaddrinfo


def _django(database: bool) -> None:
    """Django on the test settings; with `database`, a fresh SQLite file migrated (never PostgreSQL)."""
    os.environ.pop("KITH_TEST_DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    import logging

    import django

    django.setup()
    logging.disable(logging.CRITICAL)  # kith and django.request log every refusal
    if database:
        from django.conf import settings
        from django.core.management import call_command

        settings.DATABASES["default"]["NAME"] = str(Path(settings.KITH_DATA_DIR) / "fuzz.sqlite3")
        call_command("migrate", verbosity=0, interactive=False)


@dataclass
class Target:
    """A fuzz target: `setup(record)` returns the function libFuzzer calls with each input."""

    name: str
    summary: str
    database: bool
    setup: Callable[[Callable[[str, object], None]], Callable[[bytes], None]]
    seeds: Callable[[], list[bytes]]
    instrument: list[str] = field(default_factory=lambda: ["kith"])


def _json_seeds() -> list[bytes]:
    from tests.fuzz.payloads import BOB_CORPUS, CORPUS

    return [json.dumps(document).encode() for document in CORPUS + BOB_CORPUS]


# -- ActivityPub JSON through the parsers ---------------------------------------------------------------


def _activitypub(record):
    from kith.core import jsonbody
    from kith.federation.activitypub import parse
    from tests.fuzz.payloads import check_parsed

    parsers = (("activity", parse.parse_activity), ("note", parse.parse_note), ("actor", parse.parse_actor))

    def one(data: bytes) -> None:
        try:
            document = jsonbody.loads(data)
        except ValueError:
            record("jsonbody", "not JSON")
            return
        for name, parser in parsers:
            try:
                parsed = parser(document)
            except parse.ParseError as exc:
                record(f"parse_{name}", exc.reason)
                continue
            record(f"parse_{name}", "parsed")
            check_parsed(parsed)

    return one


# -- the inbox, signed by a known actor -----------------------------------------------------------------


def _inbox(record):
    from django.core.cache import cache

    from tests.fuzz.drivers import check_inbox, make_pod, rolled_back, signed_headers

    make_pod()
    paths = ["/inbox", "/users/alice/inbox"]

    def one(data: bytes) -> None:
        if not data:
            return
        path, scheme = paths[data[0] & 1], ("cavage", "rfc9421")[(data[0] >> 1) & 1]
        body = data[1:]
        headers = signed_headers(path, body, scheme)
        if data[0] & 4:  # a header changed after signing: the body's last line names it and its value
            name, _, value = body.rpartition(b"\n")[2].partition(b":")
            headers[name.decode("latin-1").strip().lower() or "date"] = value.decode("latin-1")
        cache.clear()
        with rolled_back():
            check_inbox("inbox", path, body, headers, record)

    return one


def _inbox_seeds() -> list[bytes]:
    seeds = [bytes([flags]) + document for document in _json_seeds()[-80:] for flags in (0, 3)]
    return seeds + [b"\x05" + _json_seeds()[-1] + b"\nhost: testserver:99999", b"\x04{}\ncontent-digest: sha-256=:x:"]


# -- signature headers ---------------------------------------------------------------------------------


def _signatures(record):
    from kith.federation import httpsig, rfc9421

    body = b'{"type": "Follow"}'

    def one(data: bytes) -> None:
        lines = data.decode("latin-1").split("\n")
        names = ("signature", "signature-input", "digest", "content-digest", "date", "host")
        headers = {name: value for name, value in zip(names, lines, strict=False) if value}
        host = headers.get("host", "testserver")
        for name, call in (
            ("httpsig.check", lambda: httpsig.check("POST", headers, body)),
            ("httpsig.parse_signature_header", lambda: httpsig.parse_signature_header(headers.get("signature", ""))),
            ("rfc9421.prepare", lambda: rfc9421.prepare("POST", [f"https://{host}/inbox", f"http://{host}/x"], headers, body)),
            ("rfc9421.parse_dictionary", lambda: rfc9421.parse_dictionary(headers.get("signature-input", ""))),
        ):
            try:
                call()
                record(name, "accepted")
            except httpsig.SignatureError as exc:
                record(name, type(exc).__name__)

    return one


def _signature_seeds() -> list[bytes]:
    from kith.federation import httpsig
    from tests.federation.peers import rfc9421_headers
    from tests.fuzz.drivers import PRIVATE_PEM
    from tests.fuzz.payloads import BOB_KEY

    body = b'{"type": "Follow"}'
    cavage = httpsig.sign("POST", "https://testserver/inbox", {}, body, key_id=BOB_KEY, private_key_pem=PRIVATE_PEM)
    modern = rfc9421_headers("POST", "https://testserver/inbox", body, key_id=BOB_KEY, private_pem=PRIVATE_PEM)
    return [
        "\n".join([cavage["Signature"], "", cavage["Digest"], "", cavage["Date"], "testserver"]).encode("latin-1"),
        "\n".join([modern["signature"], modern["signature-input"], "", modern["content-digest"], modern["date"],
                   "testserver:8443"]).encode("latin-1"),
    ]


# -- WebFinger, NodeInfo and actor documents from another server -----------------------------------------


def _discovery(record):
    from kith.social import lookup
    from tests.fuzz.drivers import Remote, rolled_back

    remote = Remote()
    remote.install()
    content_types = ["application/jrd+json", "application/activity+json", "application/json", "text/html"]

    def one(data: bytes) -> None:
        if not data:
            return
        jrd, _, rest = data[1:].partition(b"\x00\x00")
        actor, _, nodeinfo = rest.partition(b"\x00\x00")
        flags = data[0]
        status = (200, 200, 404, 302)[flags & 3]
        remote.routes = {
            "/.well-known/webfinger": (status, content_types[(flags >> 2) & 3], "https:x", jrd),
            "/users/bob": (200, ("application/activity+json", "text/html")[(flags >> 4) & 1], "/", actor),
            "/.well-known/nodeinfo": (200, "application/json", "", nodeinfo),
        }
        with rolled_back():
            found = lookup.look_up_handle("bob@remote.example") if flags & 32 else lookup.look_up_url(
                "https://remote.example/users/bob")
        record("lookup", "found" if found.found is not None else found.missing)

    return one


def _discovery_seeds() -> list[bytes]:
    from tests.fuzz.drivers import PUBLIC_PEM
    from tests.fuzz.payloads import BOB, BOB_KEY

    jrd = {"subject": "acct:bob@remote.example",
           "links": [{"rel": "self", "type": "application/activity+json", "href": BOB}]}
    actor = {"id": BOB, "type": "Person", "preferredUsername": "bob", "inbox": f"{BOB}/inbox",
             "publicKey": {"id": BOB_KEY, "owner": BOB, "publicKeyPem": PUBLIC_PEM},
             "icon": {"type": "Image", "url": "https://remote.example/a.png"}}
    nodeinfo = {"links": [{"rel": "http://nodeinfo.diaspora.software/ns/schema/2.1",
                           "href": "https://remote.example/nodeinfo/2.1"}]}
    body = json.dumps(jrd).encode() + b"\x00\x00" + json.dumps(actor).encode() + b"\x00\x00" + json.dumps(nodeinfo).encode()
    return [bytes([flags]) + body for flags in (0, 32, 1, 16)]


# -- Markdown and remote HTML ------------------------------------------------------------------------------


def _markdown(record):
    import re as regex

    from kith.core.text import render_markdown, sanitise_html
    from kith.federation.activitypub.parse import plain
    from tests.domain.htmlcheck import SAFE_TAGS, elements

    def safe(html: str) -> None:
        for tag, attrs in elements(html):
            assert tag in SAFE_TAGS, (tag, html)
            for name, value in attrs.items():
                assert not name.startswith("on"), (name, html)
                assert name not in ("style", "src"), (name, html)
                if name == "href":
                    seen = regex.sub(r"[\t\n\r]", "", value or "").lstrip("".join(map(chr, range(33)))).lower()
                    scheme = regex.match(r"^([a-z][a-z0-9+.-]*):", seen)
                    assert scheme is None or scheme.group(1) in ("http", "https", "mailto"), (value, html)

    def one(data: bytes) -> None:
        text = data.decode("utf-8", "replace")
        rendered = render_markdown(text, resolve_mention=lambda name, domain: f"https://{domain or 'testserver'}/@{name}")
        safe(rendered.html)
        assert len(rendered.html) <= 40 * len(text) + 200
        safe(sanitise_html(text))
        assert not regex.search(r"<[A-Za-z/!?]", plain(text, 500))
        record("markdown", "rendered")

    return one


def _markdown_seeds() -> list[bytes]:
    return [text.encode() for text in (
        "Hello #garden @bob@pod.example **bold** _it_ ~~gone~~ `code`\n\n> quote\n\n- a\n- b\n\n1. x",
        "[link](https://example.com) <https://a.b> www.example.com [x](javascript:alert(1)) <script>x</script>",
        '<p onclick="x"><a href="javascript:x">a</a><img src=x onerror=y><style>*{}</style></p>',
        "```\ncode\n```\n    indented\n# H1\n## H2\n---\n| a | b |\n|---|---|",
    )]


# -- images -------------------------------------------------------------------------------------------------


def _images(record):
    from kith.core.errors import Invalid
    from kith.people.images import clean_profile_image_bytes, open_untrusted
    from kith.social import media

    def one(data: bytes) -> None:
        try:
            with open_untrusted(data) as image:
                record("open_untrusted", f"accepted {image.format}")
        except Invalid:
            record("open_untrusted", "Invalid")
            return
        media.render_upload(data)  # what the upload check accepts, the worker renders
        record("render_upload", "rendered")
        try:
            clean_profile_image_bytes(data, max_side=400)
            record("clean_profile_image_bytes", "cleaned")
        except Invalid:
            record("clean_profile_image_bytes", "Invalid")

    return one


def _image_seeds() -> list[bytes]:
    from tests.fuzz.images import BOMBS, seeds

    return list(seeds().values()) + BOMBS


# -- the client API: query strings and bodies on every operation -----------------------------------------


def _api(record):
    from urllib.parse import quote

    import atheris
    from django.test import Client

    from kith.api.tokens import issue_token
    from tests.api.test_openapi import _ninja_operations
    from tests.fuzz.drivers import make_pod, rolled_back

    alice = make_pod()
    token = issue_token(alice.account, "fuzz", "read write follow push")
    operations = sorted(_ninja_operations())
    content_types = ["application/json", "application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x"]

    def one(data: bytes) -> None:
        provider = atheris.FuzzedDataProvider(data)
        method, template = operations[provider.ConsumeIntInRange(0, len(operations) - 1)]
        path = re.sub(r"\{\w+\}", lambda _: quote(provider.ConsumeUnicodeNoSurrogates(12), safe="") or "1", template)
        query = provider.ConsumeBytes(provider.ConsumeIntInRange(0, 200)).decode("latin-1")
        content_type = content_types[provider.ConsumeIntInRange(0, len(content_types) - 1)]
        body = provider.ConsumeBytes(provider.remaining_bytes())
        with rolled_back():
            response = Client().generic(method, f"{path}?{query}", body, content_type=content_type,
                                        headers={"Authorization": f"Bearer {token}"})
        record(f"{method} {template}", response.status_code)
        assert response.status_code < 500, (method, path, response.status_code)

    return one


def _api_seeds() -> list[bytes]:
    return [
        b"\x00\x10max_id=1&limit=5&types[]=mention\x00" + b'{"status": "hi #tag", "poll": {"options": ["a", "b"]}}',
        b"\x30\x20q=bob@remote.example&resolve=true&type=accounts" + b"\x01status=hi&media_ids[]=1",
        b"\x41\x08fields_attributes[0][name]=a&fields_attributes[0][value]=b",
    ]


# -- hosts and URLs -----------------------------------------------------------------------------------------


def _hosts(record):
    import httpx

    from kith.core import hosts
    from kith.federation import safe_http
    from kith.federation.activitypub import parse

    def one(data: bytes) -> None:
        url = data.decode("utf-8", "replace")
        found = hosts.origin(url)
        assert (found is None) == (hosts.host_key(url) is None)
        hosts.normalise_domain(url)
        try:
            safe_http._check_scheme(url)
        except safe_http.Refused:
            record("safe_http._check_scheme", "Refused")
        else:
            record("safe_http._check_scheme", "accepted")
            connecting = httpx.URL(url)
            assert found is not None, url
            assert hosts.normalise_host(connecting.host) == found[1], url
            assert (connecting.port or 443) == found[2], url
        if parse._url_problem(url, allow_fragment=True) is None:
            assert found is not None, url

    return one


def _host_seeds() -> list[bytes]:
    from tests.fuzz.common import RAW_URLS

    return [url.encode("utf-8", "surrogatepass") for url in RAW_URLS] + [
        b"https://remote.example/users/bob", b"https://[::1]:8443/x", b"https://xn--bcher-kva.example/",
        b"https://127.000.003.002/", "https://bücher.example/".encode(),
    ]


# -- Rails-style parameters -------------------------------------------------------------------------------


def _params(record):
    from django.http import QueryDict
    from django.test import RequestFactory
    from ninja.errors import HttpError

    from kith.api.params import MastodonParser, nest

    parser, factory = MastodonParser(), RequestFactory()

    def one(data: bytes) -> None:
        assert isinstance(nest(QueryDict(data.decode("latin-1"))), dict)
        try:
            parser.parse_body(factory.generic("POST", "/api/v1/x", data, content_type="application/json"))
            status = 200
        except HttpError as exc:
            status = exc.status_code
        record("parse_body", status)
        assert status == 200 or 400 <= status < 500, status

    return one


def _param_seeds() -> list[bytes]:
    return [b"media_ids[]=1&media_ids[]=2&poll[options][]=a&fields_attributes[0][name]=x", b'{"status": "hi"}',
            b"a[b][c][d][e][f]=1&0=x&f[10][n]=b&f[9][n]=a"]


TARGETS = {target.name: target for target in [
    Target("activitypub", "ActivityPub JSON through parse.py and parse_actor.py", False, _activitypub, _json_seeds),
    Target("inbox", "signed POSTs to /inbox and /users/alice/inbox, and the worker's apply", True, _inbox, _inbox_seeds),
    Target("signatures", "Signature, Signature-Input, Digest, Content-Digest, Date, Host headers", False, _signatures,
           _signature_seeds),
    Target("discovery", "WebFinger, NodeInfo and actor documents answering a lookup", True, _discovery, _discovery_seeds),
    Target("markdown", "Markdown rendering and the sanitising of remote HTML", False, _markdown, _markdown_seeds,
           ["kith", "markdown_it", "linkify_it", "mdurl"]),
    Target("images", "uploaded and fetched images (Pillow behind kith.people.images)", False, _images, _image_seeds,
           ["kith", "PIL"]),
    Target("api", "query strings and bodies on every client API operation", True, _api, _api_seeds, ["kith", "ninja"]),
    Target("hosts", "the host normaliser and the safe client's URL check", False, _hosts, _host_seeds),
    Target("params", "Rails-style keys and JSON bodies (kith/api/params.py)", False, _params, _param_seeds),
]}


def run_child(name: str, seconds: int, workdir: Path, rss_limit_mb: int, timeout: int, reproduce: str | None) -> None:
    import atheris

    target = TARGETS[name]
    _no_network()
    with atheris.instrument_imports(include=target.instrument):
        _django(target.database)
        outcomes = Outcomes(workdir / "stats" / f"{name}.json")
        one = target.setup(outcomes.record)
    corpus = workdir / "corpus" / name
    corpus.mkdir(parents=True, exist_ok=True)
    for index, seed in enumerate(target.seeds()):
        path = corpus / f"seed-{index:03d}"
        if not path.exists():
            path.write_bytes(seed)
    crashes = workdir / "crashes" / name
    crashes.mkdir(parents=True, exist_ok=True)
    args = [sys.argv[0], f"-rss_limit_mb={rss_limit_mb}", f"-timeout={timeout}", f"-artifact_prefix={crashes}/",
            "-print_final_stats=1", "-max_len=65536"]
    args += [reproduce] if reproduce else [f"-max_total_time={seconds}", str(corpus)]

    def counted(data: bytes) -> None:
        one(data)
        outcomes.counts["inputs"] += 1

    outcomes.flush()
    atheris.Setup(args, counted)
    atheris.Fuzz()


# ---- the parent: every target in turn, and the summary -----------------------------------------------------


@dataclass
class Result:
    name: str
    returncode: int
    executions: int = 0
    coverage: int = 0
    new_units: int = 0
    corpus: str = ""
    crashes: list[str] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    problem: str = ""

    @property
    def failed(self) -> bool:
        return bool(self.crashes or self.problem)


def _read_result(name: str, returncode: int, log: str, stats_path: Path, seconds: float) -> Result:
    result = Result(name, returncode, seconds=seconds)
    if match := re.search(r"stat::number_of_executed_units:\s*(\d+)", log):
        result.executions = int(match.group(1))
    if match := re.search(r"stat::new_units_added:\s*(\d+)", log):
        result.new_units = int(match.group(1))
    covered = re.findall(r"cov: (\d+) ft: \d+ corp: (\S+)", log)
    if covered:
        result.coverage, result.corpus = int(covered[-1][0]), covered[-1][1]
    result.crashes = re.findall(r"Test unit written to (\S+)", log)
    if stats_path.exists():
        result.outcomes = Counter(json.loads(stats_path.read_text()))
    if returncode != 0 and not result.crashes:
        lines = [line for line in log.splitlines() if line.strip()]
        result.problem = f"exited {returncode}: " + (lines[-1] if lines else "no output")
    return result


def run_parent(names: list[str], seconds: int, workdir: Path, rss_limit_mb: int, timeout: int) -> int:
    (workdir / "logs").mkdir(parents=True, exist_ok=True)
    (workdir / "stats").mkdir(parents=True, exist_ok=True)
    results = []
    for name in names:
        print(f"== {name}: {TARGETS[name].summary} ({seconds} s)", flush=True)  # noqa: T201
        stats_path = workdir / "stats" / f"{name}.json"
        stats_path.unlink(missing_ok=True)
        log_path = workdir / "logs" / f"{name}.log"
        started = time.monotonic()
        command = [sys.executable, "-m", "tests.fuzz.atheris_run", "--child", name, "--seconds", str(seconds),
                   "--workdir", str(workdir), "--rss-limit-mb", str(rss_limit_mb), "--timeout", str(timeout)]
        with log_path.open("w") as log:
            try:
                # Setup (imports, a migrated database) takes a while; beyond this the child hangs outside any input.
                returncode = subprocess.run(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                                            timeout=seconds + 600).returncode
            except subprocess.TimeoutExpired:
                returncode = -9
        result = _read_result(name, returncode, log_path.read_text(errors="replace"), stats_path,
                              time.monotonic() - started)
        if returncode == -9:
            result.problem = "did not finish in time (killed)"
        results.append(result)
        _print_result(result, log_path)
    failed = [result for result in results if result.failed]
    total = sum(result.executions for result in results)
    print(f"\nmake fuzz: {len(results)} targets, {total} payloads tried, "  # noqa: T201
          f"{sum(len(result.crashes) for result in results)} crashes"
          + (f"; FAILED: {', '.join(result.name for result in failed)}" if failed else "; all green"))
    return 1 if failed else 0


def _print_result(result: Result, log_path: Path) -> None:
    verdict = "CRASH" if result.crashes else ("FAILED" if result.problem else "ok")
    print(f"   {verdict}: {result.executions} executions in {result.seconds:.0f} s, "  # noqa: T201
          f"coverage {result.coverage} edges, {result.new_units} new inputs (corpus {result.corpus or '-'})")
    outcomes = Counter({key: value for key, value in result.outcomes.items() if key != "inputs"})
    by_target: dict[str, list[str]] = {}
    overall: Counter[str] = Counter()
    for key, count in outcomes.most_common():
        target, _, outcome = key.partition(": ")
        by_target.setdefault(target, []).append(f"{outcome} x{count}")
        overall[outcome] += count
    if len(by_target) > 12:
        print(f"     all {len(by_target)}: " + ", ".join(f"{outcome} x{count}" for outcome, count in overall.most_common()))  # noqa: T201
    for target, seen in sorted(by_target.items())[:12]:
        print(f"     {target}: {', '.join(seen[:8])}")  # noqa: T201
    if len(by_target) > 12:
        print(f"     ... and {len(by_target) - 12} more (all in {log_path.parent.parent / 'stats'})")  # noqa: T201
    for crash in result.crashes:
        print(f"     crash reproducer: {crash}  (python -m tests.fuzz.atheris_run --target {result.name} "  # noqa: T201
              f"--reproduce {crash})")
    if result.crashes or result.problem:
        print(f"     {result.problem or 'see'} {log_path}")  # noqa: T201


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60, help="per target")
    parser.add_argument("--target", action="append", choices=sorted(TARGETS), help="only these (repeatable)")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    parser.add_argument("--rss-limit-mb", type=int, default=2048, help="more is a crash (unbounded memory)")
    parser.add_argument("--timeout", type=int, default=10, help="seconds one input may take; more is a crash (a hang)")
    parser.add_argument("--reproduce", help="run the target once on this file (a crash reproducer)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    workdir = options.workdir.resolve()
    if options.child:
        run_child(options.child, options.seconds, workdir, options.rss_limit_mb, options.timeout, options.reproduce)
        return 0
    names = options.target or list(TARGETS)
    if options.reproduce:
        if len(names) != 1:
            parser.error("--reproduce needs exactly one --target")
        return subprocess.call([sys.executable, "-m", "tests.fuzz.atheris_run", "--child", names[0],
                                "--workdir", str(workdir), "--reproduce", options.reproduce], cwd=REPO)
    return run_parent(names, options.seconds, workdir, options.rss_limit_mb, options.timeout)


if __name__ == "__main__":
    sys.exit(main())
