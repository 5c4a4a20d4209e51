"""Unit tests of the CFA pipeline: syntax, parameter table, model Jacobian, diagnostics, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from qimscale.analysis.cfa import CFA, build_partable, cfa, parse_model
from qimscale.analysis.cfa.ml import MLObjective, group_data
from qimscale.analysis.cfa.model import RAMModel
from qimscale.analysis.cfa.starts import start_values
from qimscale.cli import main
from qimscale.errors import DataError, ModelError

DATA = Path(__file__).parents[2] / "reference" / "data"
HS = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"


@pytest.fixture(scope="module")
def hs():
    return pd.read_csv(DATA / "cfa_hs1939.csv")


# ----------------------------------------------------------------------------- syntax
def test_parse_modifiers_and_multiline():
    st = parse_model("""
    # a comment
    F =~ NA*x1 + c(a, b)*x2 +
         0.5*x3   ! another comment
    x1 ~~ x2; F ~ 1
    ind := a * b
    """)
    assert [s.op for s in st] == ["=~", "~~", "~1", ":="]
    t = st[0].rhs
    assert t[0].fixed(0) is None
    assert (t[1].label(0), t[1].label(1)) == ("a", "b")
    assert t[2].fixed(0) == 0.5
    assert st[3].expression == "a * b"


@pytest.mark.parametrize("text, where", [
    ("F =~ x1 + + x2", "line 1, column 11"),
    ("F =~ x1\nG =~ x2 + 3y", "line 2"),
    ("F =~ x1\nx1 x2", "line 2"),
    ("F =~ x1 + x2\nF > 0", "line 2"),
])
def test_parse_errors_name_line_and_caret(text, where):
    with pytest.raises(ModelError) as exc:
        parse_model(text)
    assert where in str(exc.value)
    assert "^" in str(exc.value)


def test_statement_continues_after_operator():
    st = parse_model("F =~\n  x1 + x2\n  + x3\nG =~ x4 +\n x5")
    assert [[t.name for t in s.rhs] for s in st] == [["x1", "x2", "x3"], ["x4", "x5"]]


def test_empty_model():
    with pytest.raises(ModelError, match="empty"):
        parse_model("  \n# nothing")


# ----------------------------------------------------------------------------- parameter table
def test_partable_cfa_defaults():
    pt = build_partable(HS)
    df = pt.to_frame()
    assert pt.ov == [f"x{i}" for i in range(1, 10)] and pt.lv == ["visual", "textual", "speed"]
    markers = df[(df.op == "=~") & (df.free == 0)]
    assert list(markers.rhs) == ["x1", "x4", "x7"] and (markers.ustart == 1).all()
    assert len(df[(df.op == "~~") & (df.lhs != df.rhs)]) == 3  # factor covariances
    assert pt.npar == 21


def test_partable_writes_covariances_in_lavaans_variable_order():
    # lavaan (lav_partable_covariance_reorder) names a covariance lhs-first in the order of the
    # latent variables, then the observed ones: 'x6 ~~ x2' is reported as 'x2 ~~ x6'
    pt = build_partable(HS + "\nx6 ~~ x2\nspeed ~~ visual")
    df = pt.to_frame()
    cov = df[(df.op == "~~") & (df.lhs != df.rhs)]
    pairs = set(zip(cov.lhs, cov.rhs))
    assert ("x2", "x6") in pairs and ("visual", "speed") in pairs
    assert ("x6", "x2") not in pairs and ("speed", "visual") not in pairs


def test_partable_std_lv_and_group_equal():
    pt = build_partable(HS, ngroups=2, std_lv=True, meanstructure=True, group_equal=["loadings", "intercepts"],
                        group_partial=["x3 ~ 1"])
    df = pt.to_frame()
    lam = df[df.op == "=~"]
    assert (lam.free > 0).all()
    assert (lam[lam.group == 1].free.to_numpy() == lam[lam.group == 2].free.to_numpy()).all()
    var = df[(df.op == "~~") & (df.lhs == "visual") & (df.rhs == "visual")]
    assert list(var.free == 0) == [True, False]  # fixed in group 1, free in group 2
    means = df[(df.op == "~1") & (df.lhs == "visual")]
    assert list(means.free == 0) == [True, False]
    x3 = df[(df.op == "~1") & (df.lhs == "x3")]
    assert x3.free.nunique() == 2  # released by group_partial
    x1 = df[(df.op == "~1") & (df.lhs == "x1")]
    assert x1.free.nunique() == 1


def test_partable_labels_make_equal_and_ordinal_rows():
    # scale factors are free beyond group 1 only with equal thresholds (as lavaan)
    pt = build_partable("F =~ x1 + a*x2 + a*x3", ordered={"x1": 2}, meanstructure=True, ngroups=2,
                        group_equal=["thresholds"])
    df = pt.to_frame()
    lam = df[(df.op == "=~") & (df.rhs != "x1")]
    assert lam.free.nunique() == 1
    thr = df[df.op == "|"]
    assert list(thr.rhs.unique()) == ["t1", "t2"]
    scale = df[df.op == "~*~"]
    assert list(scale.free == 0) == [True, False]


def test_partable_ordered_equal_thresholds_and_intercepts_imply_each_other():
    # lavaan (lav_options_set): with ordered items, group.equal "thresholds" adds "intercepts" and
    # the reverse, so a continuous indicator's intercept is held equal beside the thresholds
    for geq in (["thresholds"], ["intercepts"]):
        df = build_partable("F =~ x1 + x2 + x3", ordered={"x2": 2, "x3": 2}, meanstructure=True, ngroups=2,
                            group_equal=geq).to_frame()
        assert df[(df.op == "~1") & (df.lhs == "x1")].free.nunique() == 1
        assert (df[(df.op == "|") & (df.lhs == "x2")].groupby("rhs").free.nunique() == 1).all()


def test_unknown_group_partial():
    with pytest.raises(ModelError, match="x99 ~1"):
        build_partable(HS, ngroups=2, meanstructure=True, group_equal=["intercepts"], group_partial=["x99 ~ 1"])


def test_unknown_group_equal():
    with pytest.raises(ModelError, match="group_equal"):
        build_partable(HS, ngroups=2, group_equal=["loading"])


# ----------------------------------------------------------------------------- model
def test_analytic_gradient_matches_finite_differences(hs):
    pt = build_partable("visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\ntextual ~ visual\nx1 ~~ x4",
                        meanstructure=True)
    model = RAMModel(pt)
    gd = [group_data(hs[pt.ov].to_numpy())]
    obj = MLObjective(model, gd)
    th = start_values(pt, gd) + 0.05
    _, g = obj.value_grad(th)
    num = np.array([(obj.value(th + e) - obj.value(th - e)) / 2e-6 for e in np.eye(len(th)) * 1e-6])
    np.testing.assert_allclose(g, num, atol=1e-7)
    # Jacobian of the implied moments
    (dS, dm), = model.jacobian(th)
    for k in range(len(th)):
        e = np.zeros_like(th)
        e[k] = 1e-6
        (S1, m1), = model.implied(th + e)
        (S0, m0), = model.implied(th - e)
        np.testing.assert_allclose(dS[k], (S1 - S0) / 2e-6, atol=1e-6)
        np.testing.assert_allclose(dm[k], (m1 - m0) / 2e-6, atol=1e-6)
    Jv, Jm = model.jacobian_vech(th)[0]
    assert Jv.shape == (21, len(th)) and Jm.shape == (6, len(th))


# ----------------------------------------------------------------------------- diagnostics and errors
def test_not_identified_names_parameter(hs):
    with pytest.raises(ModelError, match="not identified"):
        cfa("F =~ NA*x1 + x2 + x3", hs)
    with pytest.raises(ModelError, match="not identified: parameter 'F "):
        cfa("F =~ NA*x1 + x2 + x3 + x4", hs)


def test_scale_of_variables_does_not_matter(hs):
    # an item on a scale 10^4 times larger: same standardised solution, no false identification error
    big = hs.assign(x1=hs.x1 * 1e4)
    a = cfa(HS, hs).parameter_estimates()
    b = cfa(HS, big).parameter_estimates()
    np.testing.assert_allclose(a.std_all, b.std_all, atol=1e-6)
    np.testing.assert_allclose(a.z.fillna(0), b.z.fillna(0), atol=1e-4)


def test_heywood_case_is_reported():
    # r_ab = r_ac = .8, r_bc = .5 implies a loading of sqrt(1.28) for a: negative residual variance
    R = np.array([[1, .8, .8], [.8, 1, .5], [.8, .5, 1]])
    Z = np.random.default_rng(3).normal(size=(500, 3))
    Z = (Z - Z.mean(0)) @ np.linalg.inv(np.linalg.cholesky(np.cov(Z.T, bias=True))).T
    df = pd.DataFrame(Z @ np.linalg.cholesky(R).T, columns=["a", "b", "c"])
    res = cfa("F =~ a + b + c", df)
    assert any("Heywood" in w and "a ~~ a" in w for w in res.warnings_)
    assert res.to_dict()["warnings"] == res.warnings_


def test_data_errors(hs):
    with pytest.raises(DataError, match="'x99' not found"):
        cfa("F =~ x1 + x2 + x99", hs)
    bad = hs.assign(x2=hs.x2.astype(str).where(hs.index != 4, "n/a"))
    with pytest.raises(DataError, match="row 6, column 'x2': value 'n/a' is not a number"):
        cfa("F =~ x1 + x2 + x3", bad)
    with pytest.raises(ModelError, match="estimator"):
        CFA(HS, estimator="GLS").fit(hs)


def test_singular_sample_covariance(hs):
    with pytest.raises(DataError, match="no variance"):
        cfa("F =~ x1 + x2 + x3", hs.assign(x3=1.0))
    with pytest.raises(DataError, match="not positive definite"):
        cfa("F =~ x1 + x2 + x3", hs.assign(x3=hs.x1 + hs.x2))


def test_listwise_drops_incomplete_rows(hs):
    d = hs.copy()
    d.loc[:9, "x1"] = np.nan
    res = cfa(HS, d)
    assert res.ntotal_ == len(hs) - 10 and res.n_dropped_ == 10


def test_result_api(hs):
    res = cfa(HS, hs)
    text = res.summary()
    assert "CFI" in text and "visual" in text
    (S, mu), = res.implied()
    assert list(S.columns) == res.partable_.ov
    d = res.to_dict()
    assert set(d["reliability"]) == {"visual", "textual", "speed"}
    json.dumps(d["fit"])


# ----------------------------------------------------------------------------- CLI
def test_cli_cfa_json_equals_library(tmp_path):
    model = tmp_path / "m.lav"
    model.write_text(HS)
    out = CliRunner().invoke(main, ["cfa", str(DATA / "cfa_hs1939.csv"), "--model", str(model), "--json"])
    assert out.exit_code == 0, out.output
    got = json.loads(out.output)
    lib = cfa(HS, pd.read_csv(DATA / "cfa_hs1939.csv")).to_dict()
    assert got["fit"]["chisq"] == pytest.approx(lib["fit"]["chisq"], rel=1e-12)
    assert {"lhs", "op", "rhs", "group", "est", "se", "z", "pvalue", "std_all"} <= set(got["estimates"][0])
    assert set(got["reliability"]["visual"]) == {"omega", "ave"}


def test_cli_invariance_json():
    out = CliRunner().invoke(main, ["invariance", str(DATA / "cfa_hs1939.csv"), "--model", HS.replace("\n", ";"),
                                    "--group", "school", "--json"])
    assert out.exit_code == 0, out.output
    got = json.loads(out.output)
    assert [lv["level"] for lv in got["levels"]] == ["configural", "metric", "scalar", "strict"]
    assert {"chisq", "df", "cfi", "tli", "rmsea", "srmr", "delta_cfi", "delta_rmsea",
            "chisq_diff_p"} <= set(got["levels"][1])
    assert got["highest_level_held"] == "metric"


def test_cli_syntax_error_exit_1():
    out = CliRunner().invoke(main, ["cfa", str(DATA / "cfa_hs1939.csv"), "--model", "F =~ x1 + + x2"])
    assert out.exit_code == 1
    assert "line 1, column" in out.output


def test_cli_bootstrap_key():
    model = "ind60 =~ x1 + x2 + x3\ndem60 =~ y1 + y2 + y3 + y4\ndem60 ~ a*ind60\nab := a*2"
    out = CliRunner().invoke(main, ["cfa", str(DATA / "cfa_poldem.csv"), "--model", model, "--bootstrap", "5",
                                    "--seed", "1", "--json"])
    assert out.exit_code == 0, out.output
    boot = json.loads(out.output)["bootstrap"]
    assert boot[-1]["lhs"] == "ab" and boot[-1]["n_boot"] + boot[-1]["n_failed"] == 5


def test_non_convergence_is_reported(hs, monkeypatch):
    from qimscale.analysis.cfa import fit as fitmod
    from qimscale.analysis.cfa.ml import OptimResult

    real = fitmod.minimize

    def stalled(objective, theta0, **kw):
        res = real(objective, theta0, **kw)
        return OptimResult(res.theta, res.fmin, res.grad, 500, False, "iteration limit reached")

    monkeypatch.setattr(fitmod, "minimize", stalled)
    res = cfa(HS, hs)
    assert not res.converged_
    assert any("did not converge" in w for w in res.to_dict()["warnings"])
    out = CliRunner().invoke(main, ["cfa", str(DATA / "cfa_hs1939.csv"), "--model", HS.replace("\n", ";")])
    assert "Warning: the optimizer did not converge" in out.output


def test_cli_multigroup_mlr_fiml_options():
    out = CliRunner().invoke(main, ["cfa", str(DATA / "cfa_hs1939_missing.csv"), "--model", HS.replace("\n", ";"),
                                    "--group", "school", "--equal", "loadings,intercepts", "--partial", "x3~1",
                                    "--estimator", "MLR", "--missing", "fiml", "--json"])
    assert out.exit_code == 0, out.output
    got = json.loads(out.output)
    assert got["missing"] == "fiml" and got["groups"] == ["Pasteur", "Grant-White"]
    assert got["fit"]["df_scaled"] == got["fit"]["df"]
    for key in ("chisq_scaled", "cfi_scaled", "tli_scaled", "rmsea_scaled", "cfi_robust",
                "tli_robust", "rmsea_robust"):
        assert isinstance(got["fit"][key], float), key
    x3 = [e for e in got["estimates"] if e["lhs"] == "x3" and e["op"] == "~1"]
    assert x3[0]["est"] != x3[1]["est"]


def test_fiml_on_complete_data_reports_fiml():
    """missing='fiml' with no gaps is ML with a mean structure (lavaan's missing = "ml"); it is reported as asked."""
    import numpy as np
    import pandas as pd

    from qimscale.analysis.cfa import CFA

    rng = np.random.default_rng(1)
    f = rng.normal(size=300)
    d = pd.DataFrame({f"x{i}": f + rng.normal(size=300) for i in range(4)})
    res = CFA("F =~ x0 + x1 + x2 + x3", missing="fiml").fit(d)
    assert res.to_dict()["missing"] == "fiml" and not res.fiml_
    assert CFA("F =~ x0 + x1 + x2 + x3").fit(d).to_dict()["missing"] == "listwise"


def test_listwise_deletion_is_reported():
    """ML with missing values drops incomplete cases (lavaan's default) and says how many."""
    import numpy as np
    import pandas as pd

    from qimscale.analysis.cfa import CFA

    rng = np.random.default_rng(2)
    f = rng.normal(size=200)
    d = pd.DataFrame({f"x{i}": f + rng.normal(size=200) for i in range(4)})
    d.iloc[:7, 1] = np.nan
    res = CFA("F =~ x0 + x1 + x2 + x3").fit(d)
    assert res.ntotal_ == 193
    assert any(w.startswith("7 case(s) with a missing value in a model variable were dropped") for w in res.warnings_)
    assert not any("dropped" in w for w in CFA("F =~ x0 + x1 + x2 + x3", missing="fiml").fit(d).warnings_)
