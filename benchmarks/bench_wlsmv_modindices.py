"""Modification indices of WLSMV fits: qimscale vs ``lavaan::modindices`` in the same run.

The model is fitted once on each side (not timed); the rows time only the
modification indices of the fitted model: qimscale's
:meth:`~qimscale.analysis.cfa.wlsmv.WLSMVResult.modification_indices` against
``modindices(fit)`` of ``cfa(model, data, ordered = items, estimator = "WLSMV")``.
Data: ``tests/reference/data/wlsmv_ordinal.csv`` (18 five-point items, 3 factors,
3 groups x 400), as :mod:`benchmarks.bench_wlsmv`.
"""

from __future__ import annotations

import warnings

import pandas as pd

from benchmarks._harness import best_time, row, rscript_available, time_r
from benchmarks.bench_wlsmv import DATA, MODEL, R_SETUP

CASES = [  # name, group, group_equal (R), qimscale group_equal
    ("WLSMV modindices 18 items, N=1200", None, None, ()),
    ("WLSMV modindices 3-group, equal th+loadings", "group", 'c("thresholds", "loadings")',
     ("thresholds", "loadings")),
]


def run() -> list[dict]:
    from qimscale.analysis.cfa import CFA

    data = pd.read_csv(DATA)
    have_r = rscript_available(("lavaan",))
    rows = []
    for name, group, r_equal, equal in CASES:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = CFA(MODEL, estimator="WLSMV", ordered="all", group=group, group_equal=list(equal)).fit(data)
        q = best_time(fit.modification_indices, repeat=3)
        if not have_r:
            rows.append(row(name, q, "lavaan 0.6 modindices", None, note="Rscript with lavaan not available"))
            continue
        args = "" if group is None else f', group = "{group}", group.equal = {r_equal}'
        setup = R_SETUP + f'fit <- cfa(model, data = dat, ordered = items, estimator = "WLSMV"{args})\n'
        r = time_r(setup, "modindices(fit)", repeat=3, data={"path": DATA})
        rows.append(row(name, q, "lavaan 0.6 modindices", r))
    return rows


if __name__ == "__main__":  # pragma: no cover
    from benchmarks._harness import render

    print(render(run()))
