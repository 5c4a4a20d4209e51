"""CFA benchmarks against lavaan (issue 6).

1. ML CFA, 3 factors x 6 five-point items, N = 1,200 (fit + fit measures).
2. 3-group invariance up to scalar: configural, metric and scalar fits with
   their fit measures (18 items, N = 1,200 split in 3 sites).
3. MLR on the same single-group model.
4. FIML (MLR) on HolzingerSwineford1939 with 12% missing values per item.

lavaan runs in one ``Rscript`` process (start-up not timed). Data:
``tests/reference/data/cfa_sim3f.csv`` (written by ``tests/reference/cfa_lavaan.R``).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd

from benchmarks._harness import best_time, row, rscript_available, time_r

DATA = Path(__file__).resolve().parent.parent / "tests" / "reference" / "data" / "cfa_sim3f.csv"
HSM = DATA.parent / "cfa_hs1939_missing.csv"
HS_MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
MODEL = "A =~ a1 + a2 + a3 + a4 + a5 + a6\nB =~ b1 + b2 + b3 + b4 + b5 + b6\nC =~ c1 + c2 + c3 + c4 + c5 + c6"


def run() -> list[dict]:
    from qimscale.analysis.cfa import cfa

    warnings.simplefilter("ignore")
    df = pd.read_csv(DATA)
    have_r = rscript_available(("lavaan",))
    note = "" if have_r else "Rscript/lavaan not available"
    rmodel = MODEL.replace("\n", "; ")
    hs_r = HS_MODEL.replace("\n", "; ")
    setup = (f'suppressMessages(library(lavaan)); d <- read.csv(sim); m <- "{rmodel}"; '
             f'h <- read.csv(hsm); mh <- "{hs_r}"')
    files = {"sim": DATA, "hsm": HSM}

    def r_time(expr, repeat=5):
        return time_r(setup, expr, repeat=repeat, data=files) if have_r else None

    rows = []
    q = best_time(lambda: cfa(MODEL, df).fit_measures(), repeat=7)
    p = r_time("f <- cfa(m, data = d); fitMeasures(f)")
    rows.append(row("ML CFA 18 items x 1200, 3 factors", q, "lavaan::cfa", p, target=0.5, note=note))

    def invariance():
        for eq in ([], ["loadings"], ["loadings", "intercepts"]):
            cfa(MODEL, df, group="site", group_equal=eq).fit_measures()

    q = best_time(invariance, repeat=3)
    p = r_time('for (eq in list("", "loadings", c("loadings", "intercepts"))) '
               '{ f <- cfa(m, data = d, group = "site", group.equal = eq); fitMeasures(f) }', repeat=3)
    rows.append(row("3-group invariance to scalar (3 fits)", q, "lavaan::cfa x3", p, target=0.5, note=note))

    q = best_time(lambda: cfa(MODEL, df, estimator="MLR").fit_measures(), repeat=3)
    p = r_time('f <- cfa(m, data = d, estimator = "MLR"); fitMeasures(f)', repeat=3)
    rows.append(row("MLR CFA 18 items x 1200", q, "lavaan::cfa(MLR)", p, note=note))

    hsm = pd.read_csv(HSM)
    q = best_time(lambda: cfa(HS_MODEL, hsm, missing="fiml", estimator="MLR").fit_measures(), repeat=3)
    p = r_time('f <- cfa(mh, data = h, missing = "fiml", estimator = "MLR"); fitMeasures(f)', repeat=3)
    rows.append(row("FIML+MLR CFA HS1939 (12% missing)", q, "lavaan::cfa(fiml, MLR)", p, note=note))
    return rows
