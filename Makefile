# The two commands of the README:
#   make book   [PROFILE=quick|standard|paper] [FORCE=1] [STRICT=1] [JOBS=n]
#   make status [PROFILE=...]   (which settings book would execute, and why)
#   make estimate [PROFILE=...] (how long book would take, from the stored timings in book/budgets.yml)
#   make test
PYTHON  ?= python3
VENV    ?= .venv
PROFILE ?= standard
BIN      = $(VENV)/bin
# Kernels (nbval, papermill) start in other folders: make a relative data folder absolute.
ifneq ($(IBUTILS_DATA_DIR),)
export IBUTILS_DATA_DIR := $(abspath $(IBUTILS_DATA_DIR))
endif

.PHONY: book status estimate test lint install bench clean freeze

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

book: install
	$(BIN)/python -m ibutils book --profile $(PROFILE) $(if $(FORCE),--force) $(if $(STRICT),--strict) $(if $(JOBS),--jobs $(JOBS))

# Which settings `make book` would execute at PROFILE, and why (executes nothing).
status: install
	$(BIN)/python -m ibutils status --profile $(PROFILE)

# How long `make book` would take at PROFILE: each stale setting's last wall time there, and the total.
estimate: install
	$(BIN)/python -m ibutils estimate --profile $(PROFILE)

# ruff (configured in pyproject.toml) first, then the tests (tests/test_layers.py checks the import
# layers and the notebooks' rules) and nbval over the committed notebooks, on JOBS (default 2) processes
# (pytest-xdist; --dist loadfile keeps each notebook's cells in one kernel, in order).
test: install
	$(BIN)/ruff check ibutils tests benchmarks notebooks
	$(BIN)/python -m pytest -n $(or $(JOBS),2) --dist loadfile --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg --ignore-glob="*/.*.tmp.*" tests notebooks

lint: install
	$(BIN)/ruff check ibutils tests benchmarks notebooks

bench: install
	for b in benchmarks/*.py; do $(BIN)/python $$b || exit 1; done

# Re-execute the committed notebooks with their defaults (after changing one).
freeze: install
	$(BIN)/python -m ibutils freeze notebooks/*.ipynb

clean:
	rm -rf _build book/executed
