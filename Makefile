# Two commands for a fresh machine (see README.md):
#   make run   -- create .venv, install qimscale, run the main job on the bundled default
#   make test  -- create .venv, install qimscale with test extras, run the test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.qimscale-installed
OUT    ?= qimscale-out

.PHONY: run test bench venv clean fuzz

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(BIN)/qimscale instrument export --format all --out $(OUT)
	@echo "Outputs written to $(OUT)/"

test: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider

bench: $(STAMP)
	$(BIN)/python -m benchmarks

# 10,000 seeded fuzz cases (tests/fuzz): mutated real exports through `qimscale score`
FUZZ_CASES ?= 10000
FUZZ_JOBS ?= 2
fuzz: $(STAMP)
	$(BIN)/python -m tests.fuzz --cases $(FUZZ_CASES) --seed 1 --jobs $(FUZZ_JOBS) --subprocess-every 100 --report fuzz-report.json

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache
