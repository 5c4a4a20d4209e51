"""Invariance sequences with score tests: qimscale vs lavaan + lavTestScore in the same run.

Each row times the whole job a user runs to find non-invariant parameters:
fit configural → metric → scalar → strict (ordinal: configural → thresholds →
metric → scalar), the difference tests between successive levels, and the score
tests (univariate and cumulative) for releasing each equality constraint of the
scalar model. lavaan: ``cfa(..., group.equal = ...)`` per level (ordinal:
``semTools::measEq.syntax(..., return.fit = TRUE)``), ``lavTestLRT`` and
``lavTestScore(scalar, cumulative = TRUE)``.

Rows: ML and FIML on HolzingerSwineford1939 by school (301 cases, 9 items, 3
factors), WLSMV on ``wlsmv_ordinal.csv`` (18 five-point items, 3 groups x 400).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from benchmarks._harness import best_time, row, rscript_available, time_r
from benchmarks.bench_wlsmv import DATA as ORD_DATA
from benchmarks.bench_wlsmv import MODEL as ORD
from benchmarks.bench_wlsmv import R_INV
from benchmarks.bench_wlsmv import R_SETUP as R_SETUP_ORD

ROOT = Path(__file__).resolve().parents[1]
DD = ROOT / "tests" / "reference" / "data"
HS = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
R_SETUP = """
suppressPackageStartupMessages({library(lavaan); library(semTools)})
dat <- read.csv(path)
model <- "%s"
"""
R_CONT = """
eqs <- list("", "loadings", c("loadings", "intercepts"), c("loadings", "intercepts", "residuals"))
fits <- lapply(eqs, function(e) cfa(model, data = dat, group = "school", group.equal = e, missing = "%s"))
lavTestLRT(fits[[1]], fits[[2]], fits[[3]], fits[[4]])
lavTestScore(fits[[3]], cumulative = TRUE)
"""
# the Wu & Estabrook sequence as bench_wlsmv times it, then the score tests of the scalar model
R_ORD = R_INV + "lavTestScore(fits[[4]], cumulative = TRUE)\n"


def _job(model, data, group, **kw):
    from qimscale.analysis.cfa import measurement_invariance
    from qimscale.analysis.cfa.score_tests import score_tests

    def fn():
        res = measurement_invariance(model, data, group=group, **kw)
        return score_tests(res.fits["scalar"])

    return fn


def run() -> list[dict]:
    hs = pd.read_csv(DD / "cfa_hs1939.csv")
    hsm = pd.read_csv(DD / "cfa_hs1939_missing.csv")
    ordd = pd.read_csv(ORD_DATA)
    r_hs = R_SETUP % HS.replace("\n", "\\n")
    cases = [
        ("invariance ML 4 levels + LRT + score tests", _job(HS, hs, "school"), DD / "cfa_hs1939.csv",
         r_hs, R_CONT % "listwise", 3),
        ("invariance FIML 4 levels + LRT + score tests", _job(HS, hsm, "school", missing="fiml"),
         DD / "cfa_hs1939_missing.csv", r_hs, R_CONT % "ml", 3),
        ("ordinal invariance WLSMV 3x400 + LRT + score tests", _job(ORD, ordd, "group", ordered="all"),
         ORD_DATA, R_SETUP_ORD, R_ORD, 1),
    ]
    have_r = rscript_available(("lavaan", "semTools"))
    rows = []
    for name, fn, path, setup, rexpr, rrep in cases:
        q = best_time(fn, repeat=rrep)
        if have_r:
            r = time_r(setup, rexpr, repeat=rrep, data={"path": path})
            rows.append(row(name, q, "lavaan 0.6 + lavTestScore", r))
        else:
            rows.append(row(name, q, "lavaan 0.6 + lavTestScore", None,
                            note="Rscript with lavaan/semTools not available"))
    return rows


if __name__ == "__main__":  # pragma: no cover
    from benchmarks._harness import render

    print(render(run()))
