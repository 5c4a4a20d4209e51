"""Every result object follows one protocol: ``to_dict()``, ``tables()``, ``summary()``, ``warnings``.

A report renders any step without knowing its type (``qimscale._core.result``); each
result type is built here on small data and held to :func:`check_protocol`.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qimscale._core.jsonable import to_jsonable
from qimscale._core.result import Result, check_protocol
from qimscale.errors import ModelError

REF = Path(__file__).parents[1] / "reference" / "data"
HS_MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
ORD_MODEL = "f1 =~ y1 + y2 + y3\nf2 =~ y4 + y5 + y6"


def _d3():
    return pd.read_csv(REF / "efa_d3.csv").iloc[:300]


def _hs():
    return pd.read_csv(REF / "cfa_hs1939.csv")


def _ordinal():
    df = pd.read_csv(REF / "wlsmv_ordinal.csv")
    return df[df["group"].isin(["A", "B"])][["y1", "y2", "y3", "y4", "y5", "y6", "group"]]


def _alpha():
    from qimscale.analysis.reliability import alpha
    return alpha(_d3(), ["q1", "q2", "q3", "q4", "q5"])


def _omega():
    from qimscale.analysis.omega import omega
    return omega(_d3(), n_factors=3)


def _split_half():
    from qimscale.analysis.splithalf import split_half
    return split_half(_d3(), ["q1", "q2", "q3", "q4", "q5", "l1"])


def _icc():
    from qimscale.analysis.icc import icc
    return icc(_d3(), ["q1", "q2", "q3"])


def _correlation(method):
    from qimscale.analysis.correlation import correlation
    return correlation(_d3(), ["q1", "q2", "q3", "q4"], method=method)


def _polychoric():
    from qimscale.analysis.polychoric import polychoric
    return polychoric(_d3()[["q1", "q2", "q3", "q4"]])


def _kmo():
    from qimscale.analysis.factorability import kmo
    return kmo(_d3())


def _bartlett():
    from qimscale.analysis.factorability import bartlett_sphericity
    return bartlett_sphericity(_d3())


def _factorability():
    from qimscale.analysis.factorability import factorability
    return factorability(_d3())


def _parallel():
    from qimscale.analysis.nfactors import parallel_analysis
    return parallel_analysis(_d3(), n_iter=3, random_state=1)


def _map():
    from qimscale.analysis.nfactors import velicer_map
    return velicer_map(_d3())


def _nfactors():
    from qimscale.analysis.nfactors import number_of_factors
    return number_of_factors(_d3(), n_iter=3, random_state=1)


def _efa():
    from qimscale.analysis.efa import EFA
    return EFA(3).fit(_d3()).results_


def _rotation():
    from qimscale.analysis.efa import EFA
    from qimscale.analysis.rotation import rotate
    return rotate(EFA(3, rotation="none").fit(_d3()).results_.unrotated.to_numpy(), "oblimin")


def _cfa():
    from qimscale.analysis.cfa import cfa
    return cfa(HS_MODEL, _hs())


def _wlsmv():
    from qimscale.analysis.cfa import cfa
    return cfa(ORD_MODEL, _ordinal(), ordered="all")


def _invariance():
    from qimscale.analysis.cfa import measurement_invariance
    return measurement_invariance(HS_MODEL, _hs(), group="school")


def _wlsmv_invariance():
    from qimscale.analysis.cfa import measurement_invariance
    return measurement_invariance(ORD_MODEL, _ordinal(), group="group", estimator="WLSMV", ordered="all")


def _cfa_run():
    from qimscale.analysis.cfa import run_cfa
    return run_cfa(_hs(), HS_MODEL, n_boot=3, seed=1)


BUILDERS = {
    "AlphaResult": _alpha, "OmegaResult": _omega, "SplitHalfResult": _split_half, "ICCResult": _icc,
    "CorrelationResult-pearson": lambda: _correlation("pearson"),
    "CorrelationResult-polychoric": lambda: _correlation("polychoric"),
    "PolychoricResult": _polychoric, "KMOResult": _kmo, "BartlettResult": _bartlett,
    "FactorabilityResult": _factorability, "ParallelResult": _parallel, "MapResult": _map,
    "NFactorsResult": _nfactors, "EFAResult": _efa, "RotationResult": _rotation, "CFAResult": _cfa,
    "WLSMVResult": _wlsmv, "InvarianceResult-ML": _invariance, "InvarianceResult-WLSMV": _wlsmv_invariance,
    "CFARun": _cfa_run,
}


@pytest.mark.parametrize("name", list(BUILDERS))
def test_every_result_follows_the_protocol(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = BUILDERS[name]()
    assert type(res).__name__ == name.split("-")[0]
    assert isinstance(res, Result)
    check_protocol(res)
    assert res.tables(), f"{name}.tables() is empty"
    assert res.summary().strip()
    json.dumps(to_jsonable(res.to_dict()), allow_nan=False)  # to_dict() is JSON-ready


def test_cfa_warnings_is_warnings_underscore():
    res = _cfa()
    assert res.warnings is res.warnings_
    res.warnings_.append("note")
    assert res.warnings[-1] == "note"


def test_wlsmv_offers_the_cfa_methods():
    res = _wlsmv()
    assert res.warnings is res.warnings_
    assert set(res.tables()) == {"fit", "estimates", "reliability", "categories"}
    std = res.standardized_solution()
    assert list(std.columns) == ["lhs", "op", "rhs", "group", "std_lv", "std_all"]
    (R, tau), = res.implied()
    np.testing.assert_allclose(np.diag(R), 1.0)
    assert tau.index[0] == "y1|t1"
    resid, = res.residual_correlations()
    assert np.abs(resid.to_numpy()).max() < 0.2 and np.allclose(np.diag(resid), 0.0)
    fl = res.fornell_larcker()
    np.testing.assert_allclose(np.diag(fl) ** 2, res.reliability()["ave"].to_numpy())
    h = res.htmt()
    assert h.shape == (2, 2) and h.loc["f1", "f2"] == h.loc["f2", "f1"] > 0
    assert res.fit_measures() == res.fit_measures() and res.fit_measures() is not res.fit


@pytest.mark.parametrize("method, what", [("bootstrap", "robust standard errors")])
def test_wlsmv_methods_that_do_not_apply_say_what_to_use(method, what):
    res = _wlsmv()
    with pytest.raises(ModelError, match=what):
        getattr(res, method)()


def test_wlsmv_methods_match_lavaan_and_semtools():
    """implied(), residual_correlations(), htmt(), fornell_larcker() against
    lavInspect(fit, "implied"), lavResiduals(fit, type = "cor"), semTools::htmt and AVE
    (tests/reference/wlsmv_result_methods.R)."""
    from qimscale.analysis.cfa import cfa

    ref = json.loads((REF.parent / "wlsmv_result_methods.json").read_text())
    df = pd.read_csv(REF / "wlsmv_ordinal.csv")
    d = df[df["group"].isin(["A", "B"])][[f"y{i}" for i in range(1, 10)]]
    res = cfa(ref["model"], d, ordered="all")
    (R, tau), = res.implied()
    np.testing.assert_allclose(R.to_numpy(), ref["implied_cor"], atol=1e-6)
    np.testing.assert_allclose(tau.to_numpy(), ref["implied_th"], atol=1e-6)
    assert list(tau.index) == ref["th_names"]
    np.testing.assert_allclose(res.residual_correlations()[0].to_numpy(), ref["resid_cor"], atol=1e-6)
    np.testing.assert_allclose(res.htmt().to_numpy(), ref["htmt"], atol=1e-6)
    fl = res.fornell_larcker().to_numpy()
    np.testing.assert_allclose(np.diag(fl) ** 2, ref["ave"], atol=1e-6)
    off = ~np.eye(2, dtype=bool)
    np.testing.assert_allclose(fl[off], np.asarray(ref["factor_cor"])[off], atol=1e-6)


def test_efa_result_lists_the_warnings_its_fit_emitted():
    """EFA warns while fitting (Python warnings); the result lists the same messages."""
    from qimscale.analysis.efa import EFA

    r = np.array([[1, .9, .9], [.9, 1, .7], [.9, .7, 1]])   # one factor: a Heywood case on 'a'
    z = np.random.default_rng(3).normal(size=(500, 3))
    z = (z - z.mean(0)) @ np.linalg.inv(np.linalg.cholesky(np.cov(z.T, bias=True))).T
    data = pd.DataFrame(z @ np.linalg.cholesky(r).T, columns=["a", "b", "c"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = EFA(1).fit(data).results_
    emitted = [str(w.message) for w in caught]
    assert res.warnings and all(m in emitted for m in res.warnings)
    assert res.warnings[0].startswith("Heywood case: item(s) a ")


@pytest.mark.parametrize("args", [(), ("--bootstrap", "3", "--seed", "2"), ("--group", "school")])
def test_cfa_cli_text_is_the_run_summary(args):
    """``qimscale cfa`` (text) prints ``run_cfa(...).summary()``: one library call, rendered."""
    from click.testing import CliRunner

    from qimscale.analysis.cfa import run_cfa
    from qimscale.cli import main

    res = CliRunner().invoke(main, ["cfa", str(REF / "cfa_hs1939.csv"), "--model", HS_MODEL, *args])
    assert res.exit_code == 0, res.stderr
    opts = dict(zip(args[::2], args[1::2]))
    run = run_cfa(_hs(), HS_MODEL, group=opts.get("--group"),
                  n_boot=int(opts["--bootstrap"]) if "--bootstrap" in opts else None,
                  seed=int(opts["--seed"]) if "--seed" in opts else None)
    assert res.stdout == run.summary() + "\n"
