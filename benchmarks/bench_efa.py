"""EFA benchmarks: parallel analysis (100 iterations) and one EFA fit, against psych.

Data: 18 five-point items x 1,200 respondents with three correlated factors,
simulated here with a fixed seed and written to a temporary CSV that both
sides read. R's psych runs through ``Rscript`` in the same run (start-up not
timed). The issue's target: parallel analysis in at most 1/10 of
``psych::fa.parallel(n.iter=100)``'s time.
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks._harness import best_time, row, rscript_available, time_r


def _data(n: int = 1200, p: int = 18, k: int = 3, seed: int = 2026) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    phi = np.full((k, k), 0.3) + 0.7 * np.eye(k)
    f = rng.standard_normal((n, k)) @ np.linalg.cholesky(phi).T
    lam = np.zeros((p, k))
    lam[np.arange(p), np.arange(p) % k] = rng.uniform(0.5, 0.8, p)
    y = f @ lam.T + rng.standard_normal((n, p)) * np.sqrt(1 - (lam ** 2).sum(axis=1))
    x = np.digitize(y, [-1.5, -0.5, 0.5, 1.5]) + 1
    return pd.DataFrame(x, columns=[f"v{i + 1}" for i in range(p)])


def run() -> list[dict]:
    from qimscale.analysis.efa import EFA
    from qimscale.analysis.nfactors import parallel_analysis

    warnings.simplefilter("ignore")
    df = _data()
    have_r = rscript_available(("psych", "GPArotation"))
    note = "" if have_r else "Rscript/psych not available"
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "efa_bench.csv"
        df.to_csv(path, index=False)
        setup = "suppressMessages({library(psych); library(GPArotation)}); x <- read.csv(csv)"
        files = {"csv": path}

        def r_time(expr, repeat):
            return time_r(setup, expr, repeat=repeat, data=files) if have_r else None

        q = best_time(lambda: parallel_analysis(df, n_iter=100, fa="both", random_state=1), repeat=3)
        p = r_time("fa.parallel(x, n.iter = 100, plot = FALSE)", repeat=2)
        rows.append(row("parallel analysis, 100 iter, 18 items x 1200", q, "psych::fa.parallel", p,
                        target=0.1, note=note or "fa='both': resampled + simulated, factors + components"))

        q = best_time(lambda: parallel_analysis(df, n_iter=100, fa="pc", random_state=1), repeat=3)
        p = r_time('fa.parallel(x, n.iter = 100, fa = "pc", plot = FALSE)', repeat=2)
        rows.append(row("parallel analysis (components), 100 iter", q, "psych::fa.parallel(pc)", p, note=note))

        q = best_time(lambda: EFA(3, method="minres", rotation="oblimin").fit(df), repeat=5)
        p = r_time("fa(x, 3, fm = 'minres', rotate = 'oblimin')", repeat=5)
        rows.append(row("EFA minres + oblimin, 3 factors", q, "psych::fa", p, note=note))

        q = best_time(lambda: EFA(3, method="ml", rotation="geomin").fit(df), repeat=5)
        p = r_time("fa(x, 3, fm = 'ml', rotate = 'geominQ')", repeat=5)
        rows.append(row("EFA ML + geomin, 3 factors", q, "psych::fa", p, note=note))
    return rows


if __name__ == "__main__":  # pragma: no cover
    from benchmarks._harness import render

    print(render(run()))
