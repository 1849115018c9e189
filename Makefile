# `make run`  : set up .venv, migrate, serve the pod on http://localhost:8000 (KITH_* honoured)
# `make test` : set up .venv with the test tools, then lint, migration check and the whole suite
# `make admin`: the pod's first administrator (asks for username, e-mail and password, or NAME=... EMAIL=...)
# KITH_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres make test  runs it on PostgreSQL.
# `make bench` : the benchmark scenarios against real pods (docs/performance.md); BENCH_SIZE=small (10k posts) for a quick run, medium (100k),
#                BENCH_PROFILE=1 to profile scenario 1 with py-spy
# `make fuzz`  : atheris (coverage-guided) on every parser that takes outside input, FUZZ_SECONDS per target (default 60)
# `make soak`  : mixed load between real pods on loopback for SOAK_SECONDS (default 600); summary in bench/results/

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip -qq --disable-pip-version-check
KITH := $(VENV)/bin/kith
# pytest-xdist workers: 2 by default (CI machines have 2 cores).
JOBS ?= 2

RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run admin install test pytest lint migrations-check clean system-packages messages bench screenshots fuzz soak

run: $(RUN_STAMP)
	$(KITH) migrate --verbosity 0
	$(KITH) serve

# Only NAME and EMAIL given on make's command line count: some systems set NAME in the
# environment (WSL sets it to the machine's name), which must not become the admin's username.
admin: export MAKE_ADMIN_NAME = $(if $(filter command line,$(origin NAME)),$(NAME))
admin: export MAKE_ADMIN_EMAIL = $(if $(filter command line,$(origin EMAIL)),$(EMAIL))
admin: $(RUN_STAMP)
	@$(KITH) migrate --verbosity 0
	@name="$$MAKE_ADMIN_NAME"; email="$$MAKE_ADMIN_EMAIL"; \
	if [ -z "$$name" ]; then printf 'Username of the admin account (letters, digits, _): '; read -r name || true; fi; \
	if [ -z "$$email" ]; then printf 'E-mail address: '; read -r email || true; fi; \
	$(KITH) user create "$$name" --email "$$email" --admin

install: $(RUN_STAMP)

test: $(DEV_STAMP)
	$(MAKE) --no-print-directory lint migrations-check pytest

# Bytecode is written and reused, even where the environment says not to: without it every
# xdist worker compiles and assertion-rewrites the whole suite again (~17 CPU-s to collect it
# where ~8 do with the cache) and every pod process compiles Kith (~0.35 CPU-s each).
pytest: export PYTHONDONTWRITEBYTECODE =
pytest: $(DEV_STAMP) system-packages
	$(PY) -m pytest -q -n $(JOBS) --dist loadfile $(PYTEST_ARGS) tests

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/mypy

migrations-check: $(DEV_STAMP)
	DJANGO_SETTINGS_MODULE=tests.settings $(PY) -m django makemigrations --check --dry-run

$(PY):
	$(PYTHON) -m venv $(VENV)

# The stamps make repeated runs skip the install; editing a requirements file or
# pyproject.toml reinstalls.  The dev stamp implies the run one.
$(RUN_STAMP): requirements.txt pyproject.toml | $(PY)
	$(PIP) install -r requirements.txt
	$(PIP) install --no-deps -e .
	touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt pyproject.toml | $(PY)
	$(PIP) install -r requirements-dev.txt
	$(PIP) install --no-deps -e .
	touch $@ $(RUN_STAMP)

BENCH_SIZE ?= full
# wrk (Debian) cross-checks the load generator; installed when missing and we are root.
bench: $(RUN_STAMP)
	@command -v wrk >/dev/null 2>&1 || [ "$$(id -u)" != 0 ] || apt-get install -y -qq wrk >/dev/null 2>&1 \
		|| (apt-get update -qq && apt-get install -y -qq wrk >/dev/null 2>&1) || echo "make bench: wrk not installed"
	$(if $(BENCH_PROFILE),$(PIP) install py-spy==0.4.3)
	$(PY) -m bench.run --size $(BENCH_SIZE) $(if $(BENCH_PROFILE),--profile $(BENCH_PROFILE)) $(BENCH_ARGS)

# atheris is installed only here (a 2 MB wheel with libFuzzer inside): the normal suite fuzzes
# with hypothesis on a bounded budget (tests/fuzz/); this runs the coverage-guided targets longer.
FUZZ_SECONDS ?= 60
fuzz: $(DEV_STAMP)
	$(PIP) install atheris==3.0.0
	$(PY) -m tests.fuzz.atheris_run --seconds $(FUZZ_SECONDS) $(FUZZ_ARGS)

SOAK_SECONDS ?= 600
soak: $(RUN_STAMP)
	$(PY) -m bench.soak --seconds $(SOAK_SECONDS) $(SOAK_ARGS)

# Debian packages the tests use: chromium (browser tests, driven by pip's playwright) and
# gettext (msgfmt, for the translation checks and `make messages`).  sudo only when not root.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
system-packages:
	@command -v chromium >/dev/null 2>&1 && command -v msgfmt >/dev/null 2>&1 || \
		($(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium gettext >/dev/null)

# Refresh docs/screenshots/ (the browser tests write them to a scratch directory otherwise): the main pages of one
# pod (test_pages.py) and, from the first-hour journey over three pods, remote people, a conversation, notifications.
screenshots: $(DEV_STAMP) system-packages
	KITH_TEST_SCREENSHOTS=1 $(PY) -m pytest -q -p no:cacheprovider tests/browser/test_pages.py tests/browser/test_first_hour.py

# Update the German catalog from the code (then translate what is new) and compile it.
messages: $(DEV_STAMP) system-packages
	cd kith && DJANGO_SETTINGS_MODULE=tests.settings PYTHONPATH=.. ../$(PY) -m django makemessages -l de \
		--ignore 'api/*' --ignore 'federation/*' --no-location --no-obsolete
	msgfmt --check -o kith/locale/de/LC_MESSAGES/django.mo kith/locale/de/LC_MESSAGES/django.po

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -not -path './data/*' -exec rm -rf {} +
