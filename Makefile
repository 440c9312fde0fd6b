# Pishkhan: local development and test entry points (GNU make).
#
#   make venv    create .venv and install the project with its dev extras
#   make run     start RabbitMQ (if needed), Temporal and every service locally
#   make test    run the test suite
#   make clean   remove local state and logs (var/), keeping .venv

SHELL := /bin/bash

PYTHON ?= $(shell command -v python3.11 >/dev/null 2>&1 && echo python3.11 || echo python3)
VENV := .venv
VENV_PYTHON := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

export PIP_DISABLE_PIP_VERSION_CHECK := 1
export PIP_ROOT_USER_ACTION := ignore

.PHONY: venv run test clean

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

run: venv
	$(VENV_PYTHON) deploy/local/run.py

# pytest exits 5 when it collects no test; like any non-zero status, that fails.
test: venv
	$(VENV_PYTHON) deploy/local/run.py --test-infrastructure
	$(VENV_PYTHON) -m pytest -n 2 --dist loadfile -p no:cacheprovider $(PYTEST_ARGS)

clean:
	rm -rf var
