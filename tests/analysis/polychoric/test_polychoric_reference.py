"""Polychoric/polyserial correlations against committed R output.

Reference: tests/reference/polychoric_reference.R (psych 2.2.9, lavaan 0.6-14,
polycor 0.8-1). psych's own precision is limited (``optimize`` tolerance
~1.2e-4, ``sadmvn`` cell probabilities), so psych comparisons use 1e-4
(the issue allows 2e-3); lavaan's optimiser is tight, so 1e-6.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qimscale.analysis.polychoric import PolychoricWarning, polychoric, polyserial

REF = Path(__file__).parents[2] / "reference"
PSYCH_TOL = 1e-4
LAVAAN_TOL = 1e-6
THRESH_TOL = 1e-10


@pytest.fixture(scope="module")
def ref():
    return json.loads((REF / "polychoric_reference.json").read_text())


def data(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / "data" / f"polychoric_{name}.csv")


def run(df, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PolychoricWarning)
        return polychoric(df, **kw)


def assert_rho(res, expected, tol) -> None:
    np.testing.assert_allclose(res.corr.to_numpy(), expected["rho"], atol=tol)


def psych_tau(res) -> np.ndarray:
    """Our thresholds in psych's layout: psych pads leading unobserved categories with -Inf."""
    return res.threshold_table().to_numpy()


@pytest.fixture(scope="module")
def sim():
    return data("sim")


@pytest.fixture(scope="module")
def bfi():
    return data("bfi")


def test_sim_matches_psych(ref, sim):
    res = run(sim)
    assert_rho(res, ref["sim"]["psych"], PSYCH_TOL)
    np.testing.assert_allclose(psych_tau(res), ref["sim"]["psych"]["tau"], atol=THRESH_TOL)
    assert res.global_thresholds and not res.smoothed
    # the two all-missing rows are reported
    assert any("no responses at all" in w for w in res.warnings)


def test_sim_unsmoothed_equals_raw(ref, sim):
    res = run(sim, smooth=False)
    assert_rho(res, ref["sim"]["psych_raw"], PSYCH_TOL)


def test_sim_matches_lavaan(ref, sim):
    res = run(sim, correct=0, global_thresholds=True)
    assert_rho(res, ref["sim"]["lavaan"], LAVAAN_TOL)
    th = np.concatenate([res.thresholds[c] for c in sim.columns])
    np.testing.assert_allclose(th, ref["sim"]["lavaan"]["th"], atol=THRESH_TOL)


def test_reverse_keyed_item_flips_sign(ref, sim):
    res = run(sim)
    rev = sim.copy()
    rev["i9"] = 6 - rev["i9"]  # the keyed (scored) version of the reverse-keyed item
    res_r = run(rev)
    assert_rho(res_r, ref["sim_reversed"]["psych"], PSYCH_TOL)
    flip = np.ones(len(sim.columns))
    flip[-1] = -1
    np.testing.assert_allclose(res_r.corr.to_numpy(), res.corr.to_numpy() * np.outer(flip, flip), atol=1e-9)
    np.testing.assert_allclose(res_r.thresholds["i9"], -res.thresholds["i9"][::-1], atol=1e-12)


def test_pair_counts(sim):
    res = run(sim)
    x = sim.to_numpy()
    ok = ~np.isnan(x)
    np.testing.assert_array_equal(res.n_pairs.to_numpy(), ok.T.astype(int) @ ok.astype(int))


def test_bfi_matches_psych_and_lavaan(ref, bfi):
    res = run(bfi)
    assert_rho(res, ref["bfi"]["psych"], PSYCH_TOL)
    np.testing.assert_allclose(psych_tau(res), ref["bfi"]["psych"]["tau"], atol=THRESH_TOL)
    lav = run(bfi, correct=0, global_thresholds=True)
    assert_rho(lav, ref["bfi"]["lavaan"], LAVAAN_TOL)
    assert lav.converged.to_numpy().all()


def test_sparse_global_and_lavaan(ref):
    sp = data("sparse")
    assert_rho(run(sp), ref["sparse"]["psych"], PSYCH_TOL)
    lav = run(sp, correct=0, global_thresholds=True)
    assert_rho(lav, ref["sparse"]["lavaan"], LAVAAN_TOL)


def test_sparse_pairwise_thresholds_with_correction(ref):
    sp = data("sparse")
    res = run(sp, global_thresholds=False)
    assert_rho(res, ref["sparse"]["psych_pairwise"], PSYCH_TOL)
    assert not res.global_thresholds
    assert any("correction for continuity" in w for w in res.warnings)
    res0 = run(sp, global_thresholds=False, correct=0)
    assert_rho(res0, ref["sparse"]["psych_pairwise_nocorrect"], PSYCH_TOL)


def test_unequal_categories_switch_to_pairwise_like_psych(ref):
    sp2 = data("sparse_unequal")
    with pytest.warns(PolychoricWarning) as rec:
        res = polychoric(sp2)
    messages = [str(w.message) for w in rec]
    assert any("equal number of response alternatives" in m for m in messages)
    assert any("correction for continuity" in m for m in messages)
    assert not res.global_thresholds
    assert_rho(res, ref["sparse_unequal"]["psych"], PSYCH_TOL)
    lav = run(sp2, correct=0, global_thresholds=True)
    assert_rho(lav, ref["sparse_unequal"]["lavaan"], LAVAAN_TOL)


def test_smoothing_of_non_positive_definite_matrix(ref):
    nd = data("npd")
    raw = run(nd, smooth=False)
    assert_rho(raw, ref["npd"]["psych_raw"], PSYCH_TOL)
    assert np.linalg.eigvalsh(raw.corr.to_numpy()).min() < 0
    with pytest.warns(PolychoricWarning, match="not positive definite"):
        res = polychoric(nd)
    assert res.smoothed
    assert_rho(res, ref["npd"]["psych"], PSYCH_TOL)
    np.testing.assert_allclose(res.raw_corr.to_numpy(), raw.corr.to_numpy(), atol=1e-12)


def test_polyserial(ref):
    ps = data("polyserial")
    assert polyserial(ps["x"], ps["y"]) == pytest.approx(ref["polyserial"]["adhoc"], abs=1e-10)
    assert polyserial(ps["x"], ps["y"], ml=True) == pytest.approx(ref["polyserial"]["twostep_ml"], abs=1e-5)


def test_listwise_equals_complete_cases(sim):
    res = run(sim, missing="listwise")
    cc = run(sim.dropna())
    np.testing.assert_allclose(res.corr.to_numpy(), cc.corr.to_numpy(), atol=1e-12)
    assert (res.n_pairs.to_numpy() == len(sim.dropna())).all()


def test_to_dict_is_json_ready(sim):
    d = run(sim).to_dict()
    json.dumps(d)
    assert d["items"] == list(sim.columns) and len(d["corr"]) == sim.shape[1]


def test_binary_items_lavaan_2x2_rule(ref):
    b = data("binary")
    lav = run(b, correct=0, global_thresholds=True, zero_add_2x2=0.5)
    assert_rho(lav, ref["binary"]["lavaan"], LAVAAN_TOL)
    np.testing.assert_allclose(np.concatenate(list(lav.thresholds.values())), ref["binary"]["lavaan"]["th"],
                               atol=THRESH_TOL)
    # psych: no adjustment; the b1-b2 table [[49, 0], [6, 25]] drives rho to the boundary and smoothing
    with pytest.warns(PolychoricWarning) as rec:
        res = polychoric(b)
    assert res.smoothed and res.raw_corr.loc["b1", "b2"] > 0.999
    assert any("'b1' and 'b2' is at the boundary" in str(w.message) for w in rec)
    assert_rho(res, ref["binary"]["psych"], PSYCH_TOL)


def test_unequal_lowest_categories_keep_global_thresholds(ref):
    # psych compares only the items' highest categories: s5 never uses category 1, yet stays global
    sp3 = data("sparse_unequal_min")
    res = run(sp3)
    assert res.global_thresholds and not any("response alternatives" in w for w in res.warnings)
    assert_rho(res, ref["sparse_unequal_min"]["psych"], PSYCH_TOL)
    tau = np.array(ref["sparse_unequal_min"]["psych"]["tau"], dtype=float)  # JSON null = psych's -Inf
    assert np.isnan(tau[4, 0])
    np.testing.assert_allclose(res.thresholds["s5"], tau[4, 1:], atol=THRESH_TOL)
    np.testing.assert_allclose(psych_tau(res)[:4], tau[:4], atol=THRESH_TOL)
