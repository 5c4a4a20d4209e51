"""Parallel analysis and MAP against psych::fa.parallel / psych::vss (tests/reference/efa_nfactors.R).

R's random draws cannot be reproduced, so observed eigenvalues are compared
tightly, simulated/resampled reference eigenvalues loosely (they are means of
random quantities), and the suggested numbers exactly.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qimscale.analysis.efa import fit_factors
from qimscale.analysis.nfactors import (
    _batched_minres_values,
    eigenvalues,
    pairwise_corr_batched,
    parallel_analysis,
    velicer_map,
)
from qimscale.errors import ModelError

REF_DIR = Path(__file__).parents[2] / "reference"
REF = json.loads((REF_DIR / "efa_nfactors.json").read_text())


def _data(name):
    return pd.read_csv(REF_DIR / "data" / f"efa_{name}.csv")


CASES = {
    "both": dict(n_iter=100),
    "fa_only": dict(n_iter=50, fa="fa"),
    "pc_only": dict(n_iter=50, fa="pc"),
    "matrix_both": dict(n_iter=50),
    "matrix_fa": dict(n_iter=50, fa="fa"),
    "pa_fm": dict(n_iter=20, method="pa"),
}


@pytest.mark.parametrize("dn", ["d3", "d4m"])
@pytest.mark.parametrize("case", list(CASES))
def test_parallel_analysis_matches_psych(dn, case):
    x = _data(dn)
    kw = dict(CASES[case])
    data = x
    if case.startswith("matrix"):
        data = x.corr().to_numpy()
        kw["n_obs"] = len(x)
    res = parallel_analysis(data, random_state=3, **kw)
    ref = REF[dn][case]
    assert res.n_factors == ref.get("nfact")
    assert res.n_components == ref.get("ncomp")
    np.testing.assert_allclose(res.pc_values, ref["pc_values"], atol=1e-10)
    if ref.get("fa_values") is not None and kw.get("fa") != "pc":
        np.testing.assert_allclose(res.fa_values, ref["fa_values"], atol=1e-6)
    for ours, theirs in [("pc_sim", "pc_sim"), ("fa_sim", "fa_sim"), ("fa_resampled", "fa_simr"),
                         ("pc_resampled", "pc_simr")]:
        r = ref.get(theirs)
        if isinstance(r, list) and len(r) == len(res.pc_values) and not np.isnan(getattr(res, ours)).all():
            np.testing.assert_allclose(getattr(res, ours), r, atol=0.05)


def test_parallel_analysis_is_reproducible_with_seed():
    x = _data("d3")
    a = parallel_analysis(x, n_iter=10, random_state=42)
    b = parallel_analysis(x, n_iter=10, random_state=42)
    np.testing.assert_array_equal(a.fa_sim, b.fa_sim)
    np.testing.assert_array_equal(a.pc_resampled_quantile, b.pc_resampled_quantile)
    c = parallel_analysis(x, n_iter=10, random_state=43)
    assert not np.array_equal(a.fa_sim, c.fa_sim)


def test_parallel_analysis_polychoric_same_number():
    res = parallel_analysis(_data("d3"), n_iter=5, cor="polychoric", random_state=1)
    assert res.n_factors == REF["d3"]["poly"]["nfact"]
    assert res.n_components == REF["d3"]["poly"]["ncomp"]
    np.testing.assert_allclose(res.pc_values, REF["d3"]["poly"]["pc_values"], atol=1e-4)


def test_parallel_analysis_resample_only():
    res = parallel_analysis(_data("d3"), n_iter=10, sim=False, random_state=0)
    assert np.isnan(res.fa_sim).all() and res.n_factors == 3


def test_matrix_without_n_obs_is_an_error():
    with pytest.raises(ModelError, match="n_obs"):
        parallel_analysis(_data("d3").corr().to_numpy())


@pytest.mark.parametrize("dn", ["d3", "d4m"])
def test_velicer_map(dn):
    m = velicer_map(_data(dn))
    np.testing.assert_allclose(m.map, REF[dn]["map"], atol=1e-12)
    assert m.n_factors == REF[dn]["map_nfactors"]


def test_velicer_map_polychoric():
    m = velicer_map(_data("d3"), cor="polychoric")
    np.testing.assert_allclose(m.map, REF["d3"]["map_poly"], atol=1e-5)


def test_eigenvalues_scree():
    x = _data("d3")
    np.testing.assert_allclose(eigenvalues(x.corr().to_numpy()), REF["d3"]["both"]["pc_values"], atol=1e-12)


def test_pairwise_corr_batched_matches_pandas_with_missing():
    x = _data("d4m")
    R = pairwise_corr_batched(x.to_numpy(dtype=float)[None])[0]
    np.testing.assert_allclose(R, x.corr().to_numpy(), atol=1e-12)


def test_batched_minres_agrees_with_single_fits_on_structured_data():
    rng = np.random.default_rng(5)
    z = rng.standard_normal((8, 400, 10)) + 0.7 * rng.standard_normal((8, 400, 1))
    R = pairwise_corr_batched(z)
    vals, done = _batched_minres_values(R)
    assert done.all()
    for b in range(8):
        ref = fit_factors(R[b], 1)[2]["common_eigenvalues"]
        np.testing.assert_allclose(vals[b], ref, atol=1e-5)
