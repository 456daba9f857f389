# The README's two commands: `make run` and `make test`.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
PG_TEST_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/test

.PHONY: run test lint test-sqlite test-postgres pg-up bench fonts chromium

$(BIN)/amayesh: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.test-deps: $(BIN)/amayesh | fonts
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# The report's chart draws Persian with Noto Sans Arabic (Debian's fonts-noto-core).
fonts:
	@test -f /usr/share/fonts/truetype/noto/NotoSansArabic-Regular.ttf || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-core) || \
	  (sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-core)

run: $(BIN)/amayesh
	$(BIN)/amayesh start

test: lint test-sqlite test-postgres

# mypy and vulture read their settings (packages, stubs, whitelist) from pyproject.toml.
lint: $(VENV)/.test-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/vulture

# The console's browser tests drive Debian's chromium (Playwright cannot download its own).
chromium:
	@command -v chromium >/dev/null 2>&1 || \
	  (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium)

test-sqlite: $(VENV)/.test-deps chromium
	$(BIN)/pytest -q -p no:cacheprovider

test-postgres: $(VENV)/.test-deps chromium pg-up
	AMAYESH_TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest -q -p no:cacheprovider

# Start the local PostgreSQL if it is down (as on this project's machines).
pg-up:
	@pg_isready -q -h 127.0.0.1 -p 5432 || \
	  pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@for i in 1 2 3 4 5 6 7 8 9 10; do pg_isready -q -h 127.0.0.1 -p 5432 && exit 0; sleep 1; done; \
	  echo "PostgreSQL is not answering on 127.0.0.1:5432"; exit 1
