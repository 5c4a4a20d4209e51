"""Five-factor EFA of psych::bfi (25 items, pairwise-complete correlations over its
missing values) against psych::fa (tests/reference/review3_efa_bfi.R).

ML with promax, oblimin and geominQ, minres with oblimin and principal axes with
varimax: loadings, factor correlations, communalities, the fit statistics psych
prints and fa.sort's item order.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qimscale.analysis.efa import EFA, sort_order

REF_DIR = Path(__file__).parent / "reference"
REF = json.loads((REF_DIR / "review3_efa_bfi.json").read_text())
ROT_NAME = {"geominQ": "geomin"}  # psych name -> qimscale name
FIT_KEYS = [("objective", "objective"), ("chisq", "statistic"), ("dof", "dof"), ("rmsea", "rmsea"),
            ("tli", "tli"), ("bic", "bic"), ("rms", "rms"), ("crms", "crms"), ("fit", "fit"),
            ("fit_off", "fit_off"), ("null_chisq", "null_chisq"),
            ("rmsea_ci_lower", "rmsea_lower"), ("rmsea_ci_upper", "rmsea_upper")]


@pytest.fixture(scope="module")
def fitted():
    x = pd.read_csv(REF_DIR / "reliability_bfi_data.csv")
    assert list(x.columns) == REF["items"] and len(x) == REF["n"]
    out = {}
    for key, r in REF["fits"].items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out[key] = EFA(5, method=r["fm"], rotation=ROT_NAME.get(r["rotate"], r["rotate"])).fit(x)
    return out


@pytest.mark.parametrize("key", list(REF["fits"]))
def test_loadings_phi_communalities(fitted, key):
    e, r = fitted[key], REF["fits"][key]
    np.testing.assert_allclose(e.loadings_, np.reshape(r["loadings"], (-1, 5)), atol=1e-6)
    np.testing.assert_allclose(e.phi_, np.reshape(r["phi"], (5, 5)), atol=1e-6)
    np.testing.assert_allclose(e.communalities_, r["communality"], atol=1e-6)
    np.testing.assert_allclose(e.uniquenesses_, r["uniquenesses"], atol=1e-6)
    assert (sort_order(e.loadings_) + 1).tolist() == r["sort_order"]


@pytest.mark.parametrize("key", list(REF["fits"]))
def test_fit_statistics(fitted, key):
    f, r = fitted[key].results_.fit, REF["fits"][key]
    assert f["n_obs"] == r["n_obs"]  # psych counts all rows of raw data with missing values
    for ours, theirs in FIT_KEYS:
        tol = 1e-6 if ours.startswith("rmsea_ci") else 1e-8  # R's uniroot tolerance
        assert f[ours] == pytest.approx(r[theirs], rel=1e-6, abs=tol), ours
