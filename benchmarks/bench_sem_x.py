"""Ordinal SEM with observed covariates (WLSMV, conditional.x) against lavaan (issue 12).

Three competency factors (5 five-point items each) are regressed on three covariates
(years in role, a training score, and a 0/1 certification), one item has a direct
effect of the certification (MIMIC DIF), and a performance factor (4 items) is regressed
on the three factors and a covariate. N = 800, timed with standardized parameter
estimates, against ``lavaan::sem(..., ordered = items, estimator = "WLSMV")`` (lavaan's
default ``conditional.x = TRUE``). Best of three runs each (R in one process, after a
warm-up; qimscale after a warm-up too).
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd

from benchmarks._harness import row, rscript_available, time_r

CUTS = [-1.3, -.4, .4, 1.3]


def make_data(seed: int = 7, n: int = 800):
    """Simulated responses (1-5), covariates and the model text."""
    rng = np.random.default_rng(seed)
    x = {"years": np.round(rng.gamma(3, 2, size=n), 1), "training": np.round(rng.normal(size=n), 3),
         "cert": (rng.random(n) < 0.35).astype(int)}
    z = (x["years"] - x["years"].mean()) / x["years"].std()
    cols, lines, facs = {}, [], []
    for k in range(3):
        f = .3 * z + .25 * x["training"] + .4 * x["cert"] + rng.normal(size=n)
        facs.append(f)
        names = []
        for i in range(5):
            lam = rng.uniform(.6, .85)
            y = lam * f / f.std() + rng.normal(scale=np.sqrt(1 - lam ** 2), size=n)
            if k == 0 and i == 1:
                y = y + .4 * x["cert"]
            name = f"c{k + 1}_{i + 1}"
            cols[name] = np.digitize(y, CUTS) + 1
            names.append(name)
        lines.append(f"F{k + 1} =~ " + " + ".join(names))
    perf = .3 * facs[0] + .2 * facs[1] + .2 * facs[2] + .2 * z + rng.normal(size=n)
    pn = []
    for i in range(4):
        y = .75 * perf / perf.std() + rng.normal(scale=np.sqrt(1 - .75 ** 2), size=n)
        cols[f"p{i + 1}"] = np.digitize(y, CUTS) + 1
        pn.append(f"p{i + 1}")
    lines += ["PERF =~ " + " + ".join(pn), "F1 ~ years + training + cert", "F2 ~ years + training + cert",
              "F3 ~ years + training + cert", "c1_2 ~ cert", "PERF ~ F1 + F2 + F3 + years"]
    d = pd.DataFrame(cols)
    for k, v in x.items():
        d[k] = v
    return d, "\n".join(lines)


def run() -> list[dict]:
    import tempfile
    from pathlib import Path

    from qimscale.analysis.cfa import sem

    warnings.simplefilter("ignore")
    d, model = make_data()
    items = [c for c in d.columns if c not in ("years", "training", "cert")]
    sem(model, d, ordered=items).parameter_estimates()  # warm-up (imports)
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        sem(model, d, ordered=items).parameter_estimates()
        best = min(best, time.perf_counter() - t0)
    have_r = rscript_available(("lavaan",))
    p = None
    if have_r:
        with tempfile.TemporaryDirectory() as tmp:
            csv = Path(tmp) / "sem_x.csv"
            d.to_csv(csv, index=False)
            m = model.replace("\n", "; ")
            p = time_r(f'suppressMessages(library(lavaan)); d <- read.csv(f); m <- "{m}"; '
                       'it <- setdiff(names(d), c("years", "training", "cert"))',
                       'fit <- sem(m, data = d, ordered = it, estimator = "WLSMV"); '
                       'parameterEstimates(fit, standardized = TRUE)', repeat=3, data={"f": csv})
    return [row("WLSMV SEM 19 items + 3 covariates x 800 (MIMIC)", best, "lavaan::sem(WLSMV)", p,
                note="" if have_r else "Rscript/lavaan not available")]
