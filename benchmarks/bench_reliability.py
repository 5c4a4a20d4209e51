"""Reliability benchmarks: alpha with 1,000 bootstrap replicates, alpha alone, omega.

Peers run in the same process run: R's psych through ``Rscript`` (start-up not
timed) and pingouin. Data: psych's ``bfi`` (25 items x 2,800, with missing
values) and the simulated 12-item ordinal set, both committed under
``tests/reference/``.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd

from benchmarks._harness import best_time, row, rscript_available, time_r

REF = Path(__file__).resolve().parent.parent / "tests" / "reference"
BFI = REF / "reliability_bfi_data.csv"
SIM = REF / "reliability_sim_data.csv"


def run() -> list[dict]:
    from qimscale.analysis.omega import omega
    from qimscale.analysis.reliability import alpha

    warnings.simplefilter("ignore")
    bfi = pd.read_csv(BFI)
    sim = pd.read_csv(SIM)
    agree = bfi[["A1", "A2", "A3", "A4", "A5"]]
    have_r = rscript_available(("psych", "GPArotation"))
    setup = 'suppressMessages(library(psych)); b <- read.csv(bfi); s <- read.csv(sim)'
    files = {"bfi": BFI, "sim": SIM}
    rows = []

    def r_time(expr, repeat=3):
        return time_r(setup, expr, repeat=repeat, data=files) if have_r else None

    note = "" if have_r else "Rscript/psych not available"

    # 1. alpha + 1,000 bootstrap replicates, 25 items x 2,800 with missing values (pairwise)
    q = best_time(lambda: alpha(bfi, ci="bootstrap", n_boot=1000, seed=1), repeat=3)
    p = r_time("alpha(b, n.iter = 1000, warnings = FALSE)", repeat=2)
    rows.append(row("alpha + 1000 boot, bfi 25 items x 2800", q, "psych::alpha(n.iter=1000)", p,
                    target=0.1, note=note or "qimscale computes BCa and percentile; psych percentile only"))

    # 2. the same on a 5-item scale with a reverse-keyed item
    q = best_time(lambda: alpha(agree, keys=["A1"], ci="bootstrap", n_boot=1000, seed=1), repeat=3)
    p = r_time('alpha(b[, 1:5], keys = "A1", n.iter = 1000, warnings = FALSE)', repeat=2)
    rows.append(row("alpha + 1000 boot, bfi A1-A5 (A1 reversed)", q, "psych::alpha(n.iter=1000)", p,
                    target=0.1, note=note))

    # 3. alpha alone (full item analysis + Feldt CI)
    q = best_time(lambda: alpha(bfi), repeat=5)
    p = r_time("alpha(b, warnings = FALSE)", repeat=5)
    rows.append(row("alpha + item analysis, bfi 25 items", q, "psych::alpha", p, note=note))
    try:
        import pingouin as pg

        pp = best_time(lambda: pg.cronbach_alpha(bfi), repeat=5)
        rows.append(row("alpha + item analysis, bfi 25 items", q, "pingouin.cronbach_alpha", pp,
                        note="pingouin: alpha and Feldt CI only, no item statistics"))
    except ImportError:  # pragma: no cover
        rows.append(row("alpha + item analysis, bfi 25 items", q, "pingouin.cronbach_alpha", None,
                        note="pingouin not installed"))

    # 4. omega (Schmid-Leiman, 3 group factors), Pearson and polychoric
    q = best_time(lambda: omega(sim, keys=["i03"], key_range=(1, 5), n_factors=3), repeat=3)
    p = r_time("s$i03 <- 6L - s$i03; omega(s, nfactors = 3, plot = FALSE)", repeat=3)
    rows.append(row("omega 3 factors, 12 items x 500", q, "psych::omega", p, note=note))
    q = best_time(lambda: omega(sim, keys=["i03"], key_range=(1, 5), n_factors=3, poly=True), repeat=3)
    p = r_time("s$i03 <- 6L - s$i03; omega(s, nfactors = 3, poly = TRUE, plot = FALSE)", repeat=3)
    rows.append(row("omega 3 factors poly, 12 items x 500", q, "psych::omega(poly=TRUE)", p, note=note))
    return rows


if __name__ == "__main__":  # pragma: no cover
    from benchmarks._harness import render

    print(render(run()))
