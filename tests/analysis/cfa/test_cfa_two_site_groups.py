"""A three-factor, nine-item Likert scale in two sites against lavaan
(tests/reference/review3_cfa_groups.R).

The model has an equality label (``a*x2 + a*x3``) and a correlated residual
(``x7 ~~ x8``). Cases: ML in one group (also ``std_lv``), MLR in one group, ML in
two groups with equal loadings and intercepts, the plain model with equal
loadings, and MLR + FIML (about 7% MCAR gaps) in two groups with equal loadings
and intercepts, also with the intercept of x2 released. Checked: every fit
measure qimscale reports, estimates, SEs, z, p, both standardized solutions and
the modification indices (one group, two groups, MLR).
"""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qimscale.analysis.cfa import cfa

REF_DIR = Path(__file__).parents[2] / "reference"
REF = json.loads((REF_DIR / "review3_cfa_groups.json").read_text())
DATA = pd.read_csv(REF_DIR / "data" / "review3_cfa_groups.csv")
MISS = DATA[[f"m{i}" for i in range(1, 10)] + ["site"]].rename(columns={f"m{i}": f"x{i}" for i in range(1, 10)})
M, MP = REF["model"], REF["model_plain"]
SCALAR = {"group": "site", "group_equal": ["loadings", "intercepts"]}
SPECS = {
    "ml_one": (M, DATA, {}),
    "ml_one_stdlv": (M, DATA, {"std_lv": True}),
    "mlr_one": (M, DATA, {"estimator": "MLR"}),
    "ml_two_scalar": (M, DATA, SCALAR),
    "ml_two_plain_metric": (MP, DATA, {"group": "site", "group_equal": ["loadings"]}),
    "mlr_fiml_two_scalar": (M, MISS, {**SCALAR, "missing": "fiml", "estimator": "MLR"}),
    "mlr_fiml_two_partial": (M, MISS, {**SCALAR, "group_partial": ["x2 ~ 1"], "missing": "fiml",
                                       "estimator": "MLR"}),
}
EXACT = ("npar", "df", "ntotal", "baseline_df", "df_scaled", "baseline_df_scaled")
REL = ("chisq", "baseline_chisq", "aic", "bic", "bic2", "logl", "unrestricted_logl", "fmin", "cn_05", "cn_01")
SCALED_PREFIX = ("chisq_scal", "baseline_chisq_scal", "pvalue_scaled", "baseline_pvalue_scaled")
WITH_MI = [k for k in SPECS if "modindices" in REF[k]]


@cache
def fitted(case):
    model, data, kw = SPECS[case]
    return cfa(model, data, **kw)


@pytest.mark.parametrize("case", list(SPECS))
def test_fit_measures(case):
    fm, ref = fitted(case).fit_measures(), REF[case]["fit"]
    checked = 0
    for key, want in ref.items():
        k = key.replace(".", "_")
        if k not in fm or want is None:
            continue
        got = fm[k]
        if k in EXACT:
            assert got == want, k
        elif k in REL:
            assert got == pytest.approx(want, rel=1e-5), k
        elif k.startswith(SCALED_PREFIX) or "scaled" in k or "robust" in k:
            assert got == pytest.approx(want, rel=1e-3, abs=1e-4), k
        else:
            assert got == pytest.approx(want, abs=1e-4), k
        checked += 1
    assert checked >= 40


@pytest.mark.parametrize("case", list(SPECS))
def test_estimates_se_std(case):
    res = fitted(case)
    assert res.converged_
    pe = res.parameter_estimates()
    want = pd.DataFrame(REF[case]["estimates"])
    m = pe.merge(want, on=["lhs", "op", "rhs", "group"], suffixes=("", "_r"), how="outer", indicator=True)
    assert (m["_merge"] == "both").all(), m[m["_merge"] != "both"][["lhs", "op", "rhs", "group", "_merge"]]
    for col, rcol in (("est", "est_r"), ("se", "se_r"), ("std_lv", "std.lv"), ("std_all", "std.all")):
        diff = (m[col].astype(float) - m[rcol].astype(float)).abs()
        assert diff.max() <= 1e-4, (col, m.loc[diff.idxmax(), ["lhs", "op", "rhs", "group"]].tolist(), diff.max())
    free = m[m.se_r.astype(float) > 0]
    np.testing.assert_allclose(free.z.astype(float), free.z_r.astype(float), rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(free.pvalue.astype(float), free.pvalue_r.astype(float), atol=1e-4)
    if SPECS[case][0] == M:  # the equality label holds in every group
        lab = m[m.label_r == "a"]
        assert len(lab) == 2 * res.partable_.ngroups and lab.est.nunique() == 1


@pytest.mark.parametrize("case", WITH_MI)
def test_modification_indices(case):
    mi = fitted(case).modification_indices()
    ref = pd.DataFrame(REF[case]["modindices"])
    m = ref.merge(mi, on=["lhs", "op", "rhs", "group"], suffixes=("_r", ""), how="outer", indicator=True)
    assert (m["_merge"] == "both").all(), m[m["_merge"] != "both"][["lhs", "op", "rhs", "group", "_merge"]]
    for _, r in m.iterrows():
        assert r.mi == pytest.approx(r.mi_r, rel=1e-4, abs=1e-4), (r.lhs, r.op, r.rhs, r.group)
        if not math.isnan(r.epc_r):
            assert r.epc == pytest.approx(r.epc_r, abs=1e-4), (r.lhs, r.op, r.rhs, r.group)
            assert r.sepc_all == pytest.approx(r["sepc.all"], abs=1e-4), (r.lhs, r.op, r.rhs, r.group)
    top = mi.sort_values("mi", ascending=False).head(3)
    assert top[["lhs", "op", "rhs", "group"]].values.tolist() == \
        ref.sort_values("mi", ascending=False).head(3)[["lhs", "op", "rhs", "group"]].values.tolist()


REL_CASES = ["ml_one", "ml_two_scalar", "mlr_fiml_one", "mlr_fiml_two_scalar"]


def _rel_fit(case):
    if case == "mlr_fiml_one":
        return cfa(M, MISS, missing="fiml", estimator="MLR")
    return fitted(case)


def _ref_rel_by_group(case):
    """semTools' compRelSEM/AVE as {group label or None: {factor: (omega, ave)}}."""
    ref = REF["reliability"][case]
    if isinstance(ref["omega"], dict):
        return {None: {f: (ref["omega"][f], ref["ave"][f]) for f in ref["omega"]}}
    return {o["group"]: {f: (o[f], a[f]) for f in o if f != "group"} for o, a in zip(ref["omega"], ref["ave"])}


@pytest.mark.parametrize("case", REL_CASES)
def test_composite_reliability_per_group(case):
    res = _rel_fit(case)
    for g, (label, want) in enumerate(_ref_rel_by_group(case).items()):
        assert label is None or res.group_labels_[g] == label
        got = res.reliability(group=g)
        for f, (om, ave) in want.items():
            assert got.loc[f, "omega"] == pytest.approx(om, abs=1e-4), (label, f)
            assert got.loc[f, "ave"] == pytest.approx(ave, abs=1e-4), (label, f)


@pytest.mark.parametrize("case", ["ml_two_scalar", "mlr_fiml_two_scalar"])
def test_cli_json_reports_reliability_of_every_group(case):
    """The JSON of a multi-group fit keeps ``reliability`` (first group) and adds
    ``reliability_by_group``, as the WLSMV result does."""
    out = fitted(case).to_dict()
    want = _ref_rel_by_group(case)
    assert set(out["reliability_by_group"]) == set(want)
    for label, facs in want.items():
        for f, (om, ave) in facs.items():
            assert out["reliability_by_group"][label][f]["omega"] == pytest.approx(om, abs=1e-4)
            assert out["reliability_by_group"][label][f]["ave"] == pytest.approx(ave, abs=1e-4)
    first = next(iter(want))
    assert out["reliability"] == out["reliability_by_group"][first]
