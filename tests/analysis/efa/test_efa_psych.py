"""EFA extraction and rotation against psych::fa / GPArotation (tests/reference/efa_psych.R)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qimscale.analysis.efa import EFA, fit_factors, fit_statistics, sort_order
from qimscale.analysis.rotation import rotate

REF_DIR = Path(__file__).parents[2] / "reference"
REF = json.loads((REF_DIR / "efa_psych.json").read_text())
ROT_NAME = {"geominQ": "geomin"}  # psych name -> qimscale name
TOL_L = 1e-6  # psych's own tolerance is 2e-3; the fits agree to ~1e-12


def _data(name):
    return pd.read_csv(REF_DIR / "data" / f"efa_{name}.csv")


def _cases():
    for dn in ("d3", "d4m"):
        for key, val in REF[dn].items():
            if isinstance(val, dict) and "loadings" in val and not key.startswith("poly"):
                yield dn, key


def _spec(dn, key):
    if key == "minres_1f":
        return "minres", "none", 1
    if key == "minres_2f_oblimin":
        return "minres", "oblimin", 2
    fm, rot = key.split("_", 1)
    return fm, ROT_NAME.get(rot, rot), REF[dn]["nf"]


@pytest.fixture(scope="module")
def fitted():
    cache = {}

    def get(dn, key):
        if (dn, key) not in cache:
            fm, rot, nf = _spec(dn, key)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                cache[dn, key] = EFA(nf, method=fm, rotation=rot).fit(_data(dn))
        return cache[dn, key]

    return get


def _mat(v, ncol):
    return np.array(v, dtype=float).reshape(-1, ncol)


@pytest.mark.parametrize("dn,key", list(_cases()))
def test_loadings_phi_communalities(fitted, dn, key):
    e = fitted(dn, key)
    ref = REF[dn][key]
    nf = e.n_factors_
    np.testing.assert_allclose(e.loadings_, _mat(ref["loadings"], nf), atol=TOL_L)
    np.testing.assert_allclose(e.phi_, _mat(ref["phi"], nf), atol=TOL_L)
    np.testing.assert_allclose(e.structure_, _mat(ref["structure"], nf), atol=TOL_L)
    np.testing.assert_allclose(e.communalities_, ref["communality"], atol=TOL_L)
    np.testing.assert_allclose(e.uniquenesses_, ref["uniquenesses"], atol=TOL_L)
    np.testing.assert_allclose(e.eigenvalues_, ref["e_values"], atol=1e-10)
    np.testing.assert_allclose(e.results_.common_eigenvalues, ref["values"], atol=TOL_L)
    vac = e.results_.variance_explained().to_numpy()
    ref_v = _mat(ref["vaccounted"], nf)  # psych gives 2 rows for one factor, 5 otherwise
    np.testing.assert_allclose(vac[: ref_v.shape[0]], ref_v, atol=TOL_L)


@pytest.mark.parametrize("dn,key", [c for c in _cases() if c[1].split("_")[1] in ("oblimin", "none", "varimax")])
def test_fit_statistics(fitted, dn, key):
    e = fitted(dn, key)
    ref = REF[dn][key]
    f = e.results_.fit
    for ours, theirs in [("objective", "objective"), ("chisq", "statistic"), ("dof", "dof"), ("rmsea", "rmsea"),
                         ("tli", "tli"), ("bic", "bic"), ("rms", "rms"), ("crms", "crms"), ("fit", "fit"),
                         ("fit_off", "fit_off"), ("null_chisq", "null_chisq"),
                         ("rmsea_ci_lower", "rmsea_lower"), ("rmsea_ci_upper", "rmsea_upper")]:
        if ref[theirs] is None:
            continue
        tol = 1e-6 if ours.startswith("rmsea_ci") else 1e-8  # R's uniroot tolerance
        assert f[ours] == pytest.approx(ref[theirs], rel=1e-6, abs=tol), ours


@pytest.mark.parametrize("dn", ["d3", "d4m"])
def test_sort_order_matches_fa_sort(fitted, dn):
    e = fitted(dn, "minres_oblimin")
    assert (sort_order(e.loadings_) + 1).tolist() == REF[dn]["minres_oblimin"]["sort_order"]


@pytest.mark.parametrize("dn", ["d3", "d4m"])
@pytest.mark.parametrize("method", ["regression", "Bartlett", "tenBerge"])
def test_factor_scores(fitted, dn, method):
    e = fitted(dn, "minres_oblimin")
    ref = REF[dn][f"scores_{method}"]
    nf = e.n_factors_
    w = e.results_.score_weights(method.lower()).to_numpy()
    np.testing.assert_allclose(w, _mat(ref["weights"], nf), atol=1e-6)
    s = e.results_.scores(_data(dn), method.lower()).to_numpy()[:10]
    np.testing.assert_allclose(s, _mat(ref["head"], nf), atol=1e-6)


def test_polychoric_efa():
    ref = REF["d3"]["poly_minres_oblimin"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e = EFA(3, cor="polychoric").fit(_data("d3"))
    np.testing.assert_allclose(e.results_.correlation, _mat(REF["d3"]["poly_r"], 15), atol=1e-4)
    np.testing.assert_allclose(e.loadings_, _mat(ref["loadings"], 3), atol=2e-3)


def test_efa_on_correlation_matrix_equals_data(fitted):
    R = np.array(REF["d3"]["r"], dtype=float)
    e = EFA(3).fit(R, n_obs=800)
    np.testing.assert_allclose(e.loadings_, fitted("d3", "minres_oblimin").loadings_, atol=1e-10)
    assert e.results_.fit["chisq"] == pytest.approx(REF["d3"]["minres_oblimin"]["statistic"], rel=1e-6)


# --------------------------------------------------------------------------- GPArotation directly

GPA = REF["gpa"]
A = _mat(GPA["A"], 3)
TARGET = _mat(GPA["target"], 3)


@pytest.mark.parametrize("key,method,kw", [
    ("oblimin", "oblimin", {}),
    ("oblimin_g05", "oblimin", {"gamma": 0.5}),
    ("quartimin", "quartimin", {}),
    ("geominQ", "geomin", {}),
    ("quartimax", "quartimax", {}),
    ("targetQ", "target", {"target": TARGET}),
    ("targetT", "targetT", {"target": TARGET}),
    ("oblimin_norm", "oblimin", {"normalize": True}),
])
def test_gparotation(key, method, kw):
    res = rotate(A, method, **kw)
    ref = GPA[key]
    np.testing.assert_allclose(res.loadings, _mat(ref["loadings"], 3), atol=1e-8)
    np.testing.assert_allclose(res.phi, _mat(ref["phi"], 3), atol=1e-8)
    np.testing.assert_allclose(res.loadings, A @ res.rotmat, atol=1e-10)


def test_stats_varimax():
    res = rotate(A, "varimax")
    np.testing.assert_allclose(res.loadings, _mat(GPA["stats_varimax"]["loadings"], 3), atol=1e-10)
    np.testing.assert_allclose(res.rotmat, _mat(GPA["stats_varimax"]["rotmat"], 3), atol=1e-10)


def test_gpa_varimax_reaches_same_optimum_as_stats_varimax():
    # GPArotation::Varimax (GPA, no normalisation) vs its R output
    from qimscale.analysis.rotation import gpa_orthogonal

    def vgq_varimax(L):
        L2 = L * L
        QL = L2 - L2.mean(axis=0)
        return float(-np.sum(QL * QL) / 4), -L * QL

    L, *_ = gpa_orthogonal(A, vgq_varimax)
    np.testing.assert_allclose(L, _mat(GPA["Varimax"]["loadings"], 3), atol=1e-8)


def test_geomin_random_starts_keep_best_solution():
    base = rotate(A, "geomin")
    many = rotate(A, "geomin", n_starts=5, random_state=1)
    assert many.criterion <= base.criterion + 1e-10
    again = rotate(A, "geomin", n_starts=5, random_state=1)
    np.testing.assert_array_equal(many.loadings, again.loadings)


def test_fit_factors_functional_api():
    R = np.array(REF["d3"]["r"], dtype=float)
    L, u, info = fit_factors(R, 3, "minres", n_obs=800)
    np.testing.assert_allclose(L, _mat(REF["d3"]["minres_none"]["loadings"], 3), atol=1e-8)
    np.testing.assert_allclose(u, REF["d3"]["minres_none"]["uniquenesses"], atol=1e-8)
    assert info["converged"] and info["heywood"] == []
    st = fit_statistics(R, L, None, 800)
    assert st["chisq"] == pytest.approx(REF["d3"]["minres_none"]["statistic"], rel=1e-6)
