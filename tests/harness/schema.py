"""One migrated schema per test run and database kind, shared by every xdist worker.

`kith migrate` from nothing costs ~13 s of CPU (Django renders the model state again for
each of the ~70 migrations).  Each worker used to migrate up to three copies of its own:
the pods of tests/harness/pod.py, the `make_pod` pods of tests/conftest.py and, on
PostgreSQL, pytest-django's test database: ten or more migrations a CI run where one per
database kind does.  The first process to need the schema migrates it under a file lock;
the others wait for it and copy it: a SQLite file (`sqlite_schema`), or a PostgreSQL
database used as `CREATE DATABASE ... TEMPLATE` (`postgres_schema`).

The run is told apart by xdist's run id, which the run's first process (xdist's controller)
chooses (`share_run_id`); that process removes what was made (`remove`).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

KITH = str(Path(sys.executable).with_name("kith"))
MIGRATE_TIMEOUT = 600  # seconds: one migration for the whole run, on a machine busy with the rest of it


def run_id() -> str:
    """xdist's id of the run in its workers; in the run's first process, the one `share_run_id`
    gave xdist to hand on (or, without xdist, this process's own)."""
    return os.environ.get("PYTEST_XDIST_TESTRUNUID") or os.environ.setdefault("KITH_TEST_SCHEMA_RUN", str(os.getpid()))


def share_run_id(config) -> None:
    """In the run's first process: make xdist give its workers this process's run id."""
    given = getattr(config.option, "testrunuid", "absent")
    if given == "absent":
        return  # no xdist
    if given:
        os.environ["KITH_TEST_SCHEMA_RUN"] = given
    else:
        config.option.testrunuid = run_id()


def _postgres_name() -> str:
    return f"kith_schema_{run_id()}"


def _run_dir() -> Path:
    folder = Path(tempfile.gettempdir()) / f"kith-test-schema-{run_id()}"
    folder.mkdir(exist_ok=True)
    return folder


@contextlib.contextmanager
def _locked(name: str) -> Iterator[Path]:
    folder = _run_dir()
    with open(folder / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, also if this process dies
        yield folder


def _environment(data_dir: Path, database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KITH_") and k != "DJANGO_SETTINGS_MODULE"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # keep bytecode, as tests/harness/pod.py's pods do
    env.update(KITH_DATA_DIR=str(data_dir), KITH_SECRET_KEY="schema-for-tests-only")
    if database_url:
        env["KITH_DATABASE_URL"] = database_url
    return env


def _migrate(data_dir: Path, database_url: str | None) -> None:
    done = subprocess.run([KITH, "migrate", "--verbosity", "0"], env=_environment(data_dir, database_url),
                          capture_output=True, text=True, timeout=MIGRATE_TIMEOUT)
    if done.returncode != 0:
        raise RuntimeError(f"`kith migrate` of the tests' schema failed:\n{done.stdout}\n{done.stderr}")


def sqlite_schema() -> Path:
    """The run's migrated SQLite database file (copy it, never write it)."""
    with _locked("sqlite") as folder:
        schema = folder / "sqlite" / "kith.sqlite3"
        if not (folder / "sqlite.done").exists():
            shutil.rmtree(folder / "sqlite", ignore_errors=True)  # a try that died half-way
            (folder / "sqlite").mkdir()
            _migrate(folder / "sqlite", None)
            (folder / "sqlite.done").touch()
        return schema


def postgres_schema(base_url: str) -> str:
    """The name of the run's migrated PostgreSQL database on `base_url`'s server, to be used as
    a TEMPLATE (nobody connects to it after it is made: a template must have no sessions)."""
    import psycopg

    name = _postgres_name()
    with _locked("postgres") as folder:
        if not (folder / "postgres.done").exists():
            with psycopg.connect(base_url, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # a try that died half-way
                connection.execute(f'CREATE DATABASE "{name}"')
            (folder / "postgres.url").write_text(base_url)
            scratch = folder / "postgres-data"
            scratch.mkdir(exist_ok=True)
            _migrate(scratch, urlsplit(base_url)._replace(path=f"/{name}").geturl())
            (folder / "postgres.done").touch()
        return name


def clone_postgres(base_url: str, template: str, name: str) -> None:
    """CREATE DATABASE `name` from `template` (bench/pods.py retries while the template is busy)."""
    from bench.pods import postgres_database

    postgres_database(name, base=base_url, template=template)


def remove() -> None:
    """Drop the run's schemas; called once, by the run's controller, at its end."""
    folder = Path(tempfile.gettempdir()) / f"kith-test-schema-{run_id()}"
    url_file = folder / "postgres.url"
    if url_file.exists():
        import psycopg

        with contextlib.suppress(psycopg.Error), psycopg.connect(url_file.read_text(), autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{_postgres_name()}" WITH (FORCE)')
    shutil.rmtree(folder, ignore_errors=True)
