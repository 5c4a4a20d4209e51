"""EFA behaviour that needs no R: invariances, Heywood warnings, validation messages."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qimscale.analysis.efa import EFA, HeywoodWarning, fit_factors
from qimscale.analysis.rotation import ROTATIONS, align_factors, rotate
from qimscale.errors import DataError, ModelError

REF_DIR = Path(__file__).parents[2] / "reference"
REF = json.loads((REF_DIR / "efa_psych.json").read_text())
A = np.array(REF["gpa"]["A"], dtype=float).reshape(-1, 3)
TARGET = np.array(REF["gpa"]["target"], dtype=float).reshape(-1, 3)


@pytest.mark.parametrize("method", [m for m in ROTATIONS if m not in ("target", "targetT")])
def test_rotation_preserves_the_common_part(method):
    res = rotate(A, method)
    np.testing.assert_allclose(res.loadings @ res.phi @ res.loadings.T, A @ A.T, atol=1e-8)
    np.testing.assert_allclose(res.loadings, A @ res.rotmat, atol=1e-8)
    np.testing.assert_allclose(np.diag(res.phi), 1.0, atol=1e-10)
    assert res.orthogonal == (method in ("none", "varimax", "quartimax", "bifactor"))


def test_align_factors_signs_and_order():
    L = np.array([[-0.1, 0.8], [-0.2, 0.7], [-0.9, 0.1]])
    out, phi, rotmat, order, signs = align_factors(L, np.eye(2), np.eye(2))
    assert (out.sum(axis=0) > 0).all()
    ss = (out ** 2).sum(axis=0)
    assert ss[0] >= ss[1]
    np.testing.assert_allclose(out, L[:, order] * signs[order])


def test_target_rotation_through_efa():
    x = pd.read_csv(REF_DIR / "data" / "efa_d3.csv")
    e = EFA(3, rotation="target", target=TARGET).fit(x)
    ref = rotate(e.results_.unrotated.to_numpy(), "target", target=TARGET)
    L, phi, *_ = align_factors(ref.loadings, ref.phi)
    np.testing.assert_allclose(e.loadings_, L, atol=1e-12)


def test_heywood_case_warns():
    R = np.array([[1, .9, .9], [.9, 1, .7], [.9, .7, 1]])
    with pytest.warns(HeywoodWarning, match="Heywood"):
        e = EFA(1).fit(R, n_obs=200)
    assert e.results_.heywood == ["V1"]
    _L, _u, info = fit_factors(R, 1)
    assert info["heywood"] == [0]


def test_invalid_options_use_one_message_template():
    x = pd.read_csv(REF_DIR / "data" / "efa_d3.csv")
    with pytest.raises(ModelError, match=r"The 'rotation' parameter of efa must be one of .* Got 'varmax' instead"):
        EFA(2, rotation="varmax").fit(x)
    with pytest.raises(ModelError, match="'method' parameter"):
        EFA(2, method="uls").fit(x)
    with pytest.raises(ModelError, match="n_factors"):
        EFA(15).fit(x)
    with pytest.raises(ModelError, match="target"):
        EFA(3, rotation="target").fit(x)


def test_constant_item_is_a_data_error():
    x = pd.read_csv(REF_DIR / "data" / "efa_d3.csv")
    x["q1"] = 3
    with pytest.raises(DataError, match="'q1'"):
        EFA(2).fit(x)


def test_results_object_views():
    x = pd.read_csv(REF_DIR / "data" / "efa_d4m.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = EFA(4).fit(x).results_
    tab = res.sorted_loadings()
    assert list(tab.columns[-2:]) == ["h2", "u2"] and len(tab) == 16
    d = res.to_dict()
    assert np.array(d["loadings"]).shape == (16, 4) and len(d["variance"]["ss_loadings"]) == 4
    assert "SS loadings" in res.summary()
    s = res.scores(x)
    assert s.shape == (600, 4) and s.isna().any(axis=1).sum() == x.isna().any(axis=1).sum()


def test_geomin_random_starts_through_efa_reproducible():
    x = pd.read_csv(REF_DIR / "data" / "efa_d3.csv")
    a = EFA(3, rotation="geomin", n_starts=3, random_state=7).fit(x).loadings_
    b = EFA(3, rotation="geomin", n_starts=3, random_state=7).fit(x).loadings_
    np.testing.assert_array_equal(a, b)


def test_transform_defaults_to_fitted_data():
    x = pd.read_csv(REF_DIR / "data" / "efa_d3.csv")
    e = EFA(3).fit(x)
    np.testing.assert_allclose(e.transform(), e.results_.scores(x).to_numpy())
    with pytest.raises(ModelError, match="raw data"):
        EFA(3).fit(x.corr().to_numpy(), n_obs=800).transform()
