"""`make soak` cannot rot: the same soak (bench/soak.py) for 12 seconds with two people per pod.

It starts two real pods, drives the mixed load across them and judges it; here only what
does not need minutes is asserted (no 5xx, no transport error, no 429, the queues drained
and everything sent arrived, `kith check` healthy, no error in the logs).  Memory and
queue-age trends need the full ten minutes (docs/performance.md, "Soak")."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT
from tests.harness import schema

pytestmark = pytest.mark.server

JUDGED_HERE = ("no 5xx", "no transport errors", "no 429", "queues drained", "federation converged",
               "kith check healthy", "no errors in the pods' logs")


def test_a_short_soak_serves_without_5xx_and_converges(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("KITH_") and k != "DJANGO_SETTINGS_MODULE"}
    command = [sys.executable, "-m", "bench.soak", "--seconds", "12", "--users", "2", "--rate", "8", "--clients", "3",
               "--sample-interval", "2", "--drain-timeout", "60", "--out", str(tmp_path / "results")]
    # The run's migrated schema to copy (tests/harness/schema.py): no `kith migrate` here.
    if base := os.environ.get("KITH_TEST_DATABASE_URL"):
        command += ["--database-url", base, "--schema-template", schema.postgres_schema(base)]
    else:
        command += ["--schema-template", str(schema.sqlite_schema())]
    done = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode in (0, 1), done.stdout[-3000:] + done.stderr[-3000:]  # 2: the soak itself broke
    [path] = (tmp_path / "results").glob("soak-*.json")
    assert path.name.endswith("-postgresql.json") == bool(os.environ.get("KITH_TEST_DATABASE_URL"))
    report = json.loads(path.read_text())
    checks = report["verdict"]["checks"]
    failed = {name: checks[name]["detail"] for name in JUDGED_HERE if not checks[name]["ok"]}
    assert not failed, (failed, report["convergence"]["problems"], report["verdict"]["requests"]["load"]["server_errors"])
    load = report["verdict"]["requests"]["load"]
    kinds = load["kinds"]
    assert load["requests"] >= 60
    for kind in ("GET timelines/home", "POST statuses (public)", "web stream (/)", "SSE streaming/user"):
        assert kinds[kind]["requests"] > 0, kind
    assert report["convergence"]["checked"].get("public posts in a home timeline on another pod", 0) > 0
    assert all(row["pss_mb"] > 0 for sample in report["samples"] for row in sample["pods"].values())
    assert (tmp_path / "results" / path.name.replace(".json", ".md")).read_text().startswith("# Soak")
