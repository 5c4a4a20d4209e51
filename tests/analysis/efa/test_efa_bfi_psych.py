"""Five-factor EFA of psych::bfi (25 items, pairwise-complete correlations over its
missing values) against psych::fa (tests/reference/review3_efa_bfi.R).

ML with promax, oblimin and geominQ, minres with oblimin and principal axes with
varimax: loadings, factor correlations, communalities, the fit statistics psych
prints and fa.sort's item order. Also minres + oblimin on polychoric correlations
(``fa(cor = "poly")``; psych's polychorics are only as precise as its ``optimize``
tolerance, ~1e-4, so that case is compared at that precision), and the checks run
before an EFA: KMO, Bartlett's test, Velicer's MAP and the observed eigenvalues of
``fa.parallel``.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qimscale.analysis.efa import EFA, sort_order
from qimscale.analysis.factorability import bartlett_sphericity, kmo
from qimscale.analysis.nfactors import parallel_analysis, velicer_map

REF_DIR = Path(__file__).parents[2] / "reference"
REF = json.loads((REF_DIR / "review3_efa_bfi.json").read_text())
BFI = pd.read_csv(REF_DIR / "reliability_bfi_data.csv")
PEARSON = [k for k, r in REF["fits"].items() if r["cor"] == "cor"]
ROT_NAME = {"geominQ": "geomin"}  # psych name -> qimscale name
FIT_KEYS = [("objective", "objective"), ("chisq", "statistic"), ("dof", "dof"), ("rmsea", "rmsea"),
            ("tli", "tli"), ("bic", "bic"), ("rms", "rms"), ("crms", "crms"), ("fit", "fit"),
            ("fit_off", "fit_off"), ("null_chisq", "null_chisq"),
            ("rmsea_ci_lower", "rmsea_lower"), ("rmsea_ci_upper", "rmsea_upper")]


@pytest.fixture(scope="module")
def fitted():
    assert list(BFI.columns) == REF["items"] and len(BFI) == REF["n"]
    out = {}
    for key, r in REF["fits"].items():
        cor = "pearson" if r["cor"] == "cor" else "polychoric"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out[key] = EFA(5, method=r["fm"], rotation=ROT_NAME.get(r["rotate"], r["rotate"]), cor=cor).fit(BFI)
    return out


@pytest.mark.parametrize("key", PEARSON)
def test_loadings_phi_communalities(fitted, key):
    e, r = fitted[key], REF["fits"][key]
    np.testing.assert_allclose(e.loadings_, np.reshape(r["loadings"], (-1, 5)), atol=1e-6)
    np.testing.assert_allclose(e.phi_, np.reshape(r["phi"], (5, 5)), atol=1e-6)
    np.testing.assert_allclose(e.communalities_, r["communality"], atol=1e-6)
    np.testing.assert_allclose(e.uniquenesses_, r["uniquenesses"], atol=1e-6)
    assert (sort_order(e.loadings_) + 1).tolist() == r["sort_order"]


@pytest.mark.parametrize("key", PEARSON)
def test_fit_statistics(fitted, key):
    f, r = fitted[key].results_.fit, REF["fits"][key]
    assert f["n_obs"] == r["n_obs"]  # psych counts all rows of raw data with missing values
    for ours, theirs in FIT_KEYS:
        tol = 1e-6 if ours.startswith("rmsea_ci") else 1e-8  # R's uniroot tolerance
        assert f[ours] == pytest.approx(r[theirs], rel=1e-6, abs=tol), ours


def test_polychoric_efa(fitted):
    e, r = fitted["poly_minres_oblimin"], REF["fits"]["poly_minres_oblimin"]
    np.testing.assert_allclose(e.loadings_, np.reshape(r["loadings"], (-1, 5)), atol=1e-4)
    np.testing.assert_allclose(e.phi_, np.reshape(r["phi"], (5, 5)), atol=1e-4)
    np.testing.assert_allclose(e.communalities_, r["communality"], atol=1e-4)
    f = e.results_.fit
    assert f["n_obs"] == r["n_obs"]
    for ours, theirs in FIT_KEYS:
        assert f[ours] == pytest.approx(r[theirs], rel=1e-3, abs=1e-4), ours


def test_factorability_on_raw_data_with_missing_values():
    k = kmo(BFI)
    assert k.overall == pytest.approx(REF["kmo"]["msa"], abs=1e-10)
    np.testing.assert_allclose(k.items.to_numpy(), REF["kmo"]["msai"], atol=1e-10)
    b = bartlett_sphericity(BFI)
    assert b.n_obs == REF["n"] and b.df == REF["bartlett"]["df"]
    assert b.chisq == pytest.approx(REF["bartlett"]["chisq"], rel=1e-10)
    assert b.p == pytest.approx(REF["bartlett"]["p"], abs=1e-12)


def test_map_and_parallel_observed_eigenvalues():
    np.testing.assert_allclose(velicer_map(BFI).map, REF["map"], atol=1e-12)
    pa = parallel_analysis(BFI, n_iter=2, random_state=1)
    np.testing.assert_allclose(pa.fa_values, REF["parallel_observed"]["fa_values"], atol=1e-10)
    np.testing.assert_allclose(pa.pc_values, REF["parallel_observed"]["pc_values"], atol=1e-10)
