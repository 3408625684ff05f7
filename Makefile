# DeployDojo: `make run` serves the product on embedded defaults; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt gpu_runner/requirements.txt 2>/dev/null | sha1sum | cut -c1-12)

.PHONY: run test lint bench clean-venv

$(STAMP): requirements.txt requirements-dev.txt gpu_runner/requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt -r gpu_runner/requirements.txt
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(PY) manage.py runlocal

test: $(STAMP)
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .

bench: $(STAMP)
	$(PY) bench/judge.py
	$(PY) bench/labs.py
	$(PY) bench/dashboard.py

clean-venv:
	rm -rf $(VENV)
