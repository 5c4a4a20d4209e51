"""FIML benchmark against lavaan (issue 12): MLR + FIML on 600 x 43 five-point items.

Ten correlated factors (4-5 items each, 43 items as the bundled instrument) and
N/A-driven gaps: each respondent skips a whole sub-scale with probability 0.12
(a task that is not part of the job) plus 1% sporadic gaps, about 250 missing-data
patterns. Timed: ``cfa(model, estimator="MLR", missing="fiml")`` and its fit measures
(robust CFI/RMSEA included), against ``lavaan::cfa(..., estimator = "MLR",
missing = "fiml"); fitMeasures(fit)``. One run each (the lavaan fit takes minutes;
R start-up and reading the data are not timed).
"""

from __future__ import annotations

import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks._harness import row, rscript_available

SIZES = (5, 4, 4, 4, 5, 4, 4, 5, 4, 4)


def make_data(seed: int = 12, n: int = 600):
    """The benchmark data (DataFrame with a ``site`` column) and the 10-factor model."""
    rng = np.random.default_rng(seed)
    k = len(SIZES)
    R = np.full((k, k), 0.45) + 0.55 * np.eye(k)
    F = rng.multivariate_normal(np.zeros(k), R, size=n)
    cols, lines, blocks, j = {}, [], [], 0
    for f, size in enumerate(SIZES):
        names = []
        for _ in range(size):
            j += 1
            lam = rng.uniform(.55, .85)
            y = lam * F[:, f] + rng.normal(scale=np.sqrt(1 - lam ** 2), size=n)
            cols[f"q{j}"] = np.digitize(y, [-1.3, -.4, .4, 1.3]) + 1.0
            names.append(f"q{j}")
        lines.append(f"F{f + 1} =~ " + " + ".join(names))
        blocks.append(names)
    d = pd.DataFrame(cols)
    for names in blocks:
        d.loc[rng.random(n) < 0.12, names] = np.nan
    d = d.mask(rng.random(d.shape) < 0.01)
    d["site"] = np.where(rng.random(n) < 0.5, "A", "B")
    return d, "\n".join(lines)


def _lavaan_seconds(csv: Path, model: str) -> float:
    script = (f'suppressMessages(library(lavaan)); d <- read.csv("{csv.as_posix()}"); m <- "{model}"\n'
              't <- system.time({f <- cfa(m, data = d, estimator = "MLR", missing = "fiml"); '
              'fm <- fitMeasures(f)})[["elapsed"]]\ncat(sprintf("%.6f\\n", t))\n')
    with tempfile.NamedTemporaryFile("w", suffix=".R", delete=False) as fh:
        fh.write(script)
    try:
        res = subprocess.run(["Rscript", fh.name], capture_output=True, text=True)
    finally:
        Path(fh.name).unlink()
    if res.returncode != 0:
        raise RuntimeError(f"R benchmark failed: {res.stderr.strip()[-500:]}")
    return float(res.stdout.strip().splitlines()[-1])


def run() -> list[dict]:
    from qimscale.analysis.cfa import cfa

    warnings.simplefilter("ignore")
    d, model = make_data()
    items = d.drop(columns="site")
    t0 = time.perf_counter()
    cfa(model, items, estimator="MLR", missing="fiml").fit_measures()
    q = time.perf_counter() - t0
    have_r = rscript_available(("lavaan",))
    p = None
    if have_r:
        with tempfile.TemporaryDirectory() as tmp:
            csv = Path(tmp) / "fiml600.csv"
            items.to_csv(csv, index=False)
            p = _lavaan_seconds(csv, model.replace("\n", "; "))
    return [row("MLR+FIML CFA 43 items x 600, ~250 patterns", q, "lavaan::cfa(MLR, fiml)", p, target=0.5,
                note="" if have_r else "Rscript/lavaan not available")]
