# The two commands: `make run` starts ECCS, `make test` runs every check.
# Tools and test servers are installed on first use and cached under ~/.cache/eccs.

SHELL := /bin/bash
UV_VERSION := 0.13.9
CACHE := $(HOME)/.cache/eccs
UV := $(CACHE)/uv-$(UV_VERSION)/bin/uv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/.venv

.PHONY: run test check lint typecheck unit integration install test-servers format clean

run: install
	@echo "Embedded mode ('eccs up') is not there yet: run 'eccs serve auth|email' with DATABASE_URL set."
	@exit 2

test: install test-servers lint typecheck
	$(UV) run --frozen pytest $(PYTEST_ARGS)

install: .venv/.synced

$(UV):
	@echo "Installing uv $(UV_VERSION) into $(CACHE)…"
	@python3 -m venv $(CACHE)/uv-$(UV_VERSION)
	@$(CACHE)/uv-$(UV_VERSION)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen
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
