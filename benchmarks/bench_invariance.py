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

ROOT = Path(__file__).resolve().parents[1]
DD = ROOT / "tests" / "reference" / "data"
HS = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
ORD = ("f1 =~ y1 + y2 + y3 + y4 + y5 + y6\n"
       "f2 =~ y7 + y8 + y9 + y10 + y11 + y12\n"
       "f3 =~ y13 + y14 + y15 + y16 + y17 + y18")

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
R_ORD = """
items <- paste0("y", 1:18)
fits <- lapply(list("configural", "thresholds", c("thresholds", "loadings"),
                    c("thresholds", "loadings", "intercepts")), function(ge)
  measEq.syntax(configural.model = model, data = dat, ordered = items,
    parameterization = "delta", ID.fac = "std.lv", ID.cat = "Wu.Estabrook.2016",
    group = "group", group.equal = ge, estimator = "WLSMV", return.fit = TRUE))
lavTestLRT(fits[[1]], fits[[2]], fits[[3]], fits[[4]])
lavTestScore(fits[[4]], cumulative = TRUE)
"""


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
    ordd = pd.read_csv(DD / "wlsmv_ordinal.csv")
    r_hs = R_SETUP % HS.replace("\n", "\\n")
    cases = [
        ("invariance ML 4 levels + LRT + score tests", _job(HS, hs, "school"), DD / "cfa_hs1939.csv",
         r_hs, R_CONT % "listwise", 3),
        ("invariance FIML 4 levels + LRT + score tests", _job(HS, hsm, "school", missing="fiml"),
         DD / "cfa_hs1939_missing.csv", r_hs, R_CONT % "ml", 3),
        ("ordinal invariance WLSMV 3x400 + LRT + score tests", _job(ORD, ordd, "group", ordered="all"),
         DD / "wlsmv_ordinal.csv", R_SETUP % ORD.replace("\n", "\\n"), R_ORD, 1),
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
