"""Careless-responding indices: hand-computed values and R (psych::outlier, careless definitions)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qimscale.scoring import ScoringSpec, evenodd, irv, longstring, mahalanobis, quality_flags
from qimscale.scoring.quality import pairwise_cov

REF = Path(__file__).resolve().parents[1] / "reference"


@pytest.fixture(scope="module")
def r_ref():
    x = pd.read_csv(REF / "scoring_careless_data.csv").to_numpy(dtype=float)
    return x, json.loads((REF / "scoring_careless.json").read_text())


def _arr(v):
    return np.array([np.nan if a is None else a for a in v], dtype=float)


def test_longstring_hand_computed():
    X = np.array([[1, 1, 1, 2, 2], [3, 3, np.nan, 3, 3], [5, 4, 3, 2, 1], [2, 2, 2, 2, 2]], dtype=float)
    assert longstring(X).tolist() == [3, 2, 1, 5]


def test_irv_hand_computed():
    # row 0: mean 2.5, squares 2.25+0.25+0.25+2.25 = 5, /3 -> sqrt(5/3)
    X = np.array([[1, 2, 3, 4], [3, 3, 3, np.nan], [1, np.nan, np.nan, np.nan]], dtype=float)
    got = irv(X)
    assert got[0] == pytest.approx(np.sqrt(5 / 3), abs=1e-15) and got[1] == 0 and np.isnan(got[2])


def test_mahalanobis_hand_computed_two_items():
    # x = (1,2,3,4), y = (2,1,4,3): means 2.5, var 5/3 each, cov 1; D2 of row 1 by hand
    X = np.array([[1, 2], [2, 1], [3, 4], [4, 3]], dtype=float)
    S = np.array([[5 / 3, 1], [1, 5 / 3]])
    d = np.array([-1.5, -0.5])
    d2, p = mahalanobis(X)
    assert d2[0] == pytest.approx(d @ np.linalg.solve(S, d), abs=1e-12)
    assert p[0] == pytest.approx(np.exp(-d2[0] / 2), abs=1e-12)  # chi2 with 2 df: exp(-x/2)


def test_evenodd_hand_computed():
    # three scales of 2 items: even = 2nd item, odd = 1st item
    X = np.array([[1, 2, 3, 4, 5, 5]], dtype=float)  # odd (1,3,5) vs even (2,4,5)
    r = np.corrcoef([1, 3, 5], [2, 4, 5])[0, 1]
    assert evenodd(X, [2, 2, 2])[0] == pytest.approx(-(2 * r / (1 + r)), abs=1e-12)


@pytest.mark.parametrize("frac", [0.0, 0.05, 0.4])  # complete, sparse and dense missingness paths
def test_pairwise_covariance_matches_pandas(frac):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(50, 4))
    X[rng.random(X.shape) < frac] = np.nan
    np.testing.assert_allclose(pairwise_cov(X, chunk=7)[0], pd.DataFrame(X).cov().to_numpy(), atol=1e-12)
    codes = np.rint(np.clip(X * 1.5 + 3, 1, 5))  # integer codes: the exact single-precision path
    np.testing.assert_allclose(pairwise_cov(codes, chunk=7)[0], pd.DataFrame(codes).cov().to_numpy(), atol=1e-12)


def test_indices_match_r(r_ref):
    x, ref = r_ref
    np.testing.assert_array_equal(longstring(x), _arr(ref["longstring"]))
    np.testing.assert_allclose(irv(x), _arr(ref["irv"]), rtol=0, atol=1e-12)
    d2, p = mahalanobis(x, chunk=16)  # several chunks: accumulation must not change the result
    np.testing.assert_allclose(d2, _arr(ref["mahad_d2"]), rtol=1e-10)
    np.testing.assert_allclose(p, _arr(ref["mahad_p"]), rtol=1e-8, atol=1e-14)
    np.testing.assert_allclose(evenodd(x, ref["factors"]), _arr(ref["evenodd"]), rtol=0, atol=1e-12)


def test_quality_flags_columns_and_cutoffs(r_ref, monkeypatch):
    import qimscale.scoring.quality as q

    monkeypatch.setattr(q, "EVENODD_MIN_SCALES", 3)  # the reference data's short scales: even-odd forced on
    monkeypatch.setattr(q, "EVENODD_MIN_ITEMS", 1)
    x, ref = r_ref
    cols = [f"i{j:02d}" for j in range(1, x.shape[1] + 1)]
    bounds = np.cumsum([0] + ref["factors"])
    spec = ScoringSpec.simple({f"s{j}": cols[bounds[j]:bounds[j + 1]] for j in range(len(ref["factors"]))})
    codes = pd.DataFrame(x, columns=cols)
    dur = np.full(len(x), 600.0)
    dur[3] = 20.0
    flags, info = quality_flags(codes, spec, duration=dur)
    assert info["mahad_cut"] == pytest.approx(ref["mahad_cut_99"], rel=1e-12)
    assert info["min_seconds"] == 2.0 * x.shape[1]
    np.testing.assert_array_equal(flags["qc_mahad_flag"], _arr(ref["mahad_d2"]) > ref["mahad_cut_99"])
    assert flags["qc_too_fast"].tolist() == [i == 3 for i in range(len(x))]
    assert bool(flags.loc[4, "qc_longstring_flag"]) and flags.loc[4, "qc_irv"] == 0  # straight-liner
    assert bool(flags.loc[8, "qc_evenodd_flag"]) or bool(flags.loc[8, "qc_mahad_flag"])  # alternator
    expect_any = flags[["qc_longstring_flag", "qc_mahad_flag", "qc_evenodd_flag", "qc_too_fast"]].any(axis=1)
    assert flags["qc_flagged"].tolist() == expect_any.tolist()
    assert info["counts"]["qc_flagged"] == int(expect_any.sum())
