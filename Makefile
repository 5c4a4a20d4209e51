# Two commands for a fresh machine (see README.md):
#   make run   -- create .venv, install qimscale, run the demo study (simulate, score, validate, report)
#   make test  -- create .venv, install qimscale with test extras, run the test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.qimscale-installed
OUT    ?= qimscale-out

.PHONY: run test bench venv clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(BIN)/qimscale demo --out $(OUT)
	$(BIN)/qimscale instrument export --format all --out $(OUT)/forms
	@echo "Open $(OUT)/report.html in a browser; the survey forms are in $(OUT)/forms/"

test: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache
