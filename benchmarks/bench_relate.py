"""``relate`` benchmarks against R in the same run: the random-intercept model of issue 15
(N = 5,000 respondents in 200 clusters, ``lme4::lmer`` REML), a random slope, and OLS with HC3
(``lm`` + ``sandwich::vcovHC``).

Data: three numeric predictors and a three-level category, simulated here with a fixed seed and
written to a temporary CSV that both sides read. R runs through ``Rscript`` (start-up not timed).
qimscale is timed through the library call the CLI makes (:func:`qimscale.analysis.relate.relate`),
including its checks, listwise deletion, the patsy design, the null model for ICC(1) and ICC(2).
Target (issue 15): ``relate --cluster`` in at most 1/2 of ``lmer``'s time.
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks._harness import best_time, row, rscript_available, time_r


def _data(n: int = 5000, g: int = 200, seed: int = 2026) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    grp = rng.integers(0, g, n)
    u = rng.normal(0, 0.5, g)[grp]
    us = rng.normal(0, 0.15, g)[grp]
    x = rng.normal(size=(n, 3))
    kind = rng.choice(["clinical", "mixed", "traditional"], n)
    y = 1 + x @ [0.3, 0.2, 0.1] + us * x[:, 0] + 0.2 * (kind == "traditional") + u + rng.normal(size=n)
    return pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "kind": kind, "y": y,
                         "org": [f"o{k:03d}" for k in grp]})


def run() -> list[dict]:
    from qimscale.analysis.relate import relate

    warnings.simplefilter("ignore")
    df = _data()
    have_r = rscript_available(("lme4", "sandwich"))
    note = "" if have_r else "Rscript/lme4 not available"
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "relate_bench.csv"
        df.to_csv(path, index=False)
        setup = "suppressMessages({library(lme4); library(sandwich)}); d <- read.csv(csv)"
        files = {"csv": path}

        def r_time(expr, repeat=5):
            return time_r(setup, expr, repeat=repeat, data=files) if have_r else None

        preds = ["a", "b", "c", "kind"]
        q = best_time(lambda: relate(df, "y", preds, cluster="org"), repeat=5)
        p = r_time("m <- lmer(y ~ a + b + c + kind + (1 | org), data = d, REML = TRUE); "
                   "n0 <- lmer(y ~ 1 + (1 | org), data = d, REML = TRUE); VarCorr(m); vcov(m); VarCorr(n0)")
        rows.append(row("relate --cluster, N=5000, 200 clusters", q, "lme4::lmer (+ null)", p, target=0.5,
                        note=note or "both sides fit the model and the null model (ICC1)"))

        q = best_time(lambda: relate(df, "y", preds, cluster="org", random_slope="a"), repeat=3)
        p = r_time("m <- lmer(y ~ a + b + c + kind + (1 + a | org), data = d, REML = TRUE); "
                   "n0 <- lmer(y ~ 1 + (1 | org), data = d, REML = TRUE); VarCorr(m); vcov(m)", repeat=3)
        rows.append(row("relate --cluster --random-slope a", q, "lme4::lmer (1 + a | org)", p, note=note))

        q = best_time(lambda: relate(df, "y", preds, robust="HC3"), repeat=5)
        p = r_time("f <- lm(y ~ a + b + c + kind, data = d); sqrt(diag(vcovHC(f, type = 'HC3'))); summary(f)")
        rows.append(row("relate --robust HC3, N=5000", q, "lm + sandwich HC3", p, note=note))
    return rows


if __name__ == "__main__":  # pragma: no cover
    from benchmarks._harness import render

    print(render(run()))
