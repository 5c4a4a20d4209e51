"""Linear equality constraints (``a == 2*b``, ``a - b == 0.3``, ``a + b == 1.5``, ``a == b + c``).

lavaan's answers: ``tests/reference/linear_constraints.R`` (``cfa``/``sem`` with ``estimator =
"ML"``, ``"MLR"``, ``missing = "fiml"``, ``ordered = ..., estimator = "WLSMV"``, one or two
groups, covariates, mixed ordered/continuous items, ``:=`` on constrained labels). Tolerances of
issue 12: fit measures 1e-4 relative (scaled/robust 2e-3), estimates and ``std.all`` 1e-4, SEs
1e-3 relative; the score tests of ``lavTestScore(fit)$uni`` and ``modindices(fit)`` 1e-3.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from differential_compare import assert_lavaan_agrees, close

from qimscale.analysis.cfa import build_partable, cfa, sem
from qimscale.analysis.cfa.score_tests import score_tests
from qimscale.errors import ModelError

REF_DIR = Path(__file__).parents[2] / "reference"
REF = {c["name"]: c for c in json.loads((REF_DIR / "linear_constraints.json").read_text())["cases"]}
DATA = pd.read_csv(REF_DIR / "data" / "linear_constraints.csv")
X = [f"x{i}" for i in range(1, 7)]
Y = [f"y{i}" for i in range(1, 7)]


def _data(case):
    if case["data"] == "xm":
        d = DATA[["g"] + [f"xm{i}" for i in range(1, 7)]].rename(columns={f"xm{i}": f"x{i}" for i in range(1, 7)})
    elif case["data"] == "x":
        d = DATA[["g"] + X]
    else:
        d = DATA[["g", "z"] + Y + ["x5", "x6"]]
    return d if case.get("group") else d.drop(columns="g")


_FITS: dict = {}


def _fit(name):
    if name not in _FITS:
        c = REF[name]
        kw = {"estimator": c["estimator"], "missing": c["missing"], "group": c.get("group") or None,
              "group_equal": c["group_equal"] or ()}
        if c["ordered"]:
            kw["ordered"] = c["ordered"]
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)  # no raw numpy warning may escape
            _FITS[name] = (sem if c["sem"] else cfa)(c["model"], _data(c), **kw)
    return _FITS[name]


@pytest.mark.parametrize("name", list(REF))
def test_agrees_with_lavaan(name):
    res = _fit(name)
    assert_lavaan_agrees(res, REF[name], name, na_is_nan=True)
    assert res.fit_measures()["npar"] == REF[name]["fit"]["npar"]


@pytest.mark.parametrize("name", list(REF))
def test_score_tests_agree_with_lavtestscore(name):
    uni = score_tests(_fit(name), cumulative=False).univariate
    want = sorted(r["X2"] for r in REF[name]["score_uni"])
    got = sorted(uni["x2"])
    assert len(got) == len(want)
    assert all(close(a, b, 1e-3, 1e-3) for a, b in zip(got, want)), (got, want)
    # the '==' constraints are named as lavaan names them (without spaces)
    lav = {(r["lhs"], r["rhs"]): r["X2"] for r in REF[name]["score_uni"] if not r["lhs"].startswith(".p")}
    ours = {(r.lhs, r.rhs): r.x2 for r in uni.itertuples() if r.op == "=="}
    for key, x2 in ours.items():
        assert close(x2, lav[key], 1e-3, 1e-3)


# the observed path model is left out: lavaan also lists reversed regressions of the fixed.x
# covariates on the outcome (x2 ~ x1), which qimscale's candidates do not include (with or
# without constraints)
@pytest.mark.parametrize("name", [n for n, c in REF.items() if c["modindices"] and n != "mlr_paths_groups"])
def test_modification_indices_agree(name):
    mi = _fit(name).modification_indices()
    for r in REF[name]["modindices"]:
        row = mi[(mi.lhs == r["lhs"]) & (mi.op == r["op"]) & (mi.rhs == r["rhs"]) & (mi.group == r["group"])]
        assert len(row) == 1, r
        assert close(row.mi.iloc[0], r["mi"], 1e-3, 1e-3)
        assert close(row.epc.iloc[0], r["epc"], 1e-3, 1e-3)


INV = json.loads((REF_DIR / "linear_constraints.json").read_text())["ordinal_invariance"]
PER_GROUP = "F1 =~ y1 + c(a1,a2)*y2 + c(b1,b2)*y3\nF2 =~ y4 + y5 + y6\na1 == 2*b1\na2 == 2*b2"
SHARED = "F1 =~ y1 + a*y2 + b*y3\nF2 =~ y4 + y5 + y6\na == 2*b"


@pytest.mark.parametrize("warm", [False, True])
def test_ordinal_invariance_carries_the_constraints(warm):
    """Wu-Estabrook levels renumber the free indices; the constraint map must follow them."""
    from qimscale.analysis.cfa.wlsmv_invariance import ordinal_invariance

    d = DATA[["g"] + Y]
    tabs = [list(ordinal_invariance(d, m, "g", warm_start=warm).tables().values())[0].set_index("level")
            for m in (PER_GROUP, SHARED)]
    for ref, (tab, level) in zip(INV, [(tabs[0], "configural"), (tabs[0], "thresholds"),
                                       (tabs[1], "metric"), (tabs[1], "scalar")]):
        got = tab.loc[level]
        assert got["npar"] == ref["fit"]["npar"] and got["df"] == ref["fit"]["df"]
        assert close(got["chisq"], ref["fit"]["chisq"], 1e-4, 1.0)
        assert close(got["chisq_scaled"], ref["fit"]["chisq.scaled"], 2e-3, 1.0)


def test_ml_invariance_with_constraints():
    """``lavaan::cfa(PER_GROUP on x, group = "g", group.equal = ...)`` level by level (user labels
    take precedence over ``group_equal``, as in lavaan)."""
    from qimscale.analysis.cfa.invariance import measurement_invariance

    ref = json.loads((REF_DIR / "linear_constraints.json").read_text())["ml_invariance"]
    res = measurement_invariance(PER_GROUP.replace("y", "x"), DATA[["g"] + X], group="g")
    tab = list(res.tables().values())[0]
    assert tab["npar"].tolist() == [r["fit"]["npar"] for r in ref]
    for got, r in zip(tab["chisq"], ref):
        assert close(got, r["fit"]["chisq"], 1e-4, 1.0)


@pytest.mark.parametrize("k", [0, 1])
def test_wlsmv_difference_test_of_a_constraint(k):
    """``lavTestLRT(fit_free, fit_constrained)`` (Satorra 2000, scaled-shifted) for ``a == 2*b``."""
    ref = json.loads((REF_DIR / "linear_constraints.json").read_text())["wlsmv_lrt"][k]
    model = REF["wlsmv_2b"]["model"]
    group = ref["group"] or None
    d = DATA[["g"] + Y] if group else DATA[Y]
    f0 = cfa(model, d, estimator="WLSMV", ordered=Y, group=group)
    f1 = cfa(model.replace("\na == 2*b", ""), d, estimator="WLSMV", ordered=Y, group=group)
    stat, df = f0.chisq_difference(f1)
    assert df == ref["df_diff"] == 1
    assert close(stat, ref["chisq_diff"], 2e-3, 1e-3)


def test_constrained_row_is_a_multiple_and_npar_drops():
    pe = _fit("ml_2b").parameter_estimates()
    a = pe[(pe.op == "=~") & (pe.rhs == "x2")].iloc[0]
    b = pe[(pe.op == "=~") & (pe.rhs == "x3")].iloc[0]
    assert a.est == pytest.approx(2 * b.est, rel=1e-12)
    assert a.se == pytest.approx(2 * b.se, rel=1e-10)
    assert (pe.op == "==").sum() == 0  # as for 'a == b': the constraint itself is not a row
    pt = build_partable(REF["ml_2b"]["model"])
    assert pt.npar == 13 and pt.lin.nstar == 12
    # a == 2*b eliminates a (the label left of '=='): theta* starts with b
    assert pt.lin.pivots == [0] and pt.describe_fitted(0) == "F1 =~ x3" and pt.describe(1) == "F1 =~ x2"
    assert _fit("ml_2b").fit_measures()["df"] == 9


def test_bootstrap_reports_every_free_row():
    res = _fit("ml_2b")
    bt = res.bootstrap(n_boot=5, seed=3)
    assert len(bt) == res.partable_.npar
    a, b = bt[bt.rhs == "x2"].iloc[0], bt[bt.rhs == "x3"].iloc[0]
    assert a.est == pytest.approx(2 * b.est) and a.boot_se == pytest.approx(2 * b.boot_se)


def test_reduced_map_of_several_constraints():
    pt = build_partable("F1 =~ x1 + a*x2 + b*x3\nF2 =~ x4 + c*x5 + d*x6\na == b + c\nd - c == 0.25")
    lin = pt.lin
    assert (lin.nfull, lin.nstar) == (pt.npar, pt.npar - 2)
    theta = lin.expand(np.arange(1.0, lin.nstar + 1))
    idx = {r["label"]: r["free"] - 1 for r in pt.rows if r["label"]}
    assert theta[idx["a"]] == pytest.approx(theta[idx["b"]] + theta[idx["c"]])
    assert theta[idx["d"]] - theta[idx["c"]] == pytest.approx(0.25)
    np.testing.assert_allclose(lin.C @ theta, [0.0, 0.25], atol=1e-12)


def test_simple_forms_keep_their_treatment():
    pt = build_partable("F =~ x1 + a*x2 + b*x3 + c*x4\na == b\nc == 0.5")
    assert pt.lin is None
    free = {r["label"]: (r["free"], r["ustart"]) for r in pt.rows if r["label"]}
    assert free["a"][0] == free["b"][0] > 0 and free["c"] == (0, 0.5)
    # fixing a label fixes the labels held equal to it
    pt = build_partable("F =~ x1 + a*x2 + b*x3 + c*x4\na == b\nb == 0.5")
    assert [(r["free"], r["ustart"]) for r in pt.rows if r["label"] in ("a", "b")] == [(0, 0.5), (0, 0.5)]
    # a label fixed by an earlier constraint enters a later one as its value
    pt = build_partable("F =~ x1 + a*x2 + b*x3 + c*x4\nc == 0.5\na == b + c")
    assert pt.lin is not None and pt.lin.c.max() == pytest.approx(0.5)


M = "F1 =~ m*x1 + a*x2 + b*x3\nF2 =~ x4 + x5 + x6\n"


@pytest.mark.parametrize("extra, words", [
    ("a == b^2", ["not linear", "'a == 2*b'"]),
    ("a*b == 1", ["not linear", "fix the parameters"]),
    ("a == exp(b)", ["not linear"]),
    ("a == 2*b\n2*b == a", ["redundant", "line 4", "remove it"]),
    ("a == 2*b\na == 2*b + 1", ["contradicts", "line 4"]),
    ("m == 2*a", ["fixed parameter(s) m", "constrain free parameters only"]),
    ("a == 2*z", ["unknown label(s)", "z"]),
    ("a - a == 1", ["can never hold"]),
    ("a - a == 0", ["redundant"]),
])
def test_clean_errors(extra, words):
    with pytest.raises(ModelError) as exc:
        build_partable(M + extra)
    msg = str(exc.value)
    assert "\n" not in msg
    for w in words:
        assert w in msg, msg


def test_cli_fits_a_linear_constraint(tmp_path):
    from qimscale.cli import main

    path = tmp_path / "d.csv"
    DATA[X].to_csv(path, index=False)
    model = tmp_path / "m.lav"
    model.write_text(REF["ml_2b"]["model"] + "\n")
    res = CliRunner().invoke(main, ["cfa", str(path), "--model", str(model), "--json"])
    assert res.exit_code == 0, res.stderr
    out = json.loads(res.stdout)
    ref = REF["ml_2b"]
    assert out["fit"]["npar"] == ref["fit"]["npar"]
    assert close(out["fit"]["chisq"], ref["fit"]["chisq"], 1e-4, 1.0)
    est = {(e["lhs"], e["op"], e["rhs"]): e for e in out["estimates"]}
    for r in ref["estimates"]:
        if r["op"] == "=~":
            assert close(est[(r["lhs"], r["op"], r["rhs"])]["est"], r["est"], 1e-4, 1.0)
    bad = CliRunner().invoke(main, ["cfa", str(path), "--model", M + "a*b == 1"])
    assert bad.exit_code == 1 and "not linear" in bad.stderr and "Traceback" not in bad.stderr
