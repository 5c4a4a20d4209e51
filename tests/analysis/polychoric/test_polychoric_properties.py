"""Invariances the polychoric matrix must have (property-based)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from qimscale.analysis.polychoric import polychoric


def make(seed: int, n: int = 150) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, 4)) + rng.normal(size=(n, 1))
    x = np.digitize(z, [-1.0, 0.0, 1.0]) + 1.0
    x[rng.random(x.shape) < 0.05] = np.nan
    return pd.DataFrame(x, columns=list("abcd"))


def corr(df, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return polychoric(df, **kw).corr


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10_000), perm=st.permutations(list("abcd")))
def test_column_order_and_monotone_recoding(seed, perm):
    df = make(seed)
    base = corr(df, smooth=False)
    # permuting columns permutes the matrix
    np.testing.assert_allclose(corr(df[perm], smooth=False).to_numpy(), base.loc[perm, perm].to_numpy(),
                               atol=1e-9)
    # a strictly increasing recoding of the categories changes nothing (lavaan mode: no psych range rules)
    rec = df.apply(lambda s: s ** 2 + 10)
    np.testing.assert_allclose(corr(rec, smooth=False, global_thresholds=True).to_numpy(),
                               corr(df, smooth=False, global_thresholds=True).to_numpy(), atol=1e-9)


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_symmetric_unit_diagonal_bounded(seed):
    r = corr(make(seed)).to_numpy()
    np.testing.assert_allclose(r, r.T, atol=1e-12)
    np.testing.assert_allclose(np.diag(r), 1.0, atol=1e-12)
    assert np.all(np.abs(r) <= 1.0)
