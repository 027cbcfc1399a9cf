# trainlab - every target creates .venv on first use (and refreshes it when pyproject.toml changes).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=
# pytest-xdist processes for make test / test-slow (BENCHMARKS.md): 2 uses both cores of a 2-core machine; on one
# whose cores are busy with other work, TEST_WORKERS=0 (all tests in one process) is faster; auto = one per core
TEST_WORKERS ?= 2

.PHONY: help install train sweep test test-slow test-lowest lint tensorboard reproduce bench bench-book clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@# dropped for trainlab's own Optuna sweeper; pip keeps it (and its optuna<3 pin) in older environments
	$(PY) -m pip uninstall --quiet --yes hydra-optuna-sweeper 2>/dev/null || true
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install trainlab with its dev tools

train: $(STAMP)  ## train the default config (offline on the bundled MNIST sample when no network); ARGS="optimizer=adam ..."
	$(PY) train.py $(ARGS)

sweep: $(STAMP)  ## a small default multirun: SGD vs Adam, 3 epochs each; ARGS="..." adds overrides
	$(PY) train.py -m optimizer=sgd,adam trainer.max_epochs=3 $(ARGS)

# The test targets keep Python's bytecode caches (__pycache__/, git-ignored) where an environment asks for none
# (PYTHONDONTWRITEBYTECODE=1): each pytest worker otherwise compiles and assertion-rewrites ~200 test modules anew
# at every run - collection ~11 s against ~7 s with the caches (BENCHMARKS.md, "Test suite wall time").
test test-slow test-lowest: export PYTHONDONTWRITEBYTECODE :=

test: $(STAMP)  ## run the test suite (slow tests excluded) in TEST_WORKERS=2 processes
	$(PY) -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

test-slow: $(STAMP)  ## run only the slow tests
	$(PY) -m pytest -m slow -n $(TEST_WORKERS) $(PYTEST_ARGS)

# .venv-lowest: the lowest versions pyproject.toml allows (constraints/lowest.txt); torch's CUDA wheels, a few GB
LOWEST := .venv-lowest
$(LOWEST)/.installed-stamp: pyproject.toml constraints/lowest.txt
	test -x $(LOWEST)/bin/python || $(PYTHON) -m venv $(LOWEST)
	$(LOWEST)/bin/python -m pip install --quiet --upgrade pip
	$(LOWEST)/bin/python -m pip install --quiet -c constraints/lowest.txt -e ".[dev]"
	touch $@

test-lowest: $(LOWEST)/.installed-stamp  ## the fast suite in .venv-lowest, at the lowest versions pyproject.toml allows
	$(LOWEST)/bin/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

lint: $(STAMP)  ## ruff, and vermin: nothing newer than requires-python's Python 3.10 in the standard library
	$(VENV)/bin/ruff check .
	$(VENV)/bin/vermin --quiet --no-tips --violations --eval-annotations --target=3.10- src tests bench train.py

tensorboard: $(STAMP)  ## serve outputs/ on http://127.0.0.1:6006
	$(VENV)/bin/tensorboard --logdir outputs --host 127.0.0.1 --port 6006

clean:  ## remove outputs, caches and the venvs (keeps data/)
	rm -rf $(VENV) $(LOWEST) .pytest_cache .ruff_cache src/*.egg-info
	find outputs -mindepth 1 ! -name .gitkeep -exec rm -rf {} +
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

bench: $(STAMP)  ## the CPU benchmarks of BENCHMARKS.md: optimizers, BatchNorm, step rate, stacked sweeps, study storage (~15 min)
	$(PY) bench/optimizers.py --compiled
	$(PY) bench/batch_norm.py
	$(PY) bench/step_rate.py
	$(PY) bench/stacked_sweep.py
	$(PY) bench/study_storage.py

bench-book:  ## the book's ch06 NumPy scripts against the same experiments here (BOOK=<checkout of the book's code>)
	@test -n "$(BOOK)" || { echo "error: BOOK=<path> is required: a checkout of https://github.com/oreilly-japan/deep-learning-from-scratch" >&2; exit 2; }
	@$(MAKE) --no-print-directory $(STAMP)
	$(PY) bench/book_scripts.py --book $(BOOK) $(ARGS)

reproduce: $(STAMP)  ## experiments A-I and their reports into outputs/reproduce/<date>_<time>/ (offline); ARGS="--quick --only B D"
	$(VENV)/bin/trainlab reproduce $(ARGS)
