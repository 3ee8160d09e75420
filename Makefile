# The two commands of the README:
#   make book   [PROFILE=quick|standard|paper] [FORCE=1] [STRICT=1] [JOBS=n]
#               [EXECUTOR=processes|serial|dask] [SCHEDULER=tcp://HOST:PORT]   (book/full_scale.md)
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

.PHONY: book status estimate test lint install bench clean freeze check-book screenshots

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

book: install
	$(BIN)/python -m ibutils book --profile $(PROFILE) $(if $(FORCE),--force) $(if $(STRICT),--strict) $(if $(JOBS),--jobs $(JOBS)) \
	  $(if $(EXECUTOR),--executor $(EXECUTOR)) $(if $(SCHEDULER),--scheduler $(SCHEDULER))

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

# The built book as readers see it (issue 20): defects in the HTML (duplicated figures, leaked paths, NaN, -0.000, ...)
# and, with chromium installed, formulas typeset offline on a few pages.
# BOOKCHECK_FAIL_ON=all (default) fails on every defect kind; e.g. BOOKCHECK_FAIL_ON=leaked_path,nan to fail on a few.
check-book:
	$(BIN)/python -m ibutils.publish.bookcheck _build/html --fail-on $(or $(BOOKCHECK_FAIL_ON),all) --browser book/intro.html,book/executed/background_information.html,book/executed/harmonics_tishby_tanh.html

# Screenshots of a few built pages (offline, headless Chromium) for humans; not run by CI. OUT=folder.
screenshots:
	tools/screenshots.sh
