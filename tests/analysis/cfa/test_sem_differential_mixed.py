"""Differential test against lavaan: WLSMV with mixed ordered and continuous observed variables.

The cases come from ``tests/reference/sem_differential_mixed_gen.py`` (seeded; it reuses the data
generator of ``sem_differential_gen.py``); ``tests/reference/sem_differential_mixed.R`` fitted each
with ``lavaan::sem(..., ordered = ..., estimator = "WLSMV")``. Every case lavaan fits cleanly must
agree (fit measures 1e-4 relative, scaled ones 2e-3, estimates and ``std.all`` 1e-4, SEs 1e-3
relative), including the cases with observed covariates (lavaan's ``conditional.x`` with
continuous variables); every case where lavaan stops or warns must end in a clean qimscale error
or carry a warning. No raw numpy warning may escape.
"""

from __future__ import annotations

import pytest
from differential_compare import assert_flagged, assert_lavaan_agrees, fit_wlsmv_case, load_differential

SPEC, LAV, DATA = load_differential("sem_differential_mixed")
WITH_X = [k for k, c in SPEC.items() if "x1" in c["columns"]]  # observed covariates (conditional.x)
CLEAN = [k for k, c in LAV.items() if c["status"] == "ok"]
FLAGGED = [k for k, c in LAV.items() if c["status"] != "ok"]


def _fit(case_id):
    return fit_wlsmv_case(SPEC[case_id], DATA)


def test_the_cases_cover_mixed_models():
    kinds = {c["kind"] for c in SPEC.values()}
    assert {"cfa", "outcome", "groups", "pairwise"} <= kinds
    assert len(CLEAN) >= 30


@pytest.mark.parametrize("case_id", CLEAN)
def test_clean_lavaan_cases_agree(case_id):
    ref, spec = LAV[case_id], SPEC[case_id]
    assert_lavaan_agrees(_fit(case_id), ref, f"case {case_id} ({spec['kind']})", na_is_nan=True)


@pytest.mark.parametrize("case_id", FLAGGED)
def test_lavaan_errors_and_warnings_are_flagged(case_id):
    assert_flagged(lambda: _fit(case_id), LAV[case_id], f"case {case_id} ({SPEC[case_id]['kind']})")


def test_covariate_cases_are_compared():
    assert WITH_X and set(WITH_X) <= set(CLEAN)
