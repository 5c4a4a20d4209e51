"""Ordinal SEM benchmark against lavaan (issue 12): the paper's structural question on 5-point items.

Ten sub-scales (43 items) load on three second-order domains (expertise,
leadership, interpersonal); a three-item performance factor is regressed on the
domains, the interpersonal domain predicts the other two, and ``:=`` gives the
indirect and total effects. N = 600, WLSMV (delta parameterisation), timed with
parameter estimates (standardized, delta-method SEs) against
``lavaan::sem(..., ordered = names(d), estimator = "WLSMV")``. One run each.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd

from benchmarks._harness import row, rscript_available, time_r

SIZES = (5, 4, 4, 4, 5, 4, 4, 5, 4, 4)
DOMAIN = (0, 0, 0, 1, 1, 1, 1, 2, 2, 2)
CUTS = [-1.3, -.4, .4, 1.3]


def make_data(seed: int = 5, n: int = 600):
    """Simulated responses (1-5) and the model text."""
    rng = np.random.default_rng(seed)
    dom = rng.multivariate_normal(np.zeros(3), [[1, .5, .4], [.5, 1, .5], [.4, .5, 1]], size=n)
    cols, lines, j = {}, [], 0
    for s, (size, dd) in enumerate(zip(SIZES, DOMAIN)):
        f = .8 * dom[:, dd] + rng.normal(scale=.6, size=n)
        names = []
        for _ in range(size):
            j += 1
            lam = rng.uniform(.6, .85)
            y = lam * f / f.std() + rng.normal(scale=np.sqrt(1 - lam ** 2), size=n)
            cols[f"q{j}"] = np.digitize(y, CUTS) + 1
            names.append(f"q{j}")
        lines.append(f"S{s + 1} =~ " + " + ".join(names))
    perf = .4 * dom[:, 0] + .3 * dom[:, 1] + .2 * dom[:, 2] + rng.normal(scale=.7, size=n)
    for k in range(3):
        y = .75 * perf / perf.std() + rng.normal(scale=np.sqrt(1 - .75 ** 2), size=n)
        cols[f"p{k + 1}"] = np.digitize(y, CUTS) + 1
    lines += ["EXP =~ S1 + S2 + S3", "LEAD =~ S4 + S5 + S6 + S7", "INTER =~ S8 + S9 + S10",
              "PERF =~ p1 + p2 + p3", "PERF ~ a*EXP + b*LEAD + c*INTER", "EXP ~ d*INTER", "LEAD ~ e*INTER",
              "ind := d*a + e*b", "tot := c + d*a + e*b"]
    return pd.DataFrame(cols), "\n".join(lines)


def run() -> list[dict]:
    import tempfile
    from pathlib import Path

    from qimscale.analysis.cfa import sem

    warnings.simplefilter("ignore")
    d, model = make_data()
    t0 = time.perf_counter()
    sem(model, d, ordered="all").parameter_estimates()
    q = time.perf_counter() - t0
    have_r = rscript_available(("lavaan",))
    p = None
    if have_r:
        with tempfile.TemporaryDirectory() as tmp:
            csv = Path(tmp) / "sem.csv"
            d.to_csv(csv, index=False)
            m = model.replace("\n", "; ")
            p = time_r(f'suppressMessages(library(lavaan)); d <- read.csv(f); m <- "{m}"',
                       'fit <- sem(m, data = d, ordered = names(d), estimator = "WLSMV"); '
                       'parameterEstimates(fit, standardized = TRUE)', repeat=1, data={"f": csv})
    return [row("WLSMV SEM 46 items x 600, 2nd-order + paths", q, "lavaan::sem(WLSMV)", p,
                note="" if have_r else "Rscript/lavaan not available")]
