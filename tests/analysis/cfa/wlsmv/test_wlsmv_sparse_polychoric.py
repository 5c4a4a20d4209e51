"""Stage-1 polychorics on sparse tables with empty cells, against lavaan 0.6-14.

Reference: ``tests/reference/wlsmv_sparse_polychoric.R``. On these data one pair's table (e.g.
``[[10, 0], [2, 0], [17, 1]]``: one non-empty column but for a single case) makes the two-step
log-likelihood flat in :math:`\\rho` to ~1e-10 relative, so the estimate is not determined by the data:
lavaan returns the point where ``nlminb``'s relative-function test stops (e.g. .938), qimscale the
point its Newton solver reaches (.953); both are maximisers to within 1e-9 of the log-likelihood.
Such a correlation carries (almost) no weight (its :math:`\\Gamma` entry is huge), so the WLSMV
estimates, SEs and χ² agree with lavaan's at the usual tolerances; every other polychoric agrees to 1e-6.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.special import ndtri

from qimscale.analysis.cfa.wlsmv import fit_wlsmv
from qimscale.analysis.polychoric import cell_probabilities

REF = Path(__file__).resolve().parents[3] / "reference"
R = json.loads((REF / "wlsmv_sparse_polychoric.json").read_text())
DATA = pd.read_csv(REF / "wlsmv_sparse_polychoric_data.csv")
SETS = sorted(R["sets"], key=int)


def _loglik(a, b):
    la, lb = np.unique(a), np.unique(b)
    tab = pd.crosstab(a, b).reindex(index=la, columns=lb, fill_value=0).to_numpy()
    ta = ndtri(np.cumsum(tab.sum(1))[:-1] / tab.sum())
    tb = ndtri(np.cumsum(tab.sum(0))[:-1] / tab.sum())
    return lambda r: float(np.sum(np.where(tab > 0, tab * np.log(np.maximum(cell_probabilities(ta, tb, r),
                                                                               1e-300)), 0.0)))


def _fit(k):
    d = DATA[DATA["set"] == int(k)].drop(columns="set")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return d, fit_wlsmv(d, "F =~ y1+y2+y3+y4+y5")


@pytest.mark.parametrize("k", SETS)
def test_polychorics_equal_lavaan_or_maximise_a_flat_likelihood(k):
    d, res = _fit(k)
    ours, theirs = res.stats[0].cor, np.asarray(R["sets"][k]["cor"])
    flat = 0
    for i in range(5):
        for j in range(i):
            if abs(ours[i, j] - theirs[i, j]) <= 1e-6:
                continue
            ll = _loglik(d.iloc[:, i].to_numpy(), d.iloc[:, j].to_numpy())
            lo, lt = ll(ours[i, j]), ll(theirs[i, j])
            assert lo >= lt - 1e-9 * abs(lt)  # ours is at least as good a maximiser
            assert abs(lo - lt) <= 1e-8 * abs(lt)  # and the likelihood does not tell them apart
            flat += 1
    assert flat >= 1  # the data set does exercise a flat likelihood


@pytest.mark.parametrize("k", SETS)
def test_wlsmv_fit_agrees_despite_the_flat_pair(k):
    _, res = _fit(k)
    ref = R["sets"][k]
    fm = res.fit_measures()
    assert fm["chisq"] == pytest.approx(ref["fit"]["chisq"], abs=1e-4)
    assert fm["chisq_scaled"] == pytest.approx(ref["fit"]["chisq.scaled"], abs=2e-3)
    m = pd.DataFrame(ref["estimates"]).merge(res.parameter_estimates(), on=["lhs", "op", "rhs"],
                                             suffixes=("_r", ""))
    np.testing.assert_allclose(m["est"], m["est_r"], atol=1e-4)
    free = m["se_r"] > 0
    np.testing.assert_allclose(m.loc[free, "se"], m.loc[free, "se_r"], rtol=1e-3)
