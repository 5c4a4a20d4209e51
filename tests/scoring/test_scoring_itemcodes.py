"""The 8-bit item-code engine gives the numbers of the floating-point path.

Scores and quality flags are computed from :class:`ItemCodes` (Likert codes
as bytes plus an answered mask) whenever the codes are small integers; the
float path stays for any other codes. Both are run here on the same data
(the float path forced by making ``ItemCodes.from_frame`` decline) and must
agree: exactly for integer results, to rounding for the rest.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import chdtrc

from qimscale.scoring import quality_flags, score_codes
from qimscale.scoring.itemcodes import ItemCodes, blocks, small_codes
from qimscale.scoring.quality import chi2_sf
from qimscale.scoring.spec import ScoringSpec


def _spec(codes, reverse=(), k=(4, 5, 3, 4)):
    scales, n = {}, 0
    for s, size in enumerate(k):
        scales[f"s{s}"] = [f"i{n + j}" for j in range(size)]
        n += size
    return ScoringSpec.simple(scales, codes=codes, reverse=reverse,
                              domains={"d1": ["s0", "s1"], "d2": ["s2", "s3"]})


def _data(spec, n, codes, p_missing, seed):
    rng = np.random.default_rng(seed)
    items = list(spec.items)
    trait = rng.normal(size=n)
    cols = {}
    lo, hi = min(codes), max(codes)
    for it in items:
        x = np.clip(np.rint((lo + hi) / 2 + (hi - lo) / 4 * (trait + rng.normal(size=n))), lo, hi)
        x[rng.random(n) < p_missing] = np.nan
        cols[it] = x
    df = pd.DataFrame(cols)
    df.iloc[:3] = np.nan  # rows answering nothing
    df.iloc[3:6] = lo  # straight-liners
    return df


def _both(monkeypatch, fn, *args, **kw):
    small = fn(*args, **kw)
    with monkeypatch.context() as m:
        m.setattr(ItemCodes, "from_frame", classmethod(lambda cls, *a, **k: None))
        slow = fn(*args, **kw)
    return small, slow


@pytest.mark.parametrize("codes,p_missing,seed", [
    ((1, 2, 3, 4, 5), 0.03, 1),
    ((0, 1, 2, 3, 4), 0.1, 2),  # 0 is a code: unanswered cells must not look like answers of 0
    ((1, 2, 3, 4, 5, 6, 7), 0.0, 3),
    ((1, 2, 3, 4, 5), 0.45, 4),  # dense gaps: the pair counts take the matrix-product route
    (tuple(range(1, 101)), 0.05, 5),  # large codes: pair sums not exact in single precision
])
def test_small_engine_equals_float_path(monkeypatch, codes, p_missing, seed):
    spec = _spec(codes, reverse=["i1", "i6", "i12"])
    df = _data(spec, 2500, codes, p_missing, seed)
    (s_small, log_small), (s_float, log_float) = _both(monkeypatch, score_codes, df, spec, min_answered=0.6,
                                                       sums=True)
    pd.testing.assert_frame_equal(s_small, s_float, check_exact=True)
    assert log_small == log_float
    (f_small, i_small), (f_float, i_float) = _both(monkeypatch, quality_flags, df, spec)
    assert list(f_small.columns) == list(f_float.columns)
    exact = [c for c in f_small.columns if c not in ("qc_mahad_d2", "qc_mahad_p", "qc_evenodd", "qc_irv")]
    pd.testing.assert_frame_equal(f_small[exact], f_float[exact], check_exact=True)
    pd.testing.assert_frame_equal(f_small, f_float, check_exact=False, rtol=1e-12, atol=1e-14)
    assert i_small == i_float


def test_small_engine_over_several_row_blocks(monkeypatch):
    from qimscale.scoring import itemcodes

    monkeypatch.setattr(itemcodes, "BLOCK_ROWS", 700)
    monkeypatch.setattr("qimscale.scoring.quality.BLOCK_ROWS", 700)
    monkeypatch.setattr("qimscale.scoring.scores.blocks", lambda n: blocks(n, 700))
    monkeypatch.setattr("qimscale.scoring.quality.blocks", lambda n, size=700: blocks(n, 700))
    spec = _spec((1, 2, 3, 4, 5), reverse=["i0"])
    df = _data(spec, 3001, (1, 2, 3, 4, 5), 0.05, 9)
    (f_small, _), (f_float, _) = _both(monkeypatch, quality_flags, df, spec)
    pd.testing.assert_frame_equal(f_small, f_float, check_exact=False, rtol=1e-12, atol=1e-14)
    (s_small, _), (s_float, _) = _both(monkeypatch, score_codes, df, spec)
    pd.testing.assert_frame_equal(s_small, s_float, check_exact=True)


def test_absent_item_column_and_reordered_codes(monkeypatch):
    spec = _spec((1, 2, 3, 4, 5))
    df = _data(spec, 400, (1, 2, 3, 4, 5), 0.05, 11).drop(columns=["i2"])
    df = df[df.columns[::-1]]  # column order does not matter
    (s_small, _), (s_float, _) = _both(monkeypatch, score_codes, df, spec)
    pd.testing.assert_frame_equal(s_small, s_float, check_exact=True)
    (f_small, i_small), (f_float, _) = _both(monkeypatch, quality_flags, df, spec)
    pd.testing.assert_frame_equal(f_small, f_float, check_exact=False, rtol=1e-12)
    assert i_small["items_used"] == len(spec.items) - 1


def test_from_frame_declines_non_codes():
    items = ["a", "b"]
    assert ItemCodes.from_frame(pd.DataFrame({"a": [1.0, 2.5], "b": [1.0, 2.0]}), items) is None
    assert ItemCodes.from_frame(pd.DataFrame({"a": [1.0, 300.0], "b": [1.0, 2.0]}), items) is None
    ic = ItemCodes.from_frame(pd.DataFrame({"a": [1.0, np.nan], "b": [0.0, -3.0]}), items)
    assert ic.values.tolist() == [[1, 0], [0, -3]] and ic.answered.tolist() == [[True, True], [False, True]]
    assert ic.codes == [-3.0, 0.0, 1.0]
    assert ic.to_frame()["a"].tolist()[1] != ic.to_frame()["a"].tolist()[1]  # NaN where unanswered
    assert ic.nullable(1).tolist() == [0, -3]
    assert not small_codes([]) and small_codes([-128, 127]) and not small_codes([1, 128])


def test_validated_codes_take_the_small_engine(tmp_path):
    from qimscale.scoring import score_file

    p = tmp_path / "d.csv"
    p.write_text("a,b,c\n1,5,9\n2,,3\n7,4,4\n")
    spec = ScoringSpec.simple({"s": ["a", "b", "c"]}, na_code=9)
    res = score_file(p, instrument=spec, min_answered=0.6)
    assert res.table["s"].tolist() == [3.0, 2.5, 4.0]
    assert res.table["a"].tolist()[2] is pd.NA and res.table["c"].tolist()[0] is pd.NA
    assert str(res.table["a"].dtype) == "Int8"


@pytest.mark.parametrize("k", [1, 2, 3, 4, 7, 10, 55, 56, 199])
def test_chi2_sf_matches_chdtrc(k):
    rng = np.random.default_rng(k)
    x = np.concatenate([rng.chisquare(k, 5000), rng.uniform(0, 2000, 500),
                        [0.0, 1e-300, 1e-12, 1399.9, 1400.1, 1e6, np.inf, np.nan]])
    got, want = chi2_sf(k, x), chdtrc(k, x)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)
    assert chi2_sf(300, np.array([310.0]))[0] == chdtrc(300, 310.0)  # very large k: the library function


@pytest.mark.parametrize("k", [1, 2, 5, 200, 201, 300])
def test_chi2_sf_of_a_negative_d2_is_one_for_every_k(k):
    """A pairwise covariance need not be positive definite, so D2 can be negative: P(chi2_k > D2) = 1
    (R's pchisq), whether the closed form or the library function (k > 200) computes it."""
    got = chi2_sf(k, np.array([-3.5, -1e-9, 0.0, np.nan]))
    assert got[:3].tolist() == [1.0, 1.0, 1.0] and np.isnan(got[3])


def test_declared_codes_do_not_hide_other_values():
    """A frame whose attrs list small codes but that holds 300 is scored by the float path (no wrap-around)."""
    spec = ScoringSpec.simple({"s": ["a", "b"]}, codes=(1, 2, 3, 4, 5))
    df = pd.DataFrame({"a": [1.0, 300.0], "b": [2.0, 3.0]})
    df.attrs["qimscale_codes"] = [1.0, 2.0, 3.0, 4.0, 5.0]
    assert ItemCodes.from_frame(df, ["a", "b"], df.attrs["qimscale_codes"]) is None
    scores, _ = score_codes(df, spec)
    assert scores["s"].tolist() == [1.5, 151.5]


def _random_codes(items, n, seed, p_missing=0.1):
    rng = np.random.default_rng(seed)
    cols = {}
    for it in items:
        x = rng.integers(1, 6, n).astype(float)
        x[rng.random(n) < p_missing] = np.nan
        cols[it] = x
    return pd.DataFrame(cols)


def _four_scales(extra_scales=()):
    from qimscale.scoring.spec import ItemRule, ScaleRule

    items = {f"i{j}": ItemRule(f"i{j}", f"s{j // 3}") for j in range(12)}
    scales = [ScaleRule(f"s{s}", [f"i{j}" for j in range(3 * s, 3 * s + 3)]) for s in range(4)]
    return items, scales + list(extra_scales)


def test_evenodd_ignores_an_item_of_no_scale(monkeypatch):
    """An item in no scale takes no part in even-odd (the 8-bit engine added it to the first scale's even half)."""
    from qimscale.scoring.spec import ItemRule

    monkeypatch.setattr("qimscale.scoring.quality.EVENODD_MIN_SCALES", 3)
    monkeypatch.setattr("qimscale.scoring.quality.EVENODD_MIN_ITEMS", 3)
    items, scales = _four_scales()
    items["x"] = ItemRule("x", "none")
    df = _random_codes(list(items), 300, 1)
    (small, _), (slow, _) = _both(monkeypatch, quality_flags, df, ScoringSpec(items, scales))
    np.testing.assert_allclose(small["qc_evenodd"], slow["qc_evenodd"], rtol=1e-12, atol=1e-14)


def test_evenodd_counts_an_item_in_every_scale_it_belongs_to(monkeypatch):
    from qimscale.scoring.spec import ScaleRule

    monkeypatch.setattr("qimscale.scoring.quality.EVENODD_MIN_SCALES", 3)
    monkeypatch.setattr("qimscale.scoring.quality.EVENODD_MIN_ITEMS", 3)
    items, scales = _four_scales([ScaleRule("all", ["i0", "i4", "i8"])])
    df = _random_codes(list(items), 300, 2)
    (small, _), (slow, _) = _both(monkeypatch, quality_flags, df, ScoringSpec(items, scales))
    np.testing.assert_allclose(small["qc_evenodd"], slow["qc_evenodd"], rtol=1e-12, atol=1e-14)


def test_evenodd_keys_reverse_items_in_both_engines(monkeypatch):
    """Even-odd halves use keyed answers: recoding a reverse-keyed item by hand gives the same index."""
    from qimscale.scoring.quality import evenodd

    monkeypatch.setattr("qimscale.scoring.quality.EVENODD_MIN_SCALES", 3)
    monkeypatch.setattr("qimscale.scoring.quality.EVENODD_MIN_ITEMS", 3)
    items, scales = _four_scales()
    items["i4"].reverse = True
    df = _random_codes(list(items), 300, 3)
    (small, _), (slow, _) = _both(monkeypatch, quality_flags, df, ScoringSpec(items, scales))
    np.testing.assert_allclose(small["qc_evenodd"], slow["qc_evenodd"], rtol=1e-12, atol=1e-14)
    keyed = df.to_numpy(dtype=float).copy()
    keyed[:, 4] = 6 - keyed[:, 4]
    np.testing.assert_allclose(slow["qc_evenodd"], evenodd(keyed, [3, 3, 3, 3]), rtol=1e-12, atol=1e-14)


def test_chi2_sf_matches_r_pchisq():
    """R's pchisq(x, k, lower.tail = FALSE) from tests/reference/scoring_chi2_sf.R, odd and even k, to p ~ 1e-306."""
    import json
    from pathlib import Path

    ref = json.loads((Path(__file__).parents[1] / "reference" / "scoring_chi2_sf.json").read_text())
    x = np.array(ref["x"], dtype=float)
    for k, want in zip(ref["k"], ref["p"]):
        np.testing.assert_allclose(chi2_sf(int(k), x), np.array(want, dtype=float), rtol=1e-12, atol=0,
                                   err_msg=f"k = {k}")
