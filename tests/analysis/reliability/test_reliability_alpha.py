"""alpha family versus psych::alpha (tests/reference/reliability_psych.R)."""

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qimscale.analysis import reliability as rl
from qimscale.analysis.reliability import alpha, feldt_ci, scale_reliability
from qimscale.errors import DataError

REF_DIR = Path(__file__).parents[2] / "reference"
REF = json.loads((REF_DIR / "reliability_psych.json").read_text())
SIM = pd.read_csv(REF_DIR / "reliability_sim_data.csv")
BFI = pd.read_csv(REF_DIR / "reliability_bfi_data.csv")
SIM_R = SIM.assign(i03=6 - SIM["i03"])

TOL = 1e-8          # closed-form alpha family
TOL_FELDT = 1e-6

CASES = {
    "alpha_pairwise_keys": (SIM, None, {"keys": ["i03"]}),
    "alpha_pairwise_recoded": (SIM_R, None, {}),
    "alpha_listwise_keys": (SIM, None, {"keys": ["i03"], "missing": "listwise"}),
    "alpha_sub4": (SIM_R, ["i05", "i06", "i07", "i08"], {}),
    "alpha_sub3": (SIM_R, ["i09", "i10", "i11"], {}),
    "alpha_bfi_A": (BFI, ["A1", "A2", "A3", "A4", "A5"], {"keys": ["A1"]}),
}
TOTAL = {"raw_alpha": "raw_alpha", "std.alpha": "std_alpha", "G6(smc)": "g6", "average_r": "average_r",
         "S/N": "signal_noise", "ase": "ase", "mean": "mean", "sd": "sd", "median_r": "median_r"}
STATS = {"n": "n", "raw.r": "raw_r", "std.r": "std_r", "r.cor": "r_cor", "r.drop": "r_drop", "mean": "mean",
         "sd": "sd"}
DROP = {"raw_alpha": "raw_alpha", "std.alpha": "std_alpha", "G6(smc)": "g6", "average_r": "average_r",
        "S/N": "signal_noise", "alpha se": "alpha_se", "var.r": "var_r", "med.r": "median_r"}


@pytest.fixture(scope="module", params=list(CASES))
def case(request):
    data, items, kw = CASES[request.param]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return alpha(data, items, **kw), REF[request.param]


def test_total_matches_psych(case):
    res, ref = case
    for rname, attr in TOTAL.items():
        assert getattr(res, attr) == pytest.approx(ref["total"][rname], abs=TOL), rname
    assert res.k == ref["nvar"]


def test_item_stats_match_psych(case):
    res, ref = case
    assert res.items == [i.rstrip("-") for i in ref["items"]]
    for rname, col in STATS.items():
        np.testing.assert_allclose(res.item_stats[col], ref["item_stats"][rname], atol=TOL, rtol=0, err_msg=rname)


def test_alpha_if_deleted_matches_psych(case):
    res, ref = case
    for rname, col in DROP.items():
        np.testing.assert_allclose(res.alpha_drop[col], np.array(ref["alpha_drop"][rname], dtype=float),
                                   atol=TOL, rtol=0, err_msg=rname)


def test_feldt_ci_matches_psych(case):
    res, ref = case
    assert res.feldt[0] == pytest.approx(ref["feldt"]["lower"], abs=TOL_FELDT)
    assert res.feldt[1] == pytest.approx(ref["feldt"]["upper"], abs=TOL_FELDT)
    assert res.alpha_ci == res.feldt


def test_keys_equal_recoding():
    a = alpha(SIM, keys=["i03"], key_range=(1, 5))
    b = alpha(SIM_R)
    assert a.raw_alpha == pytest.approx(b.raw_alpha, abs=1e-14)
    np.testing.assert_allclose(a.item_stats["mean"], b.item_stats["mean"], atol=1e-14)


def test_feldt_formula():
    # psych::alpha.ci(0.8, 200, 6)
    lo, hi = feldt_ci(0.8, 200, 6)
    assert lo < 0.8 < hi
    assert feldt_ci(0.8, 200, 6, conf_level=0.5)[0] > lo


# ------------------------------------------------------------------ bootstrap


def test_weighted_moments_equal_resampled_data():
    x = SIM_R.to_numpy(float)
    rng = np.random.default_rng(5)
    idx = rng.integers(0, len(x), len(x))
    w = np.bincount(idx, minlength=len(x)).astype(float)
    got = rl._AlphaMoments(x).weighted(w[None, :])[0]
    assert got == pytest.approx(alpha(pd.DataFrame(x[idx])).raw_alpha, abs=1e-12)
    xc = x[~np.isnan(x).any(axis=1)]
    w2 = w[: len(xc)]
    got2 = rl._AlphaMoments(xc).weighted(w2[None, :])[0]
    assert got2 == pytest.approx(alpha(pd.DataFrame(np.repeat(xc, w2.astype(int), axis=0))).raw_alpha, abs=1e-12)


def test_jackknife_equals_leave_one_out():
    x = SIM_R.to_numpy(float)[:80]
    jack = rl._AlphaMoments(x).jackknife()
    for i in (0, 17, 79):
        assert jack[i] == pytest.approx(alpha(pd.DataFrame(np.delete(x, i, axis=0))).raw_alpha, abs=1e-12)


def test_bootstrap_reproducible_and_close_to_psych():
    a = alpha(SIM, keys=["i03"], ci="bootstrap", n_boot=1000, seed=42)
    b = alpha(SIM, keys=["i03"], ci="bootstrap", n_boot=1000, seed=42)
    assert a.boot_bca == b.boot_bca and a.boot_percentile == b.boot_percentile
    assert a.ci_method == "bca" and a.alpha_ci == a.boot_bca
    lo, hi = a.boot_percentile
    assert lo < a.raw_alpha < hi
    ref = REF["alpha_boot"]
    # psych's own percentile interval used other random numbers: agree to Monte Carlo error
    assert lo == pytest.approx(ref["boot_ci"][0], abs=0.004)
    assert hi == pytest.approx(ref["boot_ci"][2], abs=0.004)
    assert np.std(a.boot, ddof=1) == pytest.approx(ref["boot_sd"], rel=0.15)
    c = alpha(SIM, keys=["i03"], ci="percentile", n_boot=200, seed=1)
    assert c.alpha_ci == c.boot_percentile


# ------------------------------------------------------------------ bad input


def test_constant_item_dropped_with_warning():
    df = SIM_R.iloc[:, :4].assign(c=3.0)
    with pytest.warns(UserWarning, match="single observed value"):
        res = alpha(df)
    assert res.k == 4 and "c" not in res.items


def test_all_missing_rows_warned_and_excluded():
    df = pd.concat([SIM_R.iloc[:50, :4], pd.DataFrame([[np.nan] * 4], columns=SIM_R.columns[:4])])
    with pytest.warns(UserWarning, match="answer none of the items"):
        res = alpha(df)
    assert res.n == 50


def test_non_numeric_column_names_row_and_value():
    df = SIM_R.iloc[:5, :3].astype(object)
    df.iloc[2, 1] = "Agree"
    with pytest.raises(DataError, match=r"row 4, column 'i02': value 'Agree' is not a number"):
        alpha(df)


def test_too_few_items():
    with pytest.raises(DataError, match="at least 2"):
        alpha(SIM_R[["i01"]])
    with pytest.raises(DataError, match="at least 2"):
        alpha(SIM_R[["i01"]].assign(c=1.0))
    with pytest.warns(UserWarning, match="only 2 items"):
        res = alpha(SIM_R[["i01", "i02"]])
    assert np.isnan(res.alpha_drop["raw_alpha"]).all()


def test_bad_options():
    with pytest.raises(DataError, match="The 'missing' parameter of reliability must be one of"):
        alpha(SIM_R, missing="mean")
    with pytest.raises(DataError, match="The 'ci' parameter of alpha must be one of"):
        alpha(SIM_R, ci="wald")
    with pytest.raises(DataError, match="not among the items"):
        alpha(SIM_R, keys=["zz"])


def test_scale_reliability_contract_keys():
    out = scale_reliability(SIM, {"all": list(SIM.columns), "g2": ["i05", "i06", "i07", "i08"]},
                            reverse={"all": ["i03"]}, ranges={"all": (1, 5)}, split_half=True)
    sc = out["scales"][0]
    for key in ("scale", "n", "k", "alpha", "alpha_ci", "std_alpha", "g6", "average_r", "omega_total", "items"):
        assert key in sc
    assert set(sc["items"][0]) >= {"item", "r_drop", "alpha_if_deleted"}
    assert sc["alpha"] == pytest.approx(REF["alpha_pairwise_keys"]["total"]["raw_alpha"], abs=TOL)
    assert sc["omega_total"] == pytest.approx(REF["omega1"]["omega_tot"], abs=1e-6)
    assert sc["reverse"] == ["i03"]
    assert sc["split_half"]["lambda4"] == pytest.approx(REF["split12"]["maxrb"], abs=TOL)
    assert out["scales"][1]["alpha"] == pytest.approx(REF["alpha_sub4"]["total"]["raw_alpha"], abs=TOL)


def test_values_outside_response_range_are_an_error():
    df = SIM_R.iloc[:20, :4].copy()
    df.iloc[3, 2] = 9
    with pytest.raises(DataError, match=r"outside the response range 1-5 \(row 5, column 'i03': 9"):
        alpha(df, key_range=(1, 5))
    assert alpha(df).k == 4       # without a declared range, nothing is assumed


def test_negatively_correlated_item_warns_and_gives_nan_not_crash():
    with pytest.warns(UserWarning, match=r"i03 correlate negatively .* reverse-keyed"):
        res = alpha(SIM[["i01", "i02", "i03", "i04"]])
    assert res.raw_alpha < 0.2
    flat = pd.DataFrame({"a": [1, 2, 3, 4, 5, 1], "b": [5, 4, 3, 2, 1, 5], "c": [1, 3, 2, 5, 4, 2]})
    with pytest.warns(UserWarning):
        res = alpha(flat)
    x = flat.to_numpy(dtype=float)
    k = x.shape[1]
    assert res.raw_alpha == pytest.approx(k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / x.sum(axis=1).var(ddof=1)),
                                          abs=1e-12)
    r_drop = res.item_stats.set_index("item")["r_drop"]
    # a and b sum to 6 on every row, so c's rest score is constant: its r_drop is NaN (as psych's r.drop)
    assert np.isnan(r_drop["c"])
    for it in ("a", "b"):
        rest = flat.drop(columns=it).sum(axis=1)
        assert r_drop[it] == pytest.approx(np.corrcoef(flat[it], rest)[0, 1], abs=1e-12)


def test_item_listed_twice_is_an_error():
    with pytest.raises(DataError, match="listed more than once"):
        alpha(SIM_R, ["i01", "i02", "i01"])
