"""Each fuzz module prints how many payloads it tried and what became of them (visible with -s),
and the run ends with one line for all of them."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.fuzz.common import TALLIES, tally_for


@pytest.fixture(autouse=True, scope="module")
def _print_module_tally(request: pytest.FixtureRequest) -> Iterator[None]:
    started = time.monotonic()
    yield
    tally = tally_for(request.module.__name__)
    seconds = time.monotonic() - started
    print(f"\nfuzz {request.module.__name__.rsplit('.', 1)[-1]}: {tally.total()} inputs in {seconds:.1f} s")  # noqa: T201
    for line in tally.lines():
        print(f"  {line}")  # noqa: T201


@pytest.fixture(autouse=True, scope="session")
def _print_summary(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if TALLIES:
        failed = request.session.testsfailed
        verdict = f"{failed} failed" if failed else "no 5xx and no unexpected exception"
        parts = [f"{name.removeprefix('test_')} {tally.total()}" for name, tally in sorted(TALLIES.items())]
        total = sum(tally.total() for tally in TALLIES.values())
        print(f"\nfuzz summary: {total} inputs tried, {verdict} ({'; '.join(parts)})")  # noqa: T201
