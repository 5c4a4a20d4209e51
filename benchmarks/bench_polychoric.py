"""Polychoric correlations: qimscale vs psych::polychoric (and lavaan::lavCor) on bfi.

25 items x 2,800 respondents with missing values (psych's ``bfi``, committed as
tests/reference/data/polychoric_bfi.csv). Target (issue 4): at most 1/15 of
psych's time. Both sides time the full matrix computation from an in-memory
data frame, best of 3 after a warm-up.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd

from benchmarks._harness import best_time, row, rscript_available, time_r

DATA = Path(__file__).resolve().parents[1] / "tests" / "reference" / "data" / "polychoric_bfi.csv"


def run() -> list[dict]:
    from qimscale.analysis.polychoric import polychoric

    df = pd.read_csv(DATA)

    def ours():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            polychoric(df)

    def ours_lavaan():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            polychoric(df, correct=0, global_thresholds=True)

    t_psych_mode = best_time(ours)
    t_lavaan_mode = best_time(ours_lavaan)
    rows = []
    name = "polychoric bfi 25x2800 (psych defaults)"
    if rscript_available(("psych",)):
        r = time_r('suppressMessages(library(psych)); x <- read.csv(path)',
                   'suppressMessages(polychoric(x))', data={"path": DATA})
        rows.append(row(name, t_psych_mode, "psych::polychoric", r, target=1 / 15))
    else:
        rows.append(row(name, t_psych_mode, "psych::polychoric", None, target=1 / 15,
                        note="Rscript with psych not available"))
    sim = pd.read_csv(DATA.with_name("polychoric_sim.csv"))

    def ours_small():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            polychoric(sim)

    name = "polychoric sim 9x500 (psych defaults)"
    t_small = best_time(ours_small)
    if rscript_available(("psych",)):
        r = time_r('suppressMessages(library(psych)); x <- read.csv(path)',
                   'suppressMessages(polychoric(x))', data={"path": DATA.with_name("polychoric_sim.csv")})
        rows.append(row(name, t_small, "psych::polychoric", r))
    else:
        rows.append(row(name, t_small, "psych::polychoric", None, note="Rscript with psych not available"))
    name = "polychoric bfi 25x2800 (lavaan two-step)"
    if rscript_available(("lavaan",)):
        r = time_r('suppressMessages(library(lavaan)); x <- read.csv(path)',
                   'lavCor(x, ordered = names(x), missing = "pairwise")', data={"path": DATA}, repeat=1)
        rows.append(row(name, t_lavaan_mode, "lavaan::lavCor", r))
    else:
        rows.append(row(name, t_lavaan_mode, "lavaan::lavCor", None, note="Rscript with lavaan not available"))
    return rows
