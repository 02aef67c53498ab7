# The two commands: `make run` starts ECCS, `make test` runs every check.
# Tools and test servers are installed on first use and cached under ~/.cache/eccs.

SHELL := /bin/bash
UV_VERSION := 0.13.9
CACHE := $(HOME)/.cache/eccs
UV := $(CACHE)/uv-$(UV_VERSION)/bin/uv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/.venv

.PHONY: run test check lint typecheck unit integration install test-servers format clean \
	pytest web-check web-test e2e api-client k8s-check ci-check scan deploy bench \
	images stack stack-down stack-secrets stack-test obs-check

# --- the web app: built for `make run` once frontend/ exists, and only when its sources changed.
ifneq ($(wildcard frontend/package.json),)
WEB_APP := frontend/dist/index.html
# What the build is made of: not the tests' own files nor their artifacts, which change on every run.
WEB_SOURCES := $(shell find frontend -path frontend/node_modules -prune -o -path frontend/dist \
	-prune -o -path frontend/e2e -prune -o -path frontend/test-results -prune \
	-o -path frontend/playwright-report -prune -o -type f -print)
# npm ci again only when the lock file changed (npm ci empties node_modules, stamp included).
NODE_MODULES := frontend/node_modules/.synced
NEED_NODE = @node -e 'process.exit(parseInt(process.versions.node) < 20 ? 1 : 0)' 2>/dev/null || { \
	echo "error: the web app in frontend/ needs Node 20 or newer (with npm):" \
		"install it (https://nodejs.org), then run make again" >&2; exit 1; }

$(NODE_MODULES): frontend/package-lock.json
	$(NEED_NODE)
	cd frontend && npm ci --no-audit --no-fund
	@touch $@

frontend/dist/index.html: $(WEB_SOURCES) $(NODE_MODULES)
	$(NEED_NODE)
	cd frontend && npm run build
	@touch $@
endif

# Everything on this machine (embedded mode), until Ctrl-C. `eccs up` inherits the environment
# as it is: ECCS_DATA_DIR, ECCS_HTTP_PORT, DATABASE_URL, SMTP_HOST, ... reach it unchanged.
# Options for it: make run UP_ARGS="--host 0.0.0.0".
run: install $(WEB_APP)
	.venv/bin/eccs up $(UP_ARGS)

# Python checks and tests first, then the web app's checks, unit tests and browser tests, then
# the deployment's manifests, the observability configuration and the CI workflows, then the
# compose stack.
test: pytest web-check web-test e2e k8s-check obs-check ci-check stack-test

pytest: install test-servers lint typecheck
	$(UV) run --frozen pytest $(PYTEST_ARGS)

# The generated API client matches the services, and the web app lints and type-checks.
web-check: install $(NODE_MODULES)
	$(NEED_NODE)
	cd frontend && npm run generate-api -- --check
	cd frontend && npm run lint
	cd frontend && npm run typecheck

# The web app's unit tests (Vitest, jsdom).
web-test: $(NODE_MODULES)
	$(NEED_NODE)
	cd frontend && npm test

# Browser tests (Playwright, Debian's Chromium) against `eccs up` serving the production build,
# and through nginx with the web app's config. Screenshots: frontend/test-results/screenshots/.
e2e: install test-servers $(WEB_APP) $(NODE_MODULES)
	$(NEED_NODE)
	cd frontend && npx playwright test $(E2E_ARGS)

# The Kubernetes manifests: every overlay renders, is valid (kubeconform, strict, offline, against
# the Kubernetes and CRD schemas) and keeps the security and scaling rules. See deploy/k8s/README.md.
k8s-check: install
	$(UV) run --frozen python -m scripts.checks.k8s_check

# Prometheus's configuration and rules (promtool), every alert's unit tests firing and not firing,
# Alertmanager's configuration (amtool), the dashboards' form. See deploy/prometheus/.
obs-check: install
	@scripts/checks/obs-check.sh

# The CI/CD workflows pass actionlint (shellcheck on their scripts), the shell scripts they run
# pass shellcheck, no step masks a failure, and every ignored vulnerability says why.
ci-check: install test-servers
	@scripts/checks/ci-check.sh

# Known vulnerabilities (Trivy) in the images of `make images` and in the lock files; fails on
# HIGH/CRITICAL ones not accepted with a reason in .trivyignore.yaml.
scan:
	@IMAGE_PREFIX="$(IMAGE_PREFIX)" IMAGE_TAG="$(IMAGE_TAG)" scripts/checks/scan.sh

# Deploy an overlay to the cluster kubectl points at: migrations, rollout, rollback on failure.
#   make deploy OVERLAY=prod IMAGE_PREFIX=registry.example.com/eccs/ IMAGE_TAG=3f2a9c1
deploy:
	deploy/k8s/deploy.sh "$(OVERLAY)" "$(IMAGE_PREFIX)" "$(IMAGE_TAG)"

# Regenerate the web app's typed API client after the services' API changed.
api-client: install $(NODE_MODULES)
	$(NEED_NODE)
	cd frontend && npm run generate-api

# Every figure of the performance issue, one command (never part of `make test`; see
# bench/README.md). Options: make bench BENCH_ARGS="--quick" or "--case send-16 --workers 1".
bench: install
	@scripts/test-servers.sh postgres kafka smtp load-generators
	.venv/bin/python -m bench $(BENCH_ARGS)

# --- containers (README: "Run it with containers"), with podman; scripts/containers/ installs it.
# IMAGE_BASE: official (python, node, nginx from the registry), local (stand-ins made from Debian's
# packages, for machines that reach no image registry), or auto: official when they can be pulled.
IMAGE_PREFIX ?= localhost/
IMAGE_TAG ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo dev)
IMAGE_BASE ?= auto
export IMAGE_PREFIX IMAGE_TAG IMAGE_BASE

# $(IMAGE_PREFIX)eccs:$(IMAGE_TAG) and $(IMAGE_PREFIX)eccs-web:$(IMAGE_TAG), with their sizes.
images:
	@scripts/containers/install.sh
	@scripts/containers/images.sh

# The whole stack with the mail catcher, built and healthy: https://127.0.0.1:8443
# (ECCS_STACK_HTTPS_PORT; HTTP on ECCS_STACK_HTTP_PORT, 8000, redirects).
stack:
	@scripts/containers/stack.sh up

# Stops it and removes its containers and networks; STACK_WIPE=1 deletes its data too.
stack-down:
	@scripts/containers/stack.sh down

# The stack's secrets (JWT key, PostgreSQL password, the backups' key...) in .stack/secrets, made
# where missing.
stack-secrets:
	@scripts/containers/stack.sh secrets

# The compose files validated, then a stack of its own brought up, tested and taken down.
stack-test: install test-servers $(NODE_MODULES)
	$(UV) run --frozen pytest tests/stack $(STACK_TEST_ARGS)

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
	$(UV) run --frozen ruff check src tests scripts bench deploy
	$(UV) run --frozen ruff format --check src tests scripts bench deploy
	$(UV) run --frozen lint-imports

typecheck: install
	$(UV) run --frozen mypy

format: install
	$(UV) run --frozen ruff format src tests scripts bench deploy
	$(UV) run --frozen ruff check --fix src tests scripts bench deploy

clean:
	rm -rf .venv .pytest_cache .mypy_cache .ruff_cache
