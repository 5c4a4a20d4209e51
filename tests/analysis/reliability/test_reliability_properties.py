"""Properties of the vectorised alpha bootstrap and of alpha itself (hypothesis)."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qimscale.analysis import reliability as rl

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@st.composite
def likert(draw):
    n = draw(st.integers(12, 40))
    k = draw(st.integers(3, 6))
    seed = draw(st.integers(0, 2**31 - 1))
    miss = draw(st.sampled_from([0.0, 0.05, 0.15]))
    rng = np.random.default_rng(seed)
    x = np.clip(np.round(3 + rng.normal(size=(n, 1)) + rng.normal(size=(n, k))), 1, 5)
    x[rng.random((n, k)) < miss] = np.nan
    x[np.isnan(x).all(axis=1), 0] = 3.0
    return x, rng


@settings(max_examples=30, deadline=None)
@given(likert())
def test_weighted_moments_equal_alpha_of_resampled_rows(data):
    x, rng = data
    idx = rng.integers(0, len(x), len(x))
    rows = x[idx]
    m = ~np.isnan(rows)
    # skip degenerate resamples (an item with one value, or a pair never answered together)
    if (np.nanstd(rows, axis=0) == 0).any() or ((m.T.astype(int) @ m.astype(int)) < 2).any():
        return
    w = np.bincount(idx, minlength=len(x)).astype(float)
    got = rl._AlphaMoments(x).weighted(w[None, :])[0]
    want = rl.alpha(pd.DataFrame(rows)).raw_alpha
    assert got == pytest.approx(want, abs=1e-9)


@settings(max_examples=30, deadline=None)
@given(likert())
def test_alpha_invariant_to_row_order_and_keys_equal_recoding(data):
    x, rng = data
    if (np.nanstd(x, axis=0) == 0).any():
        return
    df = pd.DataFrame(x, columns=[f"v{j}" for j in range(x.shape[1])])
    a = rl.alpha(df)
    b = rl.alpha(df.iloc[rng.permutation(len(df))])
    assert a.raw_alpha == pytest.approx(b.raw_alpha, abs=1e-12)
    keyed = rl.alpha(df, keys=["v0"], key_range=(1, 5))
    recoded = rl.alpha(df.assign(v0=6 - df["v0"]))
    assert keyed.raw_alpha == pytest.approx(recoded.raw_alpha, abs=1e-12)
    assert keyed.std_alpha <= 1.0 and a.g6 <= 1.0 + 1e-12
