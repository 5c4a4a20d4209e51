# Two commands for a fresh machine (see README.md):
#   make run   -- create .venv, install qimscale, run the demo study (simulate, score, validate, report)
#   make test  -- create .venv, install qimscale with test extras, run the test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.qimscale-installed
OUT    ?= qimscale-out

.PHONY: run test test-kernels bench venv clean

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

# The numerical tests (qimscale/analysis and its doctests) once per OpenBLAS kernel: numpy's
# bundled OpenBLAS picks its kernel from the CPU at run time, so a singularity decided by
# round-off would pass on one machine and fail on another. CI runs this after `make test`.
KERNELS ?= Haswell SkylakeX Sandybridge
NUMERIC_TESTS = tests/analysis/reliability tests/analysis/polychoric tests/analysis/efa tests/analysis/cfa \
	tests/analysis/test_psychometrics_degenerate.py qimscale/analysis

test-kernels: $(STAMP)
	@fail=""; for k in $(KERNELS); do \
		echo "== OPENBLAS_CORETYPE=$$k"; \
		OPENBLAS_CORETYPE=$$k $(BIN)/python -m pytest -q -p no:cacheprovider $(NUMERIC_TESTS) || fail="$$fail $$k"; \
	done; \
	if [ -n "$$fail" ]; then echo "numerical tests failed under:$$fail"; exit 1; fi

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache
