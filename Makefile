# The two commands: `make run` starts ECCS, `make test` runs every check.
# Tools and test servers are installed on first use and cached under ~/.cache/eccs.

SHELL := /bin/bash
UV_VERSION := 0.13.9
CACHE := $(HOME)/.cache/eccs
UV := $(CACHE)/uv-$(UV_VERSION)/bin/uv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/.venv

.PHONY: run test check lint typecheck unit integration install test-servers format clean

# --- the web app: built for `make run` once frontend/ exists, and only when its sources changed.
ifneq ($(wildcard frontend/package.json),)
WEB_APP := frontend/dist/index.html
WEB_SOURCES := $(shell find frontend -path frontend/node_modules -prune -o -path frontend/dist \
	-prune -o -type f -print)

frontend/dist/index.html: $(WEB_SOURCES)
	@node -e 'process.exit(parseInt(process.versions.node) < 20 ? 1 : 0)' 2>/dev/null || { \
		echo "error: the web app in frontend/ needs Node 20 or newer to build:" \
			"install it (https://nodejs.org), then run make run again" >&2; exit 1; }
	cd frontend && npm ci --no-audit --no-fund && npm run build
	@touch $@
endif

# Everything on this machine (embedded mode), until Ctrl-C. `eccs up` inherits the environment
# as it is: ECCS_DATA_DIR, ECCS_HTTP_PORT, DATABASE_URL, SMTP_HOST, ... reach it unchanged.
# Options for it: make run UP_ARGS="--host 0.0.0.0".
run: install $(WEB_APP)
	.venv/bin/eccs up $(UP_ARGS)

test: install test-servers lint typecheck
	$(UV) run --frozen pytest $(PYTEST_ARGS)

install: .venv/.synced

$(UV):
	@echo "Installing uv $(UV_VERSION) into $(CACHE)…"
	@python3 -m venv $(CACHE)/uv-$(UV_VERSION)
	@$(CACHE)/uv-$(UV_VERSION)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# Byte-compiled at install: most of a warm `eccs up` is spent loading Python code, and a
# PYTHONDONTWRITEBYTECODE environment would otherwise compile it all again on every start.
.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --compile-bytecode
	@touch $@

test-servers:
	@scripts/test-servers.sh

lint: install
	$(UV) run --frozen ruff check src tests scripts bench
	$(UV) run --frozen ruff format --check src tests scripts bench

typecheck: install
	$(UV) run --frozen mypy

format: install
	$(UV) run --frozen ruff format src tests scripts bench
	$(UV) run --frozen ruff check --fix src tests scripts bench

clean:
	rm -rf .venv .pytest_cache .mypy_cache .ruff_cache
