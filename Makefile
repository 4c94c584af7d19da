# Everything runs from the project's own virtual environment, created on first use.
VENV := .venv
# The Python the venv is made with; it also picks the functions' Lambda runtime (3.11, 3.12 or 3.13).
PYTHON3 ?= python3
PYTHON := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

.PHONY: venv test twin clean

venv: $(INSTALLED)

# pytest-chalice is a source-only package that needs setuptools<82 and setuptools-scm at build
# time, so those go in first and the rest installs without build isolation.
$(INSTALLED): requirements.txt requirements-dev.txt
	$(PYTHON3) -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet 'setuptools<82' setuptools-scm==8.1.0 wheel
	$(PYTHON) -m pip install --quiet --no-build-isolation -r requirements-dev.txt
	touch $@

test: venv
	$(PYTHON) -m pytest

clean:
	rm -rf $(VENV) .pytest_cache

# The whole bridge on this machine against the twin; prints the page's address, Ctrl-C stops it.
# PORT=8001 serves the page on another port (default 8000, or $SANDBOX_PORT).
.PHONY: sandbox
sandbox: venv
	$(PYTHON) -m sandbox $(if $(PORT),--port $(PORT))

# The emulated AWS account alone, on fixed loopback ports; prints the AWS_ENDPOINT_URL_* lines.
twin: venv
	$(PYTHON) -m emulator --moto-port 4566 --emulator-port 4567

# Deployment (docs/deploy.md). STAGE picks .chalice/config.json's stage and infra/stages/STAGE.json.
STAGE ?= dev
.PHONY: deploy package lint-template

# Resources stack, `chalice deploy --stage STAGE`, then the stream's failure handling.
deploy: venv
	PYTHON=$(PYTHON) scripts/deploy.sh $(STAGE)

# One merged CloudFormation template for pipelines, in build/package-STAGE/ (linted).
package: venv
	VENV_BIN=$(VENV)/bin scripts/package.sh $(STAGE)

# cfn-lint on the packaged template (merged and bare) and on the resources stack.
lint-template: venv
	$(PYTHON) -m pytest -q tests/test_package_template.py -k lint

# Checks a deployed stage against its account, read-only: one line per check, the fix for each ✗
# (docs/operations.md). STAGE=local checks the running sandbox.
.PHONY: doctor
doctor: venv
	$(PYTHON) scripts/doctor.py --stage $(STAGE)

# What each flow costs (BENCHMARKS.md): against a twin process with 20 ms per AWS call.
# BASELINE=<git revision> also measures that revision's deployment package, for before/after rows.
.PHONY: bench
bench: venv
	$(PYTHON) -m bench --record BENCHMARKS.md $(if $(BASELINE),--baseline $(BASELINE))
