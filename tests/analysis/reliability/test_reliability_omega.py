"""omega, split-half and ICC versus psych (tests/reference/reliability_psych.R)."""

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qimscale.analysis.icc import icc
from qimscale.analysis.omega import omega, omega_total
from qimscale.analysis.splithalf import spearman_brown, split_half
from qimscale.errors import DataError, ModelError

REF_DIR = Path(__file__).parents[2] / "reference"
REF = json.loads((REF_DIR / "reliability_psych.json").read_text())
SIM = pd.read_csv(REF_DIR / "reliability_sim_data.csv")
SIM_R = SIM.assign(i03=6 - SIM["i03"])
ICC_DATA = pd.read_csv(REF_DIR / "reliability_icc_data.csv")

TOL_OMEGA = 2e-3    # the tolerance for omega; Pearson omega agrees far more closely
TOL_CLOSED = 1e-8
OMEGA_KEYS = {"omega_h": "omega_h", "omega_tot": "omega_total", "alpha": "alpha", "G6": "g6",
              "omega_lim": "omega_lim", "ECV": "ecv"}


def _omega(**kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return omega(SIM, keys=["i03"], key_range=(1, 5), **kw)


@pytest.mark.parametrize("name,kw,tol", [
    ("omega3", {"n_factors": 3}, 1e-6),
    ("omega1", {"n_factors": 1}, 1e-6),
    ("omega3_poly", {"n_factors": 3, "poly": True}, TOL_OMEGA),
])
def test_omega_matches_psych(name, kw, tol):
    res, ref = _omega(**kw), REF[name]
    for rk, attr in OMEGA_KEYS.items():
        assert getattr(res, attr) == pytest.approx(ref[rk], abs=tol), rk
    sl = np.array(ref["sl"])
    # general-factor loadings, h2, u2 (group-factor columns may come in another order)
    np.testing.assert_allclose(res.sl["g"], sl[:, 0], atol=tol * 10)
    np.testing.assert_allclose(res.sl["h2"], sl[:, -3], atol=tol * 10)


def test_omega_total_helper_and_to_dict():
    assert omega_total(SIM_R) == pytest.approx(REF["omega1"]["omega_tot"], abs=1e-6)
    d = _omega(n_factors=3).to_dict()
    assert {"omega_h", "omega_total", "alpha"} <= set(d) and d["reverse"] == ["i03"]


def test_omega_bad_input():
    with pytest.raises(DataError, match="at least 3"):
        omega(SIM_R[["i01", "i02"]], n_factors=1)
    with pytest.raises(ModelError, match="group factors need more"):
        omega(SIM_R[["i01", "i02", "i03"]], n_factors=3)
    with pytest.raises(DataError, match="single observed value"):
        omega(SIM_R[["i01", "i02", "i04"]].assign(c=2), n_factors=1)


def test_omega_two_factors_warns():
    with pytest.warns(UserWarning, match="not identified"):
        omega(SIM_R, n_factors=2)


@pytest.mark.parametrize("name,cols", [("split12", list(SIM_R.columns)), ("split7", list(SIM_R.columns[:7]))])
def test_split_half_matches_psych(name, cols):
    res, ref = split_half(SIM_R[cols]), REF[name]
    for rk, attr in {"maxrb": "lambda4", "minrb": "min_split", "meanr": "mean_split", "av_r": "average_r",
                     "med_r": "median_r", "alpha": "alpha", "lambda2": "lambda2", "lambda6": "lambda6"}.items():
        assert getattr(res, attr) == pytest.approx(ref[rk], abs=TOL_CLOSED), rk
    # psych's convention for odd k: only the first ceil(choose(k, k//2)/2) splits
    assert res.n_splits == (462 if len(cols) == 12 else 18)


def test_split_half_keys_and_sampling():
    a = split_half(SIM, keys=["i03"])
    assert a.lambda4 == pytest.approx(REF["split12"]["maxrb"], abs=TOL_CLOSED)
    assert spearman_brown(a.odd_even_r) == a.odd_even_sb
    with pytest.warns(UserWarning, match="random splits"):
        b = split_half(SIM_R, n_sample=100, seed=3)
    assert not b.exhaustive and b.lambda4 <= a.lambda4 + 1e-12


@pytest.mark.parametrize("name,cols", [("icc", ["t1", "t2", "t3"]), ("icc2", ["t1", "t2"])])
def test_icc_matches_psych(name, cols):
    tab, ref = icc(ICC_DATA[cols]).table, REF[name]
    assert tab["type"].tolist() == ref["type"]
    for col, rk in [("icc", "ICC"), ("f", "F"), ("df1", "df1"), ("df2", "df2"), ("lower", "lower"),
                    ("upper", "upper")]:
        np.testing.assert_allclose(tab[col].to_numpy(float), ref[rk], atol=TOL_CLOSED, rtol=0, err_msg=col)
    np.testing.assert_allclose(tab["p"].to_numpy(float), ref["p"], rtol=1e-6, atol=0)


def test_icc_long_input_and_missing():
    long = ICC_DATA.assign(id=range(len(ICC_DATA))).melt(id_vars="id", var_name="occasion", value_name="score")
    a = icc(long, subject="id", rater="occasion", value="score").table
    np.testing.assert_allclose(a["icc"], REF["icc"]["ICC"], atol=TOL_CLOSED)
    holes = ICC_DATA.copy()
    holes.iloc[0, 1] = np.nan
    with pytest.warns(UserWarning, match="dropped"):
        res = icc(holes)
    assert res.n_subjects == len(ICC_DATA) - 1
    with pytest.raises(DataError, match="more than one value"):
        icc(pd.concat([long, long.iloc[:1]]), subject="id", rater="occasion", value="score")
    with pytest.raises(DataError, match="long input needs"):
        icc(long, subject="id")


def test_omega_listwise_matches_psych():
    res, ref = _omega(n_factors=3, missing="listwise"), REF["omega3_listwise"]
    for rk, attr in OMEGA_KEYS.items():
        assert getattr(res, attr) == pytest.approx(ref[rk], abs=1e-6), rk


def test_omega_warns_on_a_heywood_case():
    """Items at the uniqueness bound are named, as efa does (psych's fa warns there too)."""
    import warnings

    import numpy as np
    import pandas as pd

    from qimscale.analysis.omega import omega

    rng = np.random.default_rng(0)
    f = rng.normal(size=400)
    d = pd.DataFrame({"a": f + 1e-4 * rng.normal(size=400), "b": f + 1e-4 * rng.normal(size=400),
                      **{f"x{i}": f + rng.normal(size=400) for i in range(5)}})
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        res = omega(d, n_factors=1)
    assert any("Heywood case: item(s) a, b" in m for m in res.warnings)
    assert any("Heywood case" in str(x.message) for x in w)
