"""Edge cases found in review of the CFA/SEM engine (tests/reference/cfa_review_edges.R)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qimscale.analysis.cfa import CFA, build_partable, cfa, sem
from qimscale.errors import DataError, ModelError

REF_DIR = Path(__file__).parents[2] / "reference"
REF = json.loads((REF_DIR / "cfa_review_edges.json").read_text())
DATA = REF_DIR / "data"
TWO = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6"


def _hs(missing=False):
    return pd.read_csv(DATA / ("cfa_hs1939_missing.csv" if missing else "cfa_hs1939.csv"))


def test_fiml_drops_cases_with_missing_fixed_covariate_as_lavaan():
    ref = REF["fiml_x"]
    d = pd.read_csv(DATA / "cfa_review_agemiss.csv")
    model = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nvisual ~ ageyr + sex\ntextual ~ ageyr"
    res = sem(model, d, missing="fiml")
    assert res.ntotal_ == ref["ntotal"]
    assert res.n_dropped_ == len(d) - ref["ntotal"]
    fm = res.fit_measures()
    assert fm["df"] == ref["fit"]["df"]
    for k in ("chisq", "logl"):
        assert fm[k] == pytest.approx(ref["fit"][k], rel=1e-5)
    for k in ("cfi", "rmsea"):
        assert fm[k] == pytest.approx(ref["fit"][k], abs=1e-5)
    pe = res.parameter_estimates()
    for row in ref["est"]:
        got = pe[(pe.lhs == row["lhs"]) & (pe.op == row["op"]) & (pe.rhs == row["rhs"])]
        assert got["est"].iloc[0] == pytest.approx(row["est"], abs=1e-4)
        assert got["se"].iloc[0] == pytest.approx(row["se"], abs=1e-4)


@pytest.mark.parametrize("group", [None, "school"])
def test_fiml_variable_without_any_value_is_a_data_error(group):
    d = _hs(missing=True)
    sel = d.school == "Pasteur" if group else slice(None)
    d.loc[sel, "x3"] = np.nan
    with pytest.raises(DataError, match="x3"):
        CFA(TWO, missing="fiml", group=group).fit(d)


@pytest.mark.parametrize("model, group", [("visual =~ x1 + c(a,b)*x2 + x3", None),
                                          ("visual =~ x1 + c(a,b,c)*x2 + x3", "school"),
                                          ("visual =~ x1 + c(1,NA,1)*x2 + x3", "school")])
def test_modifier_with_wrong_number_of_group_values_is_a_model_error(model, group):
    with pytest.raises(ModelError, match="2 values|3 values"):
        CFA(model, group=group).fit(_hs())


def test_partable_checks_modifier_length_against_ngroups():
    with pytest.raises(ModelError, match="one value per group"):
        build_partable("F =~ x1 + c(a,b)*x2 + x3", ngroups=3)
    build_partable("F =~ x1 + c(a,b)*x2 + x3", ngroups=2)


def test_defined_parameters_with_dotted_names_as_lavaan():
    ref = {r["lhs"]: r for r in REF["dotted"]}
    res = cfa("visual =~ x1 + a.1*x2 + b*x3\nd := a.1*b\ne.x := d + 1\nff := e.x*2", _hs())
    pe = res.parameter_estimates().set_index("lhs")
    for name, r in ref.items():
        assert pe.loc[name, "est"] == pytest.approx(r["est"], abs=1e-5)
        assert pe.loc[name, "se"] == pytest.approx(r["se"], abs=1e-4)
        assert pe.loc[name, "std_all"] == pytest.approx(r["std.all"], abs=1e-5)


@pytest.mark.parametrize("expr", ["a*q", "a*b.x", "a.1*zz"])
def test_defined_parameter_with_unknown_name_is_a_model_error(expr):
    with pytest.raises(ModelError, match="unknown label.*a.1, b"):
        cfa(f"visual =~ x1 + a.1*x2 + b*x3\nd := {expr}", _hs()).parameter_estimates()


def _compare_rows(pe, ref_rows, cols, tol):
    pe = pe.copy()
    if "group" not in ref_rows[0]:
        pe = pe[pe.group == 1]
    for row in ref_rows:
        sel = (pe.lhs == row["lhs"]) & (pe.op == row["op"]) & (pe.rhs == (row["rhs"] or ""))
        if "group" in row:
            sel &= pe.group == row["group"]
        got = pe[sel]
        assert len(got) == 1, row
        for ref_col, col in cols:
            assert got[col].iloc[0] == pytest.approx(row[ref_col], abs=tol), (row, col)


def test_mlr_fiml_groups_with_fixed_covariate_scaling_as_lavaan():
    ref = REF["fiml_mlr_x_groups"]
    model = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\ntextual ~ visual + sex\nx2 ~~ x5"
    res = sem(model, _hs(missing=True), group="school", group_equal=["loadings", "intercepts"],
              missing="fiml", estimator="MLR")
    fm = res.fit_measures()
    for k in ("chisq", "chisq.scaled", "chisq.scaling.factor", "baseline.chisq.scaled",
              "baseline.chisq.scaling.factor"):
        assert fm[k.replace(".", "_")] == pytest.approx(ref["fit"][k], rel=1e-5), k
    for k in ("cfi_scaled", "tli_scaled", "rmsea_scaled", "rmsea_ci_lower_scaled", "rmsea_ci_upper_scaled",
              "cfi_robust", "tli_robust", "rmsea_robust", "rmsea_pvalue_scaled"):
        assert fm[k] == pytest.approx(ref["fit"][k.replace("_", ".")], abs=1e-5), k
    _compare_rows(res.parameter_estimates(), ref["est"], [("est", "est"), ("se", "se"), ("std.all", "std_all")],
                  1e-4)


def test_latent_regressions_with_covariate_standardized_as_lavaan():
    model = ("visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9\n"
             "textual ~ visual + ageyr\nspeed ~ visual + ageyr\nx1 ~~ x4")
    res = sem(model, _hs(), estimator="MLR")
    _compare_rows(res.parameter_estimates(), REF["sem_x_std"],
                  [("est", "est"), ("se", "se"), ("std.lv", "std_lv"), ("std.all", "std_all")], 1e-4)


@pytest.mark.parametrize("name", ["sem_x", "outcomes", "fixed_cov"])
def test_modification_indices_candidate_set_as_lavaan(name):
    ref = REF["modindices"][name]
    mi = sem(ref["model"], _hs()).modification_indices()
    want = pd.DataFrame(ref["mi"])
    assert sorted(zip(mi.lhs, mi.op, mi.rhs)) == sorted(zip(want.lhs, want.op, want.rhs))
    got = mi.set_index(["lhs", "op", "rhs"])
    for r in want.itertuples(index=False):
        row = got.loc[(r.lhs, r.op, r.rhs)]
        # residual covariances within a 3-indicator factor of sem_x are nearly unidentified
        # (EPC ~ 6): both programs agree to ~5e-3 there, far closer elsewhere
        assert row["mi"] == pytest.approx(r.mi, rel=6e-3, abs=1e-4)
        assert row["sepc_all"] == pytest.approx(r[5], rel=3e-3, abs=1e-4)
    assert np.isfinite(mi["mi"]).all()


@pytest.mark.parametrize("missing", ["listwise", "fiml"])
def test_bootstrap_replicate_equals_a_fit_to_the_resampled_cases(missing):
    # with fixed-x covariates too: the replicate keeps the original covariate moments, which
    # does not change the estimates (the likelihood factors as f(y | x) f(x))
    model = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nvisual ~ ageyr + sex\ntextual ~ ageyr"
    d = _hs(missing=missing == "fiml")
    res = sem(model, d, missing=missing)
    boot = res.bootstrap(1, seed=11)
    X = res.groups_[0].X
    idx = np.random.default_rng(11).integers(0, len(X), len(X))
    refit = sem(model, pd.DataFrame(X[idx], columns=res.partable_.ov), missing=missing)
    pe = refit.parameter_estimates()
    for r in boot.itertuples(index=False):
        want = pe[(pe.lhs == r.lhs) & (pe.op == r.op) & (pe.rhs == r.rhs)]["est"].iloc[0]
        assert r.ci_lower == pytest.approx(want, abs=2e-5), (r.lhs, r.op, r.rhs)


def test_cases_without_a_group_value_are_dropped_with_a_warning():
    d = _hs()
    d["g"] = d["school"].map({"Pasteur": 1.0, "Grant-White": 2.0})
    d.loc[:5, "g"] = np.nan
    res = cfa(TWO, d, group="g")
    assert res.n_dropped_ == 6
    assert res.group_labels_ == [1.0, 2.0]
    assert any("6 case(s) without a value in the group column 'g'" in w for w in res.warnings_)
    ref = REF["group_na"]  # lavaan drops those rows too (with a warning)
    fm = res.fit_measures()
    assert res.ntotal_ == ref["ntotal"] and fm["df"] == ref["fit"]["df"]
    assert fm["chisq"] == pytest.approx(ref["fit"]["chisq"], rel=1e-6)
    assert fm["cfi"] == pytest.approx(ref["fit"]["cfi"], abs=1e-6)


def test_infinite_value_is_a_data_error_naming_the_cell():
    d = _hs()
    d.loc[3, "x2"] = np.inf
    for missing in ("listwise", "fiml"):
        with pytest.raises(DataError, match=r"row 5, column 'x2': value inf is infinite"):
            cfa(TWO, d, missing=missing)


@pytest.mark.parametrize("col, group", [("x1", None), ("school", "school")])
def test_duplicated_column_is_a_data_error(col, group):
    d = pd.concat([_hs(), _hs()[[col]]], axis=1)
    with pytest.raises(DataError, match=f"'{col}' appear more than once"):
        cfa(TWO, d, group=group)


def test_fiml_with_fewer_cases_than_variables_is_a_data_error():
    with pytest.raises(DataError, match="saturated .EM. covariance matrix is singular"):
        cfa(TWO, _hs(missing=True).iloc[:5], missing="fiml")


@pytest.mark.parametrize("missing", ["listwise", "fiml"])
def test_variable_constant_in_one_group_is_named(missing):
    d = _hs(missing=True)
    sel = d.school == "Pasteur"
    d.loc[sel, "x2"] = np.where(d.loc[sel, "x2"].notna(), 5.0, np.nan)
    with pytest.raises(DataError, match="'x2' have no variance in group 'Pasteur'"):
        cfa(TWO, d, group="school", missing=missing)


def test_group_column_that_is_a_model_variable_is_a_model_error():
    with pytest.raises(ModelError, match="group column 'x1' is also a variable of the model"):
        cfa(TWO, _hs(), group="x1")
