"""Modification indices of WLSMV fits against ``lavaan::modindices`` (lavaan 0.6-14).

Reference: ``tests/reference/wlsmv_modindices.R`` (``modindices(fit)`` for ``sem(model, data,
ordered = ..., estimator = "WLSMV", group = ..., group.equal = ..., missing = ...)``), data
``tests/reference/data/wlsmv_modindices.csv`` (and ``wlsmv_modindices_gaps.csv`` for
``missing = "pairwise"``).

Two comparisons per case:

- the candidate set (``lhs, op, rhs, group``) equals lavaan's, rows with NA dropped as lavaan does;
- evaluated at lavaan's estimates (so that the formula is checked apart from where the two
  optimisers stop), ``mi`` agrees to 1e-4 relative or 1e-6 absolute and ``epc``/``sepc.all`` to
  1e-4 relative or 1e-7 absolute (the stage-1 statistics themselves agree to ~2e-8);
- at qimscale's own estimates (which differ from lavaan's by up to 3e-6) to 2e-3 relative or
  2e-5 absolute: tiny indices move with the estimates.
"""

from __future__ import annotations

import dataclasses
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qimscale.analysis.cfa import sem

REF_DIR = Path(__file__).resolve().parents[3] / "reference"
REF = json.loads((REF_DIR / "wlsmv_modindices.json").read_text())
DATA = pd.read_csv(REF_DIR / "data" / "wlsmv_modindices.csv")
GAPS = pd.read_csv(REF_DIR / "data" / "wlsmv_modindices_gaps.csv")  # 5% MCAR in y1..y10 (pairwise cases)
KEYS = ["lhs", "op", "rhs", "group"]
COLUMNS = ["lhs", "op", "rhs", "group", "mi", "epc", "sepc_all"]


def _as_list(x):
    return x if isinstance(x, list) else [x]


_CACHE: dict = {}


def _fit(name):
    if name not in _CACHE:
        c = REF["cases"][name]
        _CACHE[name] = sem(c["model"], GAPS if c["missing"] == "pairwise" else DATA, estimator="WLSMV",
                           ordered=_as_list(c["ordered"]), group=c["group"] or None,
                           group_equal=[g for g in _as_list(c["group_equal"]) if g], std_lv=c["std_lv"],
                           missing=c["missing"])
        assert _CACHE[name].ntotal_ == c["ntotal"]
    return _CACHE[name]


def _at_lavaan_estimates(fit, name):
    """The fit with lavaan's estimates in place of qimscale's."""
    est = {(r["lhs"], r["op"], r.get("rhs") or "", int(r["group"])): r["est"]
           for r in REF["cases"][name]["estimates"]}
    lin = fit.model.lin  # linear equality constraints: the fitted vector is theta* (.constraints)
    theta = np.zeros(fit.partable.npar)
    for row in fit.partable.rows:
        if row["free"] > 0:
            theta[row["free"] - 1] = est[(row["lhs"], row["op"], row["rhs"], row["group"])]
    return dataclasses.replace(fit, theta=theta if lin is None else lin.reduce(theta))


def _reference(name):
    r = pd.DataFrame(REF["cases"][name]["modindices"]).rename(columns={"sepc.all": "sepc_all"})
    r["rhs"] = r["rhs"].fillna("")
    return r


def _mi(fit):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit.modification_indices()


def _compare(got, want, mi_tol, mi_atol, tol, atol):
    m = got.merge(want, on=KEYS, suffixes=("", "_r"), validate="one_to_one")
    assert len(m) == len(want)
    np.testing.assert_allclose(m["mi"], m["mi_r"], rtol=mi_tol, atol=mi_atol)
    np.testing.assert_allclose(m["epc"], m["epc_r"], rtol=tol, atol=atol)
    np.testing.assert_allclose(m["sepc_all"], m["sepc_all_r"], rtol=tol, atol=atol)


CASES = list(REF["cases"])


@pytest.mark.parametrize("name", CASES)
def test_candidate_set_as_lavaan(name):
    mi = _mi(_fit(name))
    assert list(mi.columns) == COLUMNS
    want = _reference(name)
    assert set(map(tuple, mi[KEYS].to_numpy().tolist())) == set(map(tuple, want[KEYS].to_numpy().tolist()))
    assert len(mi) == len(want)
    assert mi["mi"].is_monotonic_decreasing


@pytest.mark.parametrize("name", CASES)
def test_values_at_lavaan_estimates(name):
    mi = _mi(_at_lavaan_estimates(_fit(name), name))
    _compare(mi, _reference(name), 1e-4, 1e-6, 1e-4, 1e-7)


@pytest.mark.parametrize("name", CASES)
def test_values_at_own_estimates(name):
    _compare(_mi(_fit(name)), _reference(name), 2e-3, 2e-5, 2e-3, 2e-5)


def test_planted_misfit_ranks_first():
    """The planted cross-loading (y6 on F1) has the largest index, its EPC near the
    planted 0.35 on the standardised scale."""
    top = _fit("two_factor").modification_indices().iloc[0]
    assert (top["lhs"], top["op"], top["rhs"]) == ("F1", "=~", "y6")
    assert 0.3 < top["sepc_all"] < 0.7


def test_minimum_filters_rows():
    fit = _fit("two_factor")
    full = fit.modification_indices()
    big = fit.modification_indices(minimum=10)
    assert len(big) == int((full["mi"] >= 10).sum()) and big["mi"].min() >= 10


def test_equal_groups_name_released_rows_per_group():
    """With loadings and thresholds equal, lavaan lists the marker loadings and the intercepts
    of the ordered items (identified then); qimscale too (in the candidate-set test); here
    the intercept rows of the two groups mirror each other, as lavaan's."""
    mi = _fit("two_groups_equal").modification_indices()
    ints = mi[mi["op"] == "~1"].set_index(["lhs", "group"])["mi"]
    for item in ("y1", "y4", "y9"):
        assert ints[(item, 1)] == pytest.approx(ints[(item, 2)], rel=1e-3)


def test_latent_regressed_on_an_ordered_outcome_is_scored():
    """lavaan lists F1 ~ y3 and F2 ~ y3 once y3 is regressed on a covariate; the model has no slot
    for them, but their score tests only need the derivative of the statistics at 0: listed, no
    warning (values compared with lavaan's in the tests above)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mi = _fit("covariates_direct").modification_indices()
        _fit("covariates").modification_indices()
    rows = mi[(mi["op"] == "~") & (mi["rhs"] == "y3")]
    assert set(rows["lhs"]) == {"F1", "F2"}
