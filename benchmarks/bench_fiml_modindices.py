"""Modification indices of FIML fits: qimscale vs ``lavaan::modindices`` in the same run.

The model is fitted once on each side (not timed); the rows time only the
modification indices of the fitted model: qimscale's
:meth:`~qimscale.analysis.cfa.results.CFAResult.modification_indices` against
``modindices(fit)`` of ``cfa(model, data, estimator = "ML" | "MLR", missing = "fiml")``.
Data: ``tests/reference/data/fiml_modindices.csv`` (8 continuous items, N = 400, ~10% MCAR
gaps; one group and two groups) and the first four factors of :mod:`benchmarks.bench_fiml`'s
data (17 five-point items, N = 600, sub-scale skips plus sporadic gaps, MLR).
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

import pandas as pd

from benchmarks._harness import best_time, row, rscript_available, time_r

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "reference" / "data" / "fiml_modindices.csv"
TWO = "F1 =~ y1 + y2 + y3 + y4\nF2 =~ y5 + y6 + y7 + y8"


def _wide():
    """17 items of the FIML benchmark's data (four factors) and their model."""
    from benchmarks.bench_fiml import make_data

    d, model = make_data()
    lines = model.splitlines()[:4]
    items = [v.strip() for ln in lines for v in ln.split("=~")[1].split("+")]
    return d[items], "\n".join(lines)


def run() -> list[dict]:
    from qimscale.analysis.cfa import CFA

    have_r = rscript_available(("lavaan",))
    wide, wide_model = _wide()
    tmp = Path(tempfile.mkdtemp())
    wide_csv = tmp / "fiml_mi_wide.csv"
    wide.to_csv(wide_csv, index=False, na_rep="")
    cases = [  # name, data path, model, estimator, group
        ("FIML modindices 8 items, N=400 (ML)", DATA, TWO, "ML", None),
        ("FIML modindices 8 items, 2 groups (ML)", DATA, TWO, "ML", "site"),
        ("FIML modindices 17 items, N=600 (MLR)", wide_csv, wide_model, "MLR", None),
    ]
    rows = []
    for name, path, model, estimator, group in cases:
        data = pd.read_csv(path)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = CFA(model, estimator=estimator, missing="fiml", group=group).fit(data)
        q = best_time(fit.modification_indices, repeat=3)
        if not have_r:
            rows.append(row(name, q, "lavaan 0.6 modindices", None, note="Rscript with lavaan not available"))
            continue
        args = "" if group is None else f', group = "{group}"'
        setup = ('suppressMessages(library(lavaan)); dat <- read.csv(path)\n'
                 f'model <- "{model}"\n'
                 f'fit <- cfa(model, data = dat, estimator = "{estimator}", missing = "fiml"{args})\n')
        r = time_r(setup, "modindices(fit)", repeat=3, data={"path": path})
        rows.append(row(name, q, "lavaan 0.6 modindices", r))
    return rows


if __name__ == "__main__":  # pragma: no cover
    from benchmarks._harness import render

    print(render(run()))
