"""Modification indices of FIML fits against ``lavaan::modindices`` (lavaan 0.6-14).

Reference: ``tests/reference/fiml_modindices.R`` (``modindices(fit)`` for ``cfa(model, data,
estimator = "ML" | "MLR", missing = "fiml", group = ..., group.equal = ...)``), data
``tests/reference/data/fiml_modindices.csv`` (8 continuous items, N = 400, ~10% of the answers
missing completely at random, a planted cross-loading ``F1 =~ y5`` and residual covariance
``y2 ~~ y3``).

Tolerances. ``modindices()`` uses ``information = "expected"`` whatever the fit's own
information option (``lavInspect(fit, "options")$information`` is ``"observed"`` for FIML and
is recorded in the reference only to show this), so no numerical Hessian enters: the expected
information summed over missing-data patterns is analytic on both sides. Two comparisons:

- evaluated at lavaan's estimates (the formula apart from where the optimisers stop): ``mi``,
  ``epc`` and ``sepc.all`` to 1e-6 relative or 1e-8 absolute;
- at qimscale's own estimates, which differ from lavaan's by up to 3e-5 in the two-group cases
  (lavaan stops on its relative tolerance, the chi-squares agree to 1e-9): ``mi``, ``epc`` and
  ``sepc.all`` to 1e-3 relative or 1e-5 absolute (indices near zero move with the estimates).
"""

from __future__ import annotations

import copy
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qimscale.analysis.cfa import CFA
from qimscale.errors import ModelError

REF_DIR = Path(__file__).resolve().parents[2] / "reference"
REF = json.loads((REF_DIR / "fiml_modindices.json").read_text())
DATA = pd.read_csv(REF_DIR / "data" / "fiml_modindices.csv")
KEYS = ["lhs", "op", "rhs", "group"]


def _as_list(x):
    return x if isinstance(x, list) else [x]


def _fit(case):
    ref = REF["cases"][case]
    equal = [e for e in _as_list(ref["group_equal"]) if e]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return CFA(ref["model"], estimator=ref["estimator"], missing="fiml", group=ref["group"] or None,
                   group_equal=equal).fit(DATA)


def _at_lavaan_estimates(fit, case):
    """The fit with lavaan's estimates in place of qimscale's."""
    est = {(r["lhs"], r["op"], r.get("rhs") or "", int(r["group"])): r["est"]
           for r in REF["cases"][case]["estimates"]}
    theta = np.zeros(fit.partable_.npar)
    for row in fit.partable_.rows:
        if row["free"] > 0:
            theta[row["free"] - 1] = est[(row["lhs"], row["op"], row["rhs"], row["group"])]
    lin = fit.partable_.lin  # linear equality constraints: the fitted vector is theta* (.constraints)
    out = copy.copy(fit)
    out.theta_ = theta if lin is None else lin.reduce(theta)
    return out


def _compare(got, ref, rel, abs_):
    # the same candidates as lavaan (rows lavaan reports NA for are dropped on both sides)
    assert sorted(map(tuple, got[KEYS].to_numpy().tolist())) == sorted(map(tuple, ref[KEYS].to_numpy().tolist()))
    m = ref.merge(got, on=KEYS, suffixes=("_r", ""))
    assert len(m) == len(ref)
    for _, r in m.iterrows():
        where = (r["lhs"], r["op"], r["rhs"], r["group"])
        assert r["mi"] == pytest.approx(r["mi_r"], rel=rel, abs=abs_), where
        assert r["epc"] == pytest.approx(r["epc_r"], rel=rel, abs=abs_), where
        assert r["sepc_all"] == pytest.approx(r["sepc.all"], rel=rel, abs=abs_), where


@pytest.mark.parametrize("case", list(REF["cases"]))
def test_fiml_modindices_match_lavaan(case):
    ref = pd.DataFrame(REF["cases"][case]["modindices"])
    fit = _fit(case)
    assert fit.fiml_
    assert fit.ntotal_ == REF["cases"][case]["ntotal"]
    _compare(_at_lavaan_estimates(fit, case).modification_indices(), ref, 1e-6, 1e-8)
    got = fit.modification_indices()
    _compare(got, ref, 1e-3, 1e-5)
    # the largest index is the planted cross-loading
    assert (got.iloc[0]["lhs"], got.iloc[0]["op"], got.iloc[0]["rhs"]) == ("F1", "=~", "y5")


def test_lavaan_fiml_information_option_is_observed():
    # documents why modindices' own default (information = "expected") matters for FIML
    for case in REF["cases"].values():
        assert set(_as_list(case["information"])) == {"observed"}


def test_mlr_and_ml_give_the_same_indices():
    ml = _fit("two_factor").modification_indices()
    mlr = _fit("two_factor_mlr").modification_indices()
    pd.testing.assert_frame_equal(ml, mlr)


def test_implied_covariance_not_positive_definite_is_refused():
    fit = _fit("two_factor")
    bad = copy.copy(fit)
    theta = fit.theta_.copy()
    for row in fit.partable_.rows:  # a residual variance far below zero: Sigma is not PD
        if row["op"] == "~~" and row["lhs"] == row["rhs"] == "y1":
            theta[row["free"] - 1] = -50.0
    bad.theta_ = theta
    with pytest.raises(ModelError, match="^could not compute modification indices: the model-implied covariance "
                                         "matrix is not positive definite for every missing-data pattern$"):
        bad.modification_indices()
