# Pishkhan: local development and test entry points (GNU make).
#
#   make venv    create .venv and install the project with its dev extras
#   make run     start RabbitMQ (if needed), Temporal and every service locally
#   make test    run the test suite
#   make chaos   the fault campaign: cases driven while every process is killed in turn
#   make clean   remove local state and logs (var/), keeping .venv
#   make portal-assets   fetch the portal's web font (npm package vazirmatn) into a git-ignored folder

SHELL := /bin/bash

PYTHON ?= $(shell command -v python3.11 >/dev/null 2>&1 && echo python3.11 || echo python3)
VENV := .venv
VENV_PYTHON := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

export PIP_DISABLE_PIP_VERSION_CHECK := 1
export PIP_ROOT_USER_ACTION := ignore

.PHONY: venv run test chaos clean portal-assets browser

venv: $(STAMP)

# System libraries the certificate renderer (WeasyPrint: Pango, HarfBuzz) and its Persian
# font need, and promtool for the alert-rule tests; installed when missing and we can.
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-core prometheus

$(STAMP): pyproject.toml
	@set -e; \
	missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing system packages: $$missing"; \
			export DEBIAN_FRONTEND=noninteractive; \
			apt-get update; apt-get install -y --no-install-recommends $$missing; \
		else \
			echo "missing system packages (sudo apt-get install $$missing)" >&2; exit 1; \
		fi; \
	fi; \
	: "Debian ships python without ensurepip unless python3-venv is installed: add it"; \
	: "when we can (root with apt-get) and try once more"; \
	if ! $(PYTHON) -m venv $(VENV); then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "python -m venv failed: installing the venv module with apt-get"; \
			export DEBIAN_FRONTEND=noninteractive; \
			apt-get update; \
			apt-get install -y python3-venv; \
			version=$$($(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])'); \
			apt-get install -y "python$$version-venv" || true; \
			$(PYTHON) -m venv --clear $(VENV); \
		else \
			echo "python -m venv failed: install the venv module (sudo apt-get install python3-venv)" >&2; \
			exit 1; \
		fi; \
	fi
	$(VENV_PYTHON) -m pip install --upgrade pip
	$(VENV_PYTHON) -m pip install -e ".[dev]"
	touch $@

# The portal's Persian web font, from the npm package, into a git-ignored static folder;
# never committed. Without npm (or offline) the portal falls back to system fonts.
PORTAL_VENDOR := services/portal/static/vendor/vazirmatn
PORTAL_FONT := $(PORTAL_VENDOR)/Vazirmatn-Variable.woff2
VAZIRMATN_VERSION ?= 33.0.3

portal-assets:
	@set -e; \
	if [ -f '$(PORTAL_FONT)' ]; then exit 0; fi; \
	if ! command -v npm >/dev/null 2>&1; then \
		echo "note: npm not found; the portal uses system fonts (apt-get install npm, then make portal-assets)"; \
		exit 0; \
	fi; \
	mkdir -p var/npm '$(PORTAL_VENDOR)'; \
	if npm install --prefix var/npm --no-save --no-audit --no-fund --silent vazirmatn@$(VAZIRMATN_VERSION); then \
		cp 'var/npm/node_modules/vazirmatn/fonts/webfonts/Vazirmatn[wght].woff2' '$(PORTAL_FONT)'; \
		cp var/npm/node_modules/vazirmatn/OFL.txt '$(PORTAL_VENDOR)/'; \
	else \
		echo "note: could not install vazirmatn from npm; the portal uses system fonts"; \
	fi

# Debian's Chromium for the portal's browser tests (tests/browser, Playwright); the
# Playwright package's own browser downloads are never used.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			export DEBIAN_FRONTEND=noninteractive; \
			apt-get update; apt-get install -y --no-install-recommends chromium; \
		else \
			echo "missing /usr/bin/chromium (sudo apt-get install chromium)" >&2; exit 1; \
		fi; \
	fi

run: venv portal-assets
	$(VENV_PYTHON) deploy/local/run.py

# pytest exits 5 when it collects no test; like any non-zero status, that fails.
test: venv portal-assets browser
	$(VENV_PYTHON) deploy/local/run.py --test-infrastructure
	$(VENV_PYTHON) -m pytest -n 2 --dist loadfile -p no:cacheprovider $(PYTEST_ARGS)

# A platform of its own (temporary var folder, RabbitMQ vhost, ports, Temporal server):
# CHAOS_CASES new-license cases while each process is SIGKILLed and restarted once;
# exits non-zero when a case is lost, stuck or doubled, or a message dead-lettered.
CHAOS_CASES ?= 40
CHAOS_ARGS ?=

chaos: venv
	$(VENV_PYTHON) bench/chaos.py --cases $(CHAOS_CASES) --json var/chaos.json $(CHAOS_ARGS)

clean:
	rm -rf var
