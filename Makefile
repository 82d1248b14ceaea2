# Two set-up commands work on a fresh machine with Python 3.11 or 3.12: `make demo` and `make test`.
# PYTHON: the first supported interpreter found (override with PYTHON=/path/to/python3.x).
PYTHON ?= $(shell for p in python3.11 python3.12 python3; do \
	  command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(0 if (3, 11) <= sys.version_info[:2] <= (3, 12) else 1)' 2>/dev/null \
	  && { command -v $$p; break; }; done)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO   := data/demo

export GX_ANALYTICS_ENABLED := False
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS := 120
export PREFECT_LOGGING_LEVEL := WARNING
export DO_NOT_TRACK := 1

.PHONY: install demo test bench clean shell browser

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11 or 3.12 is required (set PYTHON=/path/to/python3.x)"; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(0 if (3, 11) <= sys.version_info[:2] <= (3, 12) else "Python 3.11 or 3.12 is required (set PYTHON=/path/to/python3.x)")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	rm -rf $(DEMO) && mkdir -p $(DEMO)
	@# exit 1 means the samples have findings (they do); only 3 (the tool failed) fails the demo
	$(BIN)/gongkai run data/samples --db $(DEMO)/warehouse.duckdb --out $(DEMO) || [ $$? -lt 3 ]
	@echo "Open $(DEMO)/site/index.html in a browser. To type gongkai commands: make shell (or: source $(BIN)/activate)"

# headless Chromium for tests/test_site.py; without root or apt the browser test skips with a message
browser:
	@command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 || \
	  { command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && apt-get install -y -q chromium chromium-driver >/dev/null \
	    || echo "note: could not install chromium/chromium-driver; the browser test will be skipped"; }

test: install browser
	$(BIN)/python -m pytest -n auto --dist loadfile

# a shell with .venv/bin on PATH and the demo's warehouse as the default --db, so the README's
# commands (gongkai …) work as written after `make demo`
shell: install
	@echo "gongkai is on PATH and GONGKAI_DB is the demo's warehouse in this shell; exit to leave"
	@PATH="$(CURDIR)/$(BIN):$$PATH" GONGKAI_DB="$${GONGKAI_DB:-$(CURDIR)/$(DEMO)/warehouse.duckdb}" $${SHELL:-/bin/sh}

bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) data/demo data/warehouse.duckdb .pytest_cache .hypothesis
